// quantgen-kernel-uses: Elementwise
using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace QuantGen.Kernels
{
    /// <summary>
    /// Numpy-style broadcasting of a binary op. The build step collapses the output shape into as few dimensions
    /// as possible and passes, for each operand, its stride per output dimension (0 where it is broadcast).
    /// The innermost dimension runs as a tight loop (vectorized where the op has a vector form).
    /// </summary>
    internal static class Broadcast
    {
        public static void Binary<T, TR, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<TR> y,
            ReadOnlySpan<int> shape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides) where TOp : struct, IBinaryOp<T, TR>
        {
            int rank = shape.Length;
            int inner = rank == 0 ? 1 : shape[rank - 1];
            int sa = rank == 0 ? 0 : aStrides[rank - 1], sb = rank == 0 ? 0 : bStrides[rank - 1];
            int total = y.Length, outer = inner == 0 ? 0 : total / inner;
            Span<int> idx = stackalloc int[Math.Max(rank, 1)];
            idx.Clear();
            int ao = 0, bo = 0;
            for (int o = 0; o < outer; o++)
            {
                var yr = y.Slice(o * inner, inner);
                for (int i = 0; i < inner; i++) yr[i] = TOp.Apply(a[ao + i * sa], b[bo + i * sb]);
                Next(shape, aStrides, bStrides, idx, ref ao, ref bo, rank - 1);
            }
        }

        public static void BinaryVec<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y,
            ReadOnlySpan<int> shape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides) where TOp : struct, IVectorOp<float>
        {
            int rank = shape.Length;
            int inner = rank == 0 ? 1 : shape[rank - 1];
            int sa = rank == 0 ? 0 : aStrides[rank - 1], sb = rank == 0 ? 0 : bStrides[rank - 1];
            int total = y.Length, outer = inner == 0 ? 0 : total / inner;
            Span<int> idx = stackalloc int[Math.Max(rank, 1)];
            idx.Clear();
            int ao = 0, bo = 0;
            for (int o = 0; o < outer; o++)
            {
                var yr = y.Slice(o * inner, inner);
                if (sa == 1 && sb == 1) Row<TOp>(a.Slice(ao, inner), b.Slice(bo, inner), yr);
                else if (sa == 1 && sb == 0) RowScalarB<TOp>(a.Slice(ao, inner), b[bo], yr);
                else if (sa == 0 && sb == 1) RowScalarA<TOp>(a[ao], b.Slice(bo, inner), yr);
                else for (int i = 0; i < inner; i++) yr[i] = TOp.Apply(a[ao + i * sa], b[bo + i * sb]);
                Next(shape, aStrides, bStrides, idx, ref ao, ref bo, rank - 1);
            }
        }

        /// <summary>
        /// Pow with a base and an exponent of different types (ONNX Pow 12+): computed in double and converted to the
        /// base type (integers truncate toward zero, saturating), as ONNX Runtime's std::pow and cast do.
        /// </summary>
        public static void PowMixed<TA, TB>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, Span<TA> y,
            ReadOnlySpan<int> shape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides) where TA : INumberBase<TA> where TB : INumberBase<TB>
        {
            int rank = shape.Length;
            int inner = rank == 0 ? 1 : shape[rank - 1];
            int sa = rank == 0 ? 0 : aStrides[rank - 1], sb = rank == 0 ? 0 : bStrides[rank - 1];
            int total = y.Length, outer = inner == 0 ? 0 : total / inner;
            Span<int> idx = stackalloc int[Math.Max(rank, 1)];
            idx.Clear();
            int ao = 0, bo = 0;
            for (int o = 0; o < outer; o++)
            {
                var yr = y.Slice(o * inner, inner);
                for (int i = 0; i < inner; i++)
                    yr[i] = TA.CreateSaturating(Math.Pow(double.CreateSaturating(a[ao + i * sa]), double.CreateSaturating(b[bo + i * sb])));
                Next(shape, aStrides, bStrides, idx, ref ao, ref bo, rank - 1);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Next(ReadOnlySpan<int> shape, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides, Span<int> idx, ref int ao, ref int bo, int outerRank)
        {
            for (int d = outerRank - 1; d >= 0; d--)
            {
                ao += aStrides[d]; bo += bStrides[d];
                if (++idx[d] < shape[d]) return;
                ao -= aStrides[d] * shape[d]; bo -= bStrides[d] * shape[d];
                idx[d] = 0;
            }
        }

        private static void Row<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) where TOp : struct, IVectorOp<float>
        {
            int n = y.Length, i = 0;
            ref float pa = ref MemoryMarshal.GetReference(a);
            ref float pb = ref MemoryMarshal.GetReference(b);
            ref float py = ref MemoryMarshal.GetReference(y);
            if (Vector256.IsHardwareAccelerated)
                for (; i <= n - 8; i += 8) TOp.Apply(Vector256.LoadUnsafe(ref pa, (nuint)i), Vector256.LoadUnsafe(ref pb, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
            else if (Vector128.IsHardwareAccelerated)
                for (; i <= n - 4; i += 4) TOp.Apply(Vector128.LoadUnsafe(ref pa, (nuint)i), Vector128.LoadUnsafe(ref pb, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
            for (; i < n; i++) y[i] = TOp.Apply(a[i], b[i]);
        }

        private static void RowScalarB<TOp>(ReadOnlySpan<float> a, float b, Span<float> y) where TOp : struct, IVectorOp<float>
        {
            int n = y.Length, i = 0;
            ref float pa = ref MemoryMarshal.GetReference(a);
            ref float py = ref MemoryMarshal.GetReference(y);
            if (Vector256.IsHardwareAccelerated)
            {
                var vb = Vector256.Create(b);
                for (; i <= n - 8; i += 8) TOp.Apply(Vector256.LoadUnsafe(ref pa, (nuint)i), vb).StoreUnsafe(ref py, (nuint)i);
            }
            else if (Vector128.IsHardwareAccelerated)
            {
                var vb = Vector128.Create(b);
                for (; i <= n - 4; i += 4) TOp.Apply(Vector128.LoadUnsafe(ref pa, (nuint)i), vb).StoreUnsafe(ref py, (nuint)i);
            }
            for (; i < n; i++) y[i] = TOp.Apply(a[i], b);
        }

        private static void RowScalarA<TOp>(float a, ReadOnlySpan<float> b, Span<float> y) where TOp : struct, IVectorOp<float>
        {
            int n = y.Length, i = 0;
            ref float pb = ref MemoryMarshal.GetReference(b);
            ref float py = ref MemoryMarshal.GetReference(y);
            if (Vector256.IsHardwareAccelerated)
            {
                var va = Vector256.Create(a);
                for (; i <= n - 8; i += 8) TOp.Apply(va, Vector256.LoadUnsafe(ref pb, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
            }
            else if (Vector128.IsHardwareAccelerated)
            {
                var va = Vector128.Create(a);
                for (; i <= n - 4; i += 4) TOp.Apply(va, Vector128.LoadUnsafe(ref pb, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
            }
            for (; i < n; i++) y[i] = TOp.Apply(a, b[i]);
        }

        /// <summary>Where(cond, a, b) with all three operands broadcast to the output.</summary>
        public static void Where<T>(ReadOnlySpan<bool> c, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y,
            ReadOnlySpan<int> shape, ReadOnlySpan<int> cStrides, ReadOnlySpan<int> aStrides, ReadOnlySpan<int> bStrides)
        {
            int rank = shape.Length;
            Span<int> idx = stackalloc int[Math.Max(rank, 1)];
            idx.Clear();
            int co = 0, ao = 0, bo = 0;
            for (int o = 0; o < y.Length; o++)
            {
                y[o] = c[co] ? a[ao] : b[bo];
                for (int d = rank - 1; d >= 0; d--)
                {
                    co += cStrides[d]; ao += aStrides[d]; bo += bStrides[d];
                    if (++idx[d] < shape[d]) break;
                    co -= cStrides[d] * shape[d]; ao -= aStrides[d] * shape[d]; bo -= bStrides[d] * shape[d];
                    idx[d] = 0;
                }
            }
        }
    }
}
