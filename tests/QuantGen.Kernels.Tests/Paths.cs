using System;
using QuantGen.Kernels;

namespace QuantGen.Kernels.Tests
{
    /// <summary>The kernel paths as theory data (by name, so test names say which ISA ran); unsupported ones are skipped.</summary>
    public static class Paths
    {
        public static readonly string[] Names = { "scalar", "Vector128", "AVX2", "AVX-512BW", "AdvSimd", "AdvSimd+Dp", "AVX-VNNI" };

        public static TheoryData<string> All => new TheoryData<string>(Names);

        /// <summary>The path number for a name, skipping the test when this machine (or the DOTNET_Enable* switches) lacks it.</summary>
        public static int Require(string name)
        {
            int path = Array.IndexOf(Names, name);
            Assert.True(path >= 0, "unknown path " + name);
            Assert.Equal(name, QuantPath.Name(path));
            bool inlined = QuantPath.IsSupported(path), called = IsSupportedNotInlined(path);
            Assert.True(inlined == called, $"IsSupported({name}) is {inlined} inlined but {called} called");
            Assert.SkipUnless(called, name + " is not supported here");
            return path;
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static bool IsSupportedNotInlined(int path) => QuantPath.IsSupported(path);

        /// <summary>Sizes around the 4-row, 16-column and 4-deep blocking (ruy's sweep).</summary>
        public static readonly int[] Sizes = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 17, 31, 32, 33, 63, 64, 65 };

        public static readonly int[] ZeroPoints = { 0, 18, 75, 128, 157, 231, 255 };
    }
}
