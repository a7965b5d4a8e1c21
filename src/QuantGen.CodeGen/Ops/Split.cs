using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// Split along an axis (negative allowed): sizes from the 'split' attribute (opsets 2, 11), a constant 'split'
    /// input (13+), 'num_outputs' (18+: chunks of ceil(dim / n), the last one smaller), or equal parts over the outputs.
    /// Each output is a strided copy of its part of the input.
    /// </summary>
    internal sealed class Split : Operator
    {
        public override string OpType => "Split";

        private static (int Axis, int[] Sizes) Plan(Node n)
        {
            var x = ShapeOf(n, 0);
            int axis = Shapes.Axis(n.GetInt("axis", 0), x.Length);
            int dim = x[axis];
            int outputs = n.Outputs.Count;
            long[]? split = n.Opset < 13 ? n.GetInts("split") : n.Input(1) != null ? ConstInput(n, 1, "split").ToLongs() : null;
            if (split != null && split.Length == 0) split = null;
            int[] sizes;
            if (split != null)
            {
                if (n.Opset >= 18 && n.Has("num_outputs")) throw Invalid(n, "split and num_outputs are both given");
                if (split.Length != outputs) throw Invalid(n, $"split has {split.Length} sizes for {outputs} outputs");
                if (split.Any(s => s < 0) || split.Sum() != dim) throw Invalid(n, $"split [{string.Join(",", split)}] does not add up to {dim}");
                sizes = split.Select(s => (int)s).ToArray();
            }
            else if (n.Opset >= 18 && n.Has("num_outputs"))
            {
                long num = n.GetInt("num_outputs", 0);
                if (num < 1 || num != outputs) throw Invalid(n, $"num_outputs {num} does not match the {outputs} outputs");
                int chunk = (int)((dim + num - 1) / num);
                sizes = new int[num];
                for (int i = 0; i < num; i++) sizes[i] = Math.Max(0, Math.Min(chunk, dim - i * chunk));
            }
            else
            {
                if (dim % outputs != 0) throw Invalid(n, $"axis {axis} of size {dim} does not split into {outputs} equal parts");
                sizes = Enumerable.Repeat(dim / outputs, outputs).ToArray();
            }
            return (axis, sizes);
        }

        public override void Infer(Node n)
        {
            var x = ShapeOf(n, 0);
            var (axis, sizes) = Plan(n);
            for (int i = 0; i < sizes.Length; i++)
            {
                var s = (int[])x.Clone();
                s[axis] = sizes[i];
                SetOutput(n, i, In(n, 0).Type, s);
            }
        }

        public override TensorData[]? Fold(Node n)
        {
            var c = In(n, 0).Constant!;
            var (axis, sizes) = Plan(n);
            var xs = Shapes.Strides(c.Shape);
            var r = new TensorData[sizes.Length];
            int start = 0;
            for (int i = 0; i < sizes.Length; i++)
            {
                var s = (int[])c.Shape.Clone();
                s[axis] = sizes[i];
                r[i] = c.Select(s, Transpose.StridedIndices(start * xs[axis], s, xs));
                start += sizes[i];
            }
            return r;
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var x = ShapeOf(n, 0);
            var (axis, sizes) = Plan(n);
            var xs = Shapes.Strides(x);
            int start = 0;
            for (int i = 0; i < sizes.Length; start += sizes[i], i++)
            {
                var s = (int[])x.Clone();
                s[axis] = sizes[i];
                if (Shapes.Size(s) == 0 || n.Outputs[i].Name.Contains("__unused")) continue;
                var (shape, st) = OpUtil.Collapse(s, xs);
                ctx.W.Line($"{ctx.Kernel("Tensor")}.StridedCopy<{ctx.Elem(ctx.InValue(0).Type)}>({ctx.In(0)}, {start * xs[axis]}, {ctx.Out(i)}, {CodeWriter.Ints(shape)}, {CodeWriter.Ints(st[0])});");
            }
        }
    }
}
