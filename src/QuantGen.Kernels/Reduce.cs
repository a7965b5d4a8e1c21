// quantgen-kernel-uses: Elementwise
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace QuantGen.Kernels
{
    /// <summary>
    /// Reductions and normalizations over x viewed as [outer, n, inner] (the reduced axes made contiguous at
    /// build time; a non-contiguous set of axes is first transposed to the end).
    /// </summary>
    internal static class Reduce
    {
        public const int Sum = 0, Mean = 1, Max = 2, Min = 3, Prod = 4, SumSquare = 5, L1 = 6, L2 = 7, LogSum = 8, LogSumExp = 9;

        public static void Run(ReadOnlySpan<float> x, Span<float> y, int outer, int n, int inner, int kind)
        {
            for (int o = 0; o < outer; o++)
            {
                for (int i = 0; i < inner; i++)
                {
                    int baseIdx = o * n * inner + i;
                    float acc;
                    switch (kind)
                    {
                        case Max:
                            acc = float.NegativeInfinity;
                            for (int k = 0; k < n; k++) { float v = x[baseIdx + k * inner]; if (v > acc || float.IsNaN(v)) acc = v; }
                            break;
                        case Min:
                            acc = float.PositiveInfinity;
                            for (int k = 0; k < n; k++) { float v = x[baseIdx + k * inner]; if (v < acc || float.IsNaN(v)) acc = v; }
                            break;
                        case Prod:
                            acc = 1f;
                            for (int k = 0; k < n; k++) acc *= x[baseIdx + k * inner];
                            break;
                        case LogSumExp:
                        {
                            float m = float.NegativeInfinity;
                            for (int k = 0; k < n; k++) m = MathF.Max(m, x[baseIdx + k * inner]);
                            float s = 0f;
                            for (int k = 0; k < n; k++) s += MathF.Exp(x[baseIdx + k * inner] - m);
                            acc = n == 0 ? float.NegativeInfinity : m + MathF.Log(s);
                            break;
                        }
                        default:
                            acc = 0f;
                            for (int k = 0; k < n; k++)
                            {
                                float v = x[baseIdx + k * inner];
                                acc += kind == SumSquare || kind == L2 ? v * v : kind == L1 ? MathF.Abs(v) : v;
                            }
                            if (kind == Mean) acc /= n;
                            else if (kind == L2) acc = MathF.Sqrt(acc);
                            else if (kind == LogSum) acc = MathF.Log(acc);
                            break;
                    }
                    y[o * inner + i] = acc;
                }
            }
        }

        /// <summary>
        /// Softmax (or LogSoftmax) along the middle axis of [outer, n, inner]: e = exp(x - max) with <see cref="Elementwise.Exp"/>,
        /// then e / sum e (or x - max - log sum e). Over the last axis (inner = 1, attention scores) the sum is taken in 8 partial
        /// sums (element k into sum k % 8, combined pairwise), which the vector forms compute directly and the scalar form the
        /// same way, so every width gives the same bits; over another axis it is one sum in order.
        /// </summary>
        public static void Softmax(ReadOnlySpan<float> x, Span<float> y, int outer, int n, int inner, bool log) =>
            Softmax(x, y, outer, n, inner, log, Vector256.IsHardwareAccelerated ? 256 : Vector128.IsHardwareAccelerated ? 128 : 0);

        /// <param name="width">Vector width in bits for the last-axis case: 256, 128 or 0 (scalar); every width gives the same bits.</param>
        internal static void Softmax(ReadOnlySpan<float> x, Span<float> y, int outer, int n, int inner, bool log, int width)
        {
            if (x.Length < (long)outer * n * inner || y.Length < (long)outer * n * inner) throw new ArgumentException("Softmax: operand too small");
            if (inner == 1)
            {
                for (int o = 0; o < outer; o++) SoftmaxRow(x.Slice(o * n, n), y.Slice(o * n, n), log, width);
                return;
            }
            for (int o = 0; o < outer; o++)
            {
                for (int i = 0; i < inner; i++)
                {
                    int b = o * n * inner + i;
                    float m = float.NegativeInfinity;
                    for (int k = 0; k < n; k++) m = MathF.Max(m, x[b + k * inner]);
                    float s = 0f;
                    for (int k = 0; k < n; k++)
                    {
                        float e = Elementwise.Exp(x[b + k * inner] - m);
                        if (!log) y[b + k * inner] = e;
                        s += e;
                    }
                    if (log)
                    {
                        float ls = MathF.Log(s);
                        for (int k = 0; k < n; k++) y[b + k * inner] = x[b + k * inner] - m - ls;
                    }
                    else
                    {
                        float r = 1f / s;
                        for (int k = 0; k < n; k++) y[b + k * inner] *= r;
                    }
                }
            }
        }

        /// <summary>Softmax of one contiguous row (see <see cref="Softmax(ReadOnlySpan{float}, Span{float}, int, int, int, bool)"/>).</summary>
        private static void SoftmaxRow(ReadOnlySpan<float> x, Span<float> y, bool log, int width)
        {
            int n = x.Length, k = 0;
            ref float px = ref MemoryMarshal.GetReference(x);
            ref float py = ref MemoryMarshal.GetReference(y);
            // The maximum (exact in any order; NaN propagates like MathF.Max).
            float m = float.NegativeInfinity;
            if (width == 256 && n >= 8)
            {
                var vm = Vector256.Create(float.NegativeInfinity);
                for (; k <= n - 8; k += 8) vm = Vector256.Max(vm, Vector256.LoadUnsafe(ref px, (nuint)k));
                for (int j = 0; j < 8; j++) m = MathF.Max(m, vm.GetElement(j));
            }
            else if (width == 128 && n >= 4)
            {
                var vm = Vector128.Create(float.NegativeInfinity);
                for (; k <= n - 4; k += 4) vm = Vector128.Max(vm, Vector128.LoadUnsafe(ref px, (nuint)k));
                for (int j = 0; j < 4; j++) m = MathF.Max(m, vm.GetElement(j));
            }
            for (; k < n; k++) m = MathF.Max(m, Unsafe.Add(ref px, k));

            // e = exp(x - m) into y (unless log), summed into 8 partial sums by k % 8.
            Span<float> part = stackalloc float[8];
            k = 0;
            if (width == 256)
            {
                var vs = Vector256<float>.Zero;
                var vmax = Vector256.Create(m);
                for (; k <= n - 8; k += 8)
                {
                    var e = Elementwise.ExpVector(Vector256.LoadUnsafe(ref px, (nuint)k) - vmax);
                    if (!log) e.StoreUnsafe(ref py, (nuint)k);
                    vs += e;
                }
                vs.CopyTo(part);
            }
            else if (width == 128)
            {
                Vector128<float> lo = Vector128<float>.Zero, hi = Vector128<float>.Zero;
                var vmax = Vector128.Create(m);
                for (; k <= n - 8; k += 8)
                {
                    var e0 = Elementwise.ExpVector(Vector128.LoadUnsafe(ref px, (nuint)k) - vmax);
                    var e1 = Elementwise.ExpVector(Vector128.LoadUnsafe(ref px, (nuint)(k + 4)) - vmax);
                    if (!log) { e0.StoreUnsafe(ref py, (nuint)k); e1.StoreUnsafe(ref py, (nuint)(k + 4)); }
                    lo += e0;
                    hi += e1;
                }
                lo.CopyTo(part);
                hi.CopyTo(part.Slice(4));
            }
            for (; k < n; k++)
            {
                float e = Elementwise.Exp(Unsafe.Add(ref px, k) - m);
                if (!log) Unsafe.Add(ref py, k) = e;
                part[k & 7] += e;
            }
            float s = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));

            k = 0;
            if (log)
            {
                float ls = MathF.Log(s);
                for (; k < n; k++) Unsafe.Add(ref py, k) = Unsafe.Add(ref px, k) - m - ls;
                return;
            }
            float r = 1f / s;
            if (width == 256)
                for (; k <= n - 8; k += 8) (Vector256.LoadUnsafe(ref py, (nuint)k) * r).StoreUnsafe(ref py, (nuint)k);
            else if (width == 128)
                for (; k <= n - 4; k += 4) (Vector128.LoadUnsafe(ref py, (nuint)k) * r).StoreUnsafe(ref py, (nuint)k);
            for (; k < n; k++) Unsafe.Add(ref py, k) *= r;
        }

        /// <summary>BatchNormalization (inference) over NC...: y = (x - mean) / sqrt(var + eps) * scale + bias, per channel.</summary>
        public static void BatchNorm(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias,
            ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, float epsilon, int batch, int channels, int spatial)
        {
            for (int c = 0; c < channels; c++)
            {
                float s = scale[c] / MathF.Sqrt(variance[c] + epsilon);
                float t = bias[c] - mean[c] * s;
                for (int b = 0; b < batch; b++)
                {
                    int off = (b * channels + c) * spatial;
                    for (int i = 0; i < spatial; i++) y[off + i] = x[off + i] * s + t;
                }
            }
        }
    }
}
