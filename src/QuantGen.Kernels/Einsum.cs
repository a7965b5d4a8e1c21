using System;
using System.Numerics;

namespace QuantGen.Kernels
{
    /// <summary>
    /// One step of an Einsum plan (built at build time from the equation): a loop nest over labels. The first
    /// <c>outRank</c> labels index y (contiguous), the rest are summed. Each operand has a stride per label: 0 where the
    /// label is absent or broadcast, the sum of its axes' strides where the label repeats (diagonals).
    /// </summary>
    internal static class Einsum
    {
        /// <summary>y[out labels] = sum over the other labels of a[...] * b[...].</summary>
        public static void Contract<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y, ReadOnlySpan<int> dims,
            ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides, int outRank) where T : INumber<T>
            => Run(a, b, true, y, dims, aStrides, bStrides, outRank);

        /// <summary>y[out labels] = sum over the other labels of a[...] (one operand: transpose, diagonal, reduction).</summary>
        public static void Reduce<T>(ReadOnlySpan<T> a, Span<T> y, ReadOnlySpan<int> dims, ReadOnlySpan<int> aStrides, int outRank) where T : INumber<T>
            => Run(a, a, false, y, dims, aStrides, aStrides, outRank);

        private static void Run<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, bool hasB, Span<T> y, ReadOnlySpan<int> dims,
            ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides, int outRank) where T : INumber<T>
        {
            int rank = dims.Length, sumRank = rank - outRank;
            int outCount = 1;
            for (int d = 0; d < outRank; d++) outCount *= dims[d];
            if (y.Length != outCount) throw new ArgumentException("Einsum: output length mismatch");
            bool emptySum = false;
            for (int d = outRank; d < rank; d++) if (dims[d] == 0) emptySum = true;
            Span<int> pos = stackalloc int[Math.Max(1, rank)];
            pos.Clear();
            // The innermost summed label runs as a tight loop; the others advance as an odometer.
            int innerN = sumRank > 0 ? dims[rank - 1] : 1;
            int ias = sumRank > 0 ? aStrides[rank - 1] : 0, ibs = sumRank > 0 ? bStrides[rank - 1] : 0;
            int midRank = Math.Max(0, sumRank - 1);
            int ao = 0, bo = 0;
            for (int p = 0; p < outCount; p++)
            {
                T acc = T.Zero;
                if (!emptySum)
                {
                    int sa = ao, sb = bo;
                    while (true)
                    {
                        if (hasB) for (int k = 0; k < innerN; k++) acc += a[sa + k * ias] * b[sb + k * ibs];
                        else for (int k = 0; k < innerN; k++) acc += a[sa + k * ias];
                        int d = outRank + midRank - 1;
                        for (; d >= outRank; d--)
                        {
                            sa += aStrides[d]; sb += bStrides[d];
                            if (++pos[d] < dims[d]) break;
                            sa -= aStrides[d] * dims[d]; sb -= bStrides[d] * dims[d];
                            pos[d] = 0;
                        }
                        if (d < outRank) break;
                    }
                }
                y[p] = acc;
                for (int d = outRank - 1; d >= 0; d--)
                {
                    ao += aStrides[d]; bo += bStrides[d];
                    if (++pos[d] < dims[d]) break;
                    ao -= aStrides[d] * dims[d]; bo -= bStrides[d] * dims[d];
                    pos[d] = 0;
                }
            }
        }
    }
}
