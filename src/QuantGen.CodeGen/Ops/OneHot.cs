using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// OneHot (opsets 9, 11): a constant depth, indices of a run-time numeric type (a float index with a fractional part matches no position, as in ONNX Runtime), values
    /// [off, on] (may be a run-time tensor, whose type is the output type), the new axis at 'axis' (default -1, negative
    /// counts from the end of the output). Negative indices count from depth; indices outside [-depth, depth) give all off.
    /// </summary>
    internal sealed class OneHot : Operator
    {
        public override string OpType => "OneHot";

        private static (int Outer, int Depth, int Inner, int[] Shape) Plan(Node n)
        {
            var idx = ShapeOf(n, 0);
            var d = ConstInput(n, 1, "depth");
            if (d.Length != 1) throw Invalid(n, "depth must hold one element");
            double dv = d.GetDouble(0);
            if (!(dv >= 1) || dv > int.MaxValue) throw Invalid(n, $"depth {dv} must be positive");
            int depth = (int)dv;
            int rank = idx.Length + 1;
            long a = n.GetInt("axis", -1);
            if (a < -rank || a >= rank) throw Invalid(n, $"axis {a} is out of range for the output rank {rank}");
            int axis = (int)(a < 0 ? a + rank : a);
            var shape = idx.Take(axis).Append(depth).Concat(idx.Skip(axis)).ToArray();
            return (OpUtil.Prod(idx.Take(axis)), depth, OpUtil.Prod(idx.Skip(axis)), shape);
        }

        public override void Infer(Node n)
        {
            var it = In(n, 0).Type;
            if (!In(n, 0).IsConstant && (!DataTypes.IsRuntimeSupported(it) || it == DataType.Bool))
                throw new QgException(DiagnosticIds.UnsupportedType, $"{n.Describe()}: indices of type {DataTypes.OnnxName(it)} are not supported");
            var values = In(n, 2);
            if (values.Shape == null || Shapes.Size(values.Shape) != 2) throw Invalid(n, "values must hold two elements [off, on]");
            if (!values.IsConstant && !DataTypes.IsRuntimeSupported(values.Type))
                throw new QgException(DiagnosticIds.UnsupportedType, $"{n.Describe()}: values of type {DataTypes.OnnxName(values.Type)} are not supported");
            SetOutput(n, 0, values.Type, Plan(n).Shape);
        }

        public override TensorData[]? Fold(Node n)
        {
            var (outer, depth, inner, shape) = Plan(n);
            var idx = In(n, 0).Constant!;
            var values = In(n, 2).Constant!;
            var src = new int[outer * depth * inner]; // 0: off, 1: on
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    double v = idx.GetDouble(o * inner + i);
                    if (v != Math.Floor(v)) continue;
                    if (v < 0) v += depth;
                    if (v >= 0 && v < depth) src[(o * depth + (int)v) * inner + i] = 1;
                }
            return new[] { values.Select(shape, src) };
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var (outer, depth, inner, shape) = Plan(n);
            if (Shapes.Size(shape) == 0) { ctx.W.Line("// empty output"); return; }
            ctx.W.Line($"{ctx.Kernel("DataMovement")}.OneHot<{ctx.Elem(ctx.InValue(0).Type)}, {ctx.Elem(ctx.InValue(2).Type)}>({ctx.In(0)}, {ctx.In(2)}, {ctx.Out(0)}, {outer}, {depth}, {inner});");
        }
    }
}
