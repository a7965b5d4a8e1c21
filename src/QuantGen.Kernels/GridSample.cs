using System;

namespace QuantGen.Kernels
{
    /// <summary>
    /// ONNX GridSample on float32 over 1 to 3 spatial axes. Each output point's taps (1 nearest, 2 linear, 4 cubic per
    /// axis) and weights are found once, then applied to every channel.
    /// </summary>
    internal static class GridSample
    {
        /// <param name="dims">N, C, output points per plane, mode (0 nearest, 1 linear, 2 cubic), padding (0 zeros,
        /// 1 border, 2 reflection), align_corners (0/1), then the input's spatial sizes (outermost first).</param>
        public static void Run(ReadOnlySpan<float> x, ReadOnlySpan<float> grid, Span<float> y, ReadOnlySpan<int> dims)
        {
            int nb = dims[0], nc = dims[1], outPoints = dims[2], mode = dims[3], padding = dims[4];
            bool align = dims[5] != 0;
            int r = dims.Length - 6;
            if (r < 1 || r > 3) throw new ArgumentException("GridSample: 1 to 3 spatial axes");
            Span<int> size = stackalloc int[3];
            int plane = 1;
            for (int a = 0; a < r; a++) { size[a] = dims[6 + a]; plane *= size[a]; }
            if (x.Length < (long)nb * nc * plane || grid.Length < (long)nb * outPoints * r || y.Length < (long)nb * nc * outPoints)
                throw new ArgumentException("grid sample operand too small");
            if (plane == 0) { y.Slice(0, nb * nc * outPoints).Clear(); return; } // an empty input axis: every tap is padding
            int taps = mode == 0 ? 1 : mode == 1 ? 2 : 4;
            Span<int> idx = stackalloc int[12];      // per axis: tap element offsets (-1 = zero padding)
            Span<float> wts = stackalloc float[12];  // per axis: tap weights
            Span<int> strides = stackalloc int[3];
            int st = 1;
            for (int a = r - 1; a >= 0; a--) { strides[a] = st; st *= size[a]; }
            int combos = taps * (r > 1 ? taps : 1) * (r > 2 ? taps : 1);
            for (int b = 0; b < nb; b++)
                for (int o = 0; o < outPoints; o++)
                {
                    var g = grid.Slice((b * outPoints + o) * r, r);
                    for (int a = 0; a < r; a++)
                    {
                        int dim = size[a];
                        float lo = align ? 0f : -0.5f, hi = align ? dim - 1f : dim - 0.5f;
                        float c = g[r - 1 - a]; // the grid lists the innermost axis first
                        float u = align ? (c + 1f) / 2f * (dim - 1) : ((c + 1f) * dim - 1f) / 2f;
                        if (mode == 0) u = MathF.Round(u, MidpointRounding.ToEven); // nearest: ties to even on every axis count (as the ONNX test data)
                        if (u < lo || u > hi)
                        {
                            // Border: the coordinate is clamped, except in cubic mode, where each of the 4 taps is clamped
                            // (as PyTorch and ONNX Runtime do; the ONNX reference clamps the coordinate in every mode).
                            if (padding == 1 && mode != 2) u = Math.Clamp(u, 0f, dim - 1f);
                            else if (padding == 2) u = Reflect(u, lo, hi);
                        }
                        if (mode == 0)
                        {
                            idx[a * 4] = Tap(Index(u), dim, padding, lo, hi);
                            wts[a * 4] = 1f;
                            continue;
                        }
                        float f = MathF.Floor(u);
                        int i0 = Index(f);
                        float t = u - f;
                        if (mode == 1)
                        {
                            idx[a * 4] = Tap(i0, dim, padding, lo, hi); wts[a * 4] = 1f - t;
                            idx[a * 4 + 1] = Tap(i0 + 1, dim, padding, lo, hi); wts[a * 4 + 1] = t;
                        }
                        else
                        {
                            const float A = -0.75f;
                            float t1 = t + 1f, t2 = 1f - t, t3 = 2f - t;
                            wts[a * 4] = ((A * t1 - 5f * A) * t1 + 8f * A) * t1 - 4f * A;
                            wts[a * 4 + 1] = ((A + 2f) * t - (A + 3f)) * t * t + 1f;
                            wts[a * 4 + 2] = ((A + 2f) * t2 - (A + 3f)) * t2 * t2 + 1f;
                            wts[a * 4 + 3] = ((A * t3 - 5f * A) * t3 + 8f * A) * t3 - 4f * A;
                            for (int k = 0; k < 4; k++) idx[a * 4 + k] = Tap(i0 - 1 + k, dim, padding, lo, hi);
                        }
                    }
                    for (int ch = 0; ch < nc; ch++)
                    {
                        var xp = x.Slice((b * nc + ch) * plane, plane);
                        float acc = 0f;
                        for (int combo = 0; combo < combos; combo++)
                        {
                            int rest = combo, off = 0;
                            float w = 1f;
                            bool zero = false;
                            for (int a = r - 1; a >= 0; a--)
                            {
                                int k = rest % taps; rest /= taps;
                                int i = idx[a * 4 + k];
                                if (i < 0) { zero = true; break; }
                                off += i * strides[a];
                                w *= wts[a * 4 + k];
                            }
                            if (!zero) acc += w * xp[off];
                        }
                        y[(b * nc + ch) * outPoints + o] = acc;
                    }
                }
        }

        private const int Far = -1_000_000_000;

        /// <summary>Truncates a coordinate to an index; NaN and coordinates beyond +-1e9 become <see cref="Far"/> (a zero tap).</summary>
        private static int Index(float f) => f > -1e9f && f < 1e9f ? (int)f : Far;

        /// <summary>The element index of tap i on an axis of size dim under the padding mode, or -1 for a zero tap.</summary>
        private static int Tap(int i, int dim, int padding, float lo, float hi)
        {
            if (i >= 0 && i < dim) return i;
            if (padding == 0) return -1;
            if (padding == 1) return i < 0 ? 0 : dim - 1;
            if (i < Far + 8) return -1;
            int j = (int)Reflect(i, lo, hi);
            return j >= 0 && j < dim ? j : Math.Clamp(j, 0, dim - 1);
        }

        /// <summary>Reflects v at the borders lo and hi until it lies within them.</summary>
        private static float Reflect(float v, float lo, float hi)
        {
            float range = hi - lo;
            if (range <= 0f || float.IsNaN(v)) return lo;
            if (v < lo)
            {
                float dx = lo - v;
                float n = MathF.Floor(dx / range);
                float rem = dx - n * range;
                return n % 2f == 0f ? lo + rem : hi - rem;
            }
            if (v > hi)
            {
                float dx = v - hi;
                float n = MathF.Floor(dx / range);
                float rem = dx - n * range;
                return n % 2f == 0f ? hi - rem : lo + rem;
            }
            return v;
        }
    }
}
