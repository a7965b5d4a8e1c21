using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// TopK (opset 1: k attribute; 10: k as a constant input; 11: largest, sorted, negative axis, integer types).
    /// Outputs values and int64 indices along axis (default -1), best first, ties broken by the lower index as ONNX
    /// Runtime does. k sets the output shape, so it must be known at build time. With sorted=0 the order is undefined
    /// by ONNX; the output is sorted all the same.
    /// </summary>
    internal sealed class TopK : Operator
    {
        public override string OpType => "TopK";

        private static (int Outer, int N, int Inner, int K, int[] OutShape, bool Largest) Resolve(Node n)
        {
            var x = ShapeOf(n, 0);
            long k;
            if (n.Opset < 10) k = n.Has("k") ? n.GetInt("k", 0) : throw Invalid(n, "the k attribute is required");
            else
            {
                var kc = ConstInput(n, 1, "k");
                if (kc.Length != 1) throw Invalid(n, $"k must hold one value (got {kc.Length})");
                k = kc.GetLong(0);
            }
            int axis = Shapes.Axis(n.GetInt("axis", -1), x.Length);
            if (k < 0 || k > x[axis]) throw Invalid(n, $"k={k} is out of range for axis {axis} of size {x[axis]}");
            long largest = n.GetInt("largest", 1), sorted = n.GetInt("sorted", 1);
            if (n.Opset < 11 && (n.Has("largest") || n.Has("sorted"))) throw Unsupported(n, "largest and sorted need opset 11");
            if (largest is not (0 or 1)) throw Unsupported(n, $"largest must be 0 or 1 (got {largest})");
            if (sorted is not (0 or 1)) throw Unsupported(n, $"sorted must be 0 or 1 (got {sorted})");
            var outShape = x.Select((d, i) => i == axis ? (int)k : d).ToArray();
            return (OpUtil.Prod(x.Take(axis)), x[axis], OpUtil.Prod(x.Skip(axis + 1)), (int)k, outShape, largest == 1);
        }

        public override void Infer(Node n)
        {
            if (n.Opset < 11) RequireTypes(n, 0, DataType.Float);
            else RequireTypes(n, 0, DataType.Float, DataType.Int64, DataType.Int32, DataType.UInt8, DataType.Int8);
            if (n.Opset >= 10) RequireTypes(n, 1, DataType.Int64);
            if (n.Outputs.Count != 2) throw Invalid(n, "TopK has two outputs (values and indices)");
            var r = Resolve(n);
            SetOutput(n, 0, In(n, 0).Type, r.OutShape);
            SetOutput(n, 1, DataType.Int64, r.OutShape);
        }

        public override TensorData[]? Fold(Node n)
        {
            var (outer, len, inner, k, shape, largest) = Resolve(n);
            var x = In(n, 0).Constant!;
            bool fl = x.IsFloating;
            int Rank(int p, int q)
            {
                // Negative when element p comes before q: NaN above every number, then by value, then by index.
                if (fl)
                {
                    double a = x.GetDouble(p), b = x.GetDouble(q);
                    bool na = double.IsNaN(a), nb = double.IsNaN(b);
                    if (na != nb) return (largest ? na : nb) ? -1 : 1;
                    if (!na && a != b) return (largest ? a > b : a < b) ? -1 : 1;
                }
                else
                {
                    long a = x.GetLong(p), b = x.GetLong(q);
                    if (a != b) return (largest ? a > b : a < b) ? -1 : 1;
                }
                return p.CompareTo(q);
            }
            var idx = new long[outer * k * inner];
            var flat = new int[idx.Length];
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    var order = Enumerable.Range(0, len).Select(j => (o * len + j) * inner + i).ToList();
                    order.Sort(Rank);
                    for (int m = 0; m < k; m++)
                    {
                        int q = (o * k + m) * inner + i;
                        flat[q] = order[m];
                        idx[q] = (order[m] - o * len * inner - i) / inner;
                    }
                }
            return new[] { x.Select(shape, flat), new TensorData(DataType.Int64, shape, idx) };
        }

        public override long ScratchBytes(Node n) => 4L * Resolve(n).K;

        public override void Emit(EmitContext ctx)
        {
            var (outer, len, inner, k, _, largest) = Resolve(ctx.Node);
            if (k == 0) { ctx.W.Line("// k = 0: empty outputs"); return; }
            ctx.W.Line($"{ctx.Kernel("Indexing")}.TopK<{ctx.Elem(ctx.InValue(0).Type)}>({ctx.In(0)}, {ctx.Out(0)}, {ctx.Out(1)}, {outer}, {len}, {inner}, {k}, {(largest ? "true" : "false")}, {ctx.Scratch("int")});");
        }

        public override string Describe(Node n) => $"k {Resolve(n).K}";
    }
}
