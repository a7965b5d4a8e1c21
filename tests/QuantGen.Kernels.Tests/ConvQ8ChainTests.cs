using System;
using System.Linq;
using QuantGen.Kernels;
using Xunit;

namespace QuantGen.Kernels.Tests
{
    /// <summary>
    /// The uint8-input convolution entries of int8 chains against their definition: integer sums from the plain
    /// QLinear.ConvInteger loop, then the one dequantization formula (Requantization.Dequantize) or the one fixed-point rule
    /// (Requantization.Requantize), over geometries with groups, depthwise, strides, dilations, padding and 1-D, zero points
    /// from the sweep set, 8-bit and 7-bit (narrow) weights. Runs on every ISA of the CI matrix.
    /// </summary>
    public class ConvQ8ChainTests
    {
        public static TheoryData<int, int, int, int, int, int, int, int, int, int> Geometries => new()
        {
            // cin, cout, group, h, w, k (square; 1-D when h = 1), stride, dilation, pad, batch
            { 3, 8, 1, 9, 9, 3, 1, 1, 1, 1 },
            { 16, 32, 1, 8, 8, 3, 1, 1, 1, 2 },
            { 32, 17, 1, 7, 5, 1, 1, 1, 0, 1 },
            { 8, 8, 8, 10, 10, 3, 2, 1, 1, 1 },
            { 12, 18, 3, 9, 11, 3, 2, 2, 2, 1 },
            { 33, 65, 1, 5, 6, 2, 1, 1, 0, 1 },
            { 20, 24, 2, 1, 31, 5, 2, 1, 2, 1 },
            // channels per group a multiple of 4 (whole k-groups per tap), 1-D with batch 2, dilation with wide padding
            { 64, 40, 1, 11, 13, 3, 2, 1, 1, 1 },
            { 8, 16, 1, 1, 30, 3, 1, 1, 1, 2 },
            { 4, 20, 1, 12, 9, 5, 1, 2, 3, 1 },
            { 16, 48, 2, 6, 7, 1, 1, 1, 0, 1 },
        };

