using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>Concat along an axis (negative allowed): each input is copied as [outer, axis_i * inner] blocks.</summary>
    internal sealed class Concat : Operator
    {
        public override string OpType => "Concat";

        public override void Infer(Node n)
        {
            var inputs = n.Inputs.Where(v => v != null).Select(v => v!).ToList();
            if (inputs.Count == 0) throw Invalid(n, "no inputs");
            var first = inputs[0].Shape!;
            if (!n.Has("axis")) throw Invalid(n, "axis is required");
            int axis = Shapes.Axis(n.GetInt("axis", 0), first.Length);
            var shape = (int[])first.Clone();
            shape[axis] = 0;
            foreach (var v in inputs)
            {
                var s = v.Shape!;
                if (v.Type != inputs[0].Type) throw new QgException(DiagnosticIds.UnsupportedType, $"{n.Describe()}: inputs have different element types");
                if (s.Length != first.Length || s.Where((d, i) => i != axis && d != first[i]).Any())
                    throw new QgException(DiagnosticIds.ShapeInference, $"{n.Describe()}: cannot concatenate {Shapes.Format(first)} and {Shapes.Format(s)} on axis {axis}");
                shape[axis] += s[axis];
            }
            SetOutput(n, 0, inputs[0].Type, shape);
        }

        public override TensorData[]? Fold(Node n)
        {
            var inputs = n.Inputs.Where(v => v != null).Select(v => v!.Constant!).ToList();
            var outShape = n.Outputs[0].Shape!;
            int axis = Shapes.Axis(n.GetInt("axis", 0), outShape.Length);
            int outer = OpUtil.Prod(outShape.Take(axis)), inner = OpUtil.Prod(outShape.Skip(axis + 1));
            var parts = inputs.Select(c => c.Shape[axis] * inner).ToList();
            int outBlock = parts.Sum();
            var t = inputs[0];
            if (t.IsFloating)
            {
                var r = new double[outer * outBlock];
                int off = 0;
                for (int k = 0; k < inputs.Count; off += parts[k], k++)
                    for (int o = 0; o < outer; o++)
                        for (int i = 0; i < parts[k]; i++) r[o * outBlock + off + i] = inputs[k].GetDouble(o * parts[k] + i);
                return new[] { TensorData.FromDoubles(t.Type, outShape, r) };
            }
            else
            {
                var r = new long[outer * outBlock];
                int off = 0;
                for (int k = 0; k < inputs.Count; off += parts[k], k++)
                    for (int o = 0; o < outer; o++)
                        for (int i = 0; i < parts[k]; i++) r[o * outBlock + off + i] = inputs[k].GetLong(o * parts[k] + i);
                return new[] { TensorData.FromLongs(t.Type, outShape, r) };
            }
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var outShape = n.Outputs[0].Shape!;
            int axis = Shapes.Axis(n.GetInt("axis", 0), outShape.Length);
            int outer = OpUtil.Prod(outShape.Take(axis)), inner = OpUtil.Prod(outShape.Skip(axis + 1));
            int outBlock = outShape[axis] * inner;
            int off = 0;
            for (int i = 0; i < n.Inputs.Count; i++)
            {
                var v = n.Inputs[i];
                if (v == null) continue;
                int block = v.Shape![axis] * inner;
                if (block > 0)
                    ctx.W.Line($"{ctx.Kernel("Tensor")}.ConcatPart<{ctx.Elem(v.Type)}>({ctx.In(i)}, {ctx.Out(0)}, {outer}, {block}, {outBlock}, {off});");
                off += block;
            }
        }
    }
}
