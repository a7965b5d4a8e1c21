using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>Shape (start/end, opset 15) and Size: shapes are static, so the result is a constant at build time.</summary>
    internal sealed class ShapeOp : Operator
    {
        private readonly bool _size;
        public ShapeOp(bool size) { _size = size; }
        public override string OpType => _size ? "Size" : "Shape";

        public override void Infer(Node n)
        {
            var x = ShapeOf(n, 0);
            TensorData c;
            if (_size) c = new TensorData(DataType.Int64, Array.Empty<int>(), new long[] { Shapes.Size(x) });
            else
            {
                int r = x.Length;
                long s = n.GetInt("start", 0), e = n.GetInt("end", r);
                if (s < 0) s += r;
                if (e < 0) e += r;
                s = Math.Max(0, Math.Min(r, s));
                e = Math.Max(0, Math.Min(r, e));
                var dims = x.Skip((int)s).Take((int)Math.Max(0, e - s)).Select(d => (long)d).ToArray();
                c = new TensorData(DataType.Int64, new[] { dims.Length }, dims);
            }
            var o = n.Outputs[0];
            o.Constant = c; o.Type = c.Type; o.Shape = c.Shape; o.Producer = null;
        }

        public override void Emit(EmitContext ctx) => throw new InvalidOperationException("Shape is always folded");
    }

    /// <summary>ConstantOfShape: a constant shape input and a one-element value (default float 0).</summary>
    internal sealed class ConstantOfShape : Operator
    {
        public override string OpType => "ConstantOfShape";

        private static TensorData Value(Node n) =>
            n.Attributes.TryGetValue("value", out var a) && a.T != null ? a.T : TensorData.Scalar(DataType.Float, 0);

        public override void Infer(Node n)
        {
            var shape = ConstInput(n, 0, "the shape").ToLongs();
            if (shape.Any(d => d < 0)) throw Invalid(n, "negative dimension");
            var v = Value(n);
            if (v.Length != 1) throw Invalid(n, "value must hold one element");
            SetOutput(n, 0, v.Type, shape.Select(d => checked((int)d)).ToArray());
        }

        public override TensorData[]? Fold(Node n)
        {
            var v = Value(n);
            var shape = n.Outputs[0].Shape!;
            int size = Shapes.Size(shape);
            return new[] { v.IsFloating
                ? TensorData.FromDoubles(v.Type, shape, Enumerable.Repeat(v.GetDouble(0), size).ToArray())
                : TensorData.FromLongs(v.Type, shape, Enumerable.Repeat(v.GetLong(0), size).ToArray()) };
        }

        public override void Emit(EmitContext ctx)
        {
            var v = Value(ctx.Node);
            string lit = v.Type switch
            {
                DataType.Float => CodeWriter.Float((float)v.GetDouble(0)),
                DataType.Bool => v.GetLong(0) != 0 ? "true" : "false",
                DataType.Int64 => CodeWriter.Long(v.GetLong(0)),
                _ => $"({ctx.Elem(v.Type)}){v.GetLong(0)}",
            };
            ctx.W.Line($"{ctx.Out(0)}.Fill({lit});");
        }
    }

    /// <summary>Constant nodes become constants when the model is read; this entry lists the op as supported.</summary>
    internal sealed class ConstantOp : Operator
    {
        public override string OpType => "Constant";
        public override void Infer(Node n) => throw new InvalidOperationException("Constant nodes are folded when the model is read");
        public override void Emit(EmitContext ctx) => throw new InvalidOperationException("Constant nodes are folded when the model is read");
    }

    /// <summary>Expand: broadcast input 0 to a constant shape (numpy rules), as a strided copy with 0 strides.</summary>
    internal sealed class Expand : Operator
    {
        public override string OpType => "Expand";

        public override void Infer(Node n)
        {
            var x = ShapeOf(n, 0);
            var target = ConstInput(n, 1, "the shape").ToLongs().Select(d => checked((int)d)).ToArray();
            var shape = Shapes.Broadcast(x, target) ?? throw new QgException(DiagnosticIds.ShapeInference, $"{n.Describe()}: cannot expand {Shapes.Format(x)} to {Shapes.Format(target)}");
            SetOutput(n, 0, In(n, 0).Type, shape);
        }

        public override TensorData[]? Fold(Node n)
        {
            var shape = n.Outputs[0].Shape!;
            return new[] { In(n, 0).Constant!.Select(shape, Transpose.StridedIndices(0, shape, Shapes.BroadcastStrides(ShapeOf(n, 0), shape))) };
        }

        public override void Emit(EmitContext ctx)
        {
            var outShape = ctx.Node.Outputs[0].Shape!;
            var (shape, st) = OpUtil.Collapse(outShape, Shapes.BroadcastStrides(ShapeOf(ctx.Node, 0), outShape));
            ctx.W.Line($"{ctx.Kernel("Tensor")}.StridedCopy<{ctx.Elem(ctx.InValue(0).Type)}>({ctx.In(0)}, 0, {ctx.Out(0)}, {CodeWriter.Ints(shape)}, {CodeWriter.Ints(st[0])});");
        }
    }

    /// <summary>Where(condition, X, Y) with three-way broadcasting.</summary>
    internal sealed class Where : Operator
    {
        public override string OpType => "Where";

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Bool);
            if (In(n, 1).Type != In(n, 2).Type) throw new QgException(DiagnosticIds.UnsupportedType, $"{n.Describe()}: X and Y have different element types");
            var shape = Shapes.Broadcast(new[] { ShapeOf(n, 0), ShapeOf(n, 1), ShapeOf(n, 2) })
                ?? throw new QgException(DiagnosticIds.ShapeInference, $"{n.Describe()}: shapes do not broadcast");
            SetOutput(n, 0, In(n, 1).Type, shape);
        }

        public override TensorData[]? Fold(Node n)
        {
            var shape = n.Outputs[0].Shape!;
            var c = In(n, 0).Constant!; var x = In(n, 1).Constant!; var y = In(n, 2).Constant!;
            var ci = Transpose.StridedIndices(0, shape, Shapes.BroadcastStrides(c.Shape, shape));
            var xi = Transpose.StridedIndices(0, shape, Shapes.BroadcastStrides(x.Shape, shape));
            var yi = Transpose.StridedIndices(0, shape, Shapes.BroadcastStrides(y.Shape, shape));
            if (x.IsFloating)
                return new[] { TensorData.FromDoubles(x.Type, shape, ci.Select((k, i) => c.GetLong(k) != 0 ? x.GetDouble(xi[i]) : y.GetDouble(yi[i])).ToArray()) };
            return new[] { TensorData.FromLongs(x.Type, shape, ci.Select((k, i) => c.GetLong(k) != 0 ? x.GetLong(xi[i]) : y.GetLong(yi[i])).ToArray()) };
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var outShape = n.Outputs[0].Shape!;
            var (shape, st) = OpUtil.Collapse(outShape, Shapes.BroadcastStrides(ShapeOf(n, 0), outShape),
                Shapes.BroadcastStrides(ShapeOf(n, 1), outShape), Shapes.BroadcastStrides(ShapeOf(n, 2), outShape));
            ctx.W.Line($"{ctx.Kernel("Broadcast")}.Where<{ctx.Elem(ctx.InValue(1).Type)}>({ctx.In(0)}, {ctx.In(1)}, {ctx.In(2)}, {ctx.Out(0)}, {CodeWriter.Ints(shape)}, {CodeWriter.Ints(st[0])}, {CodeWriter.Ints(st[1])}, {CodeWriter.Ints(st[2])});");
        }
    }
}
