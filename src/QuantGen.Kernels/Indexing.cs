using System;
using System.Numerics;

namespace QuantGen.Kernels
{
    /// <summary>
    /// Index-driven ops: ArgMax/ArgMin, TopK, CumSum, GatherElements, GatherND, ScatterElements and ScatterND.
    /// Shapes and strides are computed at build time; index tensors are run-time data: negative indices count from
    /// the end, and an index out of range throws an ArgumentException before anything is read or written through it.
    /// </summary>
    internal static class Indexing
    {
        /// <summary>Scatter reductions: none (assign), add, mul, max, min.</summary>
        public const int None = 0, Add = 1, Mul = 2, Max = 3, Min = 4;

        private static long Wrap<TI>(TI index, int dim, string op) where TI : IBinaryInteger<TI>
        {
            long ix = long.CreateTruncating(index);
            long w = ix < 0 ? ix + dim : ix;
            if ((ulong)w >= (ulong)dim) throw new ArgumentException($"{op} index {ix} is out of range [-{dim}, {dim})");
            return w;
        }

        /// <summary>
        /// ArgMax (<paramref name="max"/>) or ArgMin along the middle axis of x viewed as [outer, n, inner]; y is [outer, inner].
        /// The first extreme wins, or the last with <paramref name="last"/> (select_last_index). A NaN counts as the extreme,
        /// as in the ONNX reference (numpy argmax/argmin).
        /// </summary>
        public static void ArgExtreme<T>(ReadOnlySpan<T> x, Span<long> y, int outer, int n, int inner, bool max, bool last) where T : INumber<T>
        {
            if (n <= 0) throw new ArgumentException("ArgMax/ArgMin over an empty axis");
            for (int o = 0; o < outer; o++)
            {
                for (int i = 0; i < inner; i++)
                {
                    int b = o * n * inner + i;
                    int best = 0;
                    T bv = x[b];
                    bool nan = T.IsNaN(bv);
                    for (int k = 1; k < n && !(nan && !last); k++)
                    {
                        T v = x[b + k * inner];
                        if (nan) { if (T.IsNaN(v)) best = k; continue; }
                        if (T.IsNaN(v)) { nan = true; best = k; continue; }
                        bool better = max ? (last ? v >= bv : v > bv) : (last ? v <= bv : v < bv);
                        if (better) { best = k; bv = v; }
                    }
                    y[o * inner + i] = best;
                }
            }
        }

        /// <summary>True when element (va, ia) ranks before (vb, ib): larger (or smaller) value first, NaN above every number, ties by lower index.</summary>
        private static bool Before<T>(T va, int ia, T vb, int ib, bool largest) where T : INumber<T>
        {
            bool na = T.IsNaN(va), nb = T.IsNaN(vb);
            if (na || nb)
            {
                if (na && nb) return ia < ib;
                return largest ? na : nb;
            }
            if (va != vb) return largest ? va > vb : va < vb;
            return ia < ib;
        }

        /// <summary>
        /// TopK along the middle axis of x viewed as [outer, n, inner]: the k largest (or smallest) elements, best first
        /// (ties: lower index first), into values and indices viewed as [outer, k, inner]. <paramref name="heap"/> holds k ints.
        /// </summary>
        public static void TopK<T>(ReadOnlySpan<T> x, Span<T> values, Span<long> indices, int outer, int n, int inner, int k, bool largest, Span<int> heap)
            where T : INumber<T>
        {
            if (k == 0) return;
            if (k > n || heap.Length < k) throw new ArgumentException($"TopK k={k} exceeds the axis size {n}");
            for (int o = 0; o < outer; o++)
            {
                for (int i = 0; i < inner; i++)
                {
                    int b = o * n * inner + i;
                    // A heap of the k best so far with the worst at the root.
                    int count = 0;
                    for (int j = 0; j < n; j++)
                    {
                        T v = x[b + j * inner];
                        if (count < k)
                        {
                            int c = count++;
                            while (c > 0)
                            {
                                int p = (c - 1) >> 1;
                                int hp = heap[p];
                                if (!Before(x[b + hp * inner], hp, v, j, largest)) break;
                                heap[c] = hp; c = p;
                            }
                            heap[c] = j;
                        }
                        else
                        {
                            int r = heap[0];
                            if (!Before(v, j, x[b + r * inner], r, largest)) continue;
                            SiftDown(x, b, inner, heap, count, j, largest);
                        }
                    }
                    // Pop the worst into the last free slot: the output comes out best first.
                    int ob = o * k * inner + i;
                    for (int m = count - 1; m >= 0; m--)
                    {
                        int worst = heap[0];
                        values[ob + m * inner] = x[b + worst * inner];
                        indices[ob + m * inner] = worst;
                        if (m > 0) SiftDown(x, b, inner, heap, m, heap[m], largest);
                    }
                }
            }
        }

