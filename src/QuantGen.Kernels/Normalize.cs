using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace QuantGen.Kernels
{
    /// <summary>
    /// Normalizations over contiguous rows, with sums in double: LayerNormalization and RMSNormalization
    /// (<see cref="Rows"/>), InstanceNormalization and GroupNormalization (<see cref="Groups"/>), LpNormalization
    /// (<see cref="Lp"/>).
    /// </summary>
    internal static class Normalize
    {
        /// <summary>
        /// Each of <paramref name="rows"/> rows of <paramref name="n"/> floats: y = (x - mean) / sqrt(var + eps) * scale + bias
        /// (or with <paramref name="rms"/>: y = x / sqrt(mean(x^2) + eps) * scale). Scale and bias hold <paramref name="n"/>
        /// values per row and advance by their row stride (0: shared by all rows); bias may be empty. Mean and invStd
        /// (one value per row) are written when not empty.
        /// </summary>
        public static void Rows(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> scale, int scaleRowStride,
            ReadOnlySpan<float> bias, int biasRowStride, Span<float> mean, Span<float> invStd, int rows, int n, float eps, bool rms)
        {
            if (x.Length < (long)rows * n || y.Length < (long)rows * n) throw new ArgumentException("Normalize operand too small");
            for (int r = 0; r < rows; r++)
            {
                var xr = x.Slice(r * n, n);
                var yr = y.Slice(r * n, n);
                var sr = scale.Slice(r * scaleRowStride, n);
                var (mf, inv) = Moments(xr, eps, !rms);
                if (!mean.IsEmpty) mean[r] = mf;
                if (!invStd.IsEmpty) invStd[r] = inv;
                Affine(xr, yr, sr, bias.IsEmpty ? bias : bias.Slice(r * biasRowStride, n), mf, inv);
            }
        }

        /// <summary>y = (x - mean) * inv * scale (+ bias), element by element in that order: every vector width gives the scalar bits.</summary>
        private static void Affine(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, float mean, float inv)
        {
            int n = x.Length, i = 0;
            bool hasBias = !bias.IsEmpty;
            ref float px = ref MemoryMarshal.GetReference(x);
            ref float py = ref MemoryMarshal.GetReference(y);
            ref float ps = ref MemoryMarshal.GetReference(scale);
            ref float pb = ref MemoryMarshal.GetReference(bias);
            if (Vector256.IsHardwareAccelerated)
            {
                var vm = Vector256.Create(mean);
                var vi = Vector256.Create(inv);
                for (; i <= n - 8; i += 8)
                {
                    var v = (Vector256.LoadUnsafe(ref px, (nuint)i) - vm) * vi * Vector256.LoadUnsafe(ref ps, (nuint)i);
                    if (hasBias) v += Vector256.LoadUnsafe(ref pb, (nuint)i);
                    v.StoreUnsafe(ref py, (nuint)i);
                }
            }
            else if (Vector128.IsHardwareAccelerated)
            {
                var vm = Vector128.Create(mean);
                var vi = Vector128.Create(inv);
                for (; i <= n - 4; i += 4)
                {
                    var v = (Vector128.LoadUnsafe(ref px, (nuint)i) - vm) * vi * Vector128.LoadUnsafe(ref ps, (nuint)i);
                    if (hasBias) v += Vector128.LoadUnsafe(ref pb, (nuint)i);
                    v.StoreUnsafe(ref py, (nuint)i);
                }
            }
            for (; i < n; i++)
            {
                float v = (Unsafe.Add(ref px, i) - mean) * inv * Unsafe.Add(ref ps, i);
                Unsafe.Add(ref py, i) = hasBias ? v + Unsafe.Add(ref pb, i) : v;
            }
        }

        /// <summary>
        /// GroupNormalization / InstanceNormalization on [batch, channels, spatial]: the channels of each image form
        /// <paramref name="groups"/> groups normalized together; then y = norm * scale + bias with one scale and bias per
        /// channel, or per group when <paramref name="perGroupAffine"/> (GroupNormalization opset 18).
        /// </summary>
        public static void Groups(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias,
            int batch, int channels, int groups, int spatial, float eps, bool perGroupAffine)
        {
            int cg = channels / groups, n = cg * spatial;
            if (x.Length < (long)batch * channels * spatial || y.Length < (long)batch * channels * spatial) throw new ArgumentException("Normalize operand too small");
            for (int r = 0; r < batch * groups; r++)
            {
                var xr = x.Slice(r * n, n);
                var yr = y.Slice(r * n, n);
                var (mf, inv) = Moments(xr, eps, true);
                int g = r % groups;
                for (int c = 0; c < cg; c++)
                {
                    int a = perGroupAffine ? g : g * cg + c;
                    float s = scale[a] * inv, b = bias[a];
                    int o = c * spatial;
                    for (int i = 0; i < spatial; i++) yr[o + i] = (xr[o + i] - mf) * s + b;
                }
            }
        }

        /// <summary>
        /// The mean (0 without <paramref name="centered"/>, as RMSNormalization) and 1 / sqrt(mean (x - mean)^2 + eps) of one
        /// row, summed in double.
        /// </summary>
        private static (float Mean, float InvStd) Moments(ReadOnlySpan<float> xr, float eps, bool centered)
        {
            // Four running sums (element i into sum i % 4, combined (s0 + s1) + (s2 + s3)): four independent add chains instead of
            // one, in a fixed order, so the result is the same on every machine.
            int n = xr.Length, i;
            double m = 0;
            if (centered)
            {
                double m0 = 0, m1 = 0, m2 = 0, m3 = 0;
                for (i = 0; i <= n - 4; i += 4) { m0 += xr[i]; m1 += xr[i + 1]; m2 += xr[i + 2]; m3 += xr[i + 3]; }
                if (i < n) m0 += xr[i];
                if (i + 1 < n) m1 += xr[i + 1];
                if (i + 2 < n) m2 += xr[i + 2];
                m = ((m0 + m1) + (m2 + m3)) / n;
            }
            double v0 = 0, v1 = 0, v2 = 0, v3 = 0;
            for (i = 0; i <= n - 4; i += 4)
            {
                double d0 = xr[i] - m, d1 = xr[i + 1] - m, d2 = xr[i + 2] - m, d3 = xr[i + 3] - m;
                v0 += d0 * d0; v1 += d1 * d1; v2 += d2 * d2; v3 += d3 * d3;
            }
            if (i < n) { double d = xr[i] - m; v0 += d * d; }
            if (i + 1 < n) { double d = xr[i + 1] - m; v1 += d * d; }
            if (i + 2 < n) { double d = xr[i + 2] - m; v2 += d * d; }
            double v = ((v0 + v1) + (v2 + v3)) / n;
            return ((float)m, (float)(1.0 / Math.Sqrt(v + eps)));
        }

        /// <summary>LpNormalization over the middle axis of [outer, n, inner]: y = x / ||x||_p (p = 1 or 2); a zero norm gives 0.</summary>
        public static void Lp(ReadOnlySpan<float> x, Span<float> y, int outer, int n, int inner, int p)
        {
            if (x.Length < (long)outer * n * inner || y.Length < (long)outer * n * inner) throw new ArgumentException("Normalize operand too small");
            for (int o = 0; o < outer; o++)
            {
                for (int j = 0; j < inner; j++)
                {
                    int b = o * n * inner + j;
                    double s = 0;
                    for (int i = 0; i < n; i++) { double v = x[b + i * inner]; s += p == 1 ? Math.Abs(v) : v * v; }
                    float norm = (float)(p == 1 ? s : Math.Sqrt(s));
                    for (int i = 0; i < n; i++) y[b + i * inner] = norm == 0f ? 0f : x[b + i * inner] / norm;
                }
            }
        }
    }
}
