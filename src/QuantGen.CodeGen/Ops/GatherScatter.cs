using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>Checks shared by the element-wise gather/scatter ops: index types, constant index ranges, reductions.</summary>
    internal static class IndexChecks
    {
        public static readonly DataType[] DataTypes_ = { DataType.Float, DataType.Int64, DataType.Int32, DataType.Bool, DataType.UInt8, DataType.Int8 };

        /// <summary>
        /// GatherElements/ScatterElements at build time: the flat offset into data of each position p of the indices tensor,
        /// p's coordinates with the axis coordinate replaced by indices[p] (negative counts from the end; checked by Infer).
        /// </summary>
        public static int[] ElementOffsets(int[] x, int[] idxShape, int axis, long[] idx)
        {
            var xs = Shapes.Strides(x);
            var ist = Shapes.Strides(idxShape);
            var offsets = new int[idx.Length];
            for (int p = 0; p < idx.Length; p++)
                for (int d = 0; d < x.Length; d++)
                {
                    long c = d == axis ? (idx[p] < 0 ? idx[p] + x[axis] : idx[p]) : p / ist[d] % idxShape[d];
                    offsets[p] += (int)c * xs[d];
                }
            return offsets;
        }

        /// <summary>Constant indices are checked at build time (run-time ones by the kernel): each value in [-dim, dim).</summary>
        public static void CheckConstant(Node n, Value indices, Func<int, int> dimOfPosition)
        {
            if (indices.Constant is not TensorData c) return;
            for (int p = 0; p < c.Length; p++)
            {
                long v = c.GetLong(p);
                int dim = dimOfPosition(p);
                if (v < -dim || v >= dim)
                    throw new QgException(DiagnosticIds.InvalidModel, $"{n.Describe()}: index {v} is out of range [-{dim}, {dim})");
            }
        }

        /// <summary>The reduction attribute as a kernel constant (Indexing.None/Add/Mul/Max/Min), checked against the opset.</summary>
        public static int Reduction(Node n, bool allowed)
        {
            if (!n.Has("reduction")) return 0;
            var r = n.GetString("reduction", "none");
            if (!allowed || n.Opset < 16) throw new QgException(DiagnosticIds.UnsupportedAttribute, $"{n.Describe()}: the reduction attribute needs opset 16");
            int kind = r switch { "none" => 0, "add" => 1, "mul" => 2, "max" => 3, "min" => 4, _ => -1 };
            if (kind < 0 || (kind >= 3 && n.Opset < 18))
                throw new QgException(DiagnosticIds.UnsupportedAttribute, $"{n.Describe()}: reduction '{r}' is not supported at opset {n.Opset} (none, add, mul; max and min from opset 18)");
            if (kind != 0 && n.Input(0)?.Type == DataType.Bool)
                throw new QgException(DiagnosticIds.UnsupportedType, $"{n.Describe()}: reduction '{r}' on bool data is not supported");
            return kind;
        }

        /// <summary>Build-time scatter: out = data, then out[offset(p)] = reduce(out[offset(p)], updates[p]) for each p in order.</summary>
        public static TensorData Scatter(TensorData data, TensorData updates, int[] offsets, int reduction)
        {
            if (data.IsFloating)
            {
                var y = Enumerable.Range(0, data.Length).Select(i => (double)(float)data.GetDouble(i)).ToArray();
                for (int p = 0; p < offsets.Length; p++)
                {
                    double a = y[offsets[p]], b = updates.GetDouble(p);
                    y[offsets[p]] = reduction switch
                    {
                        1 => (float)(a + b), 2 => (float)(a * b),
                        3 => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Max(a, b),
                        4 => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Min(a, b),
                        _ => b,
                    };
                }
                return TensorData.FromDoubles(data.Type, data.Shape, y);
            }
            var l = data.ToLongs();
            for (int p = 0; p < offsets.Length; p++)
            {
                long a = l[offsets[p]], b = updates.GetLong(p);
                l[offsets[p]] = TensorData.WrapInteger(data.Type, reduction switch
                {
                    1 => unchecked(a + b), 2 => unchecked(a * b), 3 => Math.Max(a, b), 4 => Math.Min(a, b), _ => b,
                });
            }
            return TensorData.FromLongs(data.Type, data.Shape, l);
        }

        public static string Bool(bool b) => b ? "true" : "false";
    }

    /// <summary>
    /// GatherElements (opsets 11, 13): output[p] = data[p with the axis coordinate replaced by indices[p]]; int32/int64
    /// indices (negative from the end, out of range throws ArgumentException), every run-time data type.
    /// </summary>
    internal sealed class GatherElements : Operator
    {
        public override string OpType => "GatherElements";

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, IndexChecks.DataTypes_);
            RequireTypes(n, 1, DataType.Int64, DataType.Int32);
            var x = ShapeOf(n, 0);
            var idx = ShapeOf(n, 1);
            if (x.Length == 0 || idx.Length != x.Length) throw Invalid(n, $"indices {Shapes.Format(idx)} must have the rank of data {Shapes.Format(x)} (>= 1)");
            int axis = Shapes.Axis(n.GetInt("axis", 0), x.Length);
            for (int d = 0; d < x.Length; d++)
                if (d != axis && idx[d] > x[d]) throw Invalid(n, $"indices {Shapes.Format(idx)} exceed data {Shapes.Format(x)} on axis {d}");
            IndexChecks.CheckConstant(n, In(n, 1), _ => x[axis]);
            SetOutput(n, 0, In(n, 0).Type, idx);
        }

        public override TensorData[]? Fold(Node n)
        {
            var x = ShapeOf(n, 0);
            var idxShape = ShapeOf(n, 1);
            int axis = Shapes.Axis(n.GetInt("axis", 0), x.Length);
            return new[] { In(n, 0).Constant!.Select(idxShape, IndexChecks.ElementOffsets(x, idxShape, axis, In(n, 1).Constant!.ToLongs())) };
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var x = ShapeOf(n, 0);
            int axis = Shapes.Axis(n.GetInt("axis", 0), x.Length);
            ctx.W.Line($"{ctx.Kernel("Indexing")}.GatherElements<{ctx.Elem(ctx.InValue(0).Type)}, {ctx.Elem(ctx.InValue(1).Type)}>({ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, {CodeWriter.Ints(ShapeOf(n, 1))}, {CodeWriter.Ints(Shapes.Strides(x))}, {axis}, {x[axis]});");
        }
    }

    /// <summary>
    /// ScatterElements (opsets 11, 13; reduction none/add/mul from 16, max/min from 18) and the deprecated Scatter
    /// (opsets 9, 11; no reduction): output = data with updates[p] written (or combined) at p with the axis coordinate
    /// replaced by indices[p], positions in order (for duplicates the last one wins with reduction none).
    /// </summary>
    internal sealed class ScatterElements : Operator
    {
        private readonly string _op;
        public ScatterElements(string op) { _op = op; }
        public override string OpType => _op;

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, IndexChecks.DataTypes_);
            RequireTypes(n, 1, DataType.Int64, DataType.Int32);
            if (In(n, 2).Type != In(n, 0).Type) throw new QgException(DiagnosticIds.UnsupportedType, $"{n.Describe()}: updates and data have different element types");
            var x = ShapeOf(n, 0);
            var idx = ShapeOf(n, 1);
            if (x.Length == 0 || idx.Length != x.Length) throw Invalid(n, $"indices {Shapes.Format(idx)} must have the rank of data {Shapes.Format(x)} (>= 1)");
            if (!ShapeOf(n, 2).SequenceEqual(idx)) throw Invalid(n, $"updates {Shapes.Format(ShapeOf(n, 2))} and indices {Shapes.Format(idx)} differ");
            int axis = Shapes.Axis(n.GetInt("axis", 0), x.Length);
            for (int d = 0; d < x.Length; d++)
                if (d != axis && idx[d] > x[d]) throw Invalid(n, $"indices {Shapes.Format(idx)} exceed data {Shapes.Format(x)} on axis {d}");
            IndexChecks.Reduction(n, _op == "ScatterElements");
            IndexChecks.CheckConstant(n, In(n, 1), _ => x[axis]);
            SetOutput(n, 0, In(n, 0).Type, x);
        }

        public override TensorData[]? Fold(Node n)
        {
            var x = ShapeOf(n, 0);
            var idxShape = ShapeOf(n, 1);
            int axis = Shapes.Axis(n.GetInt("axis", 0), x.Length);
            var offsets = IndexChecks.ElementOffsets(x, idxShape, axis, In(n, 1).Constant!.ToLongs());
            return new[] { IndexChecks.Scatter(In(n, 0).Constant!, In(n, 2).Constant!, offsets, IndexChecks.Reduction(n, _op == "ScatterElements")) };
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var x = ShapeOf(n, 0);
            int axis = Shapes.Axis(n.GetInt("axis", 0), x.Length);
            int red = IndexChecks.Reduction(n, _op == "ScatterElements");
            var t = ctx.Elem(ctx.InValue(0).Type);
            var ti = ctx.Elem(ctx.InValue(1).Type);
            var common = $"{ctx.In(0)}, {ctx.In(1)}, {ctx.In(2)}, {ctx.Out(0)}, {CodeWriter.Ints(ShapeOf(n, 1))}, {CodeWriter.Ints(Shapes.Strides(x))}, {axis}, {x[axis]}";
            if (ctx.InValue(0).Type == DataType.Bool) ctx.W.Line($"{ctx.Kernel("Indexing")}.ScatterElementsAssign<{t}, {ti}>({common});");
            else ctx.W.Line($"{ctx.Kernel("Indexing")}.ScatterElements<{t}, {ti}>({common}, {red});");
        }
    }

    /// <summary>
    /// GatherND (opset 11; batch_dims from 12; 13): each index tuple (the last indices axis) selects a slice of data after
    /// batch_dims leading batch axes. int64 (or int32) indices, negative from the end, out of range throws ArgumentException.
    /// </summary>
    internal sealed class GatherND : Operator
    {
        public override string OpType => "GatherND";

        internal sealed class Layout
        {
            public int Batch, BatchSize, Tuples, Slice;
            public int[] Dims = Array.Empty<int>(), Strides = Array.Empty<int>(), OutShape = Array.Empty<int>();
        }

        private static Layout Resolve(Node n)
        {
            var x = ShapeOf(n, 0);
            var idx = ShapeOf(n, 1);
            long b = n.GetInt("batch_dims", 0);
            if (b != 0 && n.Opset < 12) throw Unsupported(n, "batch_dims needs opset 12");
            if (x.Length == 0 || idx.Length == 0) throw Invalid(n, "data and indices must have rank >= 1");
            if (b < 0 || b >= Math.Min(x.Length, idx.Length)) throw Unsupported(n, $"batch_dims {b} must be in [0, {Math.Min(x.Length, idx.Length)})");
            int bd = (int)b;
            for (int d = 0; d < bd; d++)
                if (x[d] != idx[d]) throw Invalid(n, $"the batch dimensions of data {Shapes.Format(x)} and indices {Shapes.Format(idx)} differ");
            int last = idx[idx.Length - 1];
            if (last < 1 || last > x.Length - bd) throw Invalid(n, $"the last indices dimension {last} must be in [1, {x.Length - bd}]");
            var xs = Shapes.Strides(x);
            return new Layout
            {
                Batch = OpUtil.Prod(x.Take(bd)),
                BatchSize = OpUtil.Prod(x.Skip(bd)),
                Tuples = OpUtil.Prod(idx.Skip(bd).Take(idx.Length - 1 - bd)),
                Slice = OpUtil.Prod(x.Skip(bd + last)),
                Dims = x.Skip(bd).Take(last).ToArray(),
                Strides = xs.Skip(bd).Take(last).ToArray(),
                OutShape = idx.Take(idx.Length - 1).Concat(x.Skip(bd + last)).ToArray(),
            };
        }

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, IndexChecks.DataTypes_);
            RequireTypes(n, 1, DataType.Int64, DataType.Int32);
            var l = Resolve(n);
            IndexChecks.CheckConstant(n, In(n, 1), p => l.Dims[p % l.Dims.Length]);
            SetOutput(n, 0, In(n, 0).Type, l.OutShape);
        }

        public override TensorData[]? Fold(Node n)
        {
            var l = Resolve(n);
            var idx = In(n, 1).Constant!.ToLongs();
            int last = l.Dims.Length;
            var flat = new int[l.Batch * l.Tuples * l.Slice];
            for (int t = 0; t < l.Batch * l.Tuples; t++)
            {
                int off = t / l.Tuples * l.BatchSize;
                for (int c = 0; c < last; c++)
                {
                    long v = idx[t * last + c];
                    off += (int)(v < 0 ? v + l.Dims[c] : v) * l.Strides[c];
                }
                for (int e = 0; e < l.Slice; e++) flat[t * l.Slice + e] = off + e;
            }
            return new[] { In(n, 0).Constant!.Select(l.OutShape, flat) };
        }

        public override void Emit(EmitContext ctx)
        {
            var l = Resolve(ctx.Node);
            ctx.W.Line($"{ctx.Kernel("Indexing")}.GatherND<{ctx.Elem(ctx.InValue(0).Type)}, {ctx.Elem(ctx.InValue(1).Type)}>({ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, {l.Batch}, {l.BatchSize}, {l.Tuples}, {CodeWriter.Ints(l.Dims)}, {CodeWriter.Ints(l.Strides)}, {l.Slice});");
        }
    }

    /// <summary>
    /// ScatterND (opsets 11, 13; reduction none/add/mul from 16, max/min from 18): output = data, then each index tuple's
    /// slice is replaced by (or combined with) the matching slice of updates, tuples in order.
    /// </summary>
    internal sealed class ScatterND : Operator
    {
        public override string OpType => "ScatterND";

        private static (int Tuples, int[] Dims, int[] Strides, int Slice) Resolve(Node n)
        {
            var x = ShapeOf(n, 0);
            var idx = ShapeOf(n, 1);
            if (x.Length == 0 || idx.Length == 0) throw Invalid(n, "data and indices must have rank >= 1");
            int last = idx[idx.Length - 1];
            if (last < 1 || last > x.Length) throw Invalid(n, $"the last indices dimension {last} must be in [1, {x.Length}]");
            var expected = idx.Take(idx.Length - 1).Concat(x.Skip(last)).ToArray();
            if (!ShapeOf(n, 2).SequenceEqual(expected)) throw Invalid(n, $"updates {Shapes.Format(ShapeOf(n, 2))} must have shape {Shapes.Format(expected)}");
            return (OpUtil.Prod(idx.Take(idx.Length - 1)), x.Take(last).ToArray(), Shapes.Strides(x).Take(last).ToArray(), OpUtil.Prod(x.Skip(last)));
        }

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, IndexChecks.DataTypes_);
            RequireTypes(n, 1, DataType.Int64, DataType.Int32);
            if (In(n, 2).Type != In(n, 0).Type) throw new QgException(DiagnosticIds.UnsupportedType, $"{n.Describe()}: updates and data have different element types");
            var (_, dims, _, _) = Resolve(n);
            IndexChecks.Reduction(n, true);
            IndexChecks.CheckConstant(n, In(n, 1), p => dims[p % dims.Length]);
            SetOutput(n, 0, In(n, 0).Type, ShapeOf(n, 0));
        }

        public override TensorData[]? Fold(Node n)
        {
            var (tuples, dims, strides, slice) = Resolve(n);
            var idx = In(n, 1).Constant!.ToLongs();
            var offsets = new int[tuples * slice];
            for (int t = 0; t < tuples; t++)
            {
                int off = 0;
                for (int c = 0; c < dims.Length; c++)
                {
                    long v = idx[t * dims.Length + c];
                    off += (int)(v < 0 ? v + dims[c] : v) * strides[c];
                }
                for (int e = 0; e < slice; e++) offsets[t * slice + e] = off + e;
            }
            return new[] { IndexChecks.Scatter(In(n, 0).Constant!, In(n, 2).Constant!, offsets, IndexChecks.Reduction(n, true)) };
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var (tuples, dims, strides, slice) = Resolve(n);
            int red = IndexChecks.Reduction(n, true);
            var t = ctx.Elem(ctx.InValue(0).Type);
            var ti = ctx.Elem(ctx.InValue(1).Type);
            var common = $"{ctx.In(0)}, {ctx.In(1)}, {ctx.In(2)}, {ctx.Out(0)}, {tuples}, {CodeWriter.Ints(dims)}, {CodeWriter.Ints(strides)}, {slice}";
            if (ctx.InValue(0).Type == DataType.Bool) ctx.W.Line($"{ctx.Kernel("Indexing")}.ScatterNDAssign<{t}, {ti}>({common});");
            else ctx.W.Line($"{ctx.Kernel("Indexing")}.ScatterND<{t}, {ti}>({common}, {red});");
        }
    }
}
