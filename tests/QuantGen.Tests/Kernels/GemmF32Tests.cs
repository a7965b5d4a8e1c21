using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Kernels;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// GemmF32 against a scalar reference over ruy-style shape sweeps (1-10, 15-17, 31-33, 63-65), every bias kind and
    /// activation, with leading dimensions larger than the rows and guard elements that must stay untouched. The vector
    /// paths use FMA, so they may differ from the scalar reference by rounding only: the bound is the worst case of two
    /// k-term float summations, 2 (k + 1) 2^-24 sum |a b| (plus |bias|).
    /// </summary>
    public class GemmF32Tests
    {
        private static readonly int[] Sizes = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 17, 31, 32, 33, 63, 64, 65 };

        /// <summary>The reference: same accumulation order as the kernel (initial value, then k = 0..K-1), no FMA.</summary>
        private static void Reference(int m, int n, int k, float[] a, int lda, float[] b, int ldb, float[] c, int ldc, float[] bias, int biasKind, int act, float actA, float actB)
        {
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    float acc = biasKind switch { GemmF32.BiasPerRow => bias[i], GemmF32.BiasPerColumn => bias[j], GemmF32.Accumulate => c[i * ldc + j], _ => 0f };
                    for (int p = 0; p < k; p++) acc += a[i * lda + p] * b[p * ldb + j];
                    c[i * ldc + j] = act switch { 1 => acc < 0f ? 0f : acc, 2 => acc < 0f ? acc * actA : acc, 3 => MathF.Min(MathF.Max(acc, actA), actB), _ => acc };
                }
        }

        private static string? RunOne(Random r, int m, int n, int k, int biasKind, int act, int pad)
        {
            int lda = k + pad, ldb = n + pad, ldc = n + pad;
            var a = RandomData(r, m * lda);
            var b = RandomData(r, Math.Max(1, k * ldb));
            var bias = RandomData(r, Math.Max(m, n));
            var c0 = RandomData(r, m * ldc + 7); // 7 guard elements past the end
            var expected = (float[])c0.Clone();
            var actual = (float[])c0.Clone();
            float actA = act == 2 ? 0.1f : act == 3 ? -0.5f : 0f, actB = act == 3 ? 0.75f : 0f;
            Reference(m, n, k, a, lda, b, ldb, expected, ldc, bias, biasKind, act, actA, actB);
            GemmF32.Run(m, n, k, a, lda, b, ldb, actual.AsSpan(0, m * ldc), ldc, bias, biasKind, act, actA, actB);
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < ldc; j++)
                {
                    int at = i * ldc + j;
                    if (j >= n)
                    {
                        if (BitConverter.SingleToInt32Bits(actual[at]) != BitConverter.SingleToInt32Bits(c0[at])) return $"m={m} n={n} k={k}: padding element ({i},{j}) was written";
                        continue;
                    }
                    double sumAbs = biasKind switch { GemmF32.BiasPerRow => Math.Abs(bias[i]), GemmF32.BiasPerColumn => Math.Abs(bias[j]), GemmF32.Accumulate => Math.Abs(c0[at]), _ => 0 };
                    for (int p = 0; p < k; p++) sumAbs += Math.Abs((double)a[i * lda + p] * b[p * ldb + j]);
                    double tol = 2.0 * (k + 1) * Math.Pow(2, -24) * sumAbs;
                    if (!(Math.Abs(actual[at] - expected[at]) <= tol))
                        return $"m={m} n={n} k={k} bias={biasKind} act={act} pad={pad}: C[{i},{j}] = {actual[at]:R}, reference {expected[at]:R} (tolerance {tol:G3})";
                }
            }
            for (int g = m * ldc; g < c0.Length; g++)
                if (BitConverter.SingleToInt32Bits(actual[g]) != BitConverter.SingleToInt32Bits(c0[g])) return $"m={m} n={n} k={k}: guard element {g - m * ldc} past C was written";
            return null;
        }

        private static float[] RandomData(Random r, int n)
        {
            var v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float)(r.NextDouble() * 2 - 1);
            return v;
        }

        [Theory]
        [InlineData(GemmF32.BiasNone)]
        [InlineData(GemmF32.BiasPerRow)]
        [InlineData(GemmF32.BiasPerColumn)]
        [InlineData(GemmF32.Accumulate)]
        public void Gemm_matches_scalar_reference_over_the_shape_sweep(int biasKind)
        {
            var r = new Random(1234 + biasKind);
            var failures = new List<string>();
            foreach (var m in Sizes)
                foreach (var n in Sizes)
                    foreach (var k in Sizes)
                    {
                        var f = RunOne(r, m, n, k, biasKind, 0, 0);
                        if (f != null && failures.Count < 10) failures.Add(f);
                    }
            Assert.True(failures.Count == 0, string.Join("\n", failures));
        }

        /// <summary>Depths around and past the K block (256): later blocks continue each element's chain from C.</summary>
        [Fact]
        public void Gemm_over_several_k_blocks_matches_scalar_reference()
        {
            var r = new Random(4321);
            var failures = new List<string>();
            foreach (var k in new[] { 255, 256, 257, 600 })
                foreach (var m in new[] { 1, 6, 7, 8, 9, 13 })
                    foreach (var n in new[] { 1, 7, 31, 33, 49 })
                        foreach (var biasKind in new[] { GemmF32.BiasPerRow, GemmF32.BiasPerColumn, GemmF32.Accumulate })
                            if (RunOne(r, m, n, k, biasKind, 1, 2) is string f) failures.Add(f);
            Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));
        }

        /// <summary>ConvF32.Im2Col against its definition (a copy, so exact), strides 1-3: rows wide enough for the vector gathers and
        /// copies, and rows of 3-12 floats (the short-run copies: one overlapping vector, 128-bit, scalar).</summary>
        [Fact]
        public void Im2col_equals_definition()
        {
            var r = new Random(77);
            foreach (var (c, h, w, k, s, pad) in new[] { (3, 9, 61, 7, 2, 3), (2, 6, 40, 3, 2, 1), (2, 5, 33, 1, 2, 0), (1, 7, 50, 3, 3, 1), (2, 4, 19, 3, 1, 1), (1, 5, 64, 4, 2, 0), (1, 6, 12, 5, 1, 2), (2, 5, 5, 3, 1, 1), (1, 4, 3, 3, 1, 1), (1, 6, 7, 5, 1, 2) })
            {
                int oh = (h + 2 * pad - k) / s + 1, ow = (w + 2 * pad - k) / s + 1;
                var x = RandomData(r, c * h * w);
                var cols = RandomData(r, c * k * k * oh * ow);
                ConvF32.Im2Col(x, cols, c, h, w, oh, ow, k, k, s, s, 1, 1, pad, pad);
                for (int ci = 0; ci < c; ci++)
                    for (int i = 0; i < k; i++)
                        for (int j = 0; j < k; j++)
                            for (int oy = 0; oy < oh; oy++)
                                for (int ox = 0; ox < ow; ox++)
                                {
                                    int iy = oy * s - pad + i, ix = ox * s - pad + j;
                                    float e = iy >= 0 && iy < h && ix >= 0 && ix < w ? x[(ci * h + iy) * w + ix] : 0f;
                                    Assert.Equal(e, cols[((ci * k + i) * k + j) * oh * ow + oy * ow + ox]);
                                }
            }
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        public void Gemm_activation_epilogue_matches_scalar_reference(int act)
        {
            var r = new Random(99 + act);
            var failures = new List<string>();
            foreach (var m in new[] { 1, 3, 4, 5, 9, 17 })
                foreach (var n in new[] { 1, 7, 8, 9, 16, 17, 33 })
                    foreach (var k in new[] { 1, 2, 16, 31 })
                        foreach (var biasKind in new[] { GemmF32.BiasNone, GemmF32.BiasPerColumn })
                        {
                            var f = RunOne(r, m, n, k, biasKind, act, 0);
                            if (f != null && failures.Count < 10) failures.Add(f);
                        }
            Assert.True(failures.Count == 0, string.Join("\n", failures));
        }

        [Fact]
        public void Gemm_with_leading_dimensions_larger_than_the_matrix_leaves_padding_untouched()
        {
            var r = new Random(7);
            var failures = new List<string>();
            foreach (var m in new[] { 1, 4, 5, 8, 13 })
                foreach (var n in new[] { 1, 8, 15, 16, 17, 24 })
                    foreach (var k in new[] { 1, 3, 17 })
                        foreach (var pad in new[] { 1, 5 })
                            foreach (var biasKind in new[] { GemmF32.BiasNone, GemmF32.BiasPerRow, GemmF32.Accumulate })
                            {
                                var f = RunOne(r, m, n, k, biasKind, biasKind == GemmF32.BiasNone ? 1 : 0, pad);
                                if (f != null && failures.Count < 10) failures.Add(f);
                            }
            Assert.True(failures.Count == 0, string.Join("\n", failures));
        }

        [Fact]
        public void Gemm_with_k_zero_writes_the_bias_only()
        {
            var c = new float[6];
            GemmF32.Run(2, 3, 0, new float[2], 0, Array.Empty<float>(), 3, c, 3, new[] { 1f, 2f, 3f }, GemmF32.BiasPerColumn, 0, 0f, 0f);
            Assert.Equal(new[] { 1f, 2f, 3f, 1f, 2f, 3f }, c);
        }

        [Fact]
        public void Gemm_rejects_operands_that_are_too_small()
        {
            Assert.Throws<ArgumentException>(() => GemmF32.Run(2, 2, 2, new float[3], 2, new float[4], 2, new float[4], 2, ReadOnlySpan<float>.Empty, 0, 0, 0f, 0f));
            Assert.Throws<ArgumentException>(() => GemmF32.Run(2, 2, 2, new float[4], 2, new float[4], 2, new float[3], 2, ReadOnlySpan<float>.Empty, 0, 0, 0f, 0f));
            Assert.Throws<ArgumentException>(() => GemmF32.Run(2, 2, 2, new float[4], 2, new float[4], 2, new float[4], 2, new float[1], GemmF32.BiasPerColumn, 0, 0f, 0f));
        }
    }
}
