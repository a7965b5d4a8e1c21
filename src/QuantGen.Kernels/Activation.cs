using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace QuantGen.Kernels
{
    /// <summary>Epilogue activations fused into Conv/Gemm/MatMul/Add: 0 none, 1 Relu, 2 LeakyRelu(a), 3 Clip(a, b).</summary>
    internal static class Activation
    {
        public const int None = 0, Relu = 1, LeakyRelu = 2, Clip = 3;

        /// <summary>Applies the activation in place.</summary>
        public static void Apply(Span<float> y, int kind, float a, float b)
        {
            if (kind == None) return;
            ref float p = ref MemoryMarshal.GetReference(y);
            int n = y.Length, i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var va = Vector256.Create(a);
                var vb = Vector256.Create(b);
                for (; i <= n - 8; i += 8)
                {
                    var v = Vector256.LoadUnsafe(ref p, (nuint)i);
                    v = kind switch
                    {
                        Relu => Vector256.Max(v, Vector256<float>.Zero),
                        LeakyRelu => Vector256.ConditionalSelect(Vector256.LessThan(v, Vector256<float>.Zero), v * va, v),
                        _ => Vector256.Min(Vector256.Max(v, va), vb),
                    };
                    v.StoreUnsafe(ref p, (nuint)i);
                }
            }
            else if (Vector128.IsHardwareAccelerated)
            {
                var va = Vector128.Create(a);
                var vb = Vector128.Create(b);
                for (; i <= n - 4; i += 4)
                {
                    var v = Vector128.LoadUnsafe(ref p, (nuint)i);
                    v = kind switch
                    {
                        Relu => Vector128.Max(v, Vector128<float>.Zero),
                        LeakyRelu => Vector128.ConditionalSelect(Vector128.LessThan(v, Vector128<float>.Zero), v * va, v),
                        _ => Vector128.Min(Vector128.Max(v, va), vb),
                    };
                    v.StoreUnsafe(ref p, (nuint)i);
                }
            }
            for (; i < n; i++) Unsafe.Add(ref p, i) = Scalar(Unsafe.Add(ref p, i), kind, a, b);
        }

        /// <summary>min(max(v, lo), hi): when lo &gt; hi the result is hi, as ONNX Clip defines it.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float MinMax(float v, float lo, float hi)
        {
            v = v < lo ? lo : v;
            return v > hi ? hi : v;
        }

        /// <summary>The scalar definition (NaN propagates through Relu and Clip as in ONNX Runtime).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Scalar(float v, int kind, float a, float b) => kind switch
        {
            Relu => v < 0f ? 0f : v,
            LeakyRelu => v < 0f ? v * a : v,
            Clip => MinMax(v, a, b),
            _ => v,
        };
    }
}
