using System;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace QuantGen.Kernels
{
    /// <summary>Data movement: strided copies (Transpose, Slice, Expand), Concat, Gather, Cast.</summary>
    internal static class Tensor
    {
        /// <summary>
        /// y (contiguous, shape <paramref name="shape"/>) = x[offset + sum(i_d * strides_d)]. Strides may be 0
        /// (broadcast) or negative (reversed slices). The build step computes shape, strides and offset.
        /// </summary>
        public static void StridedCopy<T>(ReadOnlySpan<T> x, int offset, Span<T> y, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides)
        {
            int rank = shape.Length;
            if (rank == 0) { if (y.Length > 0) y[0] = x[offset]; return; }
            int inner = shape[rank - 1], s = strides[rank - 1];
            if (inner == 0) return;
            int outer = y.Length / inner;
            Span<int> idx = stackalloc int[rank];
            idx.Clear();
            int xo = offset;
            for (int o = 0; o < outer; o++)
            {
                var yr = y.Slice(o * inner, inner);
                if (s == 1) x.Slice(xo, inner).CopyTo(yr);
                else if (s == 0) yr.Fill(x[xo]);
                else for (int i = 0; i < inner; i++) yr[i] = x[xo + i * s];
                for (int d = rank - 2; d >= 0; d--)
                {
                    xo += strides[d];
                    if (++idx[d] < shape[d]) break;
                    xo -= strides[d] * shape[d];
                    idx[d] = 0;
                }
            }
        }

        /// <summary>Copies one Concat input: <paramref name="outer"/> blocks of <paramref name="block"/> elements into y at stride <paramref name="outBlock"/>.</summary>
        public static void ConcatPart<T>(ReadOnlySpan<T> x, Span<T> y, int outer, int block, int outBlock, int offset)
        {
            for (int o = 0; o < outer; o++) x.Slice(o * block, block).CopyTo(y.Slice(o * outBlock + offset, block));
        }

        /// <summary>Gather along an axis: x viewed as [outer, axis, inner], indices flattened; negative indices count from the end.</summary>
        public static void Gather<T>(ReadOnlySpan<T> x, ReadOnlySpan<long> indices, Span<T> y, int outer, int axis, int inner)
        {
            int n = indices.Length;
            for (int o = 0; o < outer; o++)
            {
                for (int j = 0; j < n; j++)
                {
                    long ix = indices[j];
                    if (ix < 0) ix += axis;
                    if ((ulong)ix >= (ulong)axis) throw new ArgumentException($"Gather index {indices[j]} is out of range [-{axis}, {axis})");
                    x.Slice((o * axis + (int)ix) * inner, inner).CopyTo(y.Slice((o * n + j) * inner, inner));
                }
            }
        }

        public static void Gather<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> indices, Span<T> y, int outer, int axis, int inner)
        {
            int n = indices.Length;
            for (int o = 0; o < outer; o++)
            {
                for (int j = 0; j < n; j++)
                {
                    long ix = indices[j];
                    if (ix < 0) ix += axis;
                    if ((ulong)ix >= (ulong)axis) throw new ArgumentException($"Gather index {indices[j]} is out of range [-{axis}, {axis})");
                    x.Slice((o * axis + (int)ix) * inner, inner).CopyTo(y.Slice((o * n + j) * inner, inner));
                }
            }
        }

        /// <summary>
        /// Gather of rows from an int8 table [rows, cols] with a scale per row: y[j, :] = table[i_j, :] * scales[i_j] (one float
        /// multiply per element, so every path equals the scalar one). Negative indices count from the end.
        /// </summary>
        public static void GatherRowsQ8<TIndex>(ReadOnlySpan<sbyte> table, ReadOnlySpan<float> scales, ReadOnlySpan<TIndex> indices, Span<float> y, int rows, int cols)
            where TIndex : IBinaryInteger<TIndex>
        {
            for (int j = 0; j < indices.Length; j++)
            {
                long ix = long.CreateTruncating(indices[j]);
                if (ix < 0) ix += rows;
                if ((ulong)ix >= (ulong)rows) throw new ArgumentException($"Gather index {indices[j]} is out of range [-{rows}, {rows})");
                var src = table.Slice((int)ix * cols, cols);
                var dst = y.Slice(j * cols, cols);
                float scale = scales[(int)ix];
                int c = 0;
                if (Vector256.IsHardwareAccelerated)
                {
                    var vs = Vector256.Create(scale);
                    for (; c <= cols - 8; c += 8)
                    {
                        var q = Vector128.CreateScalarUnsafe(MemoryMarshal.Read<long>(MemoryMarshal.AsBytes(src.Slice(c, 8)))).AsSByte();
                        var q16 = Vector128.WidenLower(q);
                        var f = Vector256.ConvertToSingle(Vector256.Create(Vector128.WidenLower(q16), Vector128.WidenUpper(q16))) * vs;
                        f.CopyTo(dst.Slice(c, 8));
                    }
                }
                for (; c < cols; c++) dst[c] = src[c] * scale;
            }
        }

        /// <summary>Numeric Cast. Float to integer truncates toward zero (saturating at the type's range).</summary>
        public static void Cast<TFrom, TTo>(ReadOnlySpan<TFrom> x, Span<TTo> y) where TFrom : INumberBase<TFrom> where TTo : INumberBase<TTo>
        {
            for (int i = 0; i < x.Length; i++) y[i] = TTo.CreateSaturating(x[i]);
        }

        /// <summary>Integer to integer Cast: keeps the low bits (two's-complement wrap), as a C cast and ONNX Runtime do.</summary>
        public static void CastWrap<TFrom, TTo>(ReadOnlySpan<TFrom> x, Span<TTo> y) where TFrom : IBinaryInteger<TFrom> where TTo : IBinaryInteger<TTo>
        {
            for (int i = 0; i < x.Length; i++) y[i] = TTo.CreateTruncating(x[i]);
        }

        public static void CastToBool<TFrom>(ReadOnlySpan<TFrom> x, Span<bool> y) where TFrom : INumberBase<TFrom>
        {
            for (int i = 0; i < x.Length; i++) y[i] = !TFrom.IsZero(x[i]);
        }

        public static void CastFromBool<TTo>(ReadOnlySpan<bool> x, Span<TTo> y) where TTo : INumberBase<TTo>
        {
            for (int i = 0; i < x.Length; i++) y[i] = x[i] ? TTo.One : TTo.Zero;
        }
    }
}
