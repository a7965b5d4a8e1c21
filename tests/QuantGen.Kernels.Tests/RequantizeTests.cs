using System;
using System.Numerics;
using QuantGen.Kernels;

namespace QuantGen.Kernels.Tests
{
    public class RequantizeTests
    {
        /// <summary>The documented rule, in BigInteger: floor((acc * m0 + 2^(n-1)) / 2^n) + zp, clamped.</summary>
        private static int RuleBig(int acc, int m0, int n, int zp, int qmin, int qmax)
        {
            var num = (BigInteger)acc * m0 + BigInteger.Pow(2, n - 1);
            var den = BigInteger.Pow(2, n);
            var q = BigInteger.DivRem(num, den, out var rem);
            if (rem.Sign < 0) q -= 1; // floor, not truncation
            q += zp;
            return (int)BigInteger.Max(qmin, BigInteger.Min(qmax, q));
        }

        private static readonly int[] ExtremeAcc =
        {
            int.MinValue, int.MinValue + 1, -(1 << 30), -65537, -65536, -32769, -16384, -16383, -1000, -255, -128, -3, -2, -1, 0, 1, 2, 3,
            127, 128, 255, 1000, 16383, 16384, 32767, 65535, 65536, 1 << 30, int.MaxValue - 1, int.MaxValue,
        };

        [Fact]
        public void QuantizeMultiplier_IsCloseAndInRange_AcrossTheValidScales()
        {
            var rng = new Random(1);
            for (int t = 0; t < 20000; t++)
            {
                double s = Math.Pow(2, rng.NextDouble() * 48 - 33); // [2^-33, 2^15)
                if (s >= 32768) continue;
                var (m0, n) = Requantization.QuantizeMultiplier(s);
                Assert.InRange(m0, 1 << 30, int.MaxValue);
                Assert.InRange(n, Requantization.MinShift, Requantization.MaxShift);
                double back = m0 * Math.Pow(2, -n);
                Assert.True(Math.Abs(back - s) <= s * Math.Pow(2, -30), $"S={s:R}: {m0} * 2^-{n} = {back:R}");
            }
        }

