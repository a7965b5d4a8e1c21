using System;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Graph.Quantization;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// Gather along an axis with int64 or int32 indices (negative indices count from the end; out of range throws). An int8
    /// embedding table (decided by the planner) is stored as int8 rows with a scale per row and dequantized as it is read.
    /// </summary>
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
            if (n.Quantization?.Precision == Precision.Int8 && n.Quantization.Weights is QuantizedTensor table)
            {
                // An int8 embedding table (QuantizationPlanner.IsInt8Table): rows of int8 and a float scale per row.
                var values = ctx.Const(QuantizedWeights.Bytes(table.Values), $"{In(n, 0).Name} int8 rows");
                var scales = ctx.Const(QuantizedWeights.Floats(table.Scales), $"{In(n, 0).Name} row scales");
                ctx.W.Line($"{ctx.Kernel("Tensor")}.GatherRowsQ8({values}, {scales}, {ctx.In(1)}, {ctx.Out(0)}, {x[0]}, {x[1]});");
                return;
            }
            ctx.W.Line($"{ctx.Kernel("Tensor")}.Gather<{ctx.Elem(ctx.InValue(0).Type)}>({ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, {outer}, {x[axis]}, {inner});");
        }
    }
}