        [Theory]
        [MemberData(nameof(Geometries))]
        public void Uint8_input_float_and_uint8_outputs_equal_definition(int cin, int cout, int group, int h, int w, int k, int stride, int dil, int pad, int batch)
        {
            var rng = new Random(cin * 31 + cout * 7 + group + h);
            int kh = h == 1 ? 1 : k, padH = h == 1 ? 0 : pad;
            int oh = (h + 2 * padH - dil * (kh - 1) - 1) / stride + 1, ow = (w + 2 * pad - dil * (k - 1) - 1) / stride + 1;
            int cg = cin / group, coutG = cout / group, kk = cg * kh * k, p = oh * ow;
            foreach (bool narrow in new[] { false, true })
                foreach (int zx in new[] { 0, 18, 128, 255 })
                {
                    int qw = narrow ? 64 : 127;
                    var x = new byte[batch * cin * h * w];
                    rng.NextBytes(x);
                    var wt = Enumerable.Range(0, cout * kk).Select(_ => (sbyte)rng.Next(-qw, qw + 1)).ToArray();
                    // Packed per group as W_g^T [K, Cout/group] with K ordered (tap, channel), the layout ConvQ8 multiplies.
                    int per = QGemm.PackedLength(kk, coutG), sumsPer = QGemm.ColSumsLength(coutG);
                    var packed = new sbyte[per * group];
                    var sums = new int[sumsPer * group];
                    for (int g = 0; g < group; g++)
                    {
                        var b = new sbyte[kk * coutG];
                        for (int r = 0; r < kk; r++)
                            for (int o = 0; o < coutG; o++)
                                b[r * coutG + o] = wt[(g * coutG + o) * kk + (r % cg) * kh * k + r / cg];
                        QGemm.Pack(b, kk, coutG, packed.AsSpan(g * per, per), sums.AsSpan(g * sumsPer, sumsPer));
                    }
                    var acc = new int[batch * cout * p];
                    QLinear.ConvInteger<byte, sbyte>(x, wt, acc, (byte)zx, ReadOnlySpan<sbyte>.Empty, batch, cin, h, w, cout, oh, ow, kh, k,
                        stride, stride, dil, dil, padH, pad, group);

                    // Float output: per channel (float)acc * (scaleX * scaleW[o]) + bias[o], clamped (Relu).
                    float scaleX = 0.0173f;
                    var ws = Enumerable.Range(0, cout).Select(_ => (float)(0.001 + rng.NextDouble() * 0.01)).ToArray();
                    var bias = Enumerable.Range(0, cout).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
                    var y = new float[batch * cout * p];
                    var scratch = new byte[Int8Layout.ConvU8ScratchBytes(batch, cin, h, w, oh, ow, kh, k, group, 0)];
                    rng.NextBytes(scratch);
                    ConvQ8.Conv2D((ReadOnlySpan<byte>)x, packed, sums, ws, bias, y, scratch, batch, cin, h, w, cout, oh, ow, kh, k,
                        stride, stride, dil, dil, padH, pad, group, 0f, float.PositiveInfinity, scaleX, zx, narrow);
                    var expected = new float[p];
                    for (int bo = 0; bo < batch * cout; bo++)
                    {
                        int o = bo % cout;
                        Requantization.Dequantize(acc.AsSpan(bo * p, p), scaleX, new[] { ws[o] }, Enumerable.Repeat(bias[o], p).ToArray(), expected, 0f, float.PositiveInfinity);
                        for (int i = 0; i < p; i++)
                            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(y[bo * p + i]))
                                Assert.Fail($"float output, narrow={narrow} zx={zx}: plane {bo} pixel {i}: {y[bo * p + i]} vs {expected[i]}");
                    }

                    // uint8 output: the fixed-point rule per output channel, with a zero point and a Relu floor.
                    var m0 = new int[cout];
                    var shift = new int[cout];
                    var biasQ = new int[cout];
                    for (int o = 0; o < cout; o++)
                    {
                        (m0[o], shift[o]) = Requantization.QuantizeMultiplier(scaleX * ws[o] / 0.05);
                        biasQ[o] = rng.Next(-3000, 3000);
                    }
                    int zy = 37, qmin = 37;
                    var yq = new byte[batch * cout * p + 64];
                    Array.Fill(yq, (byte)0xAB);
                    var scratchQ = new byte[Int8Layout.ConvU8ScratchBytes(batch, cin, h, w, oh, ow, kh, k, group, coutG)];
                    rng.NextBytes(scratchQ);
                    ConvQ8.Conv2DRequantize(x, packed, sums, biasQ, m0, shift, yq.AsSpan(0, batch * cout * p), scratchQ, batch, cin, h, w, cout, oh, ow, kh, k,
                        stride, stride, dil, dil, padH, pad, group, zx, zy, qmin, 255, narrow);
                    for (int i = 0; i < batch * cout * p; i++)
                    {
                        int o = i / p % cout;
                        int e = Requantization.Requantize(acc[i] + biasQ[o], m0[o], shift[o], zy, qmin, 255);
                        if (yq[i] != e) Assert.Fail($"uint8 output, narrow={narrow} zx={zx}: element {i}: {yq[i]} vs {e}");
                    }
                    for (int i = batch * cout * p; i < yq.Length; i++) Assert.Equal(0xAB, yq[i]);
                }
        }

        /// <summary>The Add factors' unit: the larger factor is exactly this (2^22), so |acc| reaches 2 * 255 * 2^22.</summary>
        private const int Unit = 1 << Requantization.AddFactorBits;

        [Fact]
        public void Uint8_add_equals_definition()
        {
            var rng = new Random(17);
            foreach (int len in new[] { 1, 15, 16, 17, 255, 256, 257, 700 })
                foreach (var (fa, za, fb, zb, scale, zy, qmin, qmax) in new[]
                {
                    (Unit, 0, Unit, 0, 0.5, 0, 0, 255), (Unit, 128, 2303721, 3, 1.7, 90, 90, 255), (1, 255, Unit, 255, 0.01, 255, 0, 255),
                    (3072000, 37, Unit, 200, 3.9, 12, 20, 200), (0, 0, Unit, 17, 1.0, 128, 0, 255), (Unit, 0, Unit, 255, 1.0, 0, 0, 255),
                })
                {
                    var a = new byte[len]; var b = new byte[len];
                    rng.NextBytes(a); rng.NextBytes(b);
                    if (len > 2) { a[0] = 255; b[0] = 255; a[1] = 0; b[1] = 0; }
                    var (m0, shift) = Requantization.QuantizeMultiplier(scale / Unit);
                    var expected = new byte[len];
                    AddQ8.Reference(a, b, expected, fa, za, fb, zb, m0, shift, zy, qmin, qmax);
                    var actual = new byte[len + 16];
                    Array.Fill(actual, (byte)0xCD);
                    AddQ8.Run(a, b, actual.AsSpan(0, len), fa, za, fb, zb, m0, shift, zy, qmin, qmax);
                    Assert.Equal(expected, actual.AsSpan(0, len).ToArray());
                    Assert.All(actual.AsSpan(len).ToArray(), v => Assert.Equal(0xCD, v));
                }
        }

