using System;
using System.Linq;
using QuantGen.Kernels;

namespace QuantGen.Kernels.Tests
{
    public class QuantizeDynamicTests
    {
        /// <summary>ONNX DynamicQuantizeLinear written out directly (float32 arithmetic, ties to even).</summary>
        private static (float, byte, byte[]) Onnx(float[] x)
        {
            float min = 0f, max = 0f;
            foreach (float v in x) { min = Math.Min(min, v); max = Math.Max(max, v); }
            float scale = (max - min) / 255f;
            var q = new byte[x.Length];
            if (scale == 0f) return (0f, 0, q);
            byte zp = (byte)MathF.Round(Math.Clamp(0f - min / scale, 0f, 255f), MidpointRounding.ToEven);
            for (int i = 0; i < x.Length; i++) q[i] = (byte)Math.Clamp(MathF.Round(x[i] / scale, MidpointRounding.ToEven) + zp, 0f, 255f);
            return (scale, zp, q);
        }

        /// <summary>QuantizeLinear with a given scale and zero point: every path gives the bytes of the scalar QLinear.Quantize, NaN and infinities included.</summary>
        [Theory]
        [MemberData(nameof(Paths.All), MemberType = typeof(Paths))]
        public void Static_quantize_equals_QLinear_Quantize(string isa)
        {
            int path = Paths.Require(isa);
            var rng = new Random(21);
            foreach (int len in new[] { 1, 7, 16, 17, 33, 64, 65, 130, 1000 })
                foreach (var (scale, zp) in new[] { (0.02f, (byte)0), (0.5f, (byte)128), (1f, (byte)255), (0.003f, (byte)37), (1e-30f, (byte)9) })
                {
                    var x = new float[len];
                    for (int i = 0; i < len; i++)
                        x[i] = rng.Next(12) switch
                        {
                            0 => float.NaN,
                            1 => rng.Next(2) == 0 ? float.PositiveInfinity : float.NegativeInfinity,
                            2 => (rng.Next(-300, 300) + 0.5f) * scale, // ties
                            _ => (float)((rng.NextDouble() * 2 - 1) * 300 * scale),
                        };
                    var expected = new byte[len];
                    QLinear.Quantize<byte>(x, expected, new[] { scale }, new[] { zp }, 1, 1, len);
                    var actual = new byte[len + 8];
                    QuantizeDynamic.QuantizeCore(x, actual, scale, zp, path);
                    Assert.Equal(expected, actual.AsSpan(0, len).ToArray());
                    Assert.All(actual.AsSpan(len).ToArray(), b => Assert.Equal(0, b));
                }
        }

        [Fact]
        public void Static_dequantize_equals_QLinear_Dequantize()
        {
            var rng = new Random(23);
            foreach (int len in new[] { 1, 15, 16, 17, 100, 1000 })
                foreach (var (scale, zp) in new[] { (0.02f, (byte)0), (0.37f, (byte)128), (1e-30f, (byte)255), (3e30f, (byte)9) })
                {
                    var q = new byte[len];
                    rng.NextBytes(q);
                    var expected = new float[len];
                    QLinear.Dequantize<byte>(q, expected, new[] { scale }, new[] { zp }, 1, 1, len);
                    var actual = new float[len];
                    QuantizeDynamic.Dequantize(q, actual, scale, zp);
                    Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
                }
        }

        [Theory]
        [MemberData(nameof(Paths.All), MemberType = typeof(Paths))]
        public void Path_EqualsOnnxFormula(string isa)
        {
            int path = Paths.Require(isa);
            var rng = new Random(8);
            foreach (int len in new[] { 1, 2, 3, 4, 5, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1000 })
                foreach (var (lo, hi) in new[] { (-1.0, 1.0), (0.0, 6.0), (-3.0, -0.5), (-1e-3, 5.0), (-100.0, 0.01), (0.5, 0.6) })
                {
                    var x = new float[len];
                    for (int i = 0; i < len; i++) x[i] = (float)(lo + rng.NextDouble() * (hi - lo));
                    Check(x, path, isa);
                }
        }

