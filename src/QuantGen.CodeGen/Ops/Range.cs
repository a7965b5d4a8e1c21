using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// Range (opset 11): start + i * delta for i in [0, max(ceil((limit - start) / delta), 0)). The output size depends on
    /// the three inputs, so they must be constants; the node is then folded (or, when too large to fold, filled by a loop).
    /// </summary>
    internal sealed class Range : Operator
    {
        public override string OpType => "Range";

        private static (TensorData Start, TensorData Limit, TensorData Delta, int Count) Plan(Node n)
        {
            var start = ConstInput(n, 0, "start");
            var limit = ConstInput(n, 1, "limit");
            var delta = ConstInput(n, 2, "delta");
            if (start.Length != 1 || limit.Length != 1 || delta.Length != 1) throw Invalid(n, "start, limit and delta must be scalars");
            if (start.Type != limit.Type || start.Type != delta.Type) throw Invalid(n, "start, limit and delta must have the same type");
            double count;
            if (start.IsFloating)
            {
                double d = delta.GetDouble(0);
                if (d == 0) throw Invalid(n, "delta is 0");
                count = Math.Ceiling((limit.GetDouble(0) - start.GetDouble(0)) / d);
            }
            else
            {
                long d = delta.GetLong(0);
                if (d == 0) throw Invalid(n, "delta is 0");
                long span = limit.GetLong(0) - start.GetLong(0);
                count = span / d + ((span % d != 0 && (span < 0) == (d < 0)) ? 1 : 0);
            }
            if (double.IsNaN(count)) throw Invalid(n, "the number of elements is not a number");
            count = Math.Max(0, count);
            if (count > int.MaxValue) throw Invalid(n, $"{count} elements are too many");
            return (start, limit, delta, (int)count);
        }

        public override void Infer(Node n)
        {
            var t = In(n, 0).Type;
            if (t != DataType.Float && t != DataType.Double && t != DataType.Int64 && t != DataType.Int32 && t != DataType.Int16)
                throw new QgException(DiagnosticIds.UnsupportedType, $"{n.Describe()}: element type {DataTypes.OnnxName(t)} is not supported");
            SetOutput(n, 0, t, new[] { Plan(n).Count });
        }

        public override TensorData[]? Fold(Node n)
        {
            var (start, _, delta, count) = Plan(n);
            var shape = new[] { count };
            if (start.Type == DataType.Float)
            {
                float s = (float)start.GetDouble(0), d = (float)delta.GetDouble(0);
                return new[] { new TensorData(DataType.Float, shape, Enumerable.Range(0, count).Select(i => s + i * d).ToArray()) };
            }
            if (start.IsFloating)
            {
                double s = start.GetDouble(0), d = delta.GetDouble(0);
                return new[] { TensorData.FromDoubles(start.Type, shape, Enumerable.Range(0, count).Select(i => s + i * d).ToArray()) };
            }
            long ls = start.GetLong(0), ld = delta.GetLong(0);
            return new[] { TensorData.FromLongs(start.Type, shape, Enumerable.Range(0, count).Select(i => ls + i * ld).ToArray()) };
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var (start, _, delta, count) = Plan(n);
            if (count == 0) { ctx.W.Line("// empty output"); return; }
            var t = ctx.OutValue(0).Type;
            string Lit(TensorData v) => t switch
            {
                DataType.Float => CodeWriter.Float((float)v.GetDouble(0)),
                DataType.Int64 => CodeWriter.Long(v.GetLong(0)),
                DataType.Int32 => CodeWriter.Int(v.GetLong(0)),
                _ => throw new QgException(DiagnosticIds.UnsupportedType, $"{n.Describe()}: a run-time {DataTypes.OnnxName(t)} output is not supported"),
            };
            ctx.W.Line($"{ctx.Kernel("DataMovement")}.Range<{ctx.Elem(t)}>({ctx.Out(0)}, {Lit(start)}, {Lit(delta)});");
        }
    }
}
