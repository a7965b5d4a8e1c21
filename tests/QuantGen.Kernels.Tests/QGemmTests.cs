using System;
using System.Collections.Generic;
using QuantGen.Kernels;

namespace QuantGen.Kernels.Tests
{
    public class QGemmTests
    {
        private const int Sentinel = unchecked((int)0xDEADBEEF);

        /// <summary>Row-major test operands: A (m x k, uint8, lda = k + 3), B (k x n, int8 in [-127, 127]).</summary>
        private sealed class Problem
        {
            public int M, N, K, Lda, ZeroA;
            public byte[] A = Array.Empty<byte>();
            public sbyte[] B = Array.Empty<sbyte>();
            public sbyte[] Packed = Array.Empty<sbyte>();
            public int[] ColSums = Array.Empty<int>();

            public static Problem Random(int m, int n, int k, int zeroA, int seed, Func<Random, byte>? a = null, Func<Random, sbyte>? b = null)
            {
                var rng = new Random(seed);
                var p = new Problem { M = m, N = n, K = k, Lda = k + 3, ZeroA = zeroA };
                p.A = new byte[Math.Max(0, (m - 1) * p.Lda + k) + 5]; // + guard bytes past the last row
                for (int i = 0; i < p.A.Length; i++) p.A[i] = a != null ? a(rng) : (byte)rng.Next(256);
                p.B = new sbyte[k * n];
                for (int i = 0; i < p.B.Length; i++) p.B[i] = b != null ? b(rng) : (sbyte)rng.Next(-127, 128);
                p.Packed = new sbyte[QGemm.PackedLength(k, n)];
                p.ColSums = new int[QGemm.ColSumsLength(n)];
                QGemm.Pack(p.B, k, n, p.Packed, p.ColSums);
                return p;
            }

            /// <summary>The definition on the unpacked operands (independent of the packed layout).</summary>
            public int[] Naive()
            {
                var c = new int[M * N];
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < N; j++)
                    {
                        long acc = 0;
                        for (int p = 0; p < K; p++) acc += (A[i * Lda + p] - ZeroA) * B[p * N + j];
                        c[i * N + j] = (int)acc;
                    }
                return c;
            }

            public int[] Reference()
            {
                var c = new int[M * N];
                QGemm.Reference(M, N, K, A, Lda, ZeroA, Packed, c, N);
                return c;
            }

            /// <summary>Runs a path into C with ldc = n + 2 and sentinel-filled padding; checks the padding, returns the m x n result.</summary>
            public int[] Run(int path, bool narrowB = false)
            {
                int ldc = N + 2;
                var c = new int[Math.Max(0, (M - 1) * ldc + N) + 7];
                Array.Fill(c, Sentinel);
                QGemm.RunPath(M, N, K, A, Lda, ZeroA, Packed, ColSums, c, ldc, path, narrowB);
                var r = new int[M * N];
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < ldc && i * ldc + j < c.Length; j++)
                    {
                        if (j < N) r[i * N + j] = c[i * ldc + j];
                        else Assert.True(c[i * ldc + j] == Sentinel, $"wrote past column {N} in row {i}");
                    }
                for (int t = (M - 1) * ldc + N; t < c.Length; t++) Assert.True(t < 0 || c[t] == Sentinel, "wrote past the end of C");
                return r;
            }

