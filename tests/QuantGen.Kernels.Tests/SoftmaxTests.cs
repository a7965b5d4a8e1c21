using System;
using QuantGen.Kernels;

namespace QuantGen.Kernels.Tests
{
    /// <summary>
    /// The float exp behind Softmax (and Erf): within 4 ulp-scale relative error of double exp, 0 under the smallest normal;
    /// Softmax over the last axis gives the same bits at every vector width and stays within 1e-6 of a double softmax.
    /// </summary>
    public class SoftmaxTests
    {
        [Fact]
        public void Exp_is_within_5e_7_relative_of_double_exp()
        {
            for (int i = -87000; i <= 88000; i += 7)
            {
                float v = i / 1000f;
                double expected = Math.Exp(v);
                float e = Elementwise.Exp(v);
                Assert.True(Math.Abs(e - expected) <= 5e-7 * expected, $"exp({v:R}) = {e:R}, expected {expected:R}");
            }
            Assert.Equal(0f, Elementwise.Exp(-88f));
            Assert.Equal(0f, Elementwise.Exp(float.NegativeInfinity));
            Assert.Equal(1f, Elementwise.Exp(0f));
            Assert.True(float.IsNaN(Elementwise.Exp(float.NaN)));
        }

        private static float[] Rows(int rows, int n, int seed)
        {
            var rng = new Random(seed);
            var x = new float[rows * n];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 20 - 10);
            // An attention mask: the second half of every third row at -10000 or -inf (all of it when n = 1).
            for (int r = 0; r < rows; r += 3)
                for (int k = n / 2; k < n; k++) x[r * n + k] = r % 2 == 0 ? -10000f : float.NegativeInfinity;
            return x;
        }

        [Theory]
        [InlineData(1)]
        [InlineData(7)]
        [InlineData(8)]
        [InlineData(15)]
        [InlineData(128)]
        [InlineData(131)]
        public void Last_axis_softmax_gives_the_scalar_bits_at_every_width_and_matches_double(int n)
        {
            const int rows = 9;
            var x = Rows(rows, n, n);
            foreach (bool log in new[] { false, true })
            {
                var scalar = new float[x.Length];
                Reduce.Softmax(x, scalar, rows, n, 1, log, 0);
                foreach (int width in new[] { 128, 256 })
                {
                    var vector = new float[x.Length];
                    Reduce.Softmax(x, vector, rows, n, 1, log, width);
                    for (int i = 0; i < x.Length; i++)
                        Assert.True(BitConverter.SingleToInt32Bits(scalar[i]) == BitConverter.SingleToInt32Bits(vector[i]),
                            $"n={n} log={log} width {width}: y[{i}] = {vector[i]:R}, scalar {scalar[i]:R}");
                }
                for (int r = 0; r < rows; r++)
                {
                    double m = double.NegativeInfinity, s = 0;
                    for (int k = 0; k < n; k++) m = Math.Max(m, x[r * n + k]);
                    for (int k = 0; k < n; k++) s += Math.Exp(x[r * n + k] - m);
                    for (int k = 0; k < n; k++)
                    {
                        double expected = log ? x[r * n + k] - m - Math.Log(s) : Math.Exp(x[r * n + k] - m) / s;
                        float got = scalar[r * n + k];
                        if (double.IsNaN(expected)) { Assert.True(float.IsNaN(got)); continue; } // a row of -inf only (n = 1)
                        if (double.IsNegativeInfinity(expected)) { Assert.True(float.IsNegativeInfinity(got) || got < -1e4f); continue; }
                        Assert.True(Math.Abs(got - expected) <= 1e-6 + 1e-6 * Math.Abs(expected), $"n={n} log={log} y[{r},{k}] = {got:R}, expected {expected:R}");
                    }
                }
            }
        }
    }
}
