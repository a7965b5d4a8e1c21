// quantgen-kernel-uses: Requantize
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace QuantGen.Kernels
{
    /// <summary>
    /// Activation quantization for dynamic mode, with ONNX DynamicQuantizeLinear semantics (uint8):
    /// <code>
    ///   min = min(0, min(x)), max = max(0, max(x))                  (the range always includes 0)
    ///   scale = (max - min) / 255                                    (float32)
    ///   zeroPoint = round_half_even(clamp(0 - min / scale, 0, 255))
    ///   q[i] = clamp(round_half_even(x[i] / scale) + zeroPoint, 0, 255)   (a true division, as the spec writes it)
    /// </code>
    /// Every path computes the same floats: min/max are order-independent, the division is correctly rounded everywhere,
    /// and the vector rounding (v + 1.5 * 2^23) - 1.5 * 2^23 is exact round-half-even for |v| &lt; 2^22; v is first clamped to
    /// [-512, 512], which cannot change the saturated result since |round(v) + zeroPoint| would exceed 255 either way.
    /// x must be finite. When max == min (all zeros) or the range is so small that scale underflows to 0, the result is
    /// scale = 0, zeroPoint = 0 and q = 0 (the limit of the formulas; a consumer multiplies (q - zeroPoint) = 0 by it).
    /// </summary>
    internal static class QuantizeDynamic
    {
        /// <summary>Quantizes x into q (q.Length &gt;= x.Length) and returns the scale and zero point.</summary>
        public static (float Scale, byte ZeroPoint) Run(ReadOnlySpan<float> x, Span<byte> q) => RunCore(x, q, QuantPath.Best);

        /// <summary>
        /// <see cref="Run"/> on each row of x (rows x k, row-major) on its own: the per-row (per-token) dynamic quantization of a
        /// dense layer's input. Row i's parameters go to scales[i] and zeroPoints[i].
        /// </summary>
        public static void RunRows(ReadOnlySpan<float> x, Span<byte> q, int rows, int k, Span<float> scales, Span<int> zeroPoints)
        {
            if (x.Length < rows * k || q.Length < rows * k || scales.Length < rows || zeroPoints.Length < rows)
                throw new ArgumentException("per-row quantization operand too small");
            for (int i = 0; i < rows; i++)
            {
                var (s, z) = RunCore(x.Slice(i * k, k), q.Slice(i * k, k), QuantPath.Best);
                scales[i] = s;
                zeroPoints[i] = z;
            }
        }

        /// <summary>
        /// Symmetric int8 per tensor, as the activation x activation MatMul quantizes its B: scale = max|x| / 127 (1 when x is
        /// all zero), q = clamp(round_half_even(x / scale), -127, 127), NaN giving 0. Returns the scale.
        /// </summary>
        public static float Symmetric(ReadOnlySpan<float> x, Span<sbyte> q) => SymmetricCore(x, q, QuantPath.Best);

        internal static float SymmetricCore(ReadOnlySpan<float> x, Span<sbyte> q, int path)
        {
            if (q.Length < x.Length) throw new ArgumentException("quantization output too small", nameof(q));
            int len = x.Length, i = 0;
            ref float px = ref MemoryMarshal.GetReference(x);
            ref sbyte pq = ref MemoryMarshal.GetReference(q);
            bool vector = Width(path) >= 256;
            // max |x|: exact in any order; NaN propagates (IEEE maximum, like MathF.Max).
            float maxAbs = 0f;
            if (vector)
            {
                var vmax = Vector256<float>.Zero;
                for (; i <= len - 8; i += 8) vmax = Vector256.Max(vmax, Vector256.Abs(Vector256.LoadUnsafe(ref px, (nuint)i)));
                for (int j = 0; j < 8; j++) maxAbs = MathF.Max(maxAbs, vmax.GetElement(j));
            }
            for (; i < len; i++) maxAbs = MathF.Max(maxAbs, MathF.Abs(Unsafe.Add(ref px, i)));
            float scale = maxAbs == 0f ? 1f : maxAbs / 127f;

            i = 0;
            if (vector)
            {
                var vs = Vector256.Create(scale);
                var lo = Vector256.Create(-127f);
                var hi = Vector256.Create(127f);
                for (; i <= len - 32; i += 32)
                {
                    var a = SymmetricCode(Vector256.LoadUnsafe(ref px, (nuint)i), vs, lo, hi);
                    var b = SymmetricCode(Vector256.LoadUnsafe(ref px, (nuint)(i + 8)), vs, lo, hi);
                    var c = SymmetricCode(Vector256.LoadUnsafe(ref px, (nuint)(i + 16)), vs, lo, hi);
                    var d = SymmetricCode(Vector256.LoadUnsafe(ref px, (nuint)(i + 24)), vs, lo, hi);
                    Vector256.Narrow(Vector256.Narrow(a, b), Vector256.Narrow(c, d)).StoreUnsafe(ref pq, (nuint)i);
                }
            }
            for (; i < len; i++)
            {
                float r = MathF.Round(Unsafe.Add(ref px, i) / scale, MidpointRounding.ToEven);
                Unsafe.Add(ref pq, i) = float.IsNaN(r) ? (sbyte)0 : (sbyte)(r < -127f ? -127f : r > 127f ? 127f : r);
            }
            return scale;
        }

        /// <summary>One vector of <see cref="Symmetric"/> codes as int32: the scalar loop's operations (divide, round half even, NaN to 0, clamp).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<int> SymmetricCode(Vector256<float> x, Vector256<float> scale, Vector256<float> lo, Vector256<float> hi)
        {
            var r = Vector256.Round(x / scale);
            r = Vector256.ConditionalSelect(Vector256.Equals(r, r), r, Vector256<float>.Zero);
            r = Vector256.ConditionalSelect(Vector256.LessThan(r, lo), lo, r);
            r = Vector256.ConditionalSelect(Vector256.GreaterThan(r, hi), hi, r);
            return Vector256.ConvertToInt32(r);
        }

        internal static (float Scale, byte ZeroPoint) RunCore(ReadOnlySpan<float> x, Span<byte> q, int path)
        {
            if (q.Length < x.Length) throw new ArgumentException("quantization output too small", nameof(q));
            int len = x.Length;
            ref float px = ref MemoryMarshal.GetReference(x);
            ref byte pq = ref MemoryMarshal.GetReference(q);
            int width = Width(path);

            // 1. Range including 0.
            float min = 0f, max = 0f;
            int i = 0;
            if (width == 512)
            {
                Vector512<float> vmin = Vector512<float>.Zero, vmax = Vector512<float>.Zero;
                for (; i <= len - 16; i += 16) { var v = Vector512.LoadUnsafe(ref px, (nuint)i); vmin = Vector512.Min(vmin, v); vmax = Vector512.Max(vmax, v); }
                for (int j = 0; j < 16; j++) { min = Math.Min(min, vmin.GetElement(j)); max = Math.Max(max, vmax.GetElement(j)); }
            }
            else if (width == 256)
            {
                Vector256<float> vmin = Vector256<float>.Zero, vmax = Vector256<float>.Zero;
                for (; i <= len - 8; i += 8) { var v = Vector256.LoadUnsafe(ref px, (nuint)i); vmin = Vector256.Min(vmin, v); vmax = Vector256.Max(vmax, v); }
                for (int j = 0; j < 8; j++) { min = Math.Min(min, vmin.GetElement(j)); max = Math.Max(max, vmax.GetElement(j)); }
            }
            else if (width == 128)
            {
                Vector128<float> vmin = Vector128<float>.Zero, vmax = Vector128<float>.Zero;
                for (; i <= len - 4; i += 4) { var v = Vector128.LoadUnsafe(ref px, (nuint)i); vmin = Vector128.Min(vmin, v); vmax = Vector128.Max(vmax, v); }
                for (int j = 0; j < 4; j++) { min = Math.Min(min, vmin.GetElement(j)); max = Math.Max(max, vmax.GetElement(j)); }
            }
            for (; i < len; i++) { float v = Unsafe.Add(ref px, i); min = Math.Min(min, v); max = Math.Max(max, v); }

            // 2. Scale and zero point (scalar, once).
            float scale = (max - min) / 255f;
            if (!(scale > 0f))
            {
                q.Slice(0, len).Clear();
                return (0f, 0);
            }
            float zpf = 0f - min / scale;
            zpf = zpf < 0f ? 0f : zpf > 255f ? 255f : zpf;
            byte zp = (byte)MathF.Round(zpf, MidpointRounding.ToEven);

            // 3. Quantize.
            QuantizeCore(x, q, scale, zp, path);
            return (scale, zp);
        }

        /// <summary>
        /// QuantizeLinear to uint8 with one scale and zero point: q[i] = clamp(round_half_even(x[i] / scale) + zeroPoint, 0, 255),
        /// NaN giving the zero point; the same bytes as the scalar QLinear.Quantize, vectorized like step 3 of the dynamic rule.
        /// </summary>
        public static void Quantize(ReadOnlySpan<float> x, Span<byte> q, float scale, byte zeroPoint)
        {
            if (q.Length < x.Length) throw new ArgumentException("quantization output too small", nameof(q));
            QuantizeCore(x, q, scale, zeroPoint, QuantPath.Best);
        }

        /// <summary>
        /// An int8 layer's float input to uint8: measured on this call (<paramref name="staticScale"/> = 0, <see cref="Run"/>)
        /// or with the calibrated scale and zero point (<see cref="Quantize"/>). Returns the parameters used.
        /// </summary>
        public static (float Scale, int ZeroPoint) Input(ReadOnlySpan<float> x, Span<byte> q, float staticScale, int staticZeroPoint)
        {
            if (staticScale == 0f)
            {
                var (s, z) = Run(x, q);
                return (s, z);
            }
            Quantize(x, q, staticScale, (byte)staticZeroPoint);
            return (staticScale, staticZeroPoint);
        }

        /// <summary>
        /// DequantizeLinear from uint8 with one scale and zero point: y[i] = (q[i] - zeroPoint) * scale, the product rounded
        /// once (the same floats as the scalar QLinear.Dequantize).
        /// </summary>
        public static void Dequantize(ReadOnlySpan<byte> q, Span<float> y, float scale, byte zeroPoint)
        {
            if (y.Length < q.Length) throw new ArgumentException("dequantization output too small", nameof(y));
            int len = q.Length, i = 0;
            ref byte pq = ref MemoryMarshal.GetReference(q);
            ref float py = ref MemoryMarshal.GetReference(y);
            if (Vector128.IsHardwareAccelerated)
            {
                var vs = Vector128.Create(scale);
                var vz = Vector128.Create((int)zeroPoint);
                for (; i <= len - 16; i += 16)
                {
                    var (w0, w1) = Vector128.Widen(Vector128.LoadUnsafe(ref pq, (nuint)i));
                    var (a, b) = Vector128.Widen(w0);
                    var (c, d) = Vector128.Widen(w1);
                    (Vector128.ConvertToSingle(a.AsInt32() - vz) * vs).StoreUnsafe(ref py, (nuint)i);
                    (Vector128.ConvertToSingle(b.AsInt32() - vz) * vs).StoreUnsafe(ref py, (nuint)(i + 4));
                    (Vector128.ConvertToSingle(c.AsInt32() - vz) * vs).StoreUnsafe(ref py, (nuint)(i + 8));
                    (Vector128.ConvertToSingle(d.AsInt32() - vz) * vs).StoreUnsafe(ref py, (nuint)(i + 12));
                }
            }
            for (; i < len; i++) Unsafe.Add(ref py, i) = (Unsafe.Add(ref pq, i) - zeroPoint) * scale;
        }

        internal static void QuantizeCore(ReadOnlySpan<float> x, Span<byte> q, float scale, byte zp, int path)
        {
            int len = x.Length, width = Width(path);
            ref float px = ref MemoryMarshal.GetReference(x);
            ref byte pq = ref MemoryMarshal.GetReference(q);
            int i = 0;
            if (width == 512)
            {
                var vs = Vector512.Create(scale); var vz = Vector512.Create((float)zp);
                for (; i <= len - 64; i += 64)
                {
                    var a = Quantize512(Vector512.LoadUnsafe(ref px, (nuint)i), vs, vz);
                    var b = Quantize512(Vector512.LoadUnsafe(ref px, (nuint)(i + 16)), vs, vz);
                    var c = Quantize512(Vector512.LoadUnsafe(ref px, (nuint)(i + 32)), vs, vz);
                    var d = Quantize512(Vector512.LoadUnsafe(ref px, (nuint)(i + 48)), vs, vz);
                    Vector512.Narrow(Vector512.Narrow(a, b), Vector512.Narrow(c, d)).StoreUnsafe(ref pq, (nuint)i);
                }
            }
            else if (width == 256)
            {
                var vs = Vector256.Create(scale); var vz = Vector256.Create((float)zp);
                for (; i <= len - 32; i += 32)
                {
                    var a = Quantize256(Vector256.LoadUnsafe(ref px, (nuint)i), vs, vz);
                    var b = Quantize256(Vector256.LoadUnsafe(ref px, (nuint)(i + 8)), vs, vz);
                    var c = Quantize256(Vector256.LoadUnsafe(ref px, (nuint)(i + 16)), vs, vz);
                    var d = Quantize256(Vector256.LoadUnsafe(ref px, (nuint)(i + 24)), vs, vz);
                    Vector256.Narrow(Vector256.Narrow(a, b), Vector256.Narrow(c, d)).StoreUnsafe(ref pq, (nuint)i);
                }
            }
            else if (width == 128)
            {
                var vs = Vector128.Create(scale); var vz = Vector128.Create((float)zp);
                for (; i <= len - 16; i += 16)
                {
                    var a = Quantize128(Vector128.LoadUnsafe(ref px, (nuint)i), vs, vz);
                    var b = Quantize128(Vector128.LoadUnsafe(ref px, (nuint)(i + 4)), vs, vz);
                    var c = Quantize128(Vector128.LoadUnsafe(ref px, (nuint)(i + 8)), vs, vz);
                    var d = Quantize128(Vector128.LoadUnsafe(ref px, (nuint)(i + 12)), vs, vz);
                    Vector128.Narrow(Vector128.Narrow(a, b), Vector128.Narrow(c, d)).StoreUnsafe(ref pq, (nuint)i);
                }
            }
            for (; i < len; i++)
            {
                float r = Unsafe.Add(ref px, i) / scale;
                float v = MathF.Round(float.IsNaN(r) ? 0f : r, MidpointRounding.ToEven) + zp;
                Unsafe.Add(ref pq, i) = (byte)(v < 0f ? 0f : v > 255f ? 255f : v);
            }
        }

        private static int Width(int path) => QuantPath.Vector(path) switch
        {
            QuantPath.X86Avx512 => Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 128,
            QuantPath.X86Avx2 => Vector256.IsHardwareAccelerated ? 256 : 128,
            QuantPath.Scalar => 0,
            _ => 128,
        };

        private const float Magic = 12582912f; // 1.5 * 2^23: adding and subtracting it rounds to an integer, ties to even

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<uint> Quantize512(Vector512<float> x, Vector512<float> scale, Vector512<float> zp)
        {
            var r = x / scale;
            r = Vector512.ConditionalSelect(Vector512.Equals(r, r), r, Vector512<float>.Zero); // NaN -> 0
            var v = Vector512.Min(Vector512.Max(r, Vector512.Create(-512f)), Vector512.Create(512f));
            v = (v + Vector512.Create(Magic)) - Vector512.Create(Magic) + zp;
            v = Vector512.Min(Vector512.Max(v, Vector512<float>.Zero), Vector512.Create(255f));
            return Vector512.ConvertToInt32(v).AsUInt32();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<uint> Quantize256(Vector256<float> x, Vector256<float> scale, Vector256<float> zp)
        {
            var r = x / scale;
            r = Vector256.ConditionalSelect(Vector256.Equals(r, r), r, Vector256<float>.Zero); // NaN -> 0
            var v = Vector256.Min(Vector256.Max(r, Vector256.Create(-512f)), Vector256.Create(512f));
            v = (v + Vector256.Create(Magic)) - Vector256.Create(Magic) + zp;
            v = Vector256.Min(Vector256.Max(v, Vector256<float>.Zero), Vector256.Create(255f));
            return Vector256.ConvertToInt32(v).AsUInt32();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<uint> Quantize128(Vector128<float> x, Vector128<float> scale, Vector128<float> zp)
        {
            var r = x / scale;
            r = Vector128.ConditionalSelect(Vector128.Equals(r, r), r, Vector128<float>.Zero); // NaN -> 0
            var v = Vector128.Min(Vector128.Max(r, Vector128.Create(-512f)), Vector128.Create(512f));
            v = (v + Vector128.Create(Magic)) - Vector128.Create(Magic) + zp;
            v = Vector128.Min(Vector128.Max(v, Vector128<float>.Zero), Vector128.Create(255f));
            return Vector128.ConvertToInt32(v).AsUInt32();
        }
    }
}
