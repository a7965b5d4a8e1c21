// quantgen-kernel-uses: GemmF32, Activation
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantGen.Kernels
{
    /// <summary>
    /// Float32 convolution in NCHW (1-D convolution is 2-D with H = 1): per image and group, the input patch
    /// matrix (im2col, K = Cin/group*kh*kw rows by OH*OW columns) is multiplied by the weights [Cout/group, K]
    /// with the bias and activation in the GEMM epilogue. A 1x1, stride-1, unpadded convolution multiplies the
    /// input directly. Weights are laid out as ONNX stores them: [Cout, Cin/group, kh, kw].
    /// </summary>
    internal static class ConvF32
    {
        /// <summary>Floats of scratch <see cref="Conv2D"/> needs for these sizes.</summary>
        public static long ScratchFloats(int cinPerGroup, int kh, int kw, int oh, int ow, bool pointwise) =>
            pointwise ? 0 : (long)cinPerGroup * kh * kw * oh * ow;

        public static void Conv2D(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, Span<float> cols,
            int batch, int cin, int h, int wd, int cout, int oh, int ow, int kh, int kw,
            int strideH, int strideW, int dilH, int dilW, int padTop, int padLeft, int group,
            int act, float actA, float actB)
        {
            int cinG = cin / group, coutG = cout / group;
            int k = cinG * kh * kw, n = oh * ow;
            bool pointwise = kh == 1 && kw == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0 && oh == h && ow == wd;
            if (x.Length < (long)batch * cin * h * wd || y.Length < (long)batch * cout * n || w.Length < (long)cout * k)
                throw new ArgumentException("Conv operand too small");
            for (int b = 0; b < batch; b++)
            {
                for (int g = 0; g < group; g++)
                {
                    var xg = x.Slice((b * cin + g * cinG) * h * wd, cinG * h * wd);
                    ReadOnlySpan<float> bmat;
                    if (pointwise) bmat = xg;
                    else
                    {
                        Im2Col(xg, cols, cinG, h, wd, oh, ow, kh, kw, strideH, strideW, dilH, dilW, padTop, padLeft);
                        bmat = cols;
                    }
                    GemmF32.Run(coutG, n, k, w.Slice(g * coutG * k), k, bmat, n, y.Slice((b * cout + g * coutG) * n), n,
                        bias.IsEmpty ? bias : bias.Slice(g * coutG), bias.IsEmpty ? GemmF32.BiasNone : GemmF32.BiasPerRow, act, actA, actB);
                }
            }
        }

        /// <summary>cols[(c*kh + i)*kw + j][oy*ow + ox] = x[c][oy*sh - pt + i*dh][ox*sw - pl + j*dw] (0 outside).</summary>
        public static void Im2Col(ReadOnlySpan<float> x, Span<float> cols, int c, int h, int wd, int oh, int ow, int kh, int kw,
            int strideH, int strideW, int dilH, int dilW, int padTop, int padLeft)
        {
            int n = oh * ow;
            int row = 0;
            for (int ci = 0; ci < c; ci++)
            {
                var plane = x.Slice(ci * h * wd, h * wd);
                for (int i = 0; i < kh; i++)
                {
                    for (int j = 0; j < kw; j++, row++)
                    {
                        var dst = cols.Slice(row * n, n);
                        // Output columns whose input column is inside the row, ox in [lo, hi), depend on j only.
                        int ix0 = -padLeft + j * dilW;
                        int lo = ix0 >= 0 ? 0 : Math.Min(ow, (-ix0 + strideW - 1) / strideW);
                        int hi = wd - ix0 <= 0 ? 0 : Math.Min(ow, (wd - ix0 + strideW - 1) / strideW);
                        if (hi < lo) hi = lo;
                        for (int oy = 0; oy < oh; oy++)
                        {
                            int iy = oy * strideH - padTop + i * dilH;
                            var drow = dst.Slice(oy * ow, ow);
                            if ((uint)iy >= (uint)h) { drow.Clear(); continue; }
                            var srow = plane.Slice(iy * wd, wd);
                            for (int ox = 0; ox < lo; ox++) drow[ox] = 0f;
                            for (int ox = hi; ox < ow; ox++) drow[ox] = 0f;
                            if (strideW == 1) CopyRun(srow.Slice(ix0 + lo, hi - lo), drow.Slice(lo, hi - lo));
                            else GatherStrided(srow, drow, ix0, strideW, lo, hi);
                        }
                    }
                }
            }
        }

        /// <summary>src to dst (same length) in whole vectors, the last one overlapping: the rows of small images are 7-28
        /// floats, for which a memmove call costs more than the copy (measured: NativeAOT's mnist convolutions).</summary>
        private static void CopyRun(ReadOnlySpan<float> src, Span<float> dst)
        {
            int count = src.Length;
            if (dst.Length < count) throw new ArgumentException("CopyRun: destination too short");
            ref float s = ref MemoryMarshal.GetReference(src);
            ref float d = ref MemoryMarshal.GetReference(dst);
            if (Vector256.IsHardwareAccelerated && count >= 8)
            {
                int t = 0;
                for (; t <= count - 8; t += 8) Vector256.LoadUnsafe(ref s, (nuint)t).StoreUnsafe(ref d, (nuint)t);
                if (t < count) Vector256.LoadUnsafe(ref s, (nuint)(count - 8)).StoreUnsafe(ref d, (nuint)(count - 8));
            }
            else if (Vector128.IsHardwareAccelerated && count >= 4)
            {
                int t = 0;
                for (; t <= count - 4; t += 4) Vector128.LoadUnsafe(ref s, (nuint)t).StoreUnsafe(ref d, (nuint)t);
                if (t < count) Vector128.LoadUnsafe(ref s, (nuint)(count - 4)).StoreUnsafe(ref d, (nuint)(count - 4));
            }
            else
                for (int t = 0; t < count; t++) Unsafe.Add(ref d, t) = Unsafe.Add(ref s, t);
        }

        /// <summary>drow[ox] = srow[ox * stride + ix0] for ox in [lo, hi). Kept out of <see cref="Im2Col"/>'s loop, whose
        /// registers it would otherwise take (measured: NativeAOT spilled the unit-stride loop's indices).</summary>
        private static void GatherStrided(ReadOnlySpan<float> srow, Span<float> drow, int ix0, int stride, int lo, int hi)
        {
            int ox = lo;
            if (stride == 2 && Avx2.IsSupported)
            {
                // 8 outputs from 16 inputs: the even lanes of two vectors (vshufps, then vpermpd puts them in order).
                ref float ps = ref MemoryMarshal.GetReference(srow);
                ref float pd = ref MemoryMarshal.GetReference(drow);
                for (; ox + 8 <= hi && 2 * ox + ix0 + 16 <= srow.Length; ox += 8)
                {
                    var v0 = Vector256.LoadUnsafe(ref ps, (nuint)(2 * ox + ix0));
                    var v1 = Vector256.LoadUnsafe(ref ps, (nuint)(2 * ox + ix0 + 8));
                    Avx2.Permute4x64(Avx.Shuffle(v0, v1, 0x88).AsDouble(), 0xD8).AsSingle().StoreUnsafe(ref pd, (nuint)ox);
                }
            }
            for (; ox < hi; ox++) drow[ox] = srow[ox * stride + ix0];
        }
    }
}
