using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using QuantGen.Kernels;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// Int8 GEMM throughput of QGemm.Run (the path the CPU selects; int32 output): C[M,N] = (A - zeroA) * B with A uint8
    /// row-major (lda = K), B int8 in [-127, 127] prepacked once, or with <see cref="NarrowWeights"/> in [-63, 63] (the 7-bit
    /// weights of WeightBits="7", which x86 multiplies with vpmaddubsw directly). MACs per call = M * N * K (one multiply-add each); the
    /// table reports GMAC/s = M * N * K / median time. Random operands (fixed seeds); the result is checked once against
    /// the scalar QGemm.Reference, bit for bit.
    /// </summary>
    public class QGemmThroughput
    {
        /// <summary>"M x N x K". (1, 512, 4608) and (4, 512, 4608): GEMV-like rows of a 3x3x512 conv at batch 1/4;
        /// (64, 512, 576) and (196, 256, 2304): im2col convolutions (8x8 map, 64 input channels; 14x14 map, 256 channels).</summary>
        [ParamsSource(nameof(Shapes))]
        public string Shape { get; set; } = "1x512x4608";

        public static IEnumerable<string> Shapes => ["1x512x4608", "4x512x4608", "64x512x576", "196x256x2304"];

        [Params(false, true)]
        public bool NarrowWeights { get; set; }

        private int _m, _n, _k;
        private byte[] _a = [];
        private sbyte[] _packed = [];
        private int[] _sums = [], _c = [];
        private const int ZeroA = 77;

        public static (int M, int N, int K) Parse(string shape)
        {
            var p = shape.Split('x');
            return (int.Parse(p[0]), int.Parse(p[1]), int.Parse(p[2]));
        }

        [GlobalSetup]
        public void Setup()
        {
            (_m, _n, _k) = Parse(Shape);
            var rng = new Random(1);
            _a = new byte[_m * _k];
            rng.NextBytes(_a);
            var b = new sbyte[_k * _n];
            int bmax = NarrowWeights ? 63 : 127;
            for (int i = 0; i < b.Length; i++) b[i] = (sbyte)rng.Next(-bmax, bmax + 1);
            _packed = new sbyte[QGemm.PackedLength(_k, _n)];
            _sums = new int[QGemm.ColSumsLength(_n)];
            QGemm.Pack(b, _k, _n, _packed, _sums);
            _c = new int[_m * _n];
            Run();
            var reference = new int[_m * _n];
            QGemm.Reference(_m, _n, _k, _a, _k, ZeroA, _packed, reference, _n);
            if (!reference.AsSpan().SequenceEqual(_c)) throw new InvalidOperationException($"QGemm.Run differs from QGemm.Reference at {Shape}");
        }

        [Benchmark]
        public void Run() => QGemm.Run(_m, _n, _k, _a, _k, ZeroA, _packed, _sums, _c, _n, NarrowWeights);
    }
}
