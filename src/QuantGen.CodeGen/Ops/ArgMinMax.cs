using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// ArgMax and ArgMin (opsets 1, 11, 12, 13): axis (default 0; negative from opset 11), keepdims (default 1),
    /// select_last_index (opset 12+, default 0). Output int64. A NaN counts as the extreme, as in the ONNX reference.
    /// </summary>
    internal sealed class ArgMinMax : Operator
    {
        private readonly bool _max;
        public ArgMinMax(bool max) { _max = max; }
        public override string OpType => _max ? "ArgMax" : "ArgMin";

        private static (int Axis, int Outer, int N, int Inner, int[] OutShape, bool Last) Resolve(Node n)
        {
            var x = ShapeOf(n, 0);
            long a = n.GetInt("axis", 0);
            if (a < 0 && n.Opset < 11) throw Unsupported(n, $"negative axis {a} needs opset 11");
            int axis = Shapes.Axis(a, x.Length);
            if (x[axis] == 0) throw Invalid(n, $"axis {axis} has size 0");
            bool keep = n.GetInt("keepdims", 1) != 0;
            long sel = n.GetInt("select_last_index", 0);
            if (sel != 0 && n.Opset < 12) throw Unsupported(n, "select_last_index needs opset 12");
            if (sel != 0 && sel != 1) throw Unsupported(n, $"select_last_index must be 0 or 1 (got {sel})");
            var outShape = keep ? x.Select((d, i) => i == axis ? 1 : d).ToArray() : x.Where((d, i) => i != axis).ToArray();
            return (axis, OpUtil.Prod(x.Take(axis)), x[axis], OpUtil.Prod(x.Skip(axis + 1)), outShape, sel == 1);
        }

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Float, DataType.Int64, DataType.Int32, DataType.UInt8, DataType.Int8);
            SetOutput(n, 0, DataType.Int64, Resolve(n).OutShape);
        }

        public override TensorData[]? Fold(Node n)
        {
            var (_, outer, len, inner, shape, last) = Resolve(n);
            var x = In(n, 0).Constant!;
            var y = new long[outer * inner];
            bool fl = x.IsFloating;
            bool IsNaN(int p) => fl && double.IsNaN(x.GetDouble(p));
            int Cmp(int p, int q) => fl ? x.GetDouble(p).CompareTo(x.GetDouble(q)) : x.GetLong(p).CompareTo(x.GetLong(q));
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    int b = o * len * inner + i, best = 0;
                    for (int k = 1; k < len; k++)
                    {
                        int p = b + k * inner, q = b + best * inner;
                        bool better;
                        if (IsNaN(q)) better = last && IsNaN(p);
                        else if (IsNaN(p)) better = true;
                        else { int c = Cmp(p, q); better = _max ? (last ? c >= 0 : c > 0) : (last ? c <= 0 : c < 0); }
                        if (better) best = k;
                    }
                    y[o * inner + i] = best;
                }
            return new[] { new TensorData(DataType.Int64, shape, y) };
        }

        public override void Emit(EmitContext ctx)
        {
            var (_, outer, len, inner, _, last) = Resolve(ctx.Node);
            ctx.W.Line($"{ctx.Kernel("Indexing")}.ArgExtreme<{ctx.Elem(ctx.InValue(0).Type)}>({ctx.In(0)}, {ctx.Out(0)}, {outer}, {len}, {inner}, {(_max ? "true" : "false")}, {(last ? "true" : "false")});");
        }

        public override string Describe(Node n) => $"axis {Resolve(n).Axis}";
    }
}
