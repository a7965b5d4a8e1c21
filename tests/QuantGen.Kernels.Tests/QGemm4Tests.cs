using System;
using System.Linq;
using QuantGen.Kernels;
using Xunit;

namespace QuantGen.Kernels.Tests
{
    /// <summary>
    /// 4-bit weights (QGemm.Int4): the packed layout, the scalar reference against the definition written on the unpacked
    /// weights, every path against the reference bit for bit (group sizes 4..k, zero points, bias, clamps, transposed
    /// stores), one scale group against the int8 kernel, and the convolution and dense entries. Runs on every ISA of the
    /// CI matrix and under qemu arm64.
    /// </summary>
    public class QGemm4Tests
    {
        private static sbyte[] RandomB(Random rng, int k, int n) =>
            Enumerable.Range(0, k * n).Select(_ => (sbyte)rng.Next(-7, 8)).ToArray();

        private static byte[] Pack(sbyte[] b, int k, int n)
        {
            var packed = new byte[Int8Layout.Packed4Length(k, n)];
            QGemm.Pack4(b, k, n, packed);
            return packed;
        }

        [Fact]
        public void Pack4_holds_each_weight_in_the_nibble_of_its_int8_layout_index()
        {
            var rng = new Random(3);
            foreach (var (k, n) in new[] { (1, 1), (6, 19), (33, 40), (64, 16) })
            {
                var b = RandomB(rng, k, n);
                var packed = Pack(b, k, n);
                Assert.Equal(QGemm.PackedLength(k, n) / 2, packed.Length);
                var b8 = new sbyte[QGemm.PackedLength(k, n)];
                QGemm.Pack(b, k, n, b8, new int[QGemm.ColSumsLength(n)]);
                var unpacked = new sbyte[b8.Length];
                QGemm.Unpack4(packed, unpacked);
                Assert.Equal(b8, unpacked);
                for (int p = 0; p < k; p++)
                    for (int j = 0; j < n; j++)
                        Assert.Equal(b[p * n + j], QGemm.Weight4(packed, k, p, j));
            }
            Assert.Throws<ArgumentException>(() => QGemm.Pack4(new sbyte[] { 8 }, 1, 1, new byte[32]));
            Assert.Throws<ArgumentException>(() => QGemm.Pack4(new sbyte[] { -8 }, 1, 1, new byte[32]));
        }

        /// <summary>The definition on the unpacked weights, in the documented float order.</summary>
        private static float[] Definition(int m, int n, int k, byte[] a, int lda, int zeroA, sbyte[] b, int groupSize, float scaleA, float[] scales,
            float[] bias, float lo, float hi)
        {
            int groups = groupSize >= k ? 1 : (k + groupSize - 1) / groupSize, gs = groupSize >= k ? k : groupSize;
            var y = new float[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    float f = 0f;
                    for (int g = 0; g < groups; g++)
                    {
                        int acc = 0;
                        for (int p = g * gs; p < Math.Min(k, (g + 1) * gs); p++) acc += (a[i * lda + p] - zeroA) * b[p * n + j];
                        f += (float)acc * (scaleA * scales[g * n + j]);
                    }
                    float v = f + (bias.Length == 0 ? 0f : bias[j]);
                    v = v < lo ? lo : v;
                    y[i * n + j] = v > hi ? hi : v;
                }
            return y;
        }

