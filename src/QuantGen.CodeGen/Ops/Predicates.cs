using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// IsNaN (opset 9+) and IsInf (opset 10+, detect_positive / detect_negative) on float32, giving bool; Not (opset 1+)
    /// on bool. Kernels in src/QuantGen.Kernels/Elementwise.cs.
    /// </summary>
    internal sealed class Predicate : Operator
    {
        private readonly string _op;
        public Predicate(string op) { _op = op; }
        public override string OpType => _op;

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, _op == "Not" ? DataType.Bool : DataType.Float);
            SetOutput(n, 0, DataType.Bool, ShapeOf(n, 0));
        }

        private (bool Pos, bool Neg) Detect(Node n) => (n.GetInt("detect_positive", 1) != 0, n.GetInt("detect_negative", 1) != 0);

        private bool Apply(Node n, double v)
        {
            var (pos, neg) = Detect(n);
            return _op switch
            {
                "IsNaN" => double.IsNaN(v),
                "IsInf" => pos && double.IsPositiveInfinity(v) || neg && double.IsNegativeInfinity(v),
                _ => v == 0,
            };
        }

        public override TensorData[]? Fold(Node n)
        {
            var x = In(n, 0).Constant!;
            var y = Enumerable.Range(0, x.Length).Select(i => Apply(n, _op == "Not" ? x.GetLong(i) : x.GetDouble(i)) ? 1L : 0L).ToArray();
            return new[] { new TensorData(DataType.Bool, ShapeOf(n, 0), y) };
        }

        public override void Emit(EmitContext ctx)
        {
            var k = ctx.Kernel("Elementwise");
            var (pos, neg) = Detect(ctx.Node);
            ctx.W.Line(_op switch
            {
                "IsInf" => $"{k}.IsInf({ctx.In(0)}, {ctx.Out(0)}, {(pos ? "true" : "false")}, {(neg ? "true" : "false")});",
                _ => $"{k}.{_op}({ctx.In(0)}, {ctx.Out(0)});",
            });
        }
    }

    /// <summary>
    /// PRelu (opsets 1, 6, 7, 9, 16): y = x for x &gt;= 0, slope * x otherwise, the slope broadcast to the shape of x
    /// (unidirectional). float32 always; int32 and int64 from opset 16.
    /// </summary>
    internal sealed class PRelu : Operator
    {
        public override string OpType => "PRelu";

        public override void Infer(Node n)
        {
            if (n.Opset >= 16) RequireTypes(n, 0, DataType.Float, DataType.Int32, DataType.Int64);
            else RequireTypes(n, 0, DataType.Float);
            var t = In(n, 0).Type;
            if (In(n, 1).Type != t)
                throw new QgException(DiagnosticIds.UnsupportedType, $"{n.Describe()}: slope is {DataTypes.OnnxName(In(n, 1).Type)} but X is {DataTypes.OnnxName(t)}");
            var x = ShapeOf(n, 0);
            var s = ShapeOf(n, 1);
            var b = Shapes.Broadcast(new IReadOnlyList<int>[] { x, s });
            if (b == null || !b.SequenceEqual(x))
                throw new QgException(DiagnosticIds.ShapeInference, $"{n.Describe()}: slope {Shapes.Format(s)} does not broadcast to X {Shapes.Format(x)}");
            SetOutput(n, 0, t, x);
        }

        public override TensorData[]? Fold(Node n)
        {
            var x = In(n, 0).Constant!;
            var s = In(n, 1).Constant!;
            var shape = ShapeOf(n, 0);
            var st = Shapes.BroadcastStrides(s.Shape, shape);
            var xs = Shapes.Strides(shape);
            int size = x.Length;
            int SlopeIndex(int i)
            {
                int o = 0;
                for (int d = 0; d < shape.Length; d++) o += i / xs[d] % shape[d] * st[d];
                return o;
            }
            if (x.IsFloating)
                return new[] { TensorData.FromDoubles(x.Type, shape, Enumerable.Range(0, size).Select(i =>
                {
                    float v = (float)x.GetDouble(i);
                    return (double)(v < 0 ? v * (float)s.GetDouble(SlopeIndex(i)) : v);
                }).ToArray()) };
            return new[] { TensorData.FromLongs(x.Type, shape, Enumerable.Range(0, size).Select(i =>
            {
                long v = x.GetLong(i);
                return v < 0 ? unchecked(v * s.GetLong(SlopeIndex(i))) : v;
            }).ToArray()) };
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var shape = ShapeOf(n, 0);
            var (cshape, st) = OpUtil.Collapse(shape, Shapes.Strides(shape), Shapes.BroadcastStrides(ShapeOf(n, 1), shape));
            var cs = ctx.Elem(In(n, 0).Type);
            ctx.W.Line($"{ctx.Kernel("Broadcast")}.Binary<{cs}, {cs}, global::QuantGen.Kernels.PReluOp<{cs}>>({ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, " +
                $"{CodeWriter.Ints(cshape)}, {CodeWriter.Ints(st[0])}, {CodeWriter.Ints(st[1])});");
        }
    }
}
