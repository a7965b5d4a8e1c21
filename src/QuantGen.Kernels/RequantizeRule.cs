using System;

namespace QuantGen.Kernels
{
    /// <summary>
    /// The fixed-point requantization rule, defined here and nowhere else. This file is plain C# (no intrinsics) so the
    /// build-time compiler (netstandard2.0) can link it and compute multipliers with exactly the code the kernels use.
    /// </summary>
    /// <remarks>
    /// <para>A real multiplier S &gt; 0 (for a Conv/Gemm: scaleA * scaleW[n] / scaleY) is represented as S = M0 * 2^-N with
    /// M0 in [2^30, 2^31) and N in [<see cref="MinShift"/>, <see cref="MaxShift"/>]. An int32 accumulator acc becomes</para>
    /// <code>
    ///   y = floor((acc * M0 + 2^(N-1)) / 2^N)        (exact 64-bit arithmetic: round half toward +infinity,
    ///                                                 like AArch64 rounding shifts SRSHL/SRSHR)
    ///   q = clamp(y + zeroPoint, qmin, qmax)
    /// </code>
    /// <para>Valid scales: 2^-33 &lt;= S &lt; 2^15 map to N in [16, 63] (S &gt;= 0.5 gives N &lt;= 32, S &gt;= 1 gives N &lt;= 31).
    /// Smaller positive S (a dead channel) is represented as (2^30, 63): then |acc * M0 / 2^N| &lt;= 2^31 * 2^-33 = 1/4 for every
    /// int32 acc, so y = 0 exactly as round(acc * S) = 0. S &gt;= 2^15, S &lt;= 0, NaN and infinity are rejected.</para>
    /// <para>The SIMD paths in Requantize.cs compute the same y bit for bit for 8-bit outputs (see the proof there) and assume
    /// (M0, N) came from <see cref="QuantizeMultiplier"/>; the scalar <see cref="Requantize"/> accepts any M0 in [0, 2^31)
    /// and N in [1, 63].</para>
    /// </remarks>
    internal static partial class Requantization
    {
        /// <summary>Smallest and largest shift N that <see cref="QuantizeMultiplier"/> returns.</summary>
        public const int MinShift = 16, MaxShift = 63;

        /// <summary>
        /// The uint8 Add's input factors (AddQ8) are in 2^AddFactorBits units: the larger is exactly 2^22, the other is its
        /// ratio rounded to 2^-22 (at most 255 * 2^-23 of an output step off). 2 * 255 * 2^22 &lt; 2^31 keeps the int32 sum exact.
        /// </summary>
        public const int AddFactorBits = 22;

        /// <summary>
        /// Exact build-time decomposition S = M0 * 2^-N: M0 = round-half-up(mantissa(S) * 2^31) taken from the bits of the
        /// double (no floating-point rounding besides that one), renormalized to 2^30 with N - 1 when it rounds up to 2^31.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">S is not in (0, 2^15) or is NaN.</exception>
        public static (int Multiplier, int Shift) QuantizeMultiplier(double scale)
        {
            if (!(scale > 0) || !(scale < 32768.0))
                throw new ArgumentOutOfRangeException(nameof(scale), scale, "requantization scale must be in (0, 2^15)");
            if (scale < 1.0 / (1L << 33)) return (1 << 30, MaxShift);
            long bits = BitConverter.DoubleToInt64Bits(scale);
            int exponent = (int)((bits >> 52) & 0x7FF);             // scale >= 2^-33 is a normal double
            long mantissa = (bits & ((1L << 52) - 1)) | (1L << 52); // scale = mantissa * 2^(exponent - 1075)
            long m0 = (mantissa + (1L << 21)) >> 22;                 // in [2^30, 2^31]
            int n = 1053 - exponent;                                 // scale ~= m0 * 2^-n
            if (m0 == 1L << 31) { m0 = 1L << 30; n--; }
            if (n < MinShift || n > MaxShift)
                throw new ArgumentOutOfRangeException(nameof(scale), scale, "requantization scale must be in (0, 2^15)");
            return ((int)m0, n);
        }

        /// <summary>The rule itself (see the class remarks): clamp(floor((acc * m0 + 2^(n-1)) / 2^n) + zeroPoint, qmin, qmax).</summary>
        public static int Requantize(int acc, int m0, int n, int zeroPoint, int qmin, int qmax)
        {
            long y = ((long)acc * m0 + (1L << (n - 1))) >> n;
            y += zeroPoint;
            return (int)(y < qmin ? qmin : y > qmax ? qmax : y);
        }
    }
}
