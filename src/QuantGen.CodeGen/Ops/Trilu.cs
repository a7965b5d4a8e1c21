using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// Trilu (opset 14): the upper (upper=1, default) or lower triangle of the last two axes, shifted by the optional k
    /// input (a constant or a run-time int64 scalar); other elements are zero. Every run-time element type.
    /// </summary>
    internal sealed class Trilu : Operator
    {
        public override string OpType => "Trilu";

        public override void Infer(Node n)
        {
            var x = ShapeOf(n, 0);
            if (x.Length < 2) throw Invalid(n, $"the input must have rank 2 or more (got {Shapes.Format(x)})");
            var t = In(n, 0).Type;
            if (!In(n, 0).IsConstant && !DataTypes.IsRuntimeSupported(t))
                throw new QgException(DiagnosticIds.UnsupportedType, $"{n.Describe()}: element type {DataTypes.OnnxName(t)} is not supported");
            if (n.Input(1) is Value k)
            {
                RequireTypes(n, 1, DataType.Int64);
                if (k.Shape != null && Shapes.Size(k.Shape) != 1) throw Invalid(n, "k must hold one element");
            }
            SetOutput(n, 0, t, x);
        }

        private static bool Upper(Node n) => n.GetInt("upper", 1) != 0;

        public override TensorData[]? Fold(Node n)
        {
            var x = In(n, 0).Constant!;
            long k = n.Input(1)?.Constant!.GetLong(0) ?? 0;
            int rows = x.Shape[x.Shape.Length - 2], cols = x.Shape[x.Shape.Length - 1];
            bool upper = Upper(n);
            bool Keep(int i)
            {
                int r = i / cols % rows, c = i % cols;
                return upper ? c - r >= k : c - r <= k;
            }
            if (x.IsFloating)
                return new[] { TensorData.FromDoubles(x.Type, x.Shape, Enumerable.Range(0, x.Length).Select(i => Keep(i) ? x.GetDouble(i) : 0).ToArray()) };
            return new[] { TensorData.FromLongs(x.Type, x.Shape, Enumerable.Range(0, x.Length).Select(i => Keep(i) ? x.GetLong(i) : 0).ToArray()) };
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var x = ShapeOf(n, 0);
            if (Shapes.Size(x) == 0) { ctx.W.Line("// empty output"); return; }
            int rows = x[x.Length - 2], cols = x[x.Length - 1], batch = OpUtil.Prod(x.Take(x.Length - 2));
            string k = n.Input(1) == null ? "0L" : n.Input(1)!.Constant is TensorData c ? CodeWriter.Long(c.GetLong(0)) : $"{ctx.In(1)}[0]";
            ctx.W.Line($"{ctx.Kernel("DataMovement")}.Trilu<{ctx.Elem(ctx.InValue(0).Type)}>({ctx.In(0)}, {ctx.Out(0)}, {batch}, {rows}, {cols}, {k}, {(Upper(n) ? "true" : "false")});");
        }

        public override string Describe(Node node) => Upper(node) ? "upper" : "lower";
    }
}
