using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace QuantGen.Kernels
{
    /// <summary>A scalar float function applied element by element.</summary>
    internal interface IUnaryOp
    {
        static abstract float Apply(float x);
    }

    /// <summary>An element-wise binary function.</summary>
    internal interface IBinaryOp<T, TR>
    {
        static abstract TR Apply(T a, T b);
    }

    /// <summary>A binary function that also has a vector form (same results as the scalar form, element by element).</summary>
    internal interface IVectorOp<T> : IBinaryOp<T, T> where T : unmanaged
    {
        static abstract Vector256<T> Apply(Vector256<T> a, Vector256<T> b);
        static abstract Vector128<T> Apply(Vector128<T> a, Vector128<T> b);
    }

    internal static class Elementwise
    {
        public static void Unary<TOp>(ReadOnlySpan<float> x, Span<float> y) where TOp : struct, IUnaryOp
        {
            if (y.Length != x.Length) throw new ArgumentException("length mismatch");
            // Erf and Gelu have vector forms with the scalar form's bits (a branch the JIT removes for every other op).
            if (typeof(TOp) == typeof(ErfOp) || typeof(TOp) == typeof(GeluOp))
            {
                ErfSpan(x, y, gelu: typeof(TOp) == typeof(GeluOp));
                return;
            }
            for (int i = 0; i < x.Length; i++) y[i] = TOp.Apply(x[i]);
        }

        public static void LeakyRelu(ReadOnlySpan<float> x, Span<float> y, float alpha)
        {
            for (int i = 0; i < x.Length; i++) { float v = x[i]; y[i] = v < 0f ? v * alpha : v; }
        }

        /// <summary>y = min(max(x, lo), hi) as ONNX defines Clip: when lo &gt; hi every element becomes hi; NaN passes through.</summary>
        public static void Clip(ReadOnlySpan<float> x, Span<float> y, float lo, float hi)
        {
            for (int i = 0; i < x.Length; i++) { float v = x[i]; v = v < lo ? lo : v; y[i] = v > hi ? hi : v; }
        }

        /// <summary>y = min(max(x, lo), hi) as ONNX defines Clip: when lo &gt; hi every element becomes hi.</summary>
        public static void Clip<T>(ReadOnlySpan<T> x, Span<T> y, T lo, T hi) where T : INumber<T>
        {
            for (int i = 0; i < x.Length; i++) { T v = x[i]; v = v < lo ? lo : v; y[i] = v > hi ? hi : v; }
        }

        public static void HardSigmoid(ReadOnlySpan<float> x, Span<float> y, float alpha, float beta)
        {
            for (int i = 0; i < x.Length; i++) y[i] = MathF.Max(0f, MathF.Min(1f, alpha * x[i] + beta));
        }

        public static void HardSwish(ReadOnlySpan<float> x, Span<float> y)
        {
            for (int i = 0; i < x.Length; i++) { float v = x[i]; y[i] = v * MathF.Max(0f, MathF.Min(1f, v / 6f + 0.5f)); }
        }

        public static void Elu(ReadOnlySpan<float> x, Span<float> y, float alpha)
        {
            for (int i = 0; i < x.Length; i++) { float v = x[i]; y[i] = v < 0f ? alpha * (MathF.Exp(v) - 1f) : v; }
        }

        /// <summary>Selu: gamma * x for x &gt; 0, gamma * alpha * (exp(x) - 1) otherwise.</summary>
        public static void Selu(ReadOnlySpan<float> x, Span<float> y, float alpha, float gamma)
        {
            for (int i = 0; i < x.Length; i++) { float v = x[i]; y[i] = v > 0f ? gamma * v : gamma * (alpha * (MathF.Exp(v) - 1f)); }
        }

        /// <summary>ThresholdedRelu: x where x &gt; alpha, else 0.</summary>
        public static void ThresholdedRelu(ReadOnlySpan<float> x, Span<float> y, float alpha)
        {
            for (int i = 0; i < x.Length; i++) { float v = x[i]; y[i] = v > alpha ? v : 0f; }
        }

        public static void IsNaN(ReadOnlySpan<float> x, Span<bool> y)
        {
            for (int i = 0; i < x.Length; i++) y[i] = float.IsNaN(x[i]);
        }

        /// <summary>IsInf: true for +inf when <paramref name="positive"/>, for -inf when <paramref name="negative"/>.</summary>
        public static void IsInf(ReadOnlySpan<float> x, Span<bool> y, bool positive, bool negative)
        {
            for (int i = 0; i < x.Length; i++)
            {
                float v = x[i];
                y[i] = positive && float.IsPositiveInfinity(v) || negative && float.IsNegativeInfinity(v);
            }
        }

        /// <summary>Negation for signed integer and float tensors.</summary>
        public static void Neg<T>(ReadOnlySpan<T> x, Span<T> y) where T : INumber<T>
        {
            for (int i = 0; i < x.Length; i++) y[i] = -x[i];
        }

        public static void Abs<T>(ReadOnlySpan<T> x, Span<T> y) where T : INumber<T>
        {
            for (int i = 0; i < x.Length; i++) y[i] = T.Abs(x[i]);
        }

        public static void Not(ReadOnlySpan<bool> x, Span<bool> y)
        {
            for (int i = 0; i < x.Length; i++) y[i] = !x[i];
        }

        /// <summary>
        /// erf(x) in float, absolute error below 3e-7. For |x| &lt; 0.5 the Maclaurin series to x^15 (a polynomial in x^2);
        /// above, 1 - erfc(x) with erfc(x) = t exp(-x^2 + P(t)), t = 1 / (1 + |x| / 2) (the Numerical Recipes erfcc fit,
        /// fractional error below 1.2e-7), and exp(v) = 2^n e^r with n = round(v / ln 2), r in [-ln2/2, ln2/2] from a two-part
        /// ln 2, e^r to degree 7. |x| &gt;= 4 gives +-1 (erf(4) rounds to 1 in float), NaN gives NaN. Only IEEE add, multiply,
        /// divide and round-to-even, in one fixed order (no fused multiply-add), so the scalar form and the vector forms of
        /// <see cref="ErfSpan"/> give the same bits on every machine: int8 models that read a Gelu stay identical on x64 and arm64.
        /// </summary>
        public static float Erf(float x)
        {
            if (float.IsNaN(x)) return x;
            float a = MathF.Abs(x);
            float r = a >= 4f ? 1f : ErfAbs(a < 4f ? a : 4f);
            return x < 0f ? -r : r;
        }

        // Series: erf(a) = a (S0 + S1 a^2 + ... + S7 a^14), S_n = (-1)^n 2 / (sqrt(pi) n! (2n + 1)).
        private const float S0 = 1.1283791670955126f, S1 = -0.37612638903183754f, S2 = 0.11283791670955126f, S3 = -0.026866170645131252f,
            S4 = 0.005223977625442188f, S5 = -0.0008548327023450852f, S6 = 0.00012055332981789664f, S7 = -1.492565035840625e-05f;
        // erfcc: erfc(a) = t exp(-a^2 + E0 + t (E1 + t (E2 + ... + t E9))).
        private const float E0 = -1.26551223f, E1 = 1.00002368f, E2 = 0.37409196f, E3 = 0.09678418f, E4 = -0.18628806f,
            E5 = 0.27886807f, E6 = -1.13520398f, E7 = 1.48851587f, E8 = -0.82215223f, E9 = 0.17087277f;
        // exp: 1 / ln 2, and ln 2 = Ln2Hi + Ln2Lo with Ln2Hi exact in 16 bits (n Ln2Hi is exact for |n| &lt;= 256).
        private const float Log2E = 1.44269504f, Ln2Hi = 0.693145751953125f, Ln2Lo = 1.4286068202862268e-06f;

        /// <summary>erf(a) for 0 &lt;= a &lt;= 4.</summary>
        private static float ErfAbs(float a)
        {
            float a2 = a * a;
            if (a < 0.5f)
                return a * (S0 + a2 * (S1 + a2 * (S2 + a2 * (S3 + a2 * (S4 + a2 * (S5 + a2 * (S6 + a2 * S7)))))));
            float t = 1f / (1f + 0.5f * a);
            float v = -a2 + (E0 + t * (E1 + t * (E2 + t * (E3 + t * (E4 + t * (E5 + t * (E6 + t * (E7 + t * (E8 + t * E9)))))))));
            return 1f - t * Exp(v);
        }

        /// <summary>1.5 * 2^23 and its bits: x + RoundMagic - RoundMagic rounds x (|x| &lt; 2^22) to an integer, half to even.</summary>
        private const float RoundMagic = 12582912f;
        private const int RoundMagicBits = 0x4B400000;

        /// <summary>Inputs below this give 0 from <see cref="Exp"/> (exp is under the smallest normal float there).</summary>
        private const float ExpMin = -87.33f;
        /// <summary>Inputs are clamped to this; exp(88.72) is about the largest float, and 2^128 scales to +inf.</summary>
        private const float ExpMax = 88.72f;

        /// <summary>
        /// exp(v) in float, relative error a few ulp: 2^n e^r with n = round(v / ln 2), r = v - n ln 2 (ln 2 in two parts, so
        /// r is exact), e^r to degree 7. Below -87.33 (under the smallest normal) it is 0; NaN gives NaN. Like <see cref="Erf"/>
        /// only IEEE add, multiply and round-to-even in a fixed order, so <see cref="ExpVector(Vector256{float})"/> and
        /// <see cref="ExpVector(Vector128{float})"/> give the same bits on every machine (unlike MathF.Exp, the C library's).
        /// </summary>
        public static float Exp(float v)
        {
            if (float.IsNaN(v)) return v;
            if (v < ExpMin) return 0f;
            float c = v < ExpMax ? v : ExpMax;
            // n = round-half-even(c / ln 2) by adding and subtracting 1.5 * 2^23; the sum's low mantissa bits hold n + 2^22.
            float shifted = c * Log2E + RoundMagic;
            float n = shifted - RoundMagic;
            float r = c - n * Ln2Hi - n * Ln2Lo;
            float p = 1f + r * (1f + r * (0.5f + r * (1f / 6f + r * (1f / 24f + r * (1f / 120f + r * (1f / 720f + r * (1f / 5040f)))))));
            return p * BitConverter.Int32BitsToSingle((BitConverter.SingleToInt32Bits(shifted) - RoundMagicBits + 127) << 23);
        }

        /// <summary><see cref="Exp"/> on 8 lanes.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static Vector256<float> ExpVector(Vector256<float> v)
        {
            var one = Vector256.Create(1f);
            var c = Vector256.ConditionalSelect(Vector256.LessThan(v, Vector256.Create(ExpMax)), v, Vector256.Create(ExpMax));
            c = Vector256.ConditionalSelect(Vector256.LessThan(c, Vector256.Create(ExpMin)), Vector256.Create(ExpMin), c);
            var shifted = c * Vector256.Create(Log2E) + Vector256.Create(RoundMagic);
            var n = shifted - Vector256.Create(RoundMagic);
            var r = c - n * Vector256.Create(Ln2Hi) - n * Vector256.Create(Ln2Lo);
            var p = one + r * (one + r * (Vector256.Create(0.5f) + r * (Vector256.Create(1f / 6f) + r * (Vector256.Create(1f / 24f)
                + r * (Vector256.Create(1f / 120f) + r * (Vector256.Create(1f / 720f) + r * Vector256.Create(1f / 5040f)))))));
            var e = p * Vector256.ShiftLeft(shifted.AsInt32() - Vector256.Create(RoundMagicBits - 127), 23).AsSingle();
            e = Vector256.ConditionalSelect(Vector256.LessThan(v, Vector256.Create(ExpMin)), Vector256<float>.Zero, e);
            return Vector256.ConditionalSelect(Vector256.Equals(v, v), e, v);
        }

        /// <summary><see cref="Exp"/> on 4 lanes.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static Vector128<float> ExpVector(Vector128<float> v)
        {
            var one = Vector128.Create(1f);
            var c = Vector128.ConditionalSelect(Vector128.LessThan(v, Vector128.Create(ExpMax)), v, Vector128.Create(ExpMax));
            c = Vector128.ConditionalSelect(Vector128.LessThan(c, Vector128.Create(ExpMin)), Vector128.Create(ExpMin), c);
            var shifted = c * Vector128.Create(Log2E) + Vector128.Create(RoundMagic);
            var n = shifted - Vector128.Create(RoundMagic);
            var r = c - n * Vector128.Create(Ln2Hi) - n * Vector128.Create(Ln2Lo);
            var p = one + r * (one + r * (Vector128.Create(0.5f) + r * (Vector128.Create(1f / 6f) + r * (Vector128.Create(1f / 24f)
                + r * (Vector128.Create(1f / 120f) + r * (Vector128.Create(1f / 720f) + r * Vector128.Create(1f / 5040f)))))));
            var e = p * Vector128.ShiftLeft(shifted.AsInt32() - Vector128.Create(RoundMagicBits - 127), 23).AsSingle();
            e = Vector128.ConditionalSelect(Vector128.LessThan(v, Vector128.Create(ExpMin)), Vector128<float>.Zero, e);
            return Vector128.ConditionalSelect(Vector128.Equals(v, v), e, v);
        }

        /// <summary>y = erf(x), or Gelu y = 0.5 x (1 + erf(x / sqrt 2)) when <paramref name="gelu"/>: <see cref="Erf"/> element by element.</summary>
        public static void ErfSpan(ReadOnlySpan<float> x, Span<float> y, bool gelu) =>
            ErfSpan(x, y, gelu, Vector256.IsHardwareAccelerated ? 256 : Vector128.IsHardwareAccelerated ? 128 : 0);

        /// <param name="width">Vector width in bits: 256, 128 or 0 (scalar); every width gives the same bits.</param>
        internal static void ErfSpan(ReadOnlySpan<float> x, Span<float> y, bool gelu, int width)
        {
            if (y.Length != x.Length) throw new ArgumentException("length mismatch");
            int i = 0, len = x.Length;
            ref float px = ref MemoryMarshal.GetReference(x);
            ref float py = ref MemoryMarshal.GetReference(y);
            if (width == 256)
                for (; i <= len - 8; i += 8)
                {
                    var v = Vector256.LoadUnsafe(ref px, (nuint)i);
                    (gelu ? GeluVector(v) : ErfVector(v)).StoreUnsafe(ref py, (nuint)i);
                }
            if (width >= 128)
                for (; i <= len - 4; i += 4)
                {
                    var v = Vector128.LoadUnsafe(ref px, (nuint)i);
                    (gelu ? GeluVector(v) : ErfVector(v)).StoreUnsafe(ref py, (nuint)i);
                }
            for (; i < len; i++)
            {
                float v = Unsafe.Add(ref px, i);
                Unsafe.Add(ref py, i) = gelu ? Gelu(v) : Erf(v);
            }
        }

        /// <summary>Gelu (approximate="none"): 0.5 x (1 + erf(x / sqrt 2)), with <see cref="Erf"/>.</summary>
        public static float Gelu(float x) => 0.5f * x * (1f + Erf(x * 0.70710678118654752f));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> GeluVector(Vector256<float> x) =>
            Vector256.Create(0.5f) * x * (Vector256.Create(1f) + ErfVector(x * Vector256.Create(0.70710678118654752f)));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<float> GeluVector(Vector128<float> x) =>
            Vector128.Create(0.5f) * x * (Vector128.Create(1f) + ErfVector(x * Vector128.Create(0.70710678118654752f)));

        /// <summary><see cref="Erf"/> on 8 lanes: the same operations in the same order, both branches computed and selected.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> ErfVector(Vector256<float> x)
        {
            var four = Vector256.Create(4f);
            var one = Vector256.Create(1f);
            var abs = Vector256.Abs(x);
            var a = Vector256.ConditionalSelect(Vector256.LessThan(abs, four), abs, four);
            var a2 = a * a;
            var series = a * (Vector256.Create(S0) + a2 * (Vector256.Create(S1) + a2 * (Vector256.Create(S2) + a2 * (Vector256.Create(S3)
                + a2 * (Vector256.Create(S4) + a2 * (Vector256.Create(S5) + a2 * (Vector256.Create(S6) + a2 * Vector256.Create(S7))))))));
            var t = one / (one + Vector256.Create(0.5f) * a);
            var v = -a2 + (Vector256.Create(E0) + t * (Vector256.Create(E1) + t * (Vector256.Create(E2) + t * (Vector256.Create(E3)
                + t * (Vector256.Create(E4) + t * (Vector256.Create(E5) + t * (Vector256.Create(E6) + t * (Vector256.Create(E7)
                + t * (Vector256.Create(E8) + t * Vector256.Create(E9))))))))));
            var tail = one - t * ExpVector(v);
            var e = Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create(0.5f)), series, tail);
            e = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(abs, four), one, e);
            e = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), -e, e);
            return Vector256.ConditionalSelect(Vector256.Equals(x, x), e, x);
        }

        /// <summary><see cref="ErfVector(Vector256{float})"/> on 4 lanes.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<float> ErfVector(Vector128<float> x)
        {
            var four = Vector128.Create(4f);
            var one = Vector128.Create(1f);
            var abs = Vector128.Abs(x);
            var a = Vector128.ConditionalSelect(Vector128.LessThan(abs, four), abs, four);
            var a2 = a * a;
            var series = a * (Vector128.Create(S0) + a2 * (Vector128.Create(S1) + a2 * (Vector128.Create(S2) + a2 * (Vector128.Create(S3)
                + a2 * (Vector128.Create(S4) + a2 * (Vector128.Create(S5) + a2 * (Vector128.Create(S6) + a2 * Vector128.Create(S7))))))));
            var t = one / (one + Vector128.Create(0.5f) * a);
            var v = -a2 + (Vector128.Create(E0) + t * (Vector128.Create(E1) + t * (Vector128.Create(E2) + t * (Vector128.Create(E3)
                + t * (Vector128.Create(E4) + t * (Vector128.Create(E5) + t * (Vector128.Create(E6) + t * (Vector128.Create(E7)
                + t * (Vector128.Create(E8) + t * Vector128.Create(E9))))))))));
            var tail = one - t * ExpVector(v);
            var e = Vector128.ConditionalSelect(Vector128.LessThan(a, Vector128.Create(0.5f)), series, tail);
            e = Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(abs, four), one, e);
            e = Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<float>.Zero), -e, e);
            return Vector128.ConditionalSelect(Vector128.Equals(x, x), e, x);
        }
    }

    internal struct ReluOp : IUnaryOp { public static float Apply(float x) => x < 0f ? 0f : x; }
    internal struct SigmoidOp : IUnaryOp
    {
        public static float Apply(float x) => x >= 0f ? 1f / (1f + MathF.Exp(-x)) : MathF.Exp(x) / (1f + MathF.Exp(x));
    }
    internal struct TanhOp : IUnaryOp { public static float Apply(float x) => MathF.Tanh(x); }
    internal struct ExpOp : IUnaryOp { public static float Apply(float x) => MathF.Exp(x); }
    internal struct LogOp : IUnaryOp { public static float Apply(float x) => MathF.Log(x); }
    internal struct SqrtOp : IUnaryOp { public static float Apply(float x) => MathF.Sqrt(x); }
    internal struct ErfOp : IUnaryOp { public static float Apply(float x) => Elementwise.Erf(x); }
    internal struct FloorOp : IUnaryOp { public static float Apply(float x) => MathF.Floor(x); }
    internal struct CeilOp : IUnaryOp { public static float Apply(float x) => MathF.Ceiling(x); }
    internal struct RoundOp : IUnaryOp { public static float Apply(float x) => MathF.Round(x, MidpointRounding.ToEven); }
    internal struct ReciprocalOp : IUnaryOp { public static float Apply(float x) => 1f / x; }
    internal struct SoftplusOp : IUnaryOp { public static float Apply(float x) => x > 20f ? x : MathF.Log(1f + MathF.Exp(x)); }
    internal struct SoftsignOp : IUnaryOp { public static float Apply(float x) => x / (1f + MathF.Abs(x)); }
    internal struct SinOp : IUnaryOp { public static float Apply(float x) => MathF.Sin(x); }
    internal struct CosOp : IUnaryOp { public static float Apply(float x) => MathF.Cos(x); }
    internal struct SignOp : IUnaryOp { public static float Apply(float x) => x > 0f ? 1f : x < 0f ? -1f : x; }
    /// <summary>Gelu with approximate="tanh": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).</summary>
    internal struct GeluTanhOp : IUnaryOp
    {
        public static float Apply(float x) => 0.5f * x * (1f + MathF.Tanh(0.7978845608028654f * (x + 0.044715f * x * x * x)));
    }
    /// <summary>Mish: x * tanh(softplus(x)).</summary>
    internal struct MishOp : IUnaryOp { public static float Apply(float x) => x * MathF.Tanh(SoftplusOp.Apply(x)); }
    /// <summary>PRelu: x where x &gt;= 0, slope * x otherwise.</summary>
    internal struct PReluOp<T> : IBinaryOp<T, T> where T : INumber<T> { public static T Apply(T a, T b) => a < T.Zero ? a * b : a; }
    internal struct GeluOp : IUnaryOp { public static float Apply(float x) => Elementwise.Gelu(x); }

    internal struct AddOp<T> : IBinaryOp<T, T> where T : INumber<T> { public static T Apply(T a, T b) => a + b; }
    internal struct SubOp<T> : IBinaryOp<T, T> where T : INumber<T> { public static T Apply(T a, T b) => a - b; }
    internal struct MulOp<T> : IBinaryOp<T, T> where T : INumber<T> { public static T Apply(T a, T b) => a * b; }
    /// <summary>
    /// Division; integer division truncates toward zero. An integer zero divisor (undefined in ONNX) is refused with an
    /// ArgumentException; MinValue / -1 wraps to MinValue (two's complement) instead of trapping.
    /// </summary>
    internal struct DivOp<T> : IBinaryOp<T, T> where T : INumber<T>
    {
        public static T Apply(T a, T b) => IntegerDivisor.IsMinusOne(b) ? T.Zero - a : a / b;
    }

    /// <summary>Integer Div and Mod: the divisor checks (floats divide by zero to infinity or NaN and never reach them).</summary>
    internal static class IntegerDivisor
    {
        /// <summary>False for floating-point T; for an integer T, throws on a zero divisor and returns true.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool Check<T>(T b) where T : INumber<T>
        {
            if (typeof(T) == typeof(float) || typeof(T) == typeof(double) || typeof(T) == typeof(Half)) return false;
            if (T.IsZero(b)) throw new ArgumentException("integer division by zero (Div or Mod with a zero divisor)");
            return true;
        }

        /// <summary>Checks an integer divisor (<see cref="Check"/>) and tells whether it is -1, where MinValue / -1 would trap.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool IsMinusOne<T>(T b) where T : INumber<T> => Check(b) && T.IsNegative(b) && b == -T.One;
    }
    internal struct MaxOp<T> : IBinaryOp<T, T> where T : INumber<T> { public static T Apply(T a, T b) => T.IsNaN(a) || a > b ? a : b; }
    internal struct MinOp<T> : IBinaryOp<T, T> where T : INumber<T> { public static T Apply(T a, T b) => T.IsNaN(a) || a < b ? a : b; }
    internal struct PowOp : IBinaryOp<float, float> { public static float Apply(float a, float b) => b == 2f ? a * a : MathF.Pow(a, b); }
    internal struct PowIntOp<T> : IBinaryOp<T, T> where T : IBinaryInteger<T>
    {
        /// <summary>a^b by squaring (wrapping), O(log b); a negative exponent gives the truncated 1 / a^|b|: 0 unless |a| is 1.</summary>
        public static T Apply(T a, T b)
        {
            if (b < T.Zero) return a == T.One ? T.One : a == -T.One ? (T.IsEvenInteger(b) ? T.One : -T.One) : T.Zero;
            T r = T.One;
            for (; b != T.Zero; b >>>= 1)
            {
                if (!T.IsEvenInteger(b)) r *= a;
                a *= a;
            }
            return r;
        }
    }
    internal struct ModOp<T> : IBinaryOp<T, T> where T : INumber<T>
    {
        /// <summary>Integer Mod with fmod=0: the result has the sign of the divisor (Python semantics).</summary>
        public static T Apply(T a, T b)
        {
            if (IntegerDivisor.IsMinusOne(b)) return T.Zero;
            T r = a % b;
            return r != T.Zero && (r < T.Zero) != (b < T.Zero) ? r + b : r;
        }
    }
    /// <summary>Mod with fmod=1 (the sign of the dividend), and float Mod.</summary>
    internal struct FModOp<T> : IBinaryOp<T, T> where T : INumber<T>
    {
        public static T Apply(T a, T b) => IntegerDivisor.IsMinusOne(b) ? T.Zero : a % b;
    }
    internal struct EqualOp<T> : IBinaryOp<T, bool> where T : IEquatable<T> { public static bool Apply(T a, T b) => a.Equals(b); }
    internal struct EqualFloatOp : IBinaryOp<float, bool> { public static bool Apply(float a, float b) => a == b; }
    internal struct LessOp<T> : IBinaryOp<T, bool> where T : INumber<T> { public static bool Apply(T a, T b) => a < b; }
    internal struct LessOrEqualOp<T> : IBinaryOp<T, bool> where T : INumber<T> { public static bool Apply(T a, T b) => a <= b; }
    internal struct GreaterOp<T> : IBinaryOp<T, bool> where T : INumber<T> { public static bool Apply(T a, T b) => a > b; }
    internal struct GreaterOrEqualOp<T> : IBinaryOp<T, bool> where T : INumber<T> { public static bool Apply(T a, T b) => a >= b; }
    internal struct AndOp : IBinaryOp<bool, bool> { public static bool Apply(bool a, bool b) => a & b; }
    internal struct OrOp : IBinaryOp<bool, bool> { public static bool Apply(bool a, bool b) => a | b; }
    internal struct XorOp : IBinaryOp<bool, bool> { public static bool Apply(bool a, bool b) => a ^ b; }

    internal struct AddF : IVectorOp<float>
    {
        public static float Apply(float a, float b) => a + b;
        public static Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => a + b;
        public static Vector128<float> Apply(Vector128<float> a, Vector128<float> b) => a + b;
    }
    internal struct SubF : IVectorOp<float>
    {
        public static float Apply(float a, float b) => a - b;
        public static Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => a - b;
        public static Vector128<float> Apply(Vector128<float> a, Vector128<float> b) => a - b;
    }
    internal struct MulF : IVectorOp<float>
    {
        public static float Apply(float a, float b) => a * b;
        public static Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => a * b;
        public static Vector128<float> Apply(Vector128<float> a, Vector128<float> b) => a * b;
    }
    /// <summary>IEEE 754 maximum: NaN propagates and +0 &gt; -0, the same in the vector and scalar forms (MathF.Max, Vector.Max).</summary>
    internal struct MaxF : IVectorOp<float>
    {
        public static float Apply(float a, float b) => MathF.Max(a, b);
        public static Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
        public static Vector128<float> Apply(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);
    }
    /// <summary>IEEE 754 minimum (see <see cref="MaxF"/>).</summary>
    internal struct MinF : IVectorOp<float>
    {
        public static float Apply(float a, float b) => MathF.Min(a, b);
        public static Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => Vector256.Min(a, b);
        public static Vector128<float> Apply(Vector128<float> a, Vector128<float> b) => Vector128.Min(a, b);
    }
    internal struct DivF : IVectorOp<float>
    {
        public static float Apply(float a, float b) => a / b;
        public static Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => a / b;
        public static Vector128<float> Apply(Vector128<float> a, Vector128<float> b) => a / b;
    }
}