        /// <summary>Places <paramref name="item"/> at the root of heap[0..count) and sifts it down (worst element at the root).</summary>
        private static void SiftDown<T>(ReadOnlySpan<T> x, int b, int inner, Span<int> heap, int count, int item, bool largest) where T : INumber<T>
        {
            T v = x[b + item * inner];
            int c = 0;
            while (true)
            {
                int l = 2 * c + 1;
                if (l >= count) break;
                int r = l + 1;
                int w = l;
                if (r < count && Before(x[b + heap[l] * inner], heap[l], x[b + heap[r] * inner], heap[r], largest)) w = r;
                int hw = heap[w];
                if (!Before(v, item, x[b + hw * inner], hw, largest)) break;
                heap[c] = hw; c = w;
            }
            heap[c] = item;
        }

        /// <summary>
        /// CumSum along <paramref name="axis"/> (a run-time value, negative counts from the end) of a tensor of shape
        /// <paramref name="shape"/>; exclusive leaves out the element itself, reverse sums from the end.
        /// </summary>
        public static void CumSum<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> shape, long axis, bool exclusive, bool reverse) where T : INumber<T>
        {
            int rank = shape.Length;
            long a = axis < 0 ? axis + rank : axis;
            if (a < 0 || a >= rank) throw new ArgumentException($"CumSum axis {axis} is out of range for rank {rank}");
            int outer = 1, inner = 1;
            for (int d = 0; d < a; d++) outer *= shape[d];
            for (int d = (int)a + 1; d < rank; d++) inner *= shape[d];
            int n = shape[(int)a];
            for (int o = 0; o < outer; o++)
            {
                for (int i = 0; i < inner; i++)
                {
                    int b = o * n * inner + i;
                    T acc = T.Zero;
                    for (int s = 0; s < n; s++)
                    {
                        int p = b + (reverse ? n - 1 - s : s) * inner;
                        T v = x[p];
                        if (exclusive) { y[p] = acc; acc += v; }
                        else { acc += v; y[p] = acc; }
                    }
                }
            }
        }

        /// <summary>
        /// GatherElements: y[p] = data[p with coordinate <paramref name="axis"/> replaced by indices[p]]; p walks the indices
        /// shape, data is addressed by <paramref name="dataStrides"/>.
        /// </summary>
        public static void GatherElements<T, TI>(ReadOnlySpan<T> data, ReadOnlySpan<TI> indices, Span<T> y,
            ReadOnlySpan<int> shape, ReadOnlySpan<int> dataStrides, int axis, int axisDim) where TI : IBinaryInteger<TI>
        {
            int rank = shape.Length;
            Span<int> pos = stackalloc int[rank];
            pos.Clear();
            int baseOff = 0, count = y.Length;
            int axisStride = dataStrides[axis];
            for (int p = 0; p < count; p++)
            {
                y[p] = data[baseOff + (int)Wrap(indices[p], axisDim, "GatherElements") * axisStride];
                Next(pos, shape, dataStrides, axis, ref baseOff);
            }
        }

        /// <summary>
        /// Steps pos to the next position of shape in row-major order, keeping baseOff the data offset of pos with its axis
        /// coordinate left out (the caller adds index * axis stride).
        /// </summary>
        private static void Next(Span<int> pos, ReadOnlySpan<int> shape, ReadOnlySpan<int> dataStrides, int axis, ref int baseOff)
        {
            for (int d = pos.Length - 1; d >= 0; d--)
            {
                if (d != axis) baseOff += dataStrides[d];
                if (++pos[d] < shape[d]) return;
                if (d != axis) baseOff -= dataStrides[d] * shape[d];
                pos[d] = 0;
            }
        }

        /// <summary>
        /// ScatterElements: y = data, then for each position p of indices, y[p with coordinate <paramref name="axis"/> replaced
        /// by indices[p]] = reduce(that element, updates[p]); positions are applied in order (the last duplicate wins for none).
        /// </summary>
        public static void ScatterElements<T, TI>(ReadOnlySpan<T> data, ReadOnlySpan<TI> indices, ReadOnlySpan<T> updates, Span<T> y,
            ReadOnlySpan<int> shape, ReadOnlySpan<int> dataStrides, int axis, int axisDim, int reduction) where T : INumber<T> where TI : IBinaryInteger<TI>
        {
            data.CopyTo(y);
            int rank = shape.Length, count = indices.Length;
            if (updates.Length != count) throw new ArgumentException("ScatterElements: updates and indices differ in size");
            Span<int> pos = stackalloc int[rank];
            pos.Clear();
            int baseOff = 0;
            int axisStride = dataStrides[axis];
            for (int p = 0; p < count; p++)
            {
                int q = baseOff + (int)Wrap(indices[p], axisDim, "ScatterElements") * axisStride;
                y[q] = Combine(y[q], updates[p], reduction);
                Next(pos, shape, dataStrides, axis, ref baseOff);
            }
        }

