// quantgen-kernel-uses: QGemm, QuantizeDynamic, QLinear, Tensor
using System;

namespace QuantGen.Kernels
{
    /// <summary>
    /// Int8 convolution (NCHW in and out; 1-D as H = 1) on the packed int8 GEMM. Per call: the float input is quantized
    /// to uint8 (dynamic: scale and zero point measured from this input; static: calibrated at build time), each image and
    /// group is unrolled into patch rows [OH*OW, K = Cin/group*kh*kw] with padding set to the zero point (so padding is
    /// exactly 0), multiplied by the prepacked weights W^T [K, Cout/group] with dequantization, bias and clamp fused,
    /// and the [OH*OW, Cout/group] result is transposed into the NCHW output. Weights of every group are packed one after
    /// the other (QGemm layout), with their column sums.
    /// </summary>
    internal static class ConvQ8
    {
        /// <summary>Bytes of scratch <see cref="Conv2D"/> needs.</summary>
        public static long ScratchBytes(int batch, int cin, int h, int w, int cout, int oh, int ow, int kh, int kw, int group) =>
            Align((long)batch * cin * h * w) + Align((long)oh * ow * (cin / group) * kh * kw) + 4L * oh * ow * (cout / group);

        private static long Align(long bytes) => (bytes + 63) / 64 * 64;

        /// <param name="staticScale">The calibrated input scale, or 0 to measure the input on every call (dynamic).</param>
        public static void Conv2D(ReadOnlySpan<float> x, ReadOnlySpan<sbyte> packedW, ReadOnlySpan<int> colSums, ReadOnlySpan<float> wScale,
            ReadOnlySpan<float> bias, Span<float> y, Span<byte> scratch,
            int batch, int cin, int h, int wd, int cout, int oh, int ow, int kh, int kw,
            int strideH, int strideW, int dilH, int dilW, int padTop, int padLeft, int group,
            float lo, float hi, float staticScale, int staticZeroPoint)
        {
            int cinG = cin / group, coutG = cout / group, k = cinG * kh * kw, p = oh * ow;
            int packedPerGroup = QGemm.PackedLength(k, coutG), sumsPerGroup = QGemm.ColSumsLength(coutG);
            long qBytes = Align((long)batch * cin * h * wd), rowBytes = Align((long)p * k);
            if (scratch.Length < qBytes + rowBytes + 4L * p * coutG) throw new ArgumentException("ConvQ8: scratch too small");
            if (y.Length < (long)batch * cout * p || packedW.Length < (long)packedPerGroup * group) throw new ArgumentException("ConvQ8: operand too small");
            var xq = scratch.Slice(0, batch * cin * h * wd);
            var rows = scratch.Slice((int)qBytes, p * k);
            var yt = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(scratch.Slice((int)(qBytes + rowBytes), 4 * p * coutG));

            float scaleA;
            int zeroA;
            if (staticScale == 0f)
            {
                var (s, z) = QuantizeDynamic.Run(x, xq);
                scaleA = s; zeroA = z;
            }
            else
            {
                QLinear.QuantizeU8(x, xq, stackalloc float[] { staticScale }, stackalloc byte[] { (byte)staticZeroPoint }, 1, 1, x.Length);
                scaleA = staticScale; zeroA = staticZeroPoint;
            }

            Span<int> nhwcShape = stackalloc int[] { coutG, p };
            Span<int> nhwcStrides = stackalloc int[] { 1, coutG };
            for (int b = 0; b < batch; b++)
            {
                for (int g = 0; g < group; g++)
                {
                    Im2Row(xq.Slice((b * cin + g * cinG) * h * wd, cinG * h * wd), rows, cinG, h, wd, oh, ow, kh, kw,
                        strideH, strideW, dilH, dilW, padTop, padLeft, (byte)zeroA);
                    QGemm.RunDequantize(p, coutG, k, rows, k, zeroA, packedW.Slice(g * packedPerGroup, packedPerGroup),
                        colSums.Slice(g * sumsPerGroup, sumsPerGroup), scaleA,
                        wScale.Length == 1 ? wScale : wScale.Slice(g * coutG, coutG), bias.IsEmpty ? bias : bias.Slice(g * coutG, coutG),
                        yt, coutG, lo, hi);
                    // [p, coutG] -> NCHW planes [coutG, p].
                    Tensor.StridedCopy<float>(yt, 0, y.Slice((b * cout + g * coutG) * p, coutG * p), nhwcShape, nhwcStrides);
                }
            }
        }

        /// <summary>rows[oy*ow + ox][(c*kh + i)*kw + j] = x[c][oy*sh - pt + i*dh][ox*sw - pl + j*dw], padValue outside.</summary>
        public static void Im2Row(ReadOnlySpan<byte> x, Span<byte> rows, int c, int h, int wd, int oh, int ow, int kh, int kw,
            int strideH, int strideW, int dilH, int dilW, int padTop, int padLeft, byte padValue)
        {
            int k = c * kh * kw;
            for (int oy = 0; oy < oh; oy++)
            {
                for (int ox = 0; ox < ow; ox++)
                {
                    var row = rows.Slice((oy * ow + ox) * k, k);
                    int at = 0;
                    for (int ci = 0; ci < c; ci++)
                    {
                        var plane = x.Slice(ci * h * wd, h * wd);
                        for (int i = 0; i < kh; i++)
                        {
                            int iy = oy * strideH - padTop + i * dilH;
                            if ((uint)iy >= (uint)h) { row.Slice(at, kw).Fill(padValue); at += kw; continue; }
                            int ix0 = ox * strideW - padLeft;
                            if (dilW == 1 && ix0 >= 0 && ix0 + kw <= wd)
                            {
                                plane.Slice(iy * wd + ix0, kw).CopyTo(row.Slice(at, kw));
                                at += kw;
                                continue;
                            }
                            for (int j = 0; j < kw; j++, at++)
                            {
                                int ix = ix0 + j * dilW;
                                row[at] = (uint)ix < (uint)wd ? plane[iy * wd + ix] : padValue;
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Int8 fully connected layers (Gemm / MatMul with constant weights): y = dequant((A_q - zA) * B) + bias, clamped.</summary>
    internal static class DenseQ8
    {
        public static long ScratchBytes(int m, int k) => (long)m * k;

        public static void Run(ReadOnlySpan<float> a, ReadOnlySpan<sbyte> packedW, ReadOnlySpan<int> colSums, ReadOnlySpan<float> wScale,
            ReadOnlySpan<float> bias, Span<float> y, Span<byte> scratch, int m, int n, int k, float lo, float hi, float staticScale, int staticZeroPoint)
        {
            var aq = scratch.Slice(0, m * k);
            float scaleA;
            int zeroA;
            if (staticScale == 0f)
            {
                var (s, z) = QuantizeDynamic.Run(a.Slice(0, m * k), aq);
                scaleA = s; zeroA = z;
            }
            else
            {
                QLinear.QuantizeU8(a.Slice(0, m * k), aq, stackalloc float[] { staticScale }, stackalloc byte[] { (byte)staticZeroPoint }, 1, 1, m * k);
                scaleA = staticScale; zeroA = staticZeroPoint;
            }
            QGemm.RunDequantize(m, n, k, aq, k, zeroA, packedW, colSums, scaleA, wScale, bias, y, n, lo, hi);
        }
    }
}