        [Theory]
        [MemberData(nameof(Paths.All), MemberType = typeof(Paths))]
        public void Path_equals_reference_and_definition(string isa)
        {
            int path = Paths.Require(isa);
            int seed = 41;
            foreach (var (m, n, k) in new[] { (1, 1, 1), (1, 70, 33), (4, 16, 64), (7, 65, 96), (9, 130, 40), (3, 7, 5), (13, 33, 160), (6, 64, 256) })
                foreach (int groupSize in new[] { 4, 8, 32, 64, 1 << 20 })
                    foreach (bool transposed in new[] { false, true })
                        foreach (var (lo, hi) in new[] { (float.NegativeInfinity, float.PositiveInfinity), (0f, 6f) })
                        {
                            var rng = new Random(seed++);
                            int lda = k + 3, zeroA = Paths.ZeroPoints[seed % 7];
                            var a = new byte[(m - 1) * lda + k + 5];
                            rng.NextBytes(a);
                            var b = RandomB(rng, k, n);
                            var packed = Pack(b, k, n);
                            int groups = QGemm.GroupCount(k, groupSize);
                            var scales = Enumerable.Range(0, groups * n).Select(_ => (float)(rng.NextDouble() * 0.05 + 1e-4)).ToArray();
                            var bias = seed % 2 == 0 ? Array.Empty<float>() : Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
                            float sa = (float)(rng.NextDouble() * 0.1 + 1e-3);
                            var expected = Definition(m, n, k, a, lda, zeroA, b, groupSize, sa, scales, bias, lo, hi);
                            int rowsOut = transposed ? n : m, colsOut = transposed ? m : n, ldy = colsOut + 1;
                            var reference = new float[(rowsOut - 1) * ldy + colsOut + 1];
                            var y = new float[reference.Length];
                            Array.Fill(y, float.NaN);
                            QGemm.Reference4(m, n, k, a, lda, zeroA, packed, groupSize, sa, scales, bias, reference, ldy, lo, hi, transposed);
                            QGemm.RunDequantize4Path(m, n, k, a, lda, zeroA, packed, groupSize, sa, scales, bias, y, ldy, lo, hi, path, transposed);
                            for (int i = 0; i < m; i++)
                                for (int j = 0; j < n; j++)
                                {
                                    int at = transposed ? j * ldy + i : i * ldy + j;
                                    int e = BitConverter.SingleToInt32Bits(expected[i * n + j]);
                                    Assert.True(e == BitConverter.SingleToInt32Bits(reference[at]), $"reference ({m},{n},{k}) g={groupSize} y[{i},{j}]");
                                    Assert.True(e == BitConverter.SingleToInt32Bits(y[at]),
                                        $"{isa} ({m},{n},{k}) g={groupSize} transposed={transposed} y[{i},{j}] = {y[at]:R}, expected {expected[i * n + j]:R}");
                                }
                            for (int r = 0; r < rowsOut; r++) Assert.True(float.IsNaN(y[r * ldy + colsOut]), "wrote past a row");
                        }
        }