        [Fact]
        public void QuantizeMultiplier_ExactForPowersOfTwoAndKnownValues()
        {
            for (int e = -33; e <= 14; e++)
                Assert.Equal((1 << 30, 30 - e), Requantization.QuantizeMultiplier(Math.Pow(2, e)));
            Assert.Equal((1 << 30, 31), Requantization.QuantizeMultiplier(0.5));
            Assert.Equal((1 << 30, 30), Requantization.QuantizeMultiplier(1.0));
            Assert.Equal((3 << 29, 30), Requantization.QuantizeMultiplier(1.5));
            // Just below a power of two: the mantissa rounds up to 2^31 and is renormalized.
            Assert.Equal((1 << 30, 31), Requantization.QuantizeMultiplier(BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(0.5) - 1) * 2 * 0.5));
            Assert.Equal((1 << 30, 30), Requantization.QuantizeMultiplier(BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(1.0) - 1)));
        }

        [Fact]
        public void QuantizeMultiplier_RejectsOutOfRange_AndMapsTinyScalesToZeroOutput()
        {
            foreach (double bad in new[] { 0.0, -0.0, -1e-3, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 32768.0, 1e6 })
                Assert.Throws<ArgumentOutOfRangeException>(() => Requantization.QuantizeMultiplier(bad));
            foreach (double tiny in new[] { double.Epsilon, 1e-300, 1e-20, Math.Pow(2, -33) * 0.999 })
            {
                var (m0, n) = Requantization.QuantizeMultiplier(tiny);
                Assert.Equal((1 << 30, 63), (m0, n));
                foreach (int acc in ExtremeAcc) Assert.Equal(77, Requantization.Requantize(acc, m0, n, 77, 0, 255));
            }
            Assert.Equal((int.MaxValue >> 0 & ~0 | 0) >= 0, true);
            var (mMax, nMax) = Requantization.QuantizeMultiplier(32767.99);
            Assert.Equal(16, nMax);
            Assert.InRange(mMax, 1 << 30, int.MaxValue);
        }

        [Fact]
        public void Requantize_PowerOfTwoMultiplier_IsExactRoundedDivision_TiesUp()
        {
            var rng = new Random(2);
            for (int s = 0; s <= 33; s++)
            {
                int m0 = 1 << 30, n = 30 + s; // S = 2^-s exactly
                for (int t = 0; t < 2000; t++)
                {
                    int acc = t < ExtremeAcc.Length ? ExtremeAcc[t] : rng.Next(int.MinValue, int.MaxValue);
                    long expected = (long)Math.Floor(acc / Math.Pow(2, s) + 0.5); // exact in double: |acc| < 2^31
                    expected = Math.Clamp(expected, int.MinValue, int.MaxValue);
                    Assert.Equal((int)expected, Requantization.Requantize(acc, m0, n, 0, int.MinValue, int.MaxValue));
                }
                if (s >= 1)
                {
                    // Ties: (2t + 1) * 2^(s-1) / 2^s = t + 0.5 rounds to t + 1, also for negative t (toward +infinity).
                    for (int tt = -40; tt <= 40; tt++)
                    {
                        long acc = (2L * tt + 1) << (s - 1);
                        if (acc < int.MinValue || acc > int.MaxValue) continue;
                        Assert.Equal(tt + 1, Requantization.Requantize((int)acc, m0, n, 0, int.MinValue, int.MaxValue));
                    }
                }
            }
            Assert.Equal(2, Requantization.Requantize(3, 1 << 30, 31, 0, -1000, 1000));   // 1.5 -> 2
            Assert.Equal(-1, Requantization.Requantize(-3, 1 << 30, 31, 0, -1000, 1000)); // -1.5 -> -1
            Assert.Equal(0, Requantization.Requantize(-1, 1 << 30, 31, 0, -1000, 1000));  // -0.5 -> 0
        }

        [Fact]
        public void Requantize_Saturates_AtQminAndQmax()
        {
            var (m0, n) = Requantization.QuantizeMultiplier(0.01);
            Assert.Equal(255, Requantization.Requantize(int.MaxValue, m0, n, 128, 0, 255));
            Assert.Equal(0, Requantization.Requantize(int.MinValue, m0, n, 128, 0, 255));
            Assert.Equal(127, Requantization.Requantize(100000, m0, n, 0, -128, 127));
            Assert.Equal(-128, Requantization.Requantize(-100000, m0, n, 0, -128, 127));
            Assert.Equal(200, Requantization.Requantize(100000, m0, n, 10, 20, 200));
            Assert.Equal(20, Requantization.Requantize(-100000, m0, n, 10, 20, 200));
            Assert.Equal(138, Requantization.Requantize(1000, m0, n, 128, 0, 255));
        }

        [Fact]
        public void Requantize_RandomAccumulators_MatchBigIntegerRule_IncludingLargeScales()
        {
            var rng = new Random(3);
            for (int t = 0; t < 200000; t++)
            {
                double s = Math.Pow(2, rng.NextDouble() * 47.9 - 33);
                var (m0, n) = Requantization.QuantizeMultiplier(s);
                int acc = t % 5 == 0 ? ExtremeAcc[rng.Next(ExtremeAcc.Length)] : t % 5 == 1 ? rng.Next(-300, 300) : rng.Next(int.MinValue, int.MaxValue);
                int zp = Paths.ZeroPoints[t % 7];
                Assert.Equal(RuleBig(acc, m0, n, zp, 0, 255), Requantization.Requantize(acc, m0, n, zp, 0, 255));
                Assert.Equal(RuleBig(acc, m0, n, zp - 128, -128, 127), Requantization.Requantize(acc, m0, n, zp - 128, -128, 127));
                Assert.Equal(RuleBig(acc, m0, n, 0, int.MinValue, int.MaxValue), Requantization.Requantize(acc, m0, n, 0, int.MinValue, int.MaxValue));
            }
        }

        /// <summary>Scales that stress each branch of the SIMD form: tiny, N = 63, N = 33/32 (the pre-shift edge), S = 0.5, 1, &gt; 1, huge.</summary>
        private static double[] EdgeScales() => new[]
        {
            1e-20, Math.Pow(2, -33), Math.Pow(2, -32) * 1.5, 1e-9, 1e-6, 3.1e-4, 1e-3, 0.0123, 0.2499999, 0.25, 0.3, 0.4999999, 0.5, 0.5000001,
            0.75, 0.99999, 1.0, 1.0000001, 1.5, 2.0, 3.3, 100.0, 1234.5, 16383.9, 32767.0,
        };

        [Theory]
        [MemberData(nameof(Paths.All), MemberType = typeof(Paths))]
        public void Path_PerTensor_EqualsScalarRule(string isa)
        {
            int path = Paths.Require(isa);
            var rng = new Random(4);
            foreach (double s in EdgeScales())
            {
                var (m0, n) = Requantization.QuantizeMultiplier(s);
                foreach (int len in new[] { 0, 1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 257 })
                {
                    var acc = RandomAcc(rng, len, s);
                    foreach (bool signed in new[] { false, true })
                    {
                        int zp = signed ? Paths.ZeroPoints[len % 7] - 128 : Paths.ZeroPoints[len % 7];
                        int qmin = signed ? -128 : 0, qmax = signed ? 127 : 255;
                        if (len % 3 == 1) { qmin += 5; qmax -= 9; zp = Math.Clamp(zp, qmin, qmax); }
                        var y = new byte[len + 4];
                        Array.Fill(y, (byte)0x5A);
                        Requantization.RequantizeCore(acc, m0, n, default, default, zp, y, qmin, qmax, signed ? -128 : 0, signed ? 127 : 255, path);
                        for (int i = 0; i < len; i++)
                        {
                            int e = Requantization.Requantize(acc[i], m0, n, zp, qmin, qmax);
                            int got = signed ? (sbyte)y[i] : y[i];
                            Assert.True(e == got, $"{isa} S={s:R} len={len} acc={acc[i]}: {got}, expected {e}");
                        }
                        for (int i = len; i < y.Length; i++) Assert.Equal(0x5A, y[i]);
                    }
                }
            }
        }

        [Theory]
        [MemberData(nameof(Paths.All), MemberType = typeof(Paths))]
        public void Path_PerChannel_EqualsScalarRule(string isa)
        {
            int path = Paths.Require(isa);
            var rng = new Random(5);
            var scales = EdgeScales();
            foreach (int len in new[] { 1, 5, 8, 16, 31, 64, 65, 130, 300 })
            {
                for (int rep = 0; rep < 20; rep++)
                {
                    var m0 = new int[len];
                    var n = new int[len];
                    var acc = new int[len];
                    for (int i = 0; i < len; i++)
                    {
                        double s = rng.Next(3) == 0 ? scales[rng.Next(scales.Length)] : Math.Pow(2, rng.NextDouble() * 47.9 - 33);
                        (m0[i], n[i]) = Requantization.QuantizeMultiplier(s);
                        acc[i] = RandomAcc(rng, 1, s)[0];
                    }
                    int zp = Paths.ZeroPoints[rep % 7];
                    var y = new byte[len];
                    Requantization.RequantizeCore(acc, 0, 0, m0, n, zp, y, 0, 255, 0, 255, path);
                    var ys = new sbyte[len];
                    Requantization.RequantizeCore(acc, 0, 0, m0, n, zp - 128, System.Runtime.InteropServices.MemoryMarshal.AsBytes(ys.AsSpan()), -128, 127, -128, 127, path);
                    for (int i = 0; i < len; i++)
                    {
                        Assert.True(Requantization.Requantize(acc[i], m0[i], n[i], zp, 0, 255) == y[i], $"{isa} u8 acc={acc[i]} m0={m0[i]} n={n[i]}: {y[i]}");
                        Assert.True(Requantization.Requantize(acc[i], m0[i], n[i], zp - 128, -128, 127) == ys[i], $"{isa} s8 acc={acc[i]} m0={m0[i]} n={n[i]}: {ys[i]}");
                    }
                }
            }
        }

        [Fact]
        public void PublicWrappers_UseTheSameRule()
        {
            var acc = new[] { -100000, -300, -1, 0, 1, 299, 300, 301, 100000, int.MinValue, int.MaxValue, 5, 6, 7, 8, 9, 10 };
            var (m0, n) = Requantization.QuantizeMultiplier(0.01);
            var y = new byte[acc.Length];
            Requantization.RequantizeToUInt8(acc, m0, n, 100, y, 0, 255);
            var ys = new sbyte[acc.Length];
            Requantization.RequantizeToInt8(acc, m0, n, -3, ys, -128, 127);
            var m0s = new int[acc.Length]; Array.Fill(m0s, m0);
            var ns = new int[acc.Length]; Array.Fill(ns, n);
            var yc = new byte[acc.Length];
            Requantization.RequantizeToUInt8(acc, m0s, ns, 100, yc, 0, 255);
            for (int i = 0; i < acc.Length; i++)
            {
                Assert.Equal(Requantization.Requantize(acc[i], m0, n, 100, 0, 255), y[i]);
                Assert.Equal(y[i], yc[i]);
                Assert.Equal(Requantization.Requantize(acc[i], m0, n, -3, -128, 127), ys[i]);
            }
            Assert.Throws<ArgumentException>(() => Requantization.RequantizeToUInt8(acc, m0, 15, 100, y, 0, 255));
            Assert.Throws<ArgumentException>(() => Requantization.RequantizeToUInt8(acc, m0, n, 300, y, 0, 255));
        }

        /// <summary>Accumulators that land around the output range for scale s, plus extremes and the clamp bounds of the SIMD form.</summary>
        private static int[] RandomAcc(Random rng, int len, double s)
        {
            var a = new int[len];
            for (int i = 0; i < len; i++)
            {
                switch (rng.Next(4))
                {
                    case 0: a[i] = ExtremeAcc[rng.Next(ExtremeAcc.Length)]; break;
                    case 1: a[i] = rng.Next(int.MinValue, int.MaxValue); break;
                    case 2:
                        double v = (rng.NextDouble() * 600 - 300) / s;
                        a[i] = (int)Math.Clamp(v, int.MinValue, int.MaxValue);
                        break;
                    default:
                        var (_, n) = Requantization.QuantizeMultiplier(s);
                        long bound = n <= 32 ? 1L << (n - 2) : 1L << 30;
                        a[i] = (int)Math.Clamp(bound + rng.Next(-2, 2) * (rng.Next(2) == 0 ? 1 : -1), int.MinValue, int.MaxValue);
                        if (rng.Next(2) == 0) a[i] = (int)Math.Clamp(-(long)a[i] - rng.Next(2), int.MinValue, int.MaxValue);
                        break;
                }
            }
            return a;
        }

        [Theory]
        [MemberData(nameof(Paths.All), MemberType = typeof(Paths))]
        public void Path_Dequantize_IsBitExactWithScalar(string isa)
        {
            int path = Paths.Require(isa);
            var rng = new Random(6);
            foreach (int len in new[] { 0, 1, 3, 4, 7, 8, 15, 16, 17, 33, 64, 100 })
                foreach (bool perChannel in new[] { false, true })
                    foreach (bool withBias in new[] { false, true })
                        foreach (var (lo, hi) in new[] { (float.NegativeInfinity, float.PositiveInfinity), (0f, float.PositiveInfinity), (-1f, 6f) })
                        {
                            var acc = new int[len];
                            for (int i = 0; i < len; i++) acc[i] = i % 9 == 0 ? 0 : i % 11 == 0 ? int.MinValue : rng.Next(-20000000, 20000000);
                            float sa = (float)(rng.NextDouble() * 0.05);
                            var sb = new float[perChannel ? Math.Max(len, 1) : 1];
                            for (int i = 0; i < sb.Length; i++) sb[i] = (float)(rng.NextDouble() * 0.01 - 0.002);
                            var bias = withBias ? new float[len] : Array.Empty<float>();
                            for (int i = 0; i < bias.Length; i++) bias[i] = i % 5 == 0 ? -0f : (float)(rng.NextDouble() * 2 - 1);
                            var y = new float[len];
                            Requantization.DequantizeCore(acc, sa, sb, bias, y, lo, hi, path);
                            for (int i = 0; i < len; i++)
                            {
                                float v = acc[i] * (sa * sb[perChannel ? i : 0]) + (withBias ? bias[i] : 0f);
                                v = v < lo ? lo : v;
                                v = v > hi ? hi : v;
                                Assert.True(BitConverter.SingleToInt32Bits(v) == BitConverter.SingleToInt32Bits(y[i]), $"{isa} len={len} i={i}: {y[i]:R} vs {v:R}");
                            }
                        }
        }
    }
}
