using System;
using QuantGen.Kernels;

namespace QuantGen.Kernels.Tests
{
    public class PathReportTests
    {
        /// <summary>
        /// tests/run-kernel-isa-matrix.sh and run-kernel-tests-arm64.sh set QUANTGEN_EXPECTED_PATH for each switch combination, so a
        /// switch that silently stopped working (all runs on the same path) fails here instead of passing vacuously.
        /// </summary>
        [Fact]
        public void BestPath_IsTheOneTheRunnerExpects()
        {
            string? expected = Environment.GetEnvironmentVariable("QUANTGEN_EXPECTED_PATH");
            Assert.SkipWhen(string.IsNullOrEmpty(expected), "QUANTGEN_EXPECTED_PATH not set (best path here: " + QuantPath.Name(QuantPath.Best) + ")");
            Assert.Equal(expected, QuantPath.Name(QuantPath.Best));
        }

        [Fact]
        public void ScalarAndPortablePaths_AreAlwaysSupported()
        {
            Assert.True(QuantPath.IsSupported(QuantPath.Scalar));
            Assert.True(QuantPath.IsSupported(QuantPath.Portable128));
            Assert.True(QuantPath.IsSupported(QuantPath.Best));
        }
    }
}
