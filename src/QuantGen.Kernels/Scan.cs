using System;

namespace QuantGen.Kernels
{
    /// <summary>
    /// Scan slices: a tensor seen as [outer, length, inner] (the scan axis in the middle); one position along the axis
    /// is read into, or written from, a contiguous [outer, inner] slice. Used by Scan inputs and Scan/Loop outputs.
    /// </summary>
    internal static class Scan
    {
        /// <summary>slice[o, i] = x[o, position, i].</summary>
        public static void Take<T>(ReadOnlySpan<T> x, Span<T> slice, int outer, int length, int inner, int position)
        {
            for (int o = 0; o < outer; o++)
                x.Slice((o * length + position) * inner, inner).CopyTo(slice.Slice(o * inner, inner));
        }

        /// <summary>y[o, position, i] = slice[o, i].</summary>
        public static void Put<T>(ReadOnlySpan<T> slice, Span<T> y, int outer, int length, int inner, int position)
        {
            for (int o = 0; o < outer; o++)
                slice.Slice(o * inner, inner).CopyTo(y.Slice((o * length + position) * inner, inner));
        }
    }
}
