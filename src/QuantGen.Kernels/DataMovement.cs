using System;
using System.Numerics;

namespace QuantGen.Kernels
{
    /// <summary>Data movement that is not a plain strided copy: Pad (index maps), Trilu, OneHot, Range.</summary>
    internal static class DataMovement
    {
        /// <summary>
        /// Pad (every mode, negative pads included): for output dimension d, <paramref name="maps"/> holds, from offset
        /// sum(outShape[0..d)), the input index along d of each output index, or -1 where the output is
        /// <paramref name="value"/>. The build step computes the maps from the mode (constant, reflect, edge, wrap).
        /// </summary>
        public static void Pad<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> outShape, ReadOnlySpan<int> inStrides, ReadOnlySpan<int> maps, T value)
        {
            int rank = outShape.Length;
            if (rank == 0) { y[0] = x[0]; return; }
            int inner = outShape[rank - 1];
            if (inner == 0 || y.Length == 0) return;
            int outer = y.Length / inner;
            int lastMap = maps.Length - inner, lastStride = inStrides[rank - 1];
            Span<int> idx = stackalloc int[rank];
            idx.Clear();
            for (int o = 0; o < outer; o++)
            {
                var row = y.Slice(o * inner, inner);
                int xo = 0, m = 0;
                bool fill = false;
                for (int d = 0; d < rank - 1; d++)
                {
                    int s = maps[m + idx[d]];
                    if (s < 0) { fill = true; break; }
                    xo += s * inStrides[d];
                    m += outShape[d];
                }
                if (fill) row.Fill(value);
                else
                    for (int j = 0; j < inner; j++)
                    {
                        int s = maps[lastMap + j];
                        row[j] = s < 0 ? value : x[xo + s * lastStride];
                    }
                for (int d = rank - 2; d >= 0; d--)
                {
                    if (++idx[d] < outShape[d]) break;
                    idx[d] = 0;
                }
            }
        }

        /// <summary>
        /// Trilu on [batch, rows, cols] matrices: keeps x[i, j] where j - i &gt;= k (upper) or j - i &lt;= k (lower), zero elsewhere.
        /// </summary>
        public static void Trilu<T>(ReadOnlySpan<T> x, Span<T> y, int batch, int rows, int cols, long k, bool upper)
        {
            for (int b = 0; b < batch; b++)
                for (int i = 0; i < rows; i++)
                {
                    int off = (b * rows + i) * cols;
                    var src = x.Slice(off, cols);
                    var dst = y.Slice(off, cols);
                    // Upper keeps columns [i + k, cols); lower keeps [0, i + k].
                    long edge = upper ? Math.Clamp(i + k, 0, cols) : Math.Clamp(i + k + 1, 0, cols);
                    int e = (int)edge;
                    if (upper)
                    {
                        dst.Slice(0, e).Clear();
                        src.Slice(e).CopyTo(dst.Slice(e));
                    }
                    else
                    {
                        src.Slice(0, e).CopyTo(dst.Slice(0, e));
                        dst.Slice(e).Clear();
                    }
                }
        }

        /// <summary>
        /// OneHot: y viewed as [outer, depth, inner] is values[0] except y[o, indices[o, i], i] = values[1]. A negative index
        /// counts from the end; an index outside [-depth, depth), or a float index with a fractional part, sets nothing.
        /// </summary>
        public static void OneHot<TI, T>(ReadOnlySpan<TI> indices, ReadOnlySpan<T> values, Span<T> y, int outer, int depth, int inner)
            where TI : INumberBase<TI>
        {
            T off = values[0], on = values[1];
            y.Fill(off);
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    TI v = indices[o * inner + i];
                    long ix = long.CreateSaturating(v);
                    if (TI.CreateSaturating(ix) != v) continue; // a fractional index matches no position
                    if (ix < 0) ix += depth;
                    if ((ulong)ix < (ulong)depth) y[(o * depth + (int)ix) * inner + i] = on;
                }
        }

        /// <summary>Range: y[i] = start + i * delta.</summary>
        public static void Range<T>(Span<T> y, T start, T delta) where T : INumberBase<T>
        {
            for (int i = 0; i < y.Length; i++) y[i] = start + T.CreateTruncating(i) * delta;
        }
    }
}
