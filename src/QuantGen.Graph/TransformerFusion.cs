using System;
using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Graph
{
    /// <summary>
    /// Recognizes the decomposed forms that exporters (PyTorch before opset 17, TensorFlow) write for LayerNormalization
    /// and GELU and replaces each with the one ONNX op, so the compiler runs one fused kernel instead of 5-9 passes over
    /// the tensor:
    /// <list type="bullet">
    /// <item>ReduceMean(x) -> Sub(x, mean) = d -> Pow(d, 2) or Mul(d, d) -> ReduceMean -> Add(eps) -> Sqrt -> Div(d, std)
    /// [-> Mul(gamma)] [-> Add(beta)] over trailing axes becomes LayerNormalization(x, gamma, beta; axis, epsilon);</item>
    /// <item>x * 0.5 * (1 + Erf(x / sqrt 2)) in its operand orders (Div by sqrt 2 or Mul by 1/sqrt 2; the 0.5 applied first,
    /// last or to the sum) becomes Gelu(x).</item>
    /// </list>
    /// The rewrite is exact up to float rounding (both compute the same formula). Matched intermediates must have no other
    /// reader and must not be graph outputs; a pattern that does not match exactly is left alone. Runs after inference
    /// (shapes and constants known) and only when the registry has the fused op.
    /// </summary>
    public static class TransformerFusion
    {
        public static int Run(Graph g, IOpRegistry ops)
        {
            int fused = 0;
            foreach (var n in g.Nodes) foreach (var a in n.Attributes.Values) if (a.G != null) fused += Run(a.G, ops);
            var ctx = new Matcher(g);
            var replacements = new List<(List<Node> Matched, Node Fused)>();
            var claimed = new HashSet<Node>();
            foreach (var n in g.Nodes)
            {
                if (claimed.Contains(n)) continue;
                ctx.BeginCandidate();
                var r = n.OpType == "ReduceMean" ? ctx.LayerNorm(n) : n.OpType == "Erf" ? ctx.Gelu(n) : null;
                if (r == null || r.Value.Matched.Any(claimed.Contains)) continue;
                var def = ops.Find(r.Value.Fused);
                if (def == null) continue;
                var fusedNode = r.Value.Fused;
                var outV = fusedNode.Outputs[0];
                var (type, shape) = (outV.Type, outV.Shape);
                try { def.Infer(fusedNode); }
                catch (QgException) { continue; }
                if (outV.Type != type || !Shapes.Same(outV.Shape, shape)) { outV.Type = type; outV.Shape = shape; continue; }
                foreach (var m in r.Value.Matched) claimed.Add(m);
                ctx.CommitConstants();
                replacements.Add(r.Value);
            }
            if (replacements.Count == 0) return fused;
            var removed = new HashSet<Node>(replacements.SelectMany(r => r.Matched));
            var lastOf = replacements.ToDictionary(r => r.Matched.OrderBy(m => g.Nodes.IndexOf(m)).Last(), r => r.Fused);
            var nodes = new List<Node>(g.Nodes.Count);
            foreach (var n in g.Nodes)
            {
                if (lastOf.TryGetValue(n, out var f)) { f.Outputs[0].Producer = f; nodes.Add(f); }
                else if (!removed.Contains(n)) nodes.Add(n);
            }
            g.Nodes = nodes;
            Passes.RemoveDeadNodes(g);
            return fused + replacements.Count;
        }

        private sealed class Matcher
        {
            private readonly Dictionary<Value, List<Node>> _readers = new Dictionary<Value, List<Node>>();
            private readonly HashSet<Value> _outputs;
            private readonly Graph _g;
            /// <summary>Constants made for the candidate being matched: added to the graph only when its rewrite is taken.</summary>
            private readonly List<Value> _created = new List<Value>();

            public Matcher(Graph g)
            {
                _g = g;
                _outputs = new HashSet<Value>(g.Outputs);
                foreach (var n in g.AllNodes())
                    foreach (var v in n.Inputs)
                        if (v != null)
                        {
                            if (!_readers.TryGetValue(v, out var l)) _readers[v] = l = new List<Node>();
                            if (!l.Contains(n)) l.Add(n);
                        }
            }

            private int Uses(Value v) => _readers.TryGetValue(v, out var l) ? l.Count : 0;

            /// <summary>The only reader of v, when v is read by exactly one node (once or twice) and is not a graph output.</summary>
            private Node? Single(Value v, string opType) =>
                !_outputs.Contains(v) && _readers.TryGetValue(v, out var l) && l.Count == 1 && l[0].OpType == opType && l[0].Domain.Length == 0
                && l[0].Outputs.Count == 1 ? l[0] : null;

            private static bool IsScalar(Value? v, double expected, double tolerance) =>
                v?.Constant is TensorData c && c.Length == 1 && c.IsFloating && Math.Abs(c.GetDouble(0) - expected) <= tolerance;

            private static double? ScalarValue(Value? v) =>
                v?.Constant is TensorData c && c.Length == 1 && c.IsFloating ? c.GetDouble(0) : null;

            /// <summary>The other input of a two-input node, given one of them (null when neither or both are it).</summary>
            private static Value? Other(Node n, Value v) =>
                n.Inputs.Count != 2 ? null : n.Inputs[0] == v && n.Inputs[1] != v ? n.Inputs[1] : n.Inputs[1] == v && n.Inputs[0] != v ? n.Inputs[0] : null;

            /// <summary>The trailing axis a ReduceMean with keepdims reduces from, when it reduces exactly the axes axis..rank-1.</summary>
            private static int? TrailingAxes(Node mean)
            {
                var x = mean.Input(0);
                if (x?.Shape == null || x.Type != DataType.Float || mean.GetInt("keepdims", 1) == 0) return null;
                long[]? axes;
                if (mean.Opset >= 18)
                {
                    var a = mean.Input(1);
                    if (a == null) return null;
                    if (a.Constant == null) return null;
                    axes = a.Constant.ToLongs();
                }
                else axes = mean.GetInts("axes");
                if (axes == null || axes.Length == 0) return null;
                int r = x.Shape.Length;
                var norm = axes.Select(a => a < 0 ? a + r : a).Distinct().OrderBy(a => a).ToArray();
                if (norm[0] < 0 || norm[norm.Length - 1] != r - 1) return null;
                for (int i = 1; i < norm.Length; i++) if (norm[i] != norm[i - 1] + 1) return null;
                return (int)norm[0];
            }

            public (List<Node> Matched, Node Fused)? LayerNorm(Node mean)
            {
                if (mean.Domain.Length != 0) return null;
                var x = mean.Input(0)!;
                var axis = TrailingAxes(mean);
                if (axis == null) return null;
                var sub = Single(mean.Outputs[0], "Sub");
                if (sub == null || sub.Input(0) != x || sub.Input(1) != mean.Outputs[0]) return null;
                var d = sub.Outputs[0];
                if (_outputs.Contains(d) || !_readers.TryGetValue(d, out var dReaders) || dReaders.Count != 2) return null;
                var square = dReaders.FirstOrDefault(r => (r.OpType == "Pow" && r.Input(0) == d && IsScalar(r.Input(1), 2, 0))
                                                          || (r.OpType == "Mul" && r.Input(0) == d && r.Input(1) == d));
                var div = dReaders.FirstOrDefault(r => r.OpType == "Div" && r.Input(0) == d);
                if (square == null || div == null || square.Domain.Length != 0 || div.Domain.Length != 0) return null;
                var varMean = Single(square.Outputs[0], "ReduceMean");
                if (varMean == null || TrailingAxes(varMean) != axis) return null;
                var addEps = Single(varMean.Outputs[0], "Add");
                if (addEps == null) return null;
                double? eps = ScalarValue(Other(addEps, varMean.Outputs[0]));
                if (eps == null || !(eps >= 0)) return null;
                var sqrt = Single(addEps.Outputs[0], "Sqrt");
                if (sqrt == null || div.Input(1) != sqrt.Outputs[0] || Uses(sqrt.Outputs[0]) != 1 || _outputs.Contains(sqrt.Outputs[0])) return null;
                var matched = new List<Node> { mean, sub, square, varMean, addEps, sqrt, div };

                var normShape = x.Shape!.Skip(axis.Value).ToArray();
                Value last = div.Outputs[0];
                Value? gamma = null, beta = null;
                var mul = Single(last, "Mul");
                if (mul != null && Affine(Other(mul, last), normShape, mul.Outputs[0].Name + "/scale") is Value g)
                {
                    gamma = g; matched.Add(mul); last = mul.Outputs[0];
                    var add = Single(last, "Add");
                    if (add != null && Affine(Other(add, last), normShape, add.Outputs[0].Name + "/bias") is Value b) { beta = b; matched.Add(add); last = add.Outputs[0]; }
                }
                if (!Shapes.Same(last.Shape, x.Shape)) return null;
                gamma ??= ConstantValue(last.Name + "/scale", TensorData.FromDoubles(DataType.Float, normShape, Enumerable.Repeat(1.0, Shapes.Size(normShape)).ToArray()));
                var ln = new Node(mean.Name + "/LayerNormalization", "LayerNormalization", "") { Opset = 17 };
                ln.Inputs.Add(x); ln.Inputs.Add(gamma);
                if (beta != null) ln.Inputs.Add(beta);
                ln.Attributes["axis"] = new NodeAttribute("axis", AttributeKind.Int) { I = axis.Value };
                ln.Attributes["epsilon"] = new NodeAttribute("epsilon", AttributeKind.Float) { F = (float)eps.Value };
                ln.Outputs.Add(last);
                return (matched, ln);
            }

            /// <summary>A float constant broadcasting over the normalized axes only, reshaped to exactly those axes.</summary>
            private Value? Affine(Value? v, int[] normShape, string name)
            {
                if (v?.Constant is not TensorData c || c.Type != DataType.Float) return null;
                var s = c.Shape;
                int lead = s.Length - normShape.Length;
                if (lead > 0 && s.Take(lead).Any(d => d != 1)) return null;
                var tail = lead >= 0 ? s.Skip(lead).ToArray() : s;
                var padded = Enumerable.Repeat(1, Math.Max(0, normShape.Length - tail.Length)).Concat(tail).ToArray();
                for (int i = 0; i < normShape.Length; i++) if (padded[i] != 1 && padded[i] != normShape[i]) return null;
                if (Shapes.Same(s, normShape)) return v;
                var full = new double[Shapes.Size(normShape)];
                var strides = Shapes.BroadcastStrides(padded, normShape);
                var idx = new int[normShape.Length];
                for (int i = 0; i < full.Length; i++)
                {
                    int src = 0;
                    for (int k = 0; k < idx.Length; k++) src += idx[k] * strides[k];
                    full[i] = c.GetDouble(src);
                    for (int k = idx.Length - 1; k >= 0 && ++idx[k] == normShape[k]; k--) idx[k] = 0;
                }
                return ConstantValue(name, TensorData.FromDoubles(DataType.Float, normShape, full));
            }

            public void BeginCandidate() => _created.Clear();

            public void CommitConstants()
            {
                foreach (var v in _created) _g.Values[v.Name] = v;
                _created.Clear();
            }

            /// <summary>A new constant for the current candidate (named after the fused pattern's output, which is unique).</summary>
            private Value ConstantValue(string name, TensorData data)
            {
                while (_g.Lookup(name) != null || _created.Any(c => c.Name == name)) name += "_";
                var v = new Value(name) { Constant = data, Type = data.Type, Shape = data.Shape };
                _created.Add(v);
                return v;
            }

            public (List<Node> Matched, Node Fused)? Gelu(Node erf)
            {
                if (erf.Domain.Length != 0) return null;
                var scaled = erf.Input(0);
                var pre = scaled?.Producer;
                if (pre == null || pre.Domain.Length != 0 || Uses(scaled!) != 1 || _outputs.Contains(scaled!)) return null;
                Value? x = pre.OpType switch
                {
                    "Div" when IsScalar(pre.Input(1), Math.Sqrt(2), 1e-4) => pre.Input(0),
                    "Mul" when IsScalar(pre.Input(1), Math.Sqrt(0.5), 1e-5) => pre.Input(0),
                    "Mul" when IsScalar(pre.Input(0), Math.Sqrt(0.5), 1e-5) => pre.Input(1),
                    _ => null,
                };
                if (x == null || x.Type != DataType.Float) return null;
                var add = Single(erf.Outputs[0], "Add");
                if (add == null || !IsScalar(Other(add, erf.Outputs[0]), 1, 0)) return null;
                var t = add.Outputs[0];
                var mul1 = Single(t, "Mul");
                if (mul1 == null) return null;
                var o1 = Other(mul1, t);
                var matched = new List<Node> { pre, erf, add, mul1 };
                Value result;
                if (o1 == x || IsScalar(o1, 0.5, 0))
                {
                    // (1 + erf) * x, then * 0.5; or (1 + erf) * 0.5, then * x.
                    var mul2 = Single(mul1.Outputs[0], "Mul");
                    if (mul2 == null) return null;
                    var o2 = Other(mul2, mul1.Outputs[0]);
                    if (!(o1 == x ? IsScalar(o2, 0.5, 0) : o2 == x)) return null;
                    matched.Add(mul2);
                    result = mul2.Outputs[0];
                }
                else
                {
                    // (x * 0.5) * (1 + erf).
                    var half = o1?.Producer;
                    if (half == null || half.OpType != "Mul" || half.Domain.Length != 0 || Uses(o1!) != 1 || _outputs.Contains(o1!)) return null;
                    if (Other(half, x) is not Value h || !IsScalar(h, 0.5, 0)) return null;
                    matched.Add(half);
                    result = mul1.Outputs[0];
                }
                if (!Shapes.Same(result.Shape, x.Shape)) return null;
                var gelu = new Node(erf.Name + "/Gelu", "Gelu", "") { Opset = 20 };
                gelu.Inputs.Add(x);
                gelu.Outputs.Add(result);
                return (matched, gelu);
            }
        }
    }
}