        [Theory]
        [MemberData(nameof(Paths.All), MemberType = typeof(Paths))]
        public void Path_TiesRoundToEven_AndSpecialRanges(string isa)
        {
            int path = Paths.Require(isa);
            // Range [0, 255]: scale = 1, zero point 0, so x = t + 0.5 must round to the even neighbour.
            var x = new float[40];
            for (int i = 0; i < 39; i++) x[i] = i + 0.5f;
            x[39] = 255f;
            var (s, z, q) = Check(x, path, isa);
            Assert.Equal(1f, s);
            Assert.Equal(0, z);
            for (int i = 0; i < 39; i++) Assert.Equal(i % 2 == 0 ? i : i + 1, q[i]);

            var allZero = new float[37];
            var (s0, z0, q0) = Check(allZero, path, isa);
            Assert.Equal((0f, (byte)0), (s0, z0));
            Assert.All(q0, v => Assert.Equal(0, v));
            var (s1, z1, _) = Check(Array.Empty<float>(), path, isa);
            Assert.Equal((0f, (byte)0), (s1, z1));
            var negative = new float[33];
            for (int i = 0; i < negative.Length; i++) negative[i] = -i;
            Assert.Equal(255, Check(negative, path, isa).Item2);
            var positive = new float[33];
            for (int i = 0; i < positive.Length; i++) positive[i] = i;
            Assert.Equal(0, Check(positive, path, isa).Item2);
        }

        private static (float, byte, byte[]) Check(float[] x, int path, string isa)
        {
            var expected = Onnx(x);
            var q = new byte[x.Length + 3];
            Array.Fill(q, (byte)0x77);
            var (scale, zp) = QuantizeDynamic.RunCore(x, q, path);
            Assert.True(BitConverter.SingleToInt32Bits(expected.Item1) == BitConverter.SingleToInt32Bits(scale), $"{isa} scale {scale:R} vs {expected.Item1:R}");
            Assert.Equal(expected.Item2, zp);
            for (int i = 0; i < x.Length; i++) Assert.True(expected.Item3[i] == q[i], $"{isa} len={x.Length} x[{i}]={x[i]:R}: {q[i]} vs {expected.Item3[i]}");
            for (int i = x.Length; i < q.Length; i++) Assert.Equal(0x77, q[i]);
            return (scale, zp, q[..x.Length]);
        }

        [Fact]
        public void RunRows_QuantizesEachRowAsRunDoesOnThatRowAlone()
        {
            var rng = new Random(12);
            const int rows = 5, k = 37;
            var x = new float[rows * k];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 8 - 3) * (i / k + 1);
            Array.Clear(x, 2 * k, k); // an all-zero row: scale 0, zero point 0
            var q = new byte[x.Length];
            var scales = new float[rows];
            var zeros = new int[rows];
            QuantizeDynamic.RunRows(x, q, rows, k, scales, zeros);
            for (int r = 0; r < rows; r++)
            {
                var qr = new byte[k];
                var (s, z) = QuantizeDynamic.Run(x.AsSpan(r * k, k), qr);
                Assert.Equal(s, scales[r]);
                Assert.Equal(z, zeros[r]);
                Assert.Equal(qr, q.AsSpan(r * k, k).ToArray());
            }
            Assert.Equal(0f, scales[2]);
            Assert.Throws<ArgumentException>(() => QuantizeDynamic.RunRows(x, q, rows, k, new float[rows - 1], zeros));
        }

        [Fact]
        public void Symmetric_EqualsTheScalarDefinition_OnEveryPath()
        {
            var rng = new Random(21);
            var x = new float[1000 + 37];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 10 - 5);
            x[3] = 5.5f; x[4] = -2.5f; x[5] = 0.5f; x[6] = -0f; // ties (scale 5.5 / 127 is not a power of two, but exact codes appear)
            foreach (var data in new[] { x, new float[77], new[] { 1f, float.NaN, -3f }, new[] { float.PositiveInfinity, 1f } })
            {
                float max = 0f;
                foreach (var v in data) max = MathF.Max(max, MathF.Abs(v));
                float scale = max == 0f ? 1f : max / 127f;
                foreach (int path in new[] { QuantPath.Scalar, QuantPath.Best })
                {
                    var q = new sbyte[data.Length];
                    float s = QuantizeDynamic.SymmetricCore(data, q, path);
                    Assert.Equal(BitConverter.SingleToInt32Bits(scale), BitConverter.SingleToInt32Bits(s));
                    for (int i = 0; i < data.Length; i++)
                        Assert.Equal((sbyte)Math.Clamp(QLinear.RoundToInt(data[i] / scale), -127, 127), q[i]);
                }
            }
        }
    }
}
