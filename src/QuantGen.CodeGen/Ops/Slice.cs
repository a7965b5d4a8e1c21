using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// Slice (opset 1-9: attributes starts/ends/axes; 10+: constant inputs starts, ends, axes, steps). Indices are
    /// clamped as ONNX defines (negative counts from the end; negative steps walk backwards). Runs as a strided copy.
    /// </summary>
    internal sealed class Slice : Operator
    {
        public override string OpType => "Slice";

        private static (int[] OutShape, int Offset, int[] Strides) Resolve(Node n)
        {
            var x = ShapeOf(n, 0);
            long[] starts, ends;
            long[]? axes, steps = null;
            if (n.Opset < 10)
            {
                starts = n.GetInts("starts") ?? throw Invalid(n, "starts is required");
                ends = n.GetInts("ends") ?? throw Invalid(n, "ends is required");
                axes = n.GetInts("axes");
            }
            else
            {
                starts = ConstInput(n, 1, "starts").ToLongs();
                ends = ConstInput(n, 2, "ends").ToLongs();
                axes = n.Input(3) != null ? ConstInput(n, 3, "axes").ToLongs() : null;
                steps = n.Input(4) != null ? ConstInput(n, 4, "steps").ToLongs() : null;
            }
            if (axes == null || axes.Length == 0) axes = Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
            if (ends.Length != starts.Length || axes.Length != starts.Length || (steps != null && steps.Length != starts.Length))
                throw Invalid(n, "starts, ends, axes and steps must have the same length");
            var xs = Shapes.Strides(x);
            var outShape = (int[])x.Clone();
            var strides = (int[])xs.Clone();
            long offset = 0;
            for (int i = 0; i < starts.Length; i++)
            {
                int a = Shapes.Axis(axes[i], x.Length);
                long dim = x[a], step = steps?[i] ?? 1;
                if (step == 0) throw Invalid(n, "step 0");
                long s = starts[i], e = ends[i];
                if (s < 0) s += dim;
                if (e < 0) e += dim;
                long count;
                if (step > 0)
                {
                    s = Math.Max(0, Math.Min(s, dim));
                    e = Math.Max(0, Math.Min(e, dim));
                    count = e > s ? (e - s + step - 1) / step : 0;
                }
                else
                {
                    s = Math.Max(-1, Math.Min(s, dim - 1));
                    e = Math.Max(-1, Math.Min(e, dim - 1));
                    count = s > e ? (s - e + (-step) - 1) / (-step) : 0;
                }
                outShape[a] = (int)count;
                if (count > 0) offset += s * xs[a];
                strides[a] = (int)(xs[a] * step);
            }
            return (outShape, (int)offset, strides);
        }

        public override void Infer(Node n) => SetOutput(n, 0, In(n, 0).Type, Resolve(n).OutShape);

        public override TensorData[]? Fold(Node n)
        {
            var (shape, offset, strides) = Resolve(n);
            return new[] { In(n, 0).Constant!.Select(shape, Transpose.StridedIndices(offset, shape, strides)) };
        }

        public override void Emit(EmitContext ctx)
        {
            var (outShape, offset, strides) = Resolve(ctx.Node);
            if (Shapes.Size(outShape) == 0) { ctx.W.Line("// empty slice"); return; }
            var (shape, st) = OpUtil.Collapse(outShape, strides);
            ctx.W.Line($"{ctx.Kernel("Tensor")}.StridedCopy<{ctx.Elem(ctx.InValue(0).Type)}>({ctx.In(0)}, {offset}, {ctx.Out(0)}, {CodeWriter.Ints(shape)}, {CodeWriter.Ints(st[0])});");
        }
    }
}
