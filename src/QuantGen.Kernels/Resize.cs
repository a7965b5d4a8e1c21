using System;
using System.Numerics;

namespace QuantGen.Kernels
{
    /// <summary>
    /// Resize and Upsample. The build step turns the op's attributes (mode, coordinate transformation, nearest mode,
    /// cubic coefficient, antialias, roi, scales or sizes) into per-axis tables, so these loops only gather and blend:
    /// <see cref="Nearest{T}"/> when every resized axis reads one source element per output element (any element type),
    /// <see cref="Separable"/> (float32) otherwise, one pass per resized axis.
    /// </summary>
    internal static class Resize
    {
        /// <summary>
        /// y[i_0, ..., i_k] = x[offsets_0[i_0] + ... + offsets_k[i_k] + j] for j below <paramref name="inner"/> (a contiguous
        /// block that is not resized), or <paramref name="fill"/> where any offset is negative (tf_crop_and_resize outside
        /// the input). <paramref name="dims"/> are the output sizes of the (merged) axes; <paramref name="offsets"/> holds
        /// their element offsets into x, one table after the other. An output row whose source row equals the previous
        /// row's (upsampling on an outer axis) is copied from the output instead of gathered again.
        /// </summary>
        public static void Nearest<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> dims, ReadOnlySpan<int> offsets, int inner, T fill)
        {
            int rank = dims.Length;
            if (rank == 0) { x.Slice(0, inner).CopyTo(y); return; }
            int last = dims[rank - 1];
            var lastOff = offsets.Slice(offsets.Length - last, last);
            int rowLen = last * inner;
            if (rowLen == 0) return;
            int rows = y.Length / rowLen;
            Span<int> idx = stackalloc int[rank];
            idx.Clear();
            int prevBase = -1;
            for (int row = 0; row < rows; row++)
            {
                int b = 0, table = 0;
                bool fillRow = false;
                for (int d = 0; d < rank - 1; d++)
                {
                    int o = offsets[table + idx[d]];
                    if (o < 0) fillRow = true;
                    b += o;
                    table += dims[d];
                }
                var yr = y.Slice(row * rowLen, rowLen);
                if (fillRow) yr.Fill(fill);
                else if (b == prevBase) y.Slice((row - 1) * rowLen, rowLen).CopyTo(yr);
                else if (inner == 1)
                {
                    for (int j = 0; j < last; j++)
                    {
                        int o = lastOff[j];
                        yr[j] = o < 0 ? fill : x[b + o];
                    }
                }
                else
                {
                    for (int j = 0; j < last; j++)
                    {
                        int o = lastOff[j];
                        var dst = yr.Slice(j * inner, inner);
                        if (o < 0) dst.Fill(fill);
                        else x.Slice(b + o, inner).CopyTo(dst);
                    }
                }
                prevBase = fillRow ? -1 : b;
                for (int d = rank - 2; d >= 0; d--)
                {
                    if (++idx[d] < dims[d]) break;
                    idx[d] = 0;
                }
            }
        }

        /// <summary>Integers per pass in the <see cref="Separable"/> descriptor: outer, inLen, outLen, inner, taps, table offset.</summary>
        public const int PassFields = 6;

        /// <summary>
        /// Linear and cubic resizing (and nearest with a fill) as one pass per resized axis. Pass p views its input as
        /// [outer, inLen, inner] and writes [outer, outLen, inner]: output j along the axis is the sum over its taps t of
        /// w[j*taps + t] * input[idx[j*taps + t]] (indices already clamped to the input), or <paramref name="fill"/> when
        /// its first index is negative. Passes alternate between the two halves of <paramref name="scratch"/> (the first
        /// <paramref name="split"/> elements, then the rest); the last one writes y.
        /// </summary>
        public static void Separable(ReadOnlySpan<float> x, Span<float> y, Span<float> scratch, int split, ReadOnlySpan<int> passes,
            ReadOnlySpan<int> idx, ReadOnlySpan<float> w, float fill)
        {
            int count = passes.Length / PassFields;
            for (int p = 0; p < count; p++)
            {
                var d = passes.Slice(p * PassFields, PassFields);
                int outer = d[0], inLen = d[1], outLen = d[2], inner = d[3], taps = d[4], at = d[5];
                int srcLen = outer * inLen * inner, dstLen = outer * outLen * inner;
                ReadOnlySpan<float> src = p == 0 ? x.Slice(0, srcLen)
                    : (p - 1) % 2 == 0 ? scratch.Slice(0, srcLen) : scratch.Slice(split, srcLen);
                Span<float> dst = p == count - 1 ? y.Slice(0, dstLen)
                    : p % 2 == 0 ? scratch.Slice(0, dstLen) : scratch.Slice(split, dstLen);
                Axis(src, dst, outer, inLen, outLen, inner, idx.Slice(at, outLen * taps), w.Slice(at, outLen * taps), taps, fill);
            }
        }

