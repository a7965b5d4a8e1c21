using System;

namespace QuantGen.Kernels
{
    /// <summary>
    /// ONNX quantization operators with the models' own scales and zero points (pre-quantized / QDQ models):
    /// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv.
    /// Rounding is round-half-to-even everywhere, as ONNX defines it. Integer arithmetic is exact (int32 accumulators).
    /// Per-axis parameters: x viewed as [outer, channels, inner]; per-tensor parameters have channels = 1.
    /// </summary>
    internal static class QLinear
    {
        /// <summary>y = saturate(round-half-even(x / scale[c]) + zp[c]) into T's range (uint8 0..255, int8 -128..127).</summary>
        public static void Quantize<T>(ReadOnlySpan<float> x, Span<T> y, ReadOnlySpan<float> scale, ReadOnlySpan<T> zeroPoint, int outer, int channels, int inner)
            where T : struct, System.Numerics.IBinaryInteger<T>, System.Numerics.IMinMaxValue<T>
        {
            int qmin = int.CreateTruncating(T.MinValue), qmax = int.CreateTruncating(T.MaxValue);
            for (int o = 0; o < outer; o++)
                for (int c = 0; c < channels; c++)
                {
                    float s = scale[scale.Length == 1 ? 0 : c];
                    int zp = zeroPoint.IsEmpty ? 0 : int.CreateTruncating(zeroPoint[zeroPoint.Length == 1 ? 0 : c]);
                    int at = (o * channels + c) * inner;
                    for (int i = 0; i < inner; i++) y[at + i] = T.CreateTruncating(Saturate((long)RoundToInt(x[at + i] / s) + zp, qmin, qmax));
                }
        }

        /// <summary>y = (x - zp[c]) * scale[c].</summary>
        public static void Dequantize<T>(ReadOnlySpan<T> x, Span<float> y, ReadOnlySpan<float> scale, ReadOnlySpan<T> zeroPoint, int outer, int channels, int inner)
            where T : struct, System.Numerics.IBinaryInteger<T>
        {
            for (int o = 0; o < outer; o++)
                for (int c = 0; c < channels; c++)
                {
                    float s = scale[scale.Length == 1 ? 0 : c];
                    int zp = zeroPoint.IsEmpty ? 0 : int.CreateTruncating(zeroPoint[zeroPoint.Length == 1 ? 0 : c]);
                    int at = (o * channels + c) * inner;
                    for (int i = 0; i < inner; i++) y[at + i] = (int.CreateTruncating(x[at + i]) - zp) * s;
                }
        }

        /// <summary>DynamicQuantizeLinear: scale = (max(0, max x) - min(0, min x)) / 255, zp = saturate(round(-min / scale)), y = saturate(round(x / scale) + zp).</summary>
        public static void DynamicQuantize(ReadOnlySpan<float> x, Span<byte> y, Span<float> scale, Span<byte> zeroPoint)
        {
            float min = 0f, max = 0f;
            for (int i = 0; i < x.Length; i++) { min = MathF.Min(min, x[i]); max = MathF.Max(max, x[i]); }
            float s = (max - min) / 255f;
            int zp = s == 0f ? 0 : Saturate(RoundToInt(0f - min / s), 0, 255);
            scale[0] = s;
            zeroPoint[0] = (byte)zp;
            for (int i = 0; i < x.Length; i++) y[i] = s == 0f ? (byte)zp : (byte)Saturate((long)RoundToInt(x[i] / s) + zp, 0, 255);
        }

        /// <summary>
        /// Batched integer matmul: y[b] (m x n, int32) = sum_k (a[aOff[b] + i*k + p] - za(i)) * (bm[bOff[b] + p*n + j] - zb(j)),
        /// where za is one value or one per row, zb one value or one per column.
        /// </summary>
        public static void MatMulInteger<TA, TB>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, Span<int> y, ReadOnlySpan<int> aOffsets, ReadOnlySpan<int> bOffsets,
            int m, int n, int k, ReadOnlySpan<TA> aZero, ReadOnlySpan<TB> bZero)
            where TA : struct, System.Numerics.IBinaryInteger<TA> where TB : struct, System.Numerics.IBinaryInteger<TB>
        {
            for (int bi = 0; bi < aOffsets.Length; bi++)
            {
                var ab = a.Slice(aOffsets[bi]);
                var bb = b.Slice(bOffsets[bi]);
                var yb = y.Slice(bi * m * n, m * n);
                for (int i = 0; i < m; i++)
                {
                    int za = aZero.IsEmpty ? 0 : int.CreateTruncating(aZero[aZero.Length == 1 ? 0 : i]);
                    for (int j = 0; j < n; j++)
                    {
                        int zb = bZero.IsEmpty ? 0 : int.CreateTruncating(bZero[bZero.Length == 1 ? 0 : j]);
                        int acc = 0;
                        for (int p = 0; p < k; p++) acc += (int.CreateTruncating(ab[i * k + p]) - za) * (int.CreateTruncating(bb[p * n + j]) - zb);
                        yb[i * n + j] = acc;
                    }
                }
            }
        }

