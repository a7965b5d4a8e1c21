// quantgen-kernel-uses: Elementwise
using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace QuantGen.Kernels
{
    /// <summary>
    /// Kernels of the less common ONNX ops: trigonometric/hyperbolic functions, Celu, Shrink, Swish, bitwise ops,
    /// Hardmax, LRN, MeanVarianceNormalization, LpPool, ReverseSequence, Det, Compress (constant condition), Col2Im and
    /// CenterCropPad. Shapes and geometry are decided at build time and passed as arguments.
    /// </summary>
    internal static class Misc
    {
        /// <summary>Celu: max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).</summary>
        public static void Celu(ReadOnlySpan<float> x, Span<float> y, float alpha)
        {
            for (int i = 0; i < x.Length; i++)
            {
                float v = x[i];
                y[i] = MathF.Max(0f, v) + MathF.Min(0f, alpha * (MathF.Exp(v / alpha) - 1f));
            }
        }

        /// <summary>Swish: x * sigmoid(alpha * x).</summary>
        public static void Swish(ReadOnlySpan<float> x, Span<float> y, float alpha)
        {
            for (int i = 0; i < x.Length; i++) { float v = x[i]; y[i] = v * SigmoidOp.Apply(alpha * v); }
        }

        /// <summary>Shrink: x + bias where x &lt; -lambd, x - bias where x &gt; lambd, else 0 (computed in double, converted back).</summary>
        public static void Shrink<T>(ReadOnlySpan<T> x, Span<T> y, float bias, float lambd) where T : INumber<T>
        {
            for (int i = 0; i < x.Length; i++)
            {
                double v = double.CreateTruncating(x[i]);
                y[i] = v < -lambd ? T.CreateTruncating(v + bias) : v > lambd ? T.CreateTruncating(v - bias) : T.Zero;
            }
        }

        public static void BitwiseNot<T>(ReadOnlySpan<T> x, Span<T> y) where T : IBinaryInteger<T>
        {
            for (int i = 0; i < x.Length; i++) y[i] = ~x[i];
        }

        /// <summary>
        /// Hardmax over x viewed as [outer, n, inner]: 1 at the first maximum along the middle axis, 0 elsewhere.
        /// </summary>
        public static void Hardmax(ReadOnlySpan<float> x, Span<float> y, int outer, int n, int inner)
        {
            y.Slice(0, outer * n * inner).Clear();
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    int b = o * n * inner + i, best = 0;
                    float m = x[b];
                    for (int k = 1; k < n; k++) { float v = x[b + k * inner]; if (v > m) { m = v; best = k; } }
                    if (n > 0) y[b + best * inner] = 1f;
                }
        }

        /// <summary>
        /// LRN across channels of x viewed as [batch, channels, spatial]: y = x / (bias + alpha / size * sum of squares over
        /// channels c - floor((size - 1) / 2) .. c + ceil((size - 1) / 2))^beta.
        /// </summary>
        public static void Lrn(ReadOnlySpan<float> x, Span<float> y, int batch, int channels, int spatial, int size, float alpha, float beta, float bias)
        {
            int before = (size - 1) / 2, after = size - 1 - before;
            float scale = alpha / size;
            for (int b = 0; b < batch; b++)
                for (int c = 0; c < channels; c++)
                {
                    int lo = Math.Max(0, c - before), hi = Math.Min(channels - 1, c + after);
                    int outBase = (b * channels + c) * spatial;
                    for (int s = 0; s < spatial; s++)
                    {
                        float sum = 0f;
                        for (int k = lo; k <= hi; k++) { float v = x[(b * channels + k) * spatial + s]; sum += v * v; }
                        y[outBase + s] = x[outBase + s] / MathF.Pow(bias + scale * sum, beta);
                    }
                }
        }

        /// <summary>
        /// MeanVarianceNormalization: (x - mean) / (sqrt(E[x^2] - mean^2) + 1e-9) over the reduced axes. groupStrides gives,
        /// per axis of shape, the stride of that axis in the group index (0 on reduced axes); scratch holds 2 doubles per group.
        /// </summary>
        public static void MeanVarianceNormalization(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> shape, ReadOnlySpan<int> groupStrides,
            int groups, int groupSize, Span<double> scratch)
        {
            var sum = scratch.Slice(0, groups);
            var sq = scratch.Slice(groups, groups);
            sum.Clear(); sq.Clear();
            int rank = shape.Length;
            Span<int> idx = stackalloc int[Math.Max(rank, 1)];
            idx.Clear();
            int g = 0;
            for (int i = 0; i < x.Length; i++)
            {
                double v = x[i];
                sum[g] += v; sq[g] += v * v;
                Step(shape, groupStrides, idx, ref g);
            }
            for (int k = 0; k < groups; k++)
            {
                double mean = sum[k] / groupSize;
                double variance = sq[k] / groupSize - mean * mean;
                sum[k] = mean;
                sq[k] = Math.Sqrt(Math.Max(0.0, variance)) + 1e-9;
            }
            idx.Clear();
            g = 0;
            for (int i = 0; i < x.Length; i++)
            {
                y[i] = (float)((x[i] - sum[g]) / sq[g]);
                Step(shape, groupStrides, idx, ref g);
            }
        }

        private static void Step(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, Span<int> idx, ref int offset)
        {
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                offset += strides[d];
                if (++idx[d] < shape[d]) return;
                offset -= strides[d] * shape[d];
                idx[d] = 0;
            }
        }

        /// <summary>
        /// LpPool over [planes, D, H, W] (1-D and 2-D pooling have D = 1, H = 1 where absent): y = (sum over the window's
        /// valid taps of |x|^p)^(1/p); padding contributes zero.
        /// </summary>
        public static void LpPool(ReadOnlySpan<float> x, Span<float> y, int planes, int d, int h, int w, int od, int oh, int ow,
            int kd, int kh, int kw, int sd, int sh, int sw, int dd, int dh, int dw, int padFront, int padTop, int padLeft, float p)
        {
            int o = 0;
            for (int pl = 0; pl < planes; pl++)
            {
                int plane = pl * d * h * w;
                for (int z = 0; z < od; z++)
                    for (int r = 0; r < oh; r++)
                        for (int c = 0; c < ow; c++)
                        {
                            double sum = 0;
                            for (int a = 0; a < kd; a++)
                            {
                                int iz = z * sd - padFront + a * dd;
                                if ((uint)iz >= (uint)d) continue;
                                for (int b = 0; b < kh; b++)
                                {
                                    int iy = r * sh - padTop + b * dh;
                                    if ((uint)iy >= (uint)h) continue;
                                    for (int e = 0; e < kw; e++)
                                    {
                                        int ix = c * sw - padLeft + e * dw;
                                        if ((uint)ix >= (uint)w) continue;
                                        sum += PowAbs(x[plane + (iz * h + iy) * w + ix], p);
                                    }
                                }
                            }
                            y[o++] = (float)Root(sum, p);
                        }
            }
        }

        /// <summary>GlobalLpPool: (sum of |x|^p over each plane)^(1/p).</summary>
        public static void GlobalLpPool(ReadOnlySpan<float> x, Span<float> y, int planes, int size, float p)
        {
            for (int pl = 0; pl < planes; pl++)
            {
                double sum = 0;
                var plane = x.Slice(pl * size, size);
                for (int i = 0; i < plane.Length; i++) sum += PowAbs(plane[i], p);
                y[pl] = (float)Root(sum, p);
            }
        }

        private static double PowAbs(float v, float p)
        {
            double a = Math.Abs((double)v);
            return p == 2f ? a * a : p == 1f ? a : Math.Pow(a, p);
        }

        private static double Root(double sum, float p) => p == 2f ? Math.Sqrt(sum) : p == 1f ? sum : Math.Pow(sum, 1.0 / p);

        /// <summary>
        /// ReverseSequence: along the time axis, the first seqLens[b] elements of batch b are reversed, the rest copied.
        /// </summary>
        public static void ReverseSequence<T>(ReadOnlySpan<T> x, ReadOnlySpan<long> seqLens, Span<T> y, ReadOnlySpan<int> shape, int batchAxis, int timeAxis)
        {
            int rank = shape.Length;
            int timeStride = 1;
            for (int k = timeAxis + 1; k < rank; k++) timeStride *= shape[k];
            int timeLen = shape[timeAxis];
            Span<int> idx = stackalloc int[rank];
            idx.Clear();
            for (int i = 0; i < x.Length; i++)
            {
                long len = seqLens[idx[batchAxis]];
                if (len < 0 || len > timeLen) throw new ArgumentOutOfRangeException(nameof(seqLens), "a sequence length is outside [0, time axis length]");
                int t = idx[timeAxis];
                int dst = t < len ? i + (int)(len - 1 - 2 * t) * timeStride : i;
                y[dst] = x[i];
                for (int d = rank - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
            }
        }

        /// <summary>Determinants of count m x m matrices (LU decomposition with partial pivoting in double; scratch m*m doubles).</summary>
        public static void Det(ReadOnlySpan<float> x, Span<float> y, int count, int m, Span<double> scratch)
        {
            var a = scratch.Slice(0, m * m);
            for (int b = 0; b < count; b++)
            {
                var src = x.Slice(b * m * m, m * m);
                for (int i = 0; i < a.Length; i++) a[i] = src[i];
                double det = 1;
                for (int c = 0; c < m; c++)
                {
                    int piv = c;
                    double best = Math.Abs(a[c * m + c]);
                    for (int r = c + 1; r < m; r++) { double v = Math.Abs(a[r * m + c]); if (v > best) { best = v; piv = r; } }
                    if (a[piv * m + c] == 0) { det = 0; break; }
                    if (piv != c)
                    {
                        for (int k = 0; k < m; k++) { double t = a[c * m + k]; a[c * m + k] = a[piv * m + k]; a[piv * m + k] = t; }
                        det = -det;
                    }
                    double d = a[c * m + c];
                    det *= d;
                    for (int r = c + 1; r < m; r++)
                    {
                        double f = a[r * m + c] / d;
                        if (f == 0) continue;
                        for (int k = c + 1; k < m; k++) a[r * m + k] -= f * a[c * m + k];
                    }
                }
                y[b] = (float)det;
            }
        }

        /// <summary>Selects along the middle axis of x viewed as [outer, axisLen, inner] the positions in indices (Compress with a constant condition).</summary>
        public static void SelectAxis<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> indices, Span<T> y, int outer, int axisLen, int inner)
        {
            int o = 0;
            for (int a = 0; a < outer; a++)
                for (int k = 0; k < indices.Length; k++)
                {
                    x.Slice((a * axisLen + indices[k]) * inner, inner).CopyTo(y.Slice(o, inner));
                    o += inner;
                }
        }

        /// <summary>
        /// Copies x into y where y index = x index - offset per axis; y elements with no x element are zero (CenterCropPad).
        /// </summary>
        public static void CropPad<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> inShape, ReadOnlySpan<int> outShape, ReadOnlySpan<int> offsets)
        {
            int rank = outShape.Length;
            Span<int> idx = stackalloc int[Math.Max(rank, 1)];
            idx.Clear();
            for (int i = 0; i < y.Length; i++)
            {
                int src = 0;
                bool inside = true;
                for (int d = 0; d < rank; d++)
                {
                    int s = idx[d] + offsets[d];
                    if ((uint)s >= (uint)inShape[d]) { inside = false; break; }
                    src = src * inShape[d] + s;
                }
                y[i] = inside ? x[src] : default!;
                for (int d = rank - 1; d >= 0; d--) { if (++idx[d] < outShape[d]) break; idx[d] = 0; }
            }
        }

        /// <summary>
        /// Col2Im: x is [batch, channels * prod(block), L]; each column's block is added into the image [batch, channels, image...]
        /// at its sliding-window position (strides, dilations, begin pads; blocks counts per axis in blocksPerAxis).
        /// </summary>
        public static void Col2Im(ReadOnlySpan<float> x, Span<float> y, int batch, int channels, ReadOnlySpan<int> image, ReadOnlySpan<int> block,
            ReadOnlySpan<int> blocksPerAxis, ReadOnlySpan<int> strides, ReadOnlySpan<int> dilations, ReadOnlySpan<int> padBegin)
        {
            int rank = image.Length;
            int blockSize = 1, imageSize = 1, columns = 1;
            for (int d = 0; d < rank; d++) { blockSize *= block[d]; imageSize *= image[d]; columns *= blocksPerAxis[d]; }
            y.Slice(0, batch * channels * imageSize).Clear();
            Span<int> bi = stackalloc int[rank];
            Span<int> li = stackalloc int[rank];
            for (int n = 0; n < batch; n++)
                for (int c = 0; c < channels; c++)
                {
                    var img = y.Slice((n * channels + c) * imageSize, imageSize);
                    bi.Clear();
                    for (int k = 0; k < blockSize; k++)
                    {
                        var col = x.Slice(((n * channels + c) * blockSize + k) * columns, columns);
                        li.Clear();
                        for (int l = 0; l < columns; l++)
                        {
                            int dst = 0;
                            bool inside = true;
                            for (int d = 0; d < rank; d++)
                            {
                                int p = li[d] * strides[d] - padBegin[d] + bi[d] * dilations[d];
                                if ((uint)p >= (uint)image[d]) { inside = false; break; }
                                dst = dst * image[d] + p;
                            }
                            if (inside) img[dst] += col[l];
                            for (int d = rank - 1; d >= 0; d--) { if (++li[d] < blocksPerAxis[d]) break; li[d] = 0; }
                        }
                        for (int d = rank - 1; d >= 0; d--) { if (++bi[d] < block[d]) break; bi[d] = 0; }
                    }
                }
        }
    }

    internal struct TanOp : IUnaryOp { public static float Apply(float x) => MathF.Tan(x); }
    internal struct AsinOp : IUnaryOp { public static float Apply(float x) => MathF.Asin(x); }
    internal struct AcosOp : IUnaryOp { public static float Apply(float x) => MathF.Acos(x); }
    internal struct AtanOp : IUnaryOp { public static float Apply(float x) => MathF.Atan(x); }
    internal struct SinhOp : IUnaryOp { public static float Apply(float x) => MathF.Sinh(x); }
    internal struct CoshOp : IUnaryOp { public static float Apply(float x) => MathF.Cosh(x); }
    internal struct AsinhOp : IUnaryOp { public static float Apply(float x) => MathF.Asinh(x); }
    internal struct AcoshOp : IUnaryOp { public static float Apply(float x) => MathF.Acosh(x); }
    internal struct AtanhOp : IUnaryOp { public static float Apply(float x) => MathF.Atanh(x); }

    internal struct BitAndOp<T> : IBinaryOp<T, T> where T : IBinaryInteger<T> { public static T Apply(T a, T b) => a & b; }
    internal struct BitOrOp<T> : IBinaryOp<T, T> where T : IBinaryInteger<T> { public static T Apply(T a, T b) => a | b; }
    internal struct BitXorOp<T> : IBinaryOp<T, T> where T : IBinaryInteger<T> { public static T Apply(T a, T b) => a ^ b; }

    /// <summary>BitShift on unsigned integers: a shift by the bit width or more gives 0 (not C#'s masked shift count).</summary>
    internal struct ShiftLeftOp<T> : IBinaryOp<T, T> where T : IBinaryInteger<T>, IUnsignedNumber<T>
    {
        public static T Apply(T a, T b) => b >= T.CreateTruncating(Unsafe.SizeOf<T>() * 8) ? T.Zero : a << int.CreateTruncating(b);
    }

    internal struct ShiftRightOp<T> : IBinaryOp<T, T> where T : IBinaryInteger<T>, IUnsignedNumber<T>
    {
        public static T Apply(T a, T b) => b >= T.CreateTruncating(Unsafe.SizeOf<T>() * 8) ? T.Zero : a >>> int.CreateTruncating(b);
    }
}
