using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>Gather along an axis with int64 or int32 indices (negative indices count from the end; out of range throws).</summary>
    internal sealed class Gather : Operator
    {
        public override string OpType => "Gather";

        public override void Infer(Node n)
        {
            var x = ShapeOf(n, 0);
            var idx = ShapeOf(n, 1);
            RequireTypes(n, 1, DataType.Int64, DataType.Int32);
            int axis = Shapes.Axis(n.GetInt("axis", 0), x.Length);
            var shape = x.Take(axis).Concat(idx).Concat(x.Skip(axis + 1)).ToArray();
            if (In(n, 1).Constant is TensorData c)
                foreach (var i in c.ToLongs())
                    if (i < -x[axis] || i >= x[axis]) throw Invalid(n, $"index {i} is out of range for axis {axis} of size {x[axis]}");
            SetOutput(n, 0, In(n, 0).Type, shape);
        }

        public override TensorData[]? Fold(Node n)
        {
            var x = In(n, 0).Constant!;
            var idx = In(n, 1).Constant!.ToLongs();
            int axis = Shapes.Axis(n.GetInt("axis", 0), x.Shape.Length);
            int outer = OpUtil.Prod(x.Shape.Take(axis)), dim = x.Shape[axis], inner = OpUtil.Prod(x.Shape.Skip(axis + 1));
            var flat = new int[outer * idx.Length * inner];
            int p = 0;
            for (int o = 0; o < outer; o++)
                foreach (var i0 in idx)
                {
                    long i = i0 < 0 ? i0 + dim : i0;
                    for (int k = 0; k < inner; k++) flat[p++] = (int)((o * dim + i) * inner + k);
                }
            return new[] { x.Select(n.Outputs[0].Shape!, flat) };
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var x = ShapeOf(n, 0);
            int axis = Shapes.Axis(n.GetInt("axis", 0), x.Length);
            int outer = OpUtil.Prod(x.Take(axis)), inner = OpUtil.Prod(x.Skip(axis + 1));
            ctx.W.Line($"{ctx.Kernel("Tensor")}.Gather<{ctx.Elem(ctx.InValue(0).Type)}>({ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, {outer}, {x[axis]}, {inner});");
        }
    }
}