        /// <summary>One pass of <see cref="Separable"/>.</summary>
        public static void Axis(ReadOnlySpan<float> x, Span<float> y, int outer, int inLen, int outLen, int inner,
            ReadOnlySpan<int> idx, ReadOnlySpan<float> w, int taps, float fill)
        {
            if (inner == 1)
            {
                for (int o = 0; o < outer; o++)
                {
                    var xr = x.Slice(o * inLen, inLen);
                    var yr = y.Slice(o * outLen, outLen);
                    if (taps == 2)
                    {
                        for (int j = 0; j < outLen; j++)
                        {
                            int i0 = idx[2 * j];
                            yr[j] = i0 < 0 ? fill : w[2 * j] * xr[i0] + w[2 * j + 1] * xr[idx[2 * j + 1]];
                        }
                        continue;
                    }
                    for (int j = 0; j < outLen; j++)
                    {
                        int t0 = j * taps;
                        if (idx[t0] < 0) { yr[j] = fill; continue; }
                        float acc = 0f;
                        for (int t = 0; t < taps; t++) acc += w[t0 + t] * xr[idx[t0 + t]];
                        yr[j] = acc;
                    }
                }
                return;
            }
            for (int o = 0; o < outer; o++)
            {
                var xo = x.Slice(o * inLen * inner, inLen * inner);
                for (int j = 0; j < outLen; j++)
                {
                    var yr = y.Slice((o * outLen + j) * inner, inner);
                    int t0 = j * taps;
                    if (idx[t0] < 0) { yr.Fill(fill); continue; }
                    var a = xo.Slice(idx[t0] * inner, inner);
                    if (taps == 1) { Scale(a, w[t0], yr); continue; }
                    Blend(a, w[t0], xo.Slice(idx[t0 + 1] * inner, inner), w[t0 + 1], yr);
                    for (int t = 2; t < taps; t++) AddScaled(xo.Slice(idx[t0 + t] * inner, inner), w[t0 + t], yr);
                }
            }
        }

        /// <summary>y = wa * a (vector and scalar paths give the same result).</summary>
        private static void Scale(ReadOnlySpan<float> a, float wa, Span<float> y)
        {
            int i = 0;
            if (Vector.IsHardwareAccelerated && y.Length >= Vector<float>.Count)
            {
                var va = new Vector<float>(wa);
                for (; i <= y.Length - Vector<float>.Count; i += Vector<float>.Count)
                    (va * new Vector<float>(a.Slice(i))).CopyTo(y.Slice(i));
            }
            for (; i < y.Length; i++) y[i] = wa * a[i];
        }

        /// <summary>y = wa * a + wb * b (products rounded before the sum on both paths, so they agree exactly).</summary>
        private static void Blend(ReadOnlySpan<float> a, float wa, ReadOnlySpan<float> b, float wb, Span<float> y)
        {
            int i = 0;
            if (Vector.IsHardwareAccelerated && y.Length >= Vector<float>.Count)
            {
                var va = new Vector<float>(wa);
                var vb = new Vector<float>(wb);
                for (; i <= y.Length - Vector<float>.Count; i += Vector<float>.Count)
                    (va * new Vector<float>(a.Slice(i)) + vb * new Vector<float>(b.Slice(i))).CopyTo(y.Slice(i));
            }
            for (; i < y.Length; i++) y[i] = wa * a[i] + wb * b[i];
        }

        /// <summary>y += wa * a.</summary>
        private static void AddScaled(ReadOnlySpan<float> a, float wa, Span<float> y)
        {
            int i = 0;
            if (Vector.IsHardwareAccelerated && y.Length >= Vector<float>.Count)
            {
                var va = new Vector<float>(wa);
                for (; i <= y.Length - Vector<float>.Count; i += Vector<float>.Count)
                    (new Vector<float>(y.Slice(i)) + va * new Vector<float>(a.Slice(i))).CopyTo(y.Slice(i));
            }
            for (; i < y.Length; i++) y[i] = y[i] + wa * a[i];
        }
    }
}
