using System;
using QuantGen.Kernels;

namespace QuantGen.Kernels.Tests
{
    /// <summary>
    /// The float erf behind the Erf and Gelu kernels: accurate to 3e-7 against a double-precision reference, and the same bits
    /// from the scalar form and every vector width (int8 models that read a Gelu then quantize the same floats everywhere; the
    /// arm64 run of this project covers Vector128 on AdvSimd).
    /// </summary>
    public class ErfTests
    {
        /// <summary>erf in double: the Maclaurin series up to |x| = 2.5, else 1 - erfc from its continued fraction (80 terms).</summary>
        private static double Reference(double x)
        {
            double a = Math.Abs(x);
            double r;
            if (a <= 2.5)
            {
                double term = a, sum = a;
                for (int n = 1; n < 200 && Math.Abs(term) > 1e-20; n++)
                {
                    term *= -a * a / n;
                    sum += term / (2 * n + 1);
                }
                r = sum * 2 / Math.Sqrt(Math.PI);
            }
            else
            {
                double f = a;
                for (int k = 80; k >= 1; k--) f = a + k / 2.0 / f;
                r = 1 - Math.Exp(-a * a) / Math.Sqrt(Math.PI) / f;
            }
            return x < 0 ? -r : r;
        }

        private static float[] Inputs()
        {
            var list = new System.Collections.Generic.List<float>();
            for (int i = -7000; i <= 7000; i++) list.Add(i / 1000f);
            var rng = new Random(3);
            for (int i = 0; i < 20000; i++) list.Add((float)((rng.NextDouble() * 2 - 1) * Math.Pow(10, rng.Next(-8, 3))));
            list.AddRange(new[] { 0f, -0f, 0.5f, -0.5f, 0.49999997f, 4f, -4f, 3.9999998f, float.Epsilon, -float.Epsilon, 1e-30f,
                float.MaxValue, float.MinValue, float.PositiveInfinity, float.NegativeInfinity, float.NaN });
            return list.ToArray();
        }

        [Fact]
        public void Erf_is_within_3e_7_of_the_double_reference_and_exact_at_the_limits()
        {
            foreach (var x in Inputs())
            {
                float e = Elementwise.Erf(x);
                if (float.IsNaN(x)) { Assert.True(float.IsNaN(e)); continue; }
                double expected = float.IsInfinity(x) ? Math.Sign(x) : Reference(x);
                Assert.True(Math.Abs(e - expected) <= 3e-7, $"erf({x:R}) = {e:R}, expected {expected:R}");
                Assert.True(Math.Abs(e) <= 1f, $"erf({x:R}) = {e:R} outside [-1, 1]");
            }
            Assert.Equal(1f, Elementwise.Erf(4f));
            Assert.Equal(-1f, Elementwise.Erf(float.NegativeInfinity));
        }

        [Fact]
        public void Gelu_is_within_3e_7_times_x_of_the_double_reference()
        {
            foreach (var x in Inputs())
            {
                if (!float.IsFinite(x) || Math.Abs(x) > 1e6f) continue;
                double expected = 0.5 * x * (1 + Reference(x / Math.Sqrt(2)));
                float g = Elementwise.Gelu(x);
                Assert.True(Math.Abs(g - expected) <= 3e-7 * Math.Max(1, Math.Abs(x)) + 1e-6 * Math.Abs(expected), $"gelu({x:R}) = {g:R}, expected {expected:R}");
            }
        }

        [Theory]
        [InlineData(128)]
        [InlineData(256)]
        public void Every_vector_width_gives_the_scalar_bits(int width)
        {
            var x = Inputs();
            foreach (bool gelu in new[] { false, true })
            {
                var scalar = new float[x.Length];
                var vector = new float[x.Length];
                Elementwise.ErfSpan(x, scalar, gelu, 0);
                Elementwise.ErfSpan(x, vector, gelu, width);
                for (int i = 0; i < x.Length; i++)
                    Assert.True(BitConverter.SingleToInt32Bits(scalar[i]) == BitConverter.SingleToInt32Bits(vector[i]),
                        $"{(gelu ? "gelu" : "erf")}({x[i]:R}): width {width} gives {vector[i]:R}, scalar {scalar[i]:R}");
            }
        }
    }
}
