using System;
using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Graph.Quantization
{
    /// <summary>
    /// Pre-quantized models in QDQ form (what ONNX Runtime's quantize_static writes): the graph is a float graph in which
    /// each quantized weight is a constant int8 tensor behind a DequantizeLinear, and each quantized activation passes
    /// through a QuantizeLinear -> DequantizeLinear pair. With Precision=Int8 these patterns become QuantGen's own int8
    /// layers with the model's scales and zero points:
    /// <list type="number">
    /// <item><see cref="MarkWeights"/> (before inference) folds each DequantizeLinear of constant weights into a float
    /// constant that still carries the model's int8 values and scales (<see cref="Value.QuantizedSource"/>).</item>
    /// <item><see cref="FoldActivationPairs"/> (before fusion) removes each activation Q -> DQ pair whose producer and
    /// readers all run on uint8 in QuantGen (Conv, Gemm, MatMul, Add, Concat, MaxPool, views) and returns the uint8
    /// parameters per value; pairs around float ops stay, their values carrying the parameters too.</item>
    /// <item><see cref="FuseLookupTables"/> turns each DequantizeLinear -> elementwise float ops -> QuantizeLinear chain
    /// into one uint8 lookup table.</item>
    /// <item><see cref="QuantizationPlanner"/> makes every Conv, Gemm and MatMul whose weights came from step 1 and whose
    /// input has parameters an int8 layer with those weights and parameters; <see cref="Int8Boundaries"/> chains them in
    /// uint8 as for calibrated models and produces every value that has parameters in uint8 where it can, so float
    /// readers see the model's grid. Everything else stays float32, as the model's author left it.</item>
    /// <item><see cref="Simplify"/> cancels the QuantizeLinear(DequantizeLinear(t)) round trips this leaves and composes
    /// neighbouring tables.</item>
    /// </list>
    /// The arithmetic then differs from ONNX Runtime's only in rounding: requantization uses QuantGen's fixed-point rule
    /// (RequantizeRule.cs) where ORT rounds a float product, and the uint8 Add's factor ratio is rounded to 2^-22.
    /// </summary>
    public static class QdqModel
    {
        /// <summary>
        /// Replaces every DequantizeLinear of constant weights by its float result, and records the model's own quantization
        /// on that value when the weights are int8 with constant, positive, finite scales (one, or one per index of the axis),
        /// zero points all 0 (symmetric) and no -128 (the int8 kernels take [-127, 127]). A DequantizeLinear of a constant
        /// int32 bias is folded too; its scale may have one value per element of a [1, N] bias (what ONNX Runtime's quantizer
        /// writes for a Gemm bias, with axis 0). Returns how many weights were marked.
        /// </summary>
        public static int MarkWeights(Graph g)
        {
            int marked = 0;
            var folded = new HashSet<Node>();
            foreach (var n in g.Nodes)
            {
                if (n.Domain.Length != 0 || n.OpType != "DequantizeLinear" || n.Outputs.Count != 1 || n.GetInt("block_size", 0) != 0) continue;
                if (n.Input(0)?.Constant is not TensorData x || (x.Type != DataType.Int8 && x.Type != DataType.Int32)
                    || n.Input(1)?.Constant is not TensorData s || s.Length == 0) continue;
                if (n.Input(2) is Value zpv && (zpv.Constant is not TensorData zp || Enumerable.Range(0, zp.Length).Any(i => zp.GetLong(i) != 0))) continue;
                var scales = s.ToFloats();
                if (scales.Any(v => !(v > 0) || float.IsInfinity(v))) continue;
                int axis = -1;
                if (s.Length != 1)
                {
                    if (s.Shape.Length != 1 || x.Shape.Length == 0) continue;
                    long a = n.GetInt("axis", 1);
                    if (a < -x.Shape.Length || a >= x.Shape.Length) continue;
                    axis = (int)(a < 0 ? a + x.Shape.Length : a);
                    if (x.Shape[axis] != s.Length)
                    {
                        // A bias [1, N] with N scales: per element (its only non-unit axis).
                        int only = Array.FindIndex(x.Shape, d => d != 1);
                        if (x.Type != DataType.Int32 || x.Length != s.Length || only < 0 || Array.FindLastIndex(x.Shape, d => d != 1) != only) continue;
                        axis = only;
                    }
                }
                int inner = 1;
                if (axis >= 0) for (int d = axis + 1; d < x.Shape.Length; d++) inner *= x.Shape[d];
                var values = new float[x.Length];
                for (int i = 0; i < values.Length; i++) values[i] = (float)(x.GetLong(i) * (double)scales[axis < 0 ? 0 : i / inner % s.Length]);
                var y = n.Outputs[0];
                y.Constant = new TensorData(DataType.Float, (int[])x.Shape.Clone(), values);
                y.Type = DataType.Float;
                y.Shape = (int[])x.Shape.Clone();
                y.Producer = null;
                folded.Add(n);
                if (x.Type != DataType.Int8) continue;
                var q = new sbyte[x.Length];
                bool ok = true;
                for (int i = 0; i < q.Length && ok; i++)
                {
                    long v = x.GetLong(i);
                    ok = v >= -127 && v <= 127;
                    q[i] = (sbyte)v;
                }
                if (!ok) continue;
                y.QuantizedSource = new QuantizedTensor((int[])x.Shape.Clone(), q, scales, axis);
                marked++;
            }
            if (folded.Count > 0) g.Nodes = g.Nodes.Where(n => !folded.Contains(n)).ToList();
            return marked;
        }

        /// <summary>
        /// Removes every activation QuantizeLinear -> DequantizeLinear pair of the main graph whose two nodes have the same
        /// constant per-tensor scale and uint8 zero point (every reader of the QuantizeLinear being such a DequantizeLinear),
        /// and returns those parameters per surviving value. The value keeps the DequantizeLinear's name where the quantized
        /// value had a producer (so graph outputs keep their names); a graph input keeps its own.
        /// </summary>
        public static Dictionary<Value, ActivationQuant> FoldActivationPairs(Graph g)
        {
            var result = new Dictionary<Value, ActivationQuant>();
            var readers = new Dictionary<Value, List<Node>>();
            foreach (var n in g.Nodes)
                foreach (var v in n.Inputs)
                    if (v != null)
                    {
                        if (!readers.TryGetValue(v, out var list)) readers[v] = list = new List<Node>();
                        list.Add(n);
                    }
            var outputs = new HashSet<Value>(g.Outputs);
            var removed = new HashSet<Node>();
            foreach (var q in g.Nodes)
            {
                if (removed.Contains(q) || q.Domain.Length != 0 || q.OpType != "QuantizeLinear" || q.Outputs.Count != 1) continue;
                var x = q.Input(0);
                var xq = q.Outputs[0];
                if (x == null || x.Type != DataType.Float || xq.Type != DataType.UInt8 || outputs.Contains(xq)) continue;
                var p = PerTensor(q);
                if (p == null || !readers.TryGetValue(xq, out var dqs) || dqs.Count == 0) continue;
                if (!dqs.All(d => d.Domain.Length == 0 && d.OpType == "DequantizeLinear" && d.Input(0) == xq && PerTensor(d) == p && !removed.Contains(d)))
                    continue;
                if (x.Producer is Node px && !IsInt8Op(px) || dqs.Any(d => readers.TryGetValue(d.Outputs[0], out var rs) && rs.Any(r => !IsInt8Op(r))))
                {
                    // A float op's output, or a value a float op reads: the pair stays (the float op computes on the round trip
                    // through uint8, as in ONNX Runtime), and the dequantized value carries the parameters, so an int8 layer
                    // reading it quantizes it back exactly.
                    foreach (var d in dqs) result[d.Outputs[0]] = p;
                    result[x] = p; // an int8 layer producing x then writes it in uint8 for the QuantizeLinear (see Simplify)
                    continue;
                }

                // The value that survives: the first DequantizeLinear's output when x has a producer, else x itself.
                var keep = x.Producer != null ? dqs[0].Outputs[0] : x;
                var gone = new List<Value> { x };
                gone.AddRange(dqs.Select(d => d.Outputs[0]));
                gone.Remove(keep);
                if (gone.Any(outputs.Contains)) continue; // two graph outputs would merge into one
                if (keep != x)
                {
                    var producer = x.Producer!;
                    producer.Outputs[producer.Outputs.IndexOf(x)] = keep;
                    keep.Producer = producer;
                    x.Producer = null;
                }
                foreach (var v in gone)
                    if (readers.TryGetValue(v, out var rs))
                        foreach (var r in rs)
                            for (int i = 0; i < r.Inputs.Count; i++)
                                if (r.Inputs[i] == v) r.Inputs[i] = keep;
                if (!readers.TryGetValue(keep, out var kept)) readers[keep] = kept = new List<Node>();
                foreach (var v in gone) if (readers.TryGetValue(v, out var rs)) kept.AddRange(rs.Where(r => r != q));
                kept.Remove(q);
                removed.Add(q);
                foreach (var d in dqs) removed.Add(d);
                result[keep] = p;
            }
            if (removed.Count > 0) g.Nodes = g.Nodes.Where(n => !removed.Contains(n)).ToList();
            return result;
        }

        /// <summary>
        /// The ops around a removable pair (as its producer and as every reader): what QuantGen runs on uint8 (int8 layers, uint8
        /// Add and Concat, MaxPool and the views), whose uint8 values <see cref="Int8Boundaries"/> then produces and reads
        /// directly with the same parameters.
        /// </summary>
        private static readonly HashSet<string> Int8Producers = new HashSet<string>(StringComparer.Ordinal)
            { "Conv", "Gemm", "MatMul", "Add", "Concat", "MaxPool", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Identity" };

        /// <summary>The domain of QuantGen's own nodes (never read from a model file).</summary>
        public const string Domain = "com.quantgen";

        /// <summary>The uint8 lookup-table node: inputs x (uint8) and a constant uint8[256] table, output table[x].</summary>
        public const string LookupTableOp = "LookupTable";

        /// <summary>Elementwise float ops a lookup table can stand for (the other inputs, if any, are one-element constants).</summary>
        private static readonly HashSet<string> TableOps = new HashSet<string>(StringComparer.Ordinal)
        {
            "Relu", "LeakyRelu", "Clip", "Max", "Min", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Elu", "Softplus", "Softsign",
            "Abs", "Neg", "Add", "Sub", "Mul", "Div", "Identity", "Gelu", "Erf", "Exp", "Sqrt", "Floor", "Ceil", "Round", "Sign",
        };

        /// <summary>
        /// Replaces each DequantizeLinear (per tensor, uint8) -> elementwise float ops -> QuantizeLinear (per tensor, uint8)
        /// chain by one <see cref="LookupTableOp"/> node. Each of the 256 input bytes is dequantized (<see cref="Dequantize"/>),
        /// goes through each op's own build-time evaluation (its Fold) and is quantized (<see cref="Quantize"/>), the formulas
        /// of the run-time kernels, so the table holds exactly what the chain computes. Intermediate values must have no other
        /// reader. Returns the number of tables.
        /// </summary>
        public static int FuseLookupTables(Graph g, IOpRegistry ops)
        {
            var uses = Passes.UseCounts(g);
            var removed = new HashSet<Node>();
            var replaced = new Dictionary<Node, Node>();
            int tables = 0;
            foreach (var q in g.Nodes)
            {
                if (q.Domain.Length != 0 || q.OpType != "QuantizeLinear" || PerTensor(q) == null) continue;
                var chain = new List<Node>();
                var v = q.Input(0)!;
                while (v.Producer is Node f && f.Domain.Length == 0 && TableOps.Contains(f.OpType) && f.Outputs.Count == 1 && f.FusedActivation == null
                       && uses.TryGetValue(v, out int c) && c == 1 && !g.Outputs.Contains(v) && ChainInput(f) is Value u && Shapes.Same(u.Shape, v.Shape))
                {
                    chain.Insert(0, f);
                    v = u;
                }
                if (chain.Count == 0 || v.Producer is not Node d || d.Domain.Length != 0 || d.OpType != "DequantizeLinear" || PerTensor(d) == null
                    || d.Input(0)!.Type != DataType.UInt8 || removed.Contains(d))
                    continue;

                // The table: bytes 0..255 dequantized, through the chain (each op's own build-time evaluation), quantized.
                var pin = PerTensor(d)!;
                TensorData? t = new TensorData(DataType.Float, new[] { 256 }, Enumerable.Range(0, 256).Select(b => Dequantize(b, pin)).ToArray());
                foreach (var step in chain)
                {
                    t = Evaluate(step, step.Inputs.IndexOf(ChainInput(step)), t, ops);
                    if (t == null) break;
                }
                if (t == null || t.Type != DataType.Float) continue;
                var pout = PerTensor(q)!;
                var floats = t.ToFloats();
                t = new TensorData(DataType.UInt8, new[] { 256 }, floats.Select(v => (long)Quantize(v, pout)).ToArray());

                var table = new Value(Int8Boundaries.Unique(g, q.Outputs[0].Name + "_table")) { Type = DataType.UInt8, Shape = new[] { 256 }, Constant = t.Reshaped(new[] { 256 }) };
                g.Values[table.Name] = table;
                var lut = new Node(Int8Boundaries.Unique(g, q.Name + "_lookup"), LookupTableOp, Domain) { Opset = 1 };
                lut.Inputs.Add(d.Input(0)); lut.Inputs.Add(table);
                lut.Outputs.Add(q.Outputs[0]);
                q.Outputs[0].Producer = lut;
                replaced[q] = lut;
                foreach (var f in chain) removed.Add(f);
                if (uses.TryGetValue(d.Outputs[0], out int du) && du == 1 && !g.Outputs.Contains(d.Outputs[0])) removed.Add(d);
                tables++;
            }
            g.Nodes = g.Nodes.Where(n => !removed.Contains(n)).Select(n => replaced.TryGetValue(n, out var r) ? r : n).ToList();
            return tables;
        }

        /// <summary>DequantizeLinear of one uint8 value, per tensor: (x - zp) * scale in float32, as QLinear.Dequantize computes it.</summary>
        public static float Dequantize(int x, ActivationQuant p) => (x - p.ZeroPoint) * p.Scale;

        /// <summary>
        /// QuantizeLinear of one float to uint8, per tensor, as QLinear.Quantize computes it: round-half-even(x / scale) in
        /// float32 (NaN to 0), plus the zero point, saturated to [0, 255].
        /// </summary>
        public static byte Quantize(float x, ActivationQuant p)
        {
            float r = (float)Math.Round(x / p.Scale, MidpointRounding.ToEven);
            long q = float.IsNaN(r) ? 0 : r >= 2147483520f ? int.MaxValue : r <= -2147483648f ? int.MinValue : (long)r;
            q += p.ZeroPoint;
            return (byte)(q < 0 ? 0 : q > 255 ? 255 : q);
        }

        /// <summary>The float input of a chain op that is not a one-element constant (null when there is not exactly one).</summary>
        private static Value? ChainInput(Node f)
        {
            Value? chainInput = null;
            foreach (var u in f.Inputs)
            {
                if (u == null) continue;
                if (u.Constant is TensorData c && c.Length == 1) continue;
                if (chainInput != null || u.Type != DataType.Float) return null;
                chainInput = u;
            }
            return chainInput;
        }

        /// <summary>One op of a chain on a 256-element tensor at input <paramref name="at"/>, by the op's own build-time evaluation.</summary>
        private static TensorData? Evaluate(Node op, int at, TensorData x, IOpRegistry ops)
        {
            var tmp = new Node(op.Name, op.OpType, op.Domain) { Opset = op.Opset };
            foreach (var kv in op.Attributes) tmp.Attributes[kv.Key] = kv.Value;
            for (int i = 0; i < op.Inputs.Count; i++)
                tmp.Inputs.Add(i == at ? new Value("x") { Type = x.Type, Shape = x.Shape, Constant = x } : op.Inputs[i]);
            tmp.Outputs.Add(new Value("y"));
            var def = ops.Find(tmp);
            if (def == null) return null;
            def.Infer(tmp);
            var y = tmp.Outputs[0].Constant ?? def.Fold(tmp)?[0];
            return y != null && y.Length == 256 ? y.Reshaped(new[] { 256 }) : null;
        }

        /// <summary>
        /// After <see cref="Int8Boundaries"/>: removes round trips that cancel exactly. QuantizeLinear(DequantizeLinear(t)) with the
        /// same per-tensor uint8 parameters is t (each byte maps back to itself), so readers read t; a lookup table reading
        /// another table's output (read by nothing else) becomes one composed table.
        /// </summary>
        public static void Simplify(Graph g)
        {
            var outputs = new HashSet<Value>(g.Outputs);
            var removed = new HashSet<Node>();
            var uses = Passes.UseCounts(g);
            foreach (var q in g.Nodes)
            {
                if (q.Domain.Length != 0 || q.OpType != "QuantizeLinear" || PerTensor(q) is not ActivationQuant p) continue;
                if (q.Input(0)!.Producer is not Node d || d.Domain.Length != 0 || d.OpType != "DequantizeLinear" || PerTensor(d) != p) continue;
                var t = d.Input(0)!;
                var y = q.Outputs[0];
                if (t.Type != y.Type || outputs.Contains(y)) continue;
                foreach (var n in g.Nodes)
                    for (int i = 0; i < n.Inputs.Count; i++)
                        if (n.Inputs[i] == y) n.Inputs[i] = t;
                removed.Add(q);
                uses[d.Outputs[0]]--;
                if (uses[d.Outputs[0]] == 0 && !outputs.Contains(d.Outputs[0])) removed.Add(d);
            }
            foreach (var n in g.Nodes)
            {
                if (removed.Contains(n) || n.Domain != Domain || n.OpType != LookupTableOp) continue;
                var inner = n.Input(0)!.Producer;
                if (inner == null || inner.Domain != Domain || inner.OpType != LookupTableOp || removed.Contains(inner)
                    || !uses.TryGetValue(inner.Outputs[0], out int c) || c != 1 || outputs.Contains(inner.Outputs[0]))
                    continue;
                var t1 = inner.Input(1)!.Constant!;
                var t2 = n.Input(1)!.Constant!;
                var composed = new TensorData(DataType.UInt8, new[] { 256 }, Enumerable.Range(0, 256).Select(b => t2.GetLong((int)t1.GetLong(b))).ToArray());
                var table = new Value(Int8Boundaries.Unique(g, n.Outputs[0].Name + "_table")) { Type = DataType.UInt8, Shape = new[] { 256 }, Constant = composed };
                g.Values[table.Name] = table;
                n.Inputs[0] = inner.Input(0);
                n.Inputs[1] = table;
                removed.Add(inner);
            }
            if (removed.Count > 0) g.Nodes = g.Nodes.Where(n => !removed.Contains(n)).ToList();
        }

        private static bool IsInt8Op(Node n) => n.Domain.Length == 0 && Int8Producers.Contains(n.OpType);

        /// <summary>The constant per-tensor uint8 parameters of a QuantizeLinear or DequantizeLinear, or null.</summary>
        private static ActivationQuant? PerTensor(Node n)
        {
            if (n.Input(1)?.Constant is not TensorData s || s.Length != 1) return null;
            if (n.Input(2) is not Value zpv || zpv.Type != DataType.UInt8 || zpv.Constant is not TensorData zp || zp.Length != 1) return null;
            float scale = (float)s.GetDouble(0);
            if (!(scale > 0) || float.IsInfinity(scale)) return null;
            return new ActivationQuant(scale, (int)zp.GetLong(0));
        }
    }
}
