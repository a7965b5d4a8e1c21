using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// CumSum (opsets 11, 14) on float32, int32 and int64: the axis input (a scalar int32/int64, negative counts from
    /// the end) may be a run-time value, as the output shape does not depend on it; exclusive and reverse attributes.
    /// </summary>
    internal sealed class CumSum : Operator
    {
        public override string OpType => "CumSum";

        private static (bool Exclusive, bool Reverse) Flags(Node n)
        {
            long e = n.GetInt("exclusive", 0), r = n.GetInt("reverse", 0);
            if (e is not (0 or 1)) throw Unsupported(n, $"exclusive must be 0 or 1 (got {e})");
            if (r is not (0 or 1)) throw Unsupported(n, $"reverse must be 0 or 1 (got {r})");
            return (e == 1, r == 1);
        }

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Float, DataType.Int32, DataType.Int64);
            RequireTypes(n, 1, DataType.Int32, DataType.Int64);
            var x = ShapeOf(n, 0);
            if (x.Length == 0) throw Invalid(n, "the input must have rank >= 1");
            if (Shapes.Size(ShapeOf(n, 1)) != 1) throw Invalid(n, $"axis must be a scalar (got shape {Shapes.Format(ShapeOf(n, 1))})");
            if (In(n, 1).Constant is TensorData c) Shapes.Axis(c.GetLong(0), x.Length);
            Flags(n);
            SetOutput(n, 0, In(n, 0).Type, x);
        }

        public override TensorData[]? Fold(Node n)
        {
            var x = In(n, 0).Constant!;
            var shape = ShapeOf(n, 0);
            int axis = Shapes.Axis(In(n, 1).Constant!.GetLong(0), shape.Length);
            var (exclusive, reverse) = Flags(n);
            int outer = OpUtil.Prod(shape.Take(axis)), len = shape[axis], inner = OpUtil.Prod(shape.Skip(axis + 1));
            var fy = new double[x.Length];
            var ly = new long[x.Length];
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    float fa = 0f; long la = 0;
                    for (int s = 0; s < len; s++)
                    {
                        int p = (o * len + (reverse ? len - 1 - s : s)) * inner + i;
                        if (exclusive) { fy[p] = fa; ly[p] = la; }
                        fa += (float)x.GetDouble(p); la = unchecked(la + x.GetLong(p));
                        if (x.Type == DataType.Int32) la = (int)la;
                        if (!exclusive) { fy[p] = fa; ly[p] = la; }
                    }
                }
            return new[] { x.IsFloating ? TensorData.FromDoubles(x.Type, shape, fy) : TensorData.FromLongs(x.Type, shape, ly) };
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var (exclusive, reverse) = Flags(n);
            ctx.W.Line($"{ctx.Kernel("Indexing")}.CumSum<{ctx.Elem(ctx.InValue(0).Type)}>({ctx.In(0)}, {ctx.Out(0)}, {CodeWriter.Ints(ShapeOf(n, 0))}, (long){ctx.In(1)}[0], {(exclusive ? "true" : "false")}, {(reverse ? "true" : "false")});");
        }
    }
}