            public override string ToString() => $"M={M} N={N} K={K} zA={ZeroA}";
        }

        private static void AssertSame(int[] expected, int[] actual, Problem p, string what)
        {
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++)
                if (expected[i] != actual[i])
                    Assert.Fail($"{what} {p}: C[{i / Math.Max(1, p.N)},{i % Math.Max(1, p.N)}] = {actual[i]}, expected {expected[i]}");
        }

        /// <summary>The (M, N, K) sweep: every M x N from the size list with K cycling through sizes and odd depths, plus a K sweep.</summary>
        private static IEnumerable<(int M, int N, int K, int Z)> Shapes()
        {
            int[] ks = { 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 129 };
            int t = 0;
            foreach (int m in Paths.Sizes)
                foreach (int n in Paths.Sizes)
                {
                    yield return (m, n, ks[t % ks.Length], Paths.ZeroPoints[t % Paths.ZeroPoints.Length]);
                    t++;
                }
            foreach (int k in new[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 255, 256, 257, 576, 1001 })
                foreach (var (m, n) in new[] { (1, 16), (4, 17), (5, 33), (8, 64) })
                    yield return (m, n, k, Paths.ZeroPoints[t++ % Paths.ZeroPoints.Length]);
            foreach (int z in Paths.ZeroPoints) yield return (6, 20, 37, z);
        }

        [Fact]
        public void Reference_EqualsNaiveLoopOnRowMajorB_OverTheShapeSweep()
        {
            int seed = 1;
            foreach (var (m, n, k, z) in Shapes())
            {
                var p = Problem.Random(m, n, k, z, seed++);
                AssertSame(p.Naive(), p.Reference(), p, "reference vs naive");
            }
        }

        [Theory]
        [MemberData(nameof(Paths.All), MemberType = typeof(Paths))]
        public void Path_EqualsReference_OverTheShapeSweep(string isa)
        {
            int path = Paths.Require(isa);
            int seed = 1, count = 0;
            foreach (var (m, n, k, z) in Shapes())
            {
                var p = Problem.Random(m, n, k, z, seed++);
                AssertSame(p.Reference(), p.Run(path), p, isa);
                count++;
            }
            Assert.True(count > 400);
        }

        [Theory]
        [MemberData(nameof(Paths.All), MemberType = typeof(Paths))]
        public void Path_ExtremeOperands_DoNotSaturate(string isa) =>
            AssertConstantExtremes(Paths.Require(isa), isa, 127, narrowB: false, new[] { (1, 17, 1024), (5, 33, 1023), (4, 16, 4096) });

        [Theory]
        [MemberData(nameof(Paths.All), MemberType = typeof(Paths))]
        public void Path_AlternatingExtremes_DoNotSaturate(string isa) => AssertAlternatingExtremes(Paths.Require(isa), isa, 127, narrowB: false, rows: 7);

        /// <summary>A and B constant at their extremes (a in {0, 255}, b = +-bmax), every zero point: C has a closed form.</summary>
        private static void AssertConstantExtremes(int path, string isa, sbyte bmax, bool narrowB, (int M, int N, int K)[] shapes)
        {
            foreach (byte av in new byte[] { 0, 255 })
                foreach (sbyte bv in new sbyte[] { (sbyte)-bmax, bmax })
                    foreach (int z in Paths.ZeroPoints)
                        foreach (var (m, n, k) in shapes)
                        {
                            var p = Problem.Random(m, n, k, z, 7, _ => av, _ => bv);
                            var expected = new int[m * n];
                            Array.Fill(expected, k * (av - z) * bv);
                            AssertSame(expected, p.Reference(), p, "reference closed form");
                            AssertSame(expected, p.Run(path, narrowB), p, isa + $"{(narrowB ? " narrow" : "")} a={av} b={bv}");
                        }
        }

        /// <summary>Adjacent k pairs (what vpmaddubsw adds into one int16) with the largest products of the same sign.</summary>
        private static void AssertAlternatingExtremes(int path, string isa, sbyte bmax, bool narrowB, int rows)
        {
            foreach (int z in Paths.ZeroPoints)
            {
                var p = Problem.Random(rows, 35, 515, z, 3, r => r.Next(2) == 0 ? (byte)0 : (byte)255, r => r.Next(2) == 0 ? (sbyte)-bmax : bmax);
                AssertSame(p.Reference(), p.Run(path, narrowB), p, isa + (narrowB ? " narrow alternating" : ""));
            }
        }

        // Narrow weights: every B in [-64, 64] lets x86 use vpmaddubsw on raw uint8 (QGemm remarks); other paths ignore the flag.
        private static sbyte NarrowB(Random r) => (sbyte)r.Next(-64, 65);

        [Theory]
        [MemberData(nameof(Paths.All), MemberType = typeof(Paths))]
        public void Path_NarrowWeights_EqualsReference_OverTheShapeSweep(string isa)
        {
            int path = Paths.Require(isa);
            int seed = 101, count = 0;
            foreach (var (m, n, k, z) in Shapes())
            {
                var p = Problem.Random(m, n, k, z, seed++, b: NarrowB);
                AssertSame(p.Reference(), p.Run(path, narrowB: true), p, isa + " narrow");
                count++;
            }
            Assert.True(count > 400);
        }

        [Theory]
        [MemberData(nameof(Paths.All), MemberType = typeof(Paths))]
        public void Path_NarrowWeights_Extremes_DoNotSaturate(string isa)
        {
            // 2 * 255 * 64 = 32640 in one int16: the largest pair the narrow kernels must hold.
            int path = Paths.Require(isa);
            AssertConstantExtremes(path, isa, 64, narrowB: true, new[] { (1, 17, 1024), (9, 33, 1023), (8, 16, 4096) });
            AssertAlternatingExtremes(path, isa, 64, narrowB: true, rows: 9);
        }

        [Fact]
        public void Pack_RejectsMinus128()
        {
            var b = new sbyte[] { 1, -128, 3, 4 };
            Assert.Throws<ArgumentException>(() => QGemm.Pack(b, 2, 2, new sbyte[QGemm.PackedLength(2, 2)], new int[QGemm.ColSumsLength(2)]));
        }

        [Fact]
        public void Pack_LayoutAndColumnSums()
        {
            var p = Problem.Random(1, 19, 6, 0, 5);
            Assert.Equal(32 * 8, p.Packed.Length);
            for (int k = 0; k < 8; k++)
                for (int j = 0; j < 32; j++)
                    Assert.Equal(k < 6 && j < 19 ? p.B[k * 19 + j] : 0, p.Packed[(j / 16) * 8 * 16 + (k / 4) * 64 + (j % 16) * 4 + k % 4]);
            for (int j = 0; j < 32; j++)
            {
                int s = 0;
                for (int k = 0; k < 6 && j < 19; k++) s += p.B[k * 19 + j];
                Assert.Equal(s, p.ColSums[j]);
            }
        }

        [Theory]
        [MemberData(nameof(Paths.All), MemberType = typeof(Paths))]
        public void Path_FusedDequantize_EqualsReferenceThenScalarEpilogue(string isa)
        {
            int path = Paths.Require(isa);
            int seed = 11;
            foreach (var (m, n, k) in new[] { (1, 1, 1), (1, 70, 33), (4, 16, 64), (5, 65, 17), (9, 130, 40), (3, 7, 5) })
                foreach (bool perChannel in new[] { false, true })
                    foreach (bool withBias in new[] { false, true })
                        foreach (var (lo, hi) in new[] { (float.NegativeInfinity, float.PositiveInfinity), (0f, float.PositiveInfinity), (-0.5f, 6f) })
                        foreach (bool transposed in new[] { false, true })
                        foreach (bool narrow in new[] { false, true })
                        {
                            var p = Problem.Random(m, n, k, Paths.ZeroPoints[seed % 7], seed++, b: narrow ? NarrowB : null);
                            var rng = new Random(seed);
                            float sa = (float)(rng.NextDouble() * 0.1 + 1e-4);
                            var sb = new float[perChannel ? n : 1];
                            for (int j = 0; j < sb.Length; j++) sb[j] = (float)(rng.NextDouble() * 0.02 + 1e-5);
                            var bias = withBias ? new float[n] : Array.Empty<float>();
                            for (int j = 0; j < bias.Length; j++) bias[j] = (float)(rng.NextDouble() * 4 - 2);
                            var c = p.Reference();
                            // Row-major: y[i * ldy + j]; transposed: y[j * ldy + i]. One spare element after each row (column).
                            int rowsOut = transposed ? n : m, colsOut = transposed ? m : n, ldy = colsOut + 1;
                            var y = new float[(rowsOut - 1) * ldy + colsOut + 1];
                            Array.Fill(y, float.NaN);
                            QGemm.RunDequantizePath(m, n, k, p.A, p.Lda, p.ZeroA, p.Packed, p.ColSums, sa, sb, bias, y, ldy, lo, hi, path, transposed, narrow);
                            for (int i = 0; i < m; i++)
                            {
                                for (int j = 0; j < n; j++)
                                {
                                    float v = c[i * n + j] * (sa * sb[perChannel ? j : 0]) + (withBias ? bias[j] : 0f);
                                    v = v < lo ? lo : v;
                                    v = v > hi ? hi : v;
                                    int at = transposed ? j * ldy + i : i * ldy + j;
                                    Assert.True(BitConverter.SingleToInt32Bits(v) == BitConverter.SingleToInt32Bits(y[at]),
                                        $"{isa} {p} transposed={transposed} y[{i},{j}] = {y[at]:R}, expected {v:R}");
                                }
                            }
                            for (int r = 0; r < rowsOut; r++) Assert.True(float.IsNaN(y[r * ldy + colsOut]), "wrote past a row");
                        }
        }

        /// <summary>
        /// Per-row scales and zero points (activations quantized per token): every row equals the naive definition
        /// sum_k (a - zeroA[i]) b scaled by scaleA[i] * scaleB[j], bit for bit, on every path; zero points cover 0, 128 and 255
        /// (the a' = a - 128 kernels add 128 * colSum back) and rows with scale 0 (an all-zero row).
        /// </summary>
        [Theory]
        [MemberData(nameof(Paths.All), MemberType = typeof(Paths))]
        public void Path_FusedDequantizePerRow_EqualsTheDefinitionRowByRow(string isa)
        {
            int path = Paths.Require(isa);
            int seed = 31;
            foreach (var (m, n, k) in new[] { (1, 1, 1), (2, 70, 33), (4, 16, 64), (7, 65, 17), (9, 130, 40), (13, 7, 5), (17, 48, 384) })
                foreach (bool perChannel in new[] { false, true })
                    foreach (bool withBias in new[] { false, true })
                        foreach (bool narrow in new[] { false, true })
                        {
                            var p = Problem.Random(m, n, k, 0, seed++, b: narrow ? NarrowB : null);
                            var rng = new Random(seed);
                            var zeros = new int[m];
                            var sa = new float[m];
                            for (int i = 0; i < m; i++)
                            {
                                zeros[i] = Paths.ZeroPoints[(seed + i) % Paths.ZeroPoints.Length];
                                sa[i] = i == 1 ? 0f : (float)(rng.NextDouble() * 0.1 + 1e-4);
                            }
                            var sb = new float[perChannel ? n : 1];
                            for (int j = 0; j < sb.Length; j++) sb[j] = (float)(rng.NextDouble() * 0.02 + 1e-5);
                            var bias = withBias ? new float[n] : Array.Empty<float>();
                            for (int j = 0; j < bias.Length; j++) bias[j] = (float)(rng.NextDouble() * 4 - 2);
                            int ldy = n + 1;
                            var y = new float[(m - 1) * ldy + n + 1];
                            Array.Fill(y, float.NaN);
                            QGemm.RunDequantizeRowsPath(m, n, k, p.A, p.Lda, zeros, p.Packed, p.ColSums, sa, sb, bias, y, ldy, float.NegativeInfinity, 6f, path, narrow);
                            for (int i = 0; i < m; i++)
                            {
                                for (int j = 0; j < n; j++)
                                {
                                    long acc = 0;
                                    for (int q = 0; q < k; q++) acc += (p.A[i * p.Lda + q] - zeros[i]) * p.B[q * n + j];
                                    float v = (int)acc * (sa[i] * sb[perChannel ? j : 0]) + (withBias ? bias[j] : 0f);
                                    v = v > 6f ? 6f : v;
                                    Assert.True(BitConverter.SingleToInt32Bits(v) == BitConverter.SingleToInt32Bits(y[i * ldy + j]),
                                        $"{isa} {m}x{n}x{k} perChannel={perChannel} bias={withBias} narrow={narrow} y[{i},{j}] = {y[i * ldy + j]:R}, expected {v:R}");
                                }
                                Assert.True(float.IsNaN(y[i * ldy + n]), "wrote past a row");
                            }
                        }
        }

        [Fact]
        public void PerRow_RejectsAZeroPointOutsideUInt8_AndTooFewRowParameters()
        {
            var p = Problem.Random(2, 16, 8, 0, 3);
            var y = new float[32];
            Assert.Throws<ArgumentException>(() => QGemm.RunDequantizeRows(2, 16, 8, p.A, p.Lda, new[] { 0, 256 }, p.Packed, p.ColSums, new[] { 1f, 1f }, new[] { 1f }, default, y, 16, 0f, 1f));
            Assert.Throws<ArgumentException>(() => QGemm.RunDequantizeRows(2, 16, 8, p.A, p.Lda, new[] { 0 }, p.Packed, p.ColSums, new[] { 1f, 1f }, new[] { 1f }, default, y, 16, 0f, 1f));
            Assert.Throws<ArgumentException>(() => QGemm.RunDequantizeRows(2, 16, 8, p.A, p.Lda, new[] { 0, 1 }, p.Packed, p.ColSums, new[] { 1f }, new[] { 1f }, default, y, 16, 0f, 1f));
        }

        [Theory]
        [MemberData(nameof(Paths.All), MemberType = typeof(Paths))]
        public void Path_FusedRequantize_EqualsReferenceThenScalarRule(string isa)
        {
            int path = Paths.Require(isa);
            int seed = 21;
            foreach (var (m, n, k) in new[] { (1, 1, 1), (1, 70, 33), (4, 16, 64), (5, 65, 17), (9, 130, 40), (3, 7, 5), (2, 200, 300) })
                foreach (bool perChannel in new[] { false, true })
                    foreach (bool withBias in new[] { false, true })
                        foreach (var (qmin, qmax) in new[] { (0, 255), (37, 200) })
                        {
                            var p = Problem.Random(m, n, k, Paths.ZeroPoints[seed % 7], seed++);
                            var rng = new Random(seed);
                            int ch = perChannel ? n : 1;
                            var m0 = new int[ch];
                            var sh = new int[ch];
                            for (int j = 0; j < ch; j++)
                            {
                                // Scales from 2^-20 to 4: around the typical 1e-3 and across the S >= 0.5 (pre-shift) boundary.
                                double s = Math.Pow(2, rng.NextDouble() * 22 - 20);
                                (m0[j], sh[j]) = Requantization.QuantizeMultiplier(s);
                            }
                            var bias = withBias ? new int[n] : Array.Empty<int>();
                            for (int j = 0; j < bias.Length; j++) bias[j] = rng.Next(-100000, 100000);
                            int zy = Paths.ZeroPoints[(seed + 3) % 7];
                            zy = Math.Clamp(zy, qmin, qmax);
                            var c = p.Reference();
                            int ldy = n + 3;
                            var y = new byte[(m - 1) * ldy + n + 3];
                            Array.Fill(y, (byte)0xA5);
                            QGemm.RunRequantizePath(m, n, k, p.A, p.Lda, p.ZeroA, p.Packed, p.ColSums, bias, m0, sh, zy, y, ldy, qmin, qmax, path);
                            for (int i = 0; i < m; i++)
                            {
                                for (int j = 0; j < n; j++)
                                {
                                    int jc = perChannel ? j : 0;
                                    int expected = Requantization.Requantize(c[i * n + j] + (withBias ? bias[j] : 0), m0[jc], sh[jc], zy, qmin, qmax);
                                    Assert.True(expected == y[i * ldy + j], $"{isa} {p} y[{i},{j}] = {y[i * ldy + j]}, expected {expected}");
                                }
                                for (int g = n; g < ldy && i * ldy + g < y.Length; g++) Assert.True(y[i * ldy + g] == 0xA5, "wrote past the row");
                            }
                        }
        }
    }
}