        /// <summary>Float Max2D's vector paths (2- and 3-wide stride-2 windows) against the definition, NaN and signed zeros included.</summary>
        [Fact]
        public void Float_max_pool_equals_definition()
        {
            var rng = new Random(19);
            foreach (var (h, w, k, s, pad) in new[] { (9, 112, 3, 2, 1), (7, 57, 3, 2, 0), (6, 40, 2, 2, 0), (5, 41, 2, 2, 1), (4, 23, 3, 2, 1), (28, 28, 2, 2, 0), (24, 24, 2, 2, 0), (9, 17, 2, 2, 0), (6, 50, 2, 2, 0) })
            {
                int oh = (h + 2 * pad - k) / s + 1, ow = (w + 2 * pad - k) / s + 1;
                var x = Enumerable.Range(0, 2 * h * w).Select(_ => rng.Next(20) switch { 0 => float.NaN, 1 => 0f, 2 => -0f, _ => (float)(rng.NextDouble() * 4 - 2) }).ToArray();
                var y = new float[2 * oh * ow];
                Pool.Max2D(x, y, 2, h, w, oh, ow, k, k, s, s, 1, 1, pad, pad);
                for (int p = 0; p < 2; p++)
                    for (int oy = 0; oy < oh; oy++)
                        for (int ox = 0; ox < ow; ox++)
                        {
                            float m = float.NegativeInfinity;
                            for (int i = 0; i < k; i++)
                                for (int j = 0; j < k; j++)
                                {
                                    int iy = oy * s - pad + i, ix = ox * s - pad + j;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < w) m = MathF.Max(m, x[(p * h + iy) * w + ix]);
                                }
                            float got = y[(p * oh + oy) * ow + ox];
                            Assert.True(BitConverter.SingleToInt32Bits(m) == BitConverter.SingleToInt32Bits(got) || float.IsNaN(m) && float.IsNaN(got),
                                $"{h}x{w} k{k} s{s} p{pad} at ({p},{oy},{ox}): {got} vs {m}");
                        }
            }
        }

        [Fact]
        public void Uint8_max_pool_equals_float_max_pool()
        {
            var rng = new Random(11);
            foreach (var (h, w, kh, kw, s, d, pad) in new[] { (8, 8, 2, 2, 2, 1, 0), (9, 37, 3, 3, 2, 1, 1), (5, 70, 3, 2, 1, 2, 1), (1, 19, 1, 4, 3, 1, 2), (6, 6, 3, 3, 1, 1, 1), (4, 70, 2, 2, 2, 1, 1), (3, 97, 2, 2, 2, 1, 0), (5, 41, 2, 2, 2, 1, 1), (2, 40, 2, 2, 2, 1, 3), (24, 24, 2, 2, 2, 1, 0), (7, 17, 2, 2, 2, 1, 0), (10, 50, 2, 2, 2, 1, 0), (10, 10, 2, 2, 2, 1, 0), (5, 5, 2, 2, 2, 1, 0),
                (9, 112, 3, 3, 2, 1, 1), (7, 57, 3, 3, 2, 1, 0), (6, 40, 3, 3, 1, 1, 1), (4, 33, 5, 5, 1, 1, 2), (3, 50, 1, 3, 2, 1, 1),
                (5, 35, 3, 4, 1, 1, 0), (5, 30, 3, 3, 3, 1, 1) })
            {
                int oh = (h + 2 * (kh == 1 ? 0 : pad) - d * (kh - 1) - 1) / s + 1, ow = (w + 2 * pad - d * (kw - 1) - 1) / s + 1;
                int padH = kh == 1 ? 0 : pad, planes = 3;
                var x = new byte[planes * h * w];
                rng.NextBytes(x);
                var y = new byte[planes * oh * ow];
                Pool.Max2DU8(x, y, planes, h, w, oh, ow, kh, kw, s, s, d, d, padH, pad);
                var yf = new float[y.Length];
                Pool.Max2D(x.Select(v => (float)v).ToArray(), yf, planes, h, w, oh, ow, kh, kw, s, s, d, d, padH, pad);
                // A window with no valid tap (pads as wide as the window) is -infinity in float and 0, the minimum, in uint8.
                Assert.Equal(yf.Select(v => float.IsNegativeInfinity(v) ? 0f : v).ToArray(), y.Select(v => (float)v).ToArray());
            }
        }
    }
}
