using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>Clip: bounds from attributes (opset &lt; 11) or optional constant inputs (11+); float and integer tensors.</summary>
    internal sealed class Clip : Operator
    {
        public override string OpType => "Clip";

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Float, DataType.Int64, DataType.Int32, DataType.Int8, DataType.UInt8);
            for (int i = 1; i < n.Inputs.Count; i++)
                if (n.Inputs[i] is Value b && (b.Type != In(n, 0).Type || Shapes.Size(b.Shape!) != 1))
                    throw Invalid(n, $"bound {i} must be a one-element {DataTypes.OnnxName(In(n, 0).Type)} tensor");
            SetOutput(n, 0, In(n, 0).Type, ShapeOf(n, 0));
        }

        private static (double Lo, double Hi) Bounds(Node n, DataType t)
        {
            if (t == DataType.Float) { var (l, h) = EmitContext.ClipBounds(n); return (l, h); }
            double lo = n.Input(1)?.Constant is TensorData a ? a.GetLong(0) : double.NegativeInfinity;
            double hi = n.Input(2)?.Constant is TensorData b ? b.GetLong(0) : double.PositiveInfinity;
            return (lo, hi);
        }

        private static bool RuntimeBounds(Node n) => n.Inputs.Skip(1).Any(v => v != null && !v.IsConstant);

        public override TensorData[]? Fold(Node n)
        {
            var x = In(n, 0).Constant!;
            var (lo, hi) = Bounds(n, x.Type);
            // min(max(x, lo), hi): when lo > hi every element becomes hi.
            var vals = Enumerable.Range(0, x.Length).Select(i => { var v = x.GetDouble(i); v = v < lo ? lo : v; return v > hi ? hi : v; }).ToArray();
            return new[] { TensorData.FromDoubles(x.Type, x.Shape, vals) };
        }

        public override void Emit(EmitContext ctx)
        {
            var t = ctx.InValue(0).Type;
            if (RuntimeBounds(ctx.Node))
            {
                // Bounds computed at run time (e.g. max - top_db): read their single element.
                var cs0 = ctx.Elem(t);
                string lo = ctx.HasInput(1) ? $"{ctx.In(1)}[0]" : (t == DataType.Float ? "float.NegativeInfinity" : $"{cs0}.MinValue");
                string hi = ctx.HasInput(2) ? $"{ctx.In(2)}[0]" : (t == DataType.Float ? "float.PositiveInfinity" : $"{cs0}.MaxValue");
                ctx.W.Line(t == DataType.Float
                    ? $"{ctx.Kernel("Elementwise")}.Clip({ctx.In(0)}, {ctx.Out(0)}, {lo}, {hi});"
                    : $"{ctx.Kernel("Elementwise")}.Clip<{cs0}>({ctx.In(0)}, {ctx.Out(0)}, {lo}, {hi});");
                return;
            }
            if (t == DataType.Float)
            {
                var (lo, hi) = EmitContext.ClipBounds(ctx.Node);
                ctx.W.Line($"{ctx.Kernel("Elementwise")}.Clip({ctx.In(0)}, {ctx.Out(0)}, {CodeWriter.Float(lo)}, {CodeWriter.Float(hi)});");
                return;
            }
            var cs = ctx.Elem(t);
            var (l, h) = Bounds(ctx.Node, t);
            string lit(double v, string minMax) => double.IsInfinity(v) ? $"{cs}.{minMax}" : $"({cs}){(long)v}";
            ctx.W.Line($"{ctx.Kernel("Elementwise")}.Clip<{cs}>({ctx.In(0)}, {ctx.Out(0)}, {lit(l, "MinValue")}, {lit(h, "MaxValue")});");
        }
    }
}