        [Theory]
        [MemberData(nameof(Paths.All), MemberType = typeof(Paths))]
        public void One_scale_group_equals_the_int8_kernel_with_the_same_weights(string isa)
        {
            int path = Paths.Require(isa);
            var rng = new Random(7);
            foreach (var (m, n, k) in new[] { (5, 40, 72), (12, 17, 9), (1, 64, 128) })
            {
                var a = new byte[m * k];
                rng.NextBytes(a);
                var b = RandomB(rng, k, n);
                var packed8 = new sbyte[QGemm.PackedLength(k, n)];
                var sums = new int[QGemm.ColSumsLength(n)];
                QGemm.Pack(b, k, n, packed8, sums);
                var scales = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 0.05 + 1e-4)).ToArray();
                var bias = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
                var y8 = new float[m * n];
                var y4 = new float[m * n];
                QGemm.RunDequantizePath(m, n, k, a, k, 77, packed8, sums, 0.02f, scales, bias, y8, n, -1f, 3f, path);
                QGemm.RunDequantize4Path(m, n, k, a, k, 77, Pack(b, k, n), k, 0.02f, scales, bias, y4, n, -1f, 3f, path);
                Assert.Equal(y8.Select(BitConverter.SingleToInt32Bits), y4.Select(BitConverter.SingleToInt32Bits));
            }
        }

        [Fact]
        public void Bad_arguments_throw()
        {
            var a = new byte[64];
            var packed = new byte[Int8Layout.Packed4Length(16, 16)];
            var y = new float[256];
            Assert.Throws<ArgumentException>(() => QGemm.RunDequantize4(4, 16, 16, a, 16, 0, packed, 6, 1f, new float[64], default, y, 16, 0f, 1f));
            Assert.Throws<ArgumentException>(() => QGemm.RunDequantize4(4, 16, 16, a, 16, 0, packed, 8, 1f, new float[16], default, y, 16, 0f, 1f));
            Assert.Throws<ArgumentException>(() => QGemm.RunDequantize4(4, 16, 16, a, 16, 0, packed.AsSpan(1), 16, 1f, new float[16], default, y, 16, 0f, 1f));
            Assert.Throws<ArgumentException>(() => QGemm.RunDequantize4(4, 16, 16, a, 16, 0, packed, 16, 1f, new float[16], default, y.AsSpan(0, 63), 16, 0f, 1f));
        }

        /// <summary>
        /// The convolution entry with 4-bit weights in scale groups along its (tap, channel) k: the patch rows built here from
        /// the definition (padding reads the zero point) times the weights by <see cref="QGemm.Reference4"/>, per group of the
        /// convolution; the kernel path is the machine's best (the CI matrix varies it).
        /// </summary>
        [Theory]
        [InlineData(16, 24, 1, 9, 9, 3, 1, 1, 1, 1, 32)]
        [InlineData(12, 18, 3, 9, 11, 3, 2, 2, 2, 1, 8)]
        [InlineData(64, 40, 1, 11, 13, 3, 2, 1, 1, 2, 64)]
        [InlineData(20, 24, 2, 1, 31, 5, 2, 1, 2, 1, 1 << 20)]
        public void Conv_with_grouped_4bit_weights_equals_patch_rows_times_reference(int cin, int cout, int group, int h, int w, int k, int stride, int dil, int pad,
            int batch, int groupSize)
        {
            var rng = new Random(cin + cout + h + groupSize);
            int kh = h == 1 ? 1 : k, padH = h == 1 ? 0 : pad;
            int oh = (h + 2 * padH - dil * (kh - 1) - 1) / stride + 1, ow = (w + 2 * pad - dil * (k - 1) - 1) / stride + 1;
            int cg = cin / group, coutG = cout / group, kk = cg * kh * k, p = oh * ow, zx = 93;
            int groups = QGemm.GroupCount(kk, groupSize), per = Int8Layout.Packed4Length(kk, coutG);
            var x = new byte[batch * cin * h * w];
            rng.NextBytes(x);
            var packed = new byte[per * group];
            var bs = new sbyte[group][];
            for (int g = 0; g < group; g++)
            {
                bs[g] = RandomB(rng, kk, coutG);
                QGemm.Pack4(bs[g], kk, coutG, packed.AsSpan(g * per, per));
            }
            var scales = Enumerable.Range(0, group * groups * coutG).Select(_ => (float)(rng.NextDouble() * 0.01 + 1e-4)).ToArray();
            var bias = Enumerable.Range(0, cout).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
            var y = new float[batch * cout * p];
            var scratch = new byte[Int8Layout.ConvU8ScratchBytes(batch, cin, h, w, oh, ow, kh, k, group, 0)];
            ConvQ8.Conv2D((ReadOnlySpan<byte>)x, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(packed), ReadOnlySpan<int>.Empty, scales, bias, y, scratch,
                batch, cin, h, w, cout, oh, ow, kh, k, stride, stride, dil, dil, padH, pad, group, 0f, float.PositiveInfinity, 0.0173f, zx, int4Group: groupSize);

            for (int bt = 0; bt < batch; bt++)
                for (int g = 0; g < group; g++)
                {
                    // Patch rows [p, kk], k ordered (tap, channel).
                    var rows = new byte[p * kk];
                    for (int oy = 0; oy < oh; oy++)
                        for (int ox = 0; ox < ow; ox++)
                            for (int t = 0; t < kh * k; t++)
                                for (int c = 0; c < cg; c++)
                                {
                                    int iy = oy * stride - padH + (t / k) * dil, ix = ox * stride - pad + (t % k) * dil;
                                    bool inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
                                    rows[(oy * ow + ox) * kk + t * cg + c] = inside ? x[((bt * cin + g * cg + c) * h + iy) * w + ix] : (byte)zx;
                                }
                    var expected = new float[coutG * p];
                    QGemm.Reference4(p, coutG, kk, rows, kk, zx, packed.AsSpan(g * per, per), groupSize, 0.0173f,
                        scales.AsSpan(g * groups * coutG, groups * coutG), bias.AsSpan(g * coutG, coutG), expected, p, 0f, float.PositiveInfinity, transposed: true);
                    for (int i = 0; i < expected.Length; i++)
                        Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(y[(bt * cout + g * coutG) * p + i]),
                            $"batch {bt} group {g} element {i}: {y[(bt * cout + g * coutG) * p + i]} vs {expected[i]}");
                }
        }
    }
}
