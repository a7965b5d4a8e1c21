using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// Tile (opsets 6, 13) with constant repeats: the output viewed as [r0, d0, r1, d1, ...] reads the input with stride 0
    /// over each repeat index, so it runs as one strided copy.
    /// </summary>
    internal sealed class Tile : Operator
    {
        public override string OpType => "Tile";

        private static long[] Repeats(Node n)
        {
            if (n.Opset < 6) throw Unsupported(n, "opset 1 Tile (tiles and axis inputs) is not supported");
            var x = ShapeOf(n, 0);
            var r = ConstInput(n, 1, "repeats").ToLongs();
            if (r.Length != x.Length) throw Invalid(n, $"repeats has {r.Length} values for an input of rank {x.Length}");
            if (r.Any(v => v < 0)) throw Invalid(n, "repeats must not be negative");
            return r;
        }

        /// <summary>The interleaved [r0, d0, r1, d1, ...] shape and the input strides for it.</summary>
        private static (int[] Shape, int[] Strides) Plan(Node n)
        {
            var x = ShapeOf(n, 0);
            var r = Repeats(n);
            var xs = Shapes.Strides(x);
            var shape = new int[2 * x.Length];
            var strides = new int[2 * x.Length];
            for (int d = 0; d < x.Length; d++)
            {
                shape[2 * d] = checked((int)r[d]); strides[2 * d] = 0;
                shape[2 * d + 1] = x[d]; strides[2 * d + 1] = xs[d];
            }
            return (shape, strides);
        }

        public override void Infer(Node n)
        {
            var x = ShapeOf(n, 0);
            var r = Repeats(n);
            SetOutput(n, 0, In(n, 0).Type, x.Select((d, i) => checked((int)(d * r[i]))).ToArray());
        }

        public override TensorData[]? Fold(Node n)
        {
            var (shape, strides) = Plan(n);
            return new[] { In(n, 0).Constant!.Select(n.Outputs[0].Shape!, Transpose.StridedIndices(0, shape, strides)) };
        }

        public override void Emit(EmitContext ctx)
        {
            if (Shapes.Size(ctx.Node.Outputs[0].Shape!) == 0) { ctx.W.Line("// empty output"); return; }
            var (full, strides) = Plan(ctx.Node);
            var (shape, st) = OpUtil.Collapse(full, strides);
            ctx.W.Line($"{ctx.Kernel("Tensor")}.StridedCopy<{ctx.Elem(ctx.InValue(0).Type)}>({ctx.In(0)}, 0, {ctx.Out(0)}, {CodeWriter.Ints(shape)}, {CodeWriter.Ints(st[0])});");
        }
    }
}
