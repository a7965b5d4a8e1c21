using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>Ops whose output is input 0's elements in the same order: no code runs, the planner aliases the buffers.</summary>
    internal abstract class ViewOp : Operator
    {
        public override bool IsView(Node node) => true;

        public override TensorData[]? Fold(Node n) => new[] { In(n, 0).Constant!.Reshaped(n.Outputs[0].Shape!) };

        public override void Emit(EmitContext ctx) => ctx.W.Line($"{ctx.In(0)}.CopyTo({ctx.Out(0)});");

        protected static void SetView(Node n, int[] shape)
        {
            if (Shapes.Size(shape) != Shapes.Size(ShapeOf(n, 0)))
                throw new QgException(DiagnosticIds.ShapeInference, $"{n.Describe()}: cannot view {Shapes.Format(ShapeOf(n, 0))} as {Shapes.Format(shape)}");
            SetOutput(n, 0, In(n, 0).Type, shape);
        }
    }

    /// <summary>Reshape (opset 1-4: shape attribute; 5+: constant shape input; 0 copies a dimension unless allowzero; -1 is inferred).</summary>
    internal sealed class Reshape : ViewOp
    {
        public override string OpType => "Reshape";

        public override void Infer(Node n)
        {
            var x = ShapeOf(n, 0);
            long[] spec = n.Opset < 5 ? n.GetInts("shape") ?? throw Invalid(n, "shape attribute missing") : ConstInput(n, 1, "the target shape").ToLongs();
            bool allowZero = n.GetInt("allowzero", 0) != 0;
            var shape = new int[spec.Length];
            int infer = -1;
            long known = 1;
            for (int i = 0; i < spec.Length; i++)
            {
                long d = spec[i];
                if (d == -1)
                {
                    if (infer >= 0) throw Invalid(n, "more than one -1 in the target shape");
                    infer = i; continue;
                }
                if (d == 0 && !allowZero)
                {
                    if (i >= x.Length) throw Invalid(n, $"0 at position {i} copies a dimension the input {Shapes.Format(x)} lacks");
                    d = x[i];
                }
                if (d < 0) throw Invalid(n, $"invalid dimension {d} in the target shape");
                shape[i] = checked((int)d);
                known *= d;
            }
            if (infer >= 0)
            {
                long total = Shapes.Size(x);
                if (known == 0 || total % known != 0) throw new QgException(DiagnosticIds.ShapeInference, $"{n.Describe()}: cannot reshape {Shapes.Format(x)} to [{string.Join(",", spec)}]");
                shape[infer] = (int)(total / known);
            }
            SetView(n, shape);
        }
    }

    internal sealed class Flatten : ViewOp
    {
        public override string OpType => "Flatten";

        public override void Infer(Node n)
        {
            var x = ShapeOf(n, 0);
            long axis = n.GetInt("axis", 1);
            if (axis < 0) axis += x.Length;
            if (axis < 0 || axis > x.Length) throw Invalid(n, $"axis {n.GetInt("axis", 1)} out of range for rank {x.Length}");
            SetView(n, new[] { OpUtil.Prod(x.Take((int)axis)), OpUtil.Prod(x.Skip((int)axis)) });
        }
    }

    internal sealed class Squeeze : ViewOp
    {
        public override string OpType => "Squeeze";

        public override void Infer(Node n)
        {
            var x = ShapeOf(n, 0);
            var axes = OpUtil.Axes(n, 1, 13);
            var remove = axes == null || axes.Length == 0
                ? Enumerable.Range(0, x.Length).Where(i => x[i] == 1).ToList()
                : axes.Select(a => Shapes.Axis(a, x.Length)).ToList();
            foreach (var a in remove)
                if (x[a] != 1) throw Invalid(n, $"cannot squeeze axis {a} of size {x[a]}");
            SetView(n, x.Where((d, i) => !remove.Contains(i)).ToArray());
        }
    }

    internal sealed class Unsqueeze : ViewOp
    {
        public override string OpType => "Unsqueeze";

        public override void Infer(Node n)
        {
            var x = ShapeOf(n, 0);
            var axes = OpUtil.Axes(n, 1, 13) ?? throw Invalid(n, "axes are required");
            int rank = x.Length + axes.Length;
            var set = axes.Select(a => Shapes.Axis(a, rank)).ToList();
            if (set.Distinct().Count() != set.Count) throw Invalid(n, "repeated axes");
            var shape = new int[rank];
            int src = 0;
            for (int i = 0; i < rank; i++) shape[i] = set.Contains(i) ? 1 : x[src++];
            SetView(n, shape);
        }
    }

    /// <summary>Identity, and Dropout at inference (output = input; the optional mask output is all true).</summary>
    /// <remarks>Dropout in training mode (training_mode true, opset 12+) drops random elements: only ratio 0 (identity) is supported.</remarks>
    internal sealed class Identity : ViewOp
    {
        private readonly string _op;
        public Identity(string op) { _op = op; }
        public override string OpType => _op;

        public override void Infer(Node n)
        {
            if (_op == "Dropout") CheckInferenceMode(n);
            SetOutput(n, 0, In(n, 0).Type, ShapeOf(n, 0));
            if (_op == "Dropout" && n.Outputs.Count > 1 && !n.Outputs[1].Name.Contains("__unused"))
            {
                var shape = ShapeOf(n, 0);
                var mask = n.Outputs[1];
                mask.Constant = new TensorData(DataType.Bool, shape, Enumerable.Repeat(1L, Shapes.Size(shape)).ToArray());
                mask.Type = DataType.Bool;
                mask.Shape = shape;
                mask.Producer = null;
            }
        }

        private static void CheckInferenceMode(Node n)
        {
            if (n.Opset < 12) return;
            var training = n.Input(2);
            if (training == null) return;
            if (training.Constant == null)
                throw Unsupported(n, "training_mode is a run-time input; only inference (training_mode false) is supported");
            if (training.Constant.GetLong(0) == 0) return;
            var ratio = n.Input(1);
            double r = ratio == null ? 0.5 : ratio.Constant?.GetDouble(0) ?? double.NaN;
            if (r != 0)
                throw Unsupported(n, "training_mode=true with a non-zero ratio drops random elements; only inference is supported");
        }
    }
}
