using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace QuantGen.Kernels
{
    /// <summary>2-D pooling in NCHW (1-D pooling is 2-D with H = 1) and 3-D pooling in NCDHW. Output sizes (ceil_mode, auto_pad) are decided at build time.</summary>
    internal static class Pool
    {
        public static void Max2D(ReadOnlySpan<float> x, Span<float> y, int planes, int h, int wd, int oh, int ow,
            int kh, int kw, int strideH, int strideW, int dilH, int dilW, int padTop, int padLeft)
        {
            if (padTop == 0 && padLeft == 0 && dilH == 1 && dilW == 1 && (oh - 1) * strideH + kh <= h && (ow - 1) * strideW + kw <= wd)
            {
                MaxValid(x, y, planes, h, wd, oh, ow, kh, kw, strideH, strideW);
                return;
            }
            for (int p = 0; p < planes; p++)
            {
                var src = x.Slice(p * h * wd, h * wd);
                var dst = y.Slice(p * oh * ow, oh * ow);
                for (int oy = 0; oy < oh; oy++)
                {
                    for (int ox = 0; ox < ow; ox++)
                    {
                        float m = float.NegativeInfinity;
                        for (int i = 0; i < kh; i++)
                        {
                            int iy = oy * strideH - padTop + i * dilH;
                            if ((uint)iy >= (uint)h) continue;
                            for (int j = 0; j < kw; j++)
                            {
                                int ix = ox * strideW - padLeft + j * dilW;
                                if ((uint)ix >= (uint)wd) continue;
                                float v = src[iy * wd + ix];
                                if (v > m || float.IsNaN(v)) m = v;
                            }
                        }
                        dst[oy * ow + ox] = m;
                    }
                }
            }
        }

        /// <summary>Max pooling where every window lies inside the input (no padding, no dilation): no bounds checks per tap.</summary>
        private static void MaxValid(ReadOnlySpan<float> x, Span<float> y, int planes, int h, int wd, int oh, int ow, int kh, int kw, int strideH, int strideW)
        {
            if (x.Length < planes * h * wd || y.Length < planes * oh * ow) throw new ArgumentException("pool operand too small");
            ref float px = ref MemoryMarshal.GetReference(x);
            ref float py = ref MemoryMarshal.GetReference(y);
            for (int p = 0; p < planes; p++)
            {
                ref float src = ref Unsafe.Add(ref px, p * h * wd);
                ref float dst = ref Unsafe.Add(ref py, p * oh * ow);
                for (int oy = 0; oy < oh; oy++)
                {
                    for (int ox = 0; ox < ow; ox++)
                    {
                        ref float w0 = ref Unsafe.Add(ref src, oy * strideH * wd + ox * strideW);
                        float m = w0;
                        for (int i = 0; i < kh; i++)
                        {
                            ref float row = ref Unsafe.Add(ref w0, i * wd);
                            for (int j = 0; j < kw; j++)
                            {
                                float v = Unsafe.Add(ref row, j);
                                if (v > m || float.IsNaN(v)) m = v;
                            }
                        }
                        Unsafe.Add(ref dst, oy * ow + ox) = m;
                    }
                }
            }
        }

        /// <param name="countIncludePad">Divide by the whole window (pads count, not the part past the padded edge) rather than the valid elements.</param>
        public static void Average2D(ReadOnlySpan<float> x, Span<float> y, int planes, int h, int wd, int oh, int ow,
            int kh, int kw, int strideH, int strideW, int dilH, int dilW, int padTop, int padLeft, int padBottom, int padRight, bool countIncludePad)
        {
            for (int p = 0; p < planes; p++)
            {
                var src = x.Slice(p * h * wd, h * wd);
                var dst = y.Slice(p * oh * ow, oh * ow);
                for (int oy = 0; oy < oh; oy++)
                {
                    for (int ox = 0; ox < ow; ox++)
                    {
                        float sum = 0f;
                        int count = 0, padded = 0;
                        for (int i = 0; i < kh; i++)
                        {
                            int iy = oy * strideH - padTop + i * dilH;
                            bool rowInPad = iy >= -padTop && iy < h + padBottom;
                            for (int j = 0; j < kw; j++)
                            {
                                int ix = ox * strideW - padLeft + j * dilW;
                                if (rowInPad && ix >= -padLeft && ix < wd + padRight) padded++;
                                if ((uint)iy >= (uint)h || (uint)ix >= (uint)wd) continue;
                                sum += src[iy * wd + ix];
                                count++;
                            }
                        }
                        int div = countIncludePad ? padded : count;
                        dst[oy * ow + ox] = div == 0 ? 0f : sum / div;
                    }
                }
            }
        }

        /// <summary>3-D max pooling in NCDHW (window taps outside the input are skipped; NaN propagates).</summary>
        public static void Max3D(ReadOnlySpan<float> x, Span<float> y, int planes, int d, int h, int wd, int od, int oh, int ow,
            int kd, int kh, int kw, int strideD, int strideH, int strideW, int dilD, int dilH, int dilW, int padFront, int padTop, int padLeft)
        {
            int inPlane = d * h * wd, outPlane = od * oh * ow;
            for (int p = 0; p < planes; p++)
            {
                var src = x.Slice(p * inPlane, inPlane);
                var dst = y.Slice(p * outPlane, outPlane);
                for (int oz = 0; oz < od; oz++)
                    for (int oy = 0; oy < oh; oy++)
                        for (int ox = 0; ox < ow; ox++)
                        {
                            float m = float.NegativeInfinity;
                            for (int a = 0; a < kd; a++)
                            {
                                int iz = oz * strideD - padFront + a * dilD;
                                if ((uint)iz >= (uint)d) continue;
                                for (int i = 0; i < kh; i++)
                                {
                                    int iy = oy * strideH - padTop + i * dilH;
                                    if ((uint)iy >= (uint)h) continue;
                                    for (int j = 0; j < kw; j++)
                                    {
                                        int ix = ox * strideW - padLeft + j * dilW;
                                        if ((uint)ix >= (uint)wd) continue;
                                        float v = src[(iz * h + iy) * wd + ix];
                                        if (v > m || float.IsNaN(v)) m = v;
                                    }
                                }
                            }
                            dst[(oz * oh + oy) * ow + ox] = m;
                        }
            }
        }

        /// <param name="countIncludePad">Divide by the taps inside the padded input rather than by the taps inside the input.</param>
        public static void Average3D(ReadOnlySpan<float> x, Span<float> y, int planes, int d, int h, int wd, int od, int oh, int ow,
            int kd, int kh, int kw, int strideD, int strideH, int strideW, int dilD, int dilH, int dilW,
            int padFront, int padTop, int padLeft, int padBack, int padBottom, int padRight, bool countIncludePad)
        {
            int inPlane = d * h * wd, outPlane = od * oh * ow;
            for (int p = 0; p < planes; p++)
            {
                var src = x.Slice(p * inPlane, inPlane);
                var dst = y.Slice(p * outPlane, outPlane);
                for (int oz = 0; oz < od; oz++)
                    for (int oy = 0; oy < oh; oy++)
                        for (int ox = 0; ox < ow; ox++)
                        {
                            float sum = 0f;
                            int count = 0, padded = 0;
                            for (int a = 0; a < kd; a++)
                            {
                                int iz = oz * strideD - padFront + a * dilD;
                                bool planeInPad = iz >= -padFront && iz < d + padBack;
                                for (int i = 0; i < kh; i++)
                                {
                                    int iy = oy * strideH - padTop + i * dilH;
                                    bool rowInPad = planeInPad && iy >= -padTop && iy < h + padBottom;
                                    for (int j = 0; j < kw; j++)
                                    {
                                        int ix = ox * strideW - padLeft + j * dilW;
                                        if (rowInPad && ix >= -padLeft && ix < wd + padRight) padded++;
                                        if ((uint)iz >= (uint)d || (uint)iy >= (uint)h || (uint)ix >= (uint)wd) continue;
                                        sum += src[(iz * h + iy) * wd + ix];
                                        count++;
                                    }
                                }
                            }
                            int div = countIncludePad ? padded : count;
                            dst[(oz * oh + oy) * ow + ox] = div == 0 ? 0f : sum / div;
                        }
            }
        }

        /// <summary>Mean of each contiguous plane of <paramref name="size"/> elements.</summary>
        public static void GlobalAverage(ReadOnlySpan<float> x, Span<float> y, int planes, int size)
        {
            for (int p = 0; p < planes; p++)
            {
                var s = x.Slice(p * size, size);
                float sum = 0f;
                for (int i = 0; i < s.Length; i++) sum += s[i];
                y[p] = sum / size;
            }
        }

        public static void GlobalMax(ReadOnlySpan<float> x, Span<float> y, int planes, int size)
        {
            for (int p = 0; p < planes; p++)
            {
                var s = x.Slice(p * size, size);
                float m = float.NegativeInfinity;
                for (int i = 0; i < s.Length; i++) if (s[i] > m || float.IsNaN(s[i])) m = s[i];
                y[p] = m;
            }
        }
    }
}
