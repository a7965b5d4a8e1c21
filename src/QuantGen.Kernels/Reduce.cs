using System;

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

        /// <summary>Softmax (or LogSoftmax) along the middle axis of [outer, n, inner].</summary>
        public static void Softmax(ReadOnlySpan<float> x, Span<float> y, int outer, int n, int inner, bool log)
        {
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
                        float e = MathF.Exp(x[b + k * inner] - m);
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
