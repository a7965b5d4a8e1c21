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

        /// <summary>erf(x) in float: Abramowitz-Stegun 7.1.26 refined in double (absolute error below 2e-7).</summary>
        public static float Erf(float xf)
        {
            double x = xf;
            double s = x < 0 ? -1 : 1;
            x = Math.Abs(x);
            if (x > 6) return (float)s;
            // Series for small |x|, continued fraction-free rational for the rest (erfc via Chebyshev fit, W. J. Cody style).
            if (x < 0.5)
            {
                double x2 = x * x, term = x, sum = x;
                for (int n = 1; n < 20; n++)
                {
                    term *= -x2 / n;
                    sum += term / (2 * n + 1);
                }
                return (float)(s * sum * 1.1283791670955126);
            }
            // erfc(x) = exp(-x^2) * P(t) with t = 1/(1+0.5x): Numerical Recipes erfcc (fractional error < 1.2e-7).
            double t = 1.0 / (1.0 + 0.5 * x);
            double y = t * Math.Exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
                + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
            return (float)(s * (1 - y));
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
    internal struct GeluOp : IUnaryOp { public static float Apply(float x) => 0.5f * x * (1f + Elementwise.Erf(x * 0.70710678118654752f)); }

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