        /// <summary>ScatterElements with reduction none on element types without arithmetic (bool).</summary>
        public static void ScatterElementsAssign<T, TI>(ReadOnlySpan<T> data, ReadOnlySpan<TI> indices, ReadOnlySpan<T> updates, Span<T> y,
            ReadOnlySpan<int> shape, ReadOnlySpan<int> dataStrides, int axis, int axisDim) where TI : IBinaryInteger<TI>
        {
            data.CopyTo(y);
            int rank = shape.Length, count = indices.Length;
            if (updates.Length != count) throw new ArgumentException("ScatterElements: updates and indices differ in size");
            Span<int> pos = stackalloc int[rank];
            pos.Clear();
            int baseOff = 0;
            int axisStride = dataStrides[axis];
            for (int p = 0; p < count; p++)
            {
                y[baseOff + (int)Wrap(indices[p], axisDim, "ScatterElements") * axisStride] = updates[p];
                Next(pos, shape, dataStrides, axis, ref baseOff);
            }
        }

        private static T Combine<T>(T a, T b, int reduction) where T : INumber<T> => reduction switch
        {
            Add => a + b,
            Mul => a * b,
            Max => T.Max(a, b),
            Min => T.Min(a, b),
            _ => b,
        };

        /// <summary>
        /// The data offset addressed by one index tuple indices[t * last .. (t + 1) * last), each coordinate wrapped and checked
        /// against <paramref name="dims"/> and scaled by <paramref name="strides"/>.
        /// </summary>
        private static int TupleOffset<TI>(ReadOnlySpan<TI> indices, int t, ReadOnlySpan<int> dims, ReadOnlySpan<int> strides, string op)
            where TI : IBinaryInteger<TI>
        {
            int last = dims.Length, off = 0;
            for (int c = 0; c < last; c++) off += (int)Wrap(indices[t * last + c], dims[c], op) * strides[c];
            return off;
        }

        /// <summary>
        /// GatherND: data viewed as [batch, batchSize]; indices as [batch, tuples, dims.Length]; each tuple selects a slice of
        /// <paramref name="slice"/> elements (offset from the tuple by <paramref name="strides"/>) copied to y in order.
        /// </summary>
        public static void GatherND<T, TI>(ReadOnlySpan<T> data, ReadOnlySpan<TI> indices, Span<T> y, int batch, int batchSize, int tuples,
            ReadOnlySpan<int> dims, ReadOnlySpan<int> strides, int slice) where TI : IBinaryInteger<TI>
        {
            for (int bt = 0; bt < batch; bt++)
                for (int j = 0; j < tuples; j++)
                {
                    int t = bt * tuples + j;
                    int off = bt * batchSize + TupleOffset(indices, t, dims, strides, "GatherND");
                    data.Slice(off, slice).CopyTo(y.Slice(t * slice, slice));
                }
        }

        /// <summary>
        /// ScatterND: y = data, then each index tuple (indices viewed as [tuples, dims.Length]) selects a slice of
        /// <paramref name="slice"/> elements of y that is combined with the matching slice of updates, tuples in order.
        /// </summary>
        public static void ScatterND<T, TI>(ReadOnlySpan<T> data, ReadOnlySpan<TI> indices, ReadOnlySpan<T> updates, Span<T> y, int tuples,
            ReadOnlySpan<int> dims, ReadOnlySpan<int> strides, int slice, int reduction) where T : INumber<T> where TI : IBinaryInteger<TI>
        {
            data.CopyTo(y);
            for (int t = 0; t < tuples; t++)
            {
                int off = TupleOffset(indices, t, dims, strides, "ScatterND");
                var dst = y.Slice(off, slice);
                var src = updates.Slice(t * slice, slice);
                if (reduction == None) src.CopyTo(dst);
                else for (int e = 0; e < slice; e++) dst[e] = Combine(dst[e], src[e], reduction);
            }
        }

        /// <summary>ScatterND with reduction none on element types without arithmetic (bool).</summary>
        public static void ScatterNDAssign<T, TI>(ReadOnlySpan<T> data, ReadOnlySpan<TI> indices, ReadOnlySpan<T> updates, Span<T> y, int tuples,
            ReadOnlySpan<int> dims, ReadOnlySpan<int> strides, int slice) where TI : IBinaryInteger<TI>
        {
            data.CopyTo(y);
            for (int t = 0; t < tuples; t++)
                updates.Slice(t * slice, slice).CopyTo(y.Slice(TupleOffset(indices, t, dims, strides, "ScatterND"), slice));
        }
    }
}