        /// <summary>Integer convolution (NCHW; 1-D as H = 1): int32 sums of (x - zx) * (w - zw[o]); padding contributes 0.</summary>
        public static void ConvInteger<TX, TW>(ReadOnlySpan<TX> x, ReadOnlySpan<TW> w, Span<int> y, TX xZero, ReadOnlySpan<TW> wZero,
            int batch, int cin, int h, int wd, int cout, int oh, int ow, int kh, int kw,
            int strideH, int strideW, int dilH, int dilW, int padTop, int padLeft, int group)
            where TX : struct, System.Numerics.IBinaryInteger<TX> where TW : struct, System.Numerics.IBinaryInteger<TW>
        {
            int cinG = cin / group, coutG = cout / group;
            int zx = int.CreateTruncating(xZero);
            for (int b = 0; b < batch; b++)
                for (int o = 0; o < cout; o++)
                {
                    int g = o / coutG;
                    int zw = wZero.IsEmpty ? 0 : int.CreateTruncating(wZero[wZero.Length == 1 ? 0 : o]);
                    for (int oy = 0; oy < oh; oy++)
                        for (int ox = 0; ox < ow; ox++)
                        {
                            int acc = 0;
                            for (int c = 0; c < cinG; c++)
                            {
                                int plane = (b * cin + g * cinG + c) * h * wd;
                                int wbase = (o * cinG + c) * kh * kw;
                                for (int i = 0; i < kh; i++)
                                {
                                    int iy = oy * strideH - padTop + i * dilH;
                                    if ((uint)iy >= (uint)h) continue;
                                    for (int j = 0; j < kw; j++)
                                    {
                                        int ix = ox * strideW - padLeft + j * dilW;
                                        if ((uint)ix >= (uint)wd) continue;
                                        acc += (int.CreateTruncating(x[plane + iy * wd + ix]) - zx) * (int.CreateTruncating(w[wbase + i * kw + j]) - zw);
                                    }
                                }
                            }
                            y[((b * cout + o) * oh + oy) * ow + ox] = acc;
                        }
                }
        }

        /// <summary>
        /// The output stage of QLinearMatMul / QLinearConv, as the ONNX reference computes it: per channel c of
        /// [outer, channels, inner], m = float32(float32(xScale * wScale[c]) / yScale), then
        /// y = saturate(round-half-even((double)(acc + bias[c]) * m) + zp).
        /// </summary>
        public static void Requantize<TY>(ReadOnlySpan<int> acc, Span<TY> y, float xScale, ReadOnlySpan<float> wScale, float yScale,
            ReadOnlySpan<int> bias, int zeroPoint, int outer, int channels, int inner, int qmin, int qmax) where TY : struct, System.Numerics.IBinaryInteger<TY>
        {
            for (int o = 0; o < outer; o++)
                for (int c = 0; c < channels; c++)
                {
                    float m = xScale * wScale[wScale.Length == 1 ? 0 : c] / yScale;
                    int bc = bias.IsEmpty ? 0 : bias[c];
                    int at = (o * channels + c) * inner;
                    for (int i = 0; i < inner; i++)
                    {
                        double v = Math.Round(((double)acc[at + i] + bc) * m, MidpointRounding.ToEven) + zeroPoint;
                        y[at + i] = TY.CreateTruncating((int)Math.Clamp(double.IsNaN(v) ? 0 : v, qmin, qmax));
                    }
                }
        }

        /// <summary>round-half-to-even of a float to int, saturating at the int range (NaN becomes 0).</summary>
        public static int RoundToInt(float v)
        {
            float r = MathF.Round(v, MidpointRounding.ToEven);
            if (float.IsNaN(r)) return 0;
            if (r >= 2147483520f) return int.MaxValue;
            if (r <= -2147483648f) return int.MinValue;
            return (int)r;
        }

        public static int Saturate(long v, int lo, int hi) => v < lo ? lo : v > hi ? hi : (int)v;
    }
}
