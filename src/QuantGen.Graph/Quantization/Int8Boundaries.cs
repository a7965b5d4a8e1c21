using System;
using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Graph.Quantization
{
    /// <summary>
    /// Static activations: where the graph converts between float32 and uint8. Runs after <see cref="QuantizationPlanner"/>
    /// decided each layer, and rewrites the main graph into plain ONNX semantics, so every tensor is an ordinary ONNX value:
    /// <list type="bullet">
    /// <item>An int8 layer (Conv, Gemm, MatMul with constant weights and a calibrated input) reads a uint8 tensor: either the
    /// uint8 output of another int8 layer (a chain), or one QuantizeLinear inserted where its float input is produced, shared
    /// by every int8 layer that reads that value.</item>
    /// <item>An int8 layer whose output feeds int8 layers, directly or through ops that are exact on uint8 (MaxPool, which
    /// commutes with the monotone quantization, and the reshaping views Flatten, Reshape, Squeeze, Unsqueeze, Identity),
    /// writes uint8 with its calibrated output parameters (fixed-point requantization, <c>RequantizeRule.cs</c>), and those ops
    /// run on uint8. A float consumer of such a tensor (or a graph output) gets one DequantizeLinear.</item>
    /// </list>
    /// A layer writes uint8 only when its activation is none, Relu or Clip (a clamp on the uint8 range) and every per-channel
    /// multiplier scaleIn * scaleW[n] / scaleOut and bias / (scaleIn * scaleW[n]) is representable; otherwise its output stays
    /// float and the consumer quantizes it. If-branches keep float boundaries (their layers quantize their own input).
    /// </summary>
    public static class Int8Boundaries
    {
        /// <summary>Ops that run on uint8 unchanged in meaning: max commutes with a monotone quantization; views move no data.</summary>
        private static readonly HashSet<string> PassThrough = new HashSet<string>(StringComparer.Ordinal)
            { "MaxPool", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Identity" };

        /// <param name="activations">The uint8 parameters of each value that has them (calibrated, or a QDQ model's own).</param>
        /// <param name="everyValue">A QDQ model: every value with parameters that can be produced in uint8 is, even when only float
        /// ops or graph outputs read it, so they read it on the model's uint8 grid (with its implicit clamps) as the model says.</param>
        /// <returns>What was placed: the inserted QuantizeLinear/DequantizeLinear nodes and every uint8 value with its parameters.</returns>
        public static Placement Place(Graph g, IReadOnlyDictionary<Value, ActivationQuant> activations, bool everyValue = false)
        {
            var inGraph = new HashSet<Node>(g.Nodes);                // the main graph's nodes (If-branch nodes keep float boundaries)
            var consumers = new Dictionary<Value, List<Node>>();
            foreach (var n in g.Nodes)
                foreach (var v in n.Inputs)
                    if (v != null)
                    {
                        if (!consumers.TryGetValue(v, out var list)) consumers[v] = list = new List<Node>();
                        if (!list.Contains(n)) list.Add(n);
                    }

            // 1. Each static int8 layer's input: the uint8 parameters of the value it reads, and where they come from.
            var marked = new Dictionary<Value, ActivationQuant>();   // float values that get a uint8 twin
            var chained = new HashSet<Value>();                      // ... produced in uint8 (not by a QuantizeLinear)
            var source = new Dictionary<Value, ActivationQuant?>();
            var adds = new List<Node>();
            var concats = new List<Node>();

            // The parameters with which v can be produced in uint8 (by an int8 layer, a uint8 Add, or a pass-through op of
            // one), or null. Producers come before their consumers in g.Nodes, so a layer's own input parameters are final
            // by the time a consumer asks about its output.
            ActivationQuant? Source(Value v)
            {
                if (source.TryGetValue(v, out var known)) return known;
                ActivationQuant? r = null;
                if (v.Type == DataType.Float && v.Producer is Node p && inGraph.Contains(p))
                {
                    if (IsPassThrough(p)) r = p.Input(0)!.Type == DataType.Float ? Source(p.Input(0)!) : null;
                    else if (CanWriteUInt8(p)) r = p.Quantization!.Output;
                    else if (IsAddCandidate(p, activations) && Source(p.Input(0)!) is ActivationQuant qa && Source(p.Input(1)!) is ActivationQuant qb)
                    {
                        var qc = activations[v];
                        if (AddRequantization(qa, qb, qc) != null) r = qc;
                    }
                    else if (p.OpType == "Concat" && p.Domain.Length == 0 && activations.ContainsKey(v)) r = ConcatSource(p, v);
                }
                source[v] = r;
                return r;
            }

            // A Concat runs on uint8 (a byte copy) when all its inputs share its parameters: each input must be the output of an
            // int8 layer read by nothing else, which then requantizes to the Concat's calibrated range (it covers every input's).
            ActivationQuant? ConcatSource(Node p, Value v)
            {
                var qc = activations[v];
                var layers = new List<Node>();
                foreach (var u in p.Inputs)
                {
                    if (u == null || u.Type != DataType.Float || u.Producer is not Node l || !inGraph.Contains(l) || source.ContainsKey(u)
                        || g.Outputs.Contains(u) || !consumers.TryGetValue(u, out var readers) || readers.Count != 1 || layers.Contains(l))
                        return null;
                    layers.Add(l);
                }
                var saved = layers.Select(l => l.Quantization?.Output).ToList();
                foreach (var l in layers) if (l.Quantization != null) l.Quantization.Output = qc;
                if (!layers.All(CanWriteUInt8))
                {
                    for (int i = 0; i < layers.Count; i++) if (layers[i].Quantization != null) layers[i].Quantization!.Output = saved[i];
                    return null;
                }
                foreach (var u in p.Inputs) source[u!] = qc;
                return qc;
            }

            // Marks v, and what it is computed from, as produced in uint8.
            void Mark(Value v)
            {
                if (!chained.Add(v)) return;
                marked[v] = source[v]!;
                var p = v.Producer!;
                if (IsPassThrough(p)) Mark(p.Input(0)!);
                else if (p.OpType == "Concat")
                {
                    concats.Add(p);
                    foreach (var u in p.Inputs) Mark(u!);
                }
                else if (p.OpType == "Add" && p.Quantization == null)
                {
                    adds.Add(p);
                    Mark(p.Input(0)!);
                    Mark(p.Input(1)!);
                }
                else p.Quantization!.Requantized ??= RequantizationOf(p);
            }

            foreach (var n in g.Nodes)
            {
                if (!IsStaticLayer(n)) continue;
                var x = n.Input(0)!;
                if (Source(x) != null) Mark(x);
                else if (!marked.ContainsKey(x)) marked[x] = n.Quantization!.Input!;
                n.Quantization!.Input = marked[x];
            }
            if (everyValue)
                foreach (var v in activations.Keys)
                    if (!chained.Contains(v) && Source(v) != null) Mark(v);
            foreach (var add in adds)
            {
                var (qa, qb, qc) = (marked[add.Input(0)!], marked[add.Input(1)!], marked[add.Outputs[0]]);
                var (factors, rule) = AddRequantization(qa, qb, qc)!.Value;
                var (qmin, qmax) = ActivationClamp(add, qc);
                add.Quantization = new LayerQuantization(add, Precision.Int8, "uint8 inputs, calibrated output")
                {
                    Input = qa,
                    Output = qc,
                    Add = factors,
                    Requantized = new OutputRequantization(new[] { rule.Multiplier }, new[] { rule.Shift }, Array.Empty<int>(), qc.ZeroPoint, qmin, qmax),
                };
            }
            if (marked.Count == 0) return Placement.None;

            // 2. The uint8 twins, wired: chain members produce theirs, the rest come from one QuantizeLinear each.
            var twin = marked.Keys.ToDictionary(v => v, v => new Value(Unique(g, v.Name + "_u8")) { Type = DataType.UInt8, Shape = (int[])v.Shape!.Clone() });
            var inserted = new HashSet<Node>();
            foreach (var t in twin.Values) g.Values[t.Name] = t;
            var after = new Dictionary<Node, List<Node>>();
            var atStart = new List<Node>();
            foreach (var kv in twin)
            {
                var (v, vq) = (kv.Key, kv.Value);
                var pq = marked[v];
                if (chained.Contains(v))
                {
                    var p = v.Producer!;
                    p.Outputs[p.Outputs.IndexOf(v)] = vq;
                    vq.Producer = p;
                    if (IsPassThrough(p)) p.Inputs[0] = twin[p.Input(0)!];
                    else if (adds.Contains(p) || concats.Contains(p))
                        for (int i = 0; i < p.Inputs.Count; i++) p.Inputs[i] = twin[p.Input(i)!];
                    v.Producer = null;
                }
                else
                {
                    var q = new Node(Unique(g, v.Name + "_quantize"), "QuantizeLinear", "") { Opset = 13 };
                    q.Inputs.Add(v); q.Inputs.Add(Scalar(g, v.Name + "_scale", DataType.Float, pq.Scale)); q.Inputs.Add(Scalar(g, v.Name + "_zero_point", DataType.UInt8, pq.ZeroPoint));
                    q.Outputs.Add(vq);
                    vq.Producer = q;
                    inserted.Add(q);
                    Insert(v.Producer, q, after, atStart);
                }
                foreach (var c in consumers.TryGetValue(v, out var cs) ? cs : new List<Node>())
                    if (IsStaticLayer(c) && c.Input(0) == v) c.Inputs[0] = vq;
            }

            // 3. Float readers left of a chained value (other ops, If branches, graph outputs) read one DequantizeLinear of it.
            var reads = Passes.UseCounts(g);
            foreach (var kv in twin)
            {
                var (v, vq) = (kv.Key, kv.Value);
                if (!chained.Contains(v) || !reads.ContainsKey(v)) continue;
                var pq = marked[v];
                var dq = new Node(Unique(g, v.Name + "_dequantize"), "DequantizeLinear", "") { Opset = 13 };
                dq.Inputs.Add(vq); dq.Inputs.Add(Scalar(g, v.Name + "_scale", DataType.Float, pq.Scale)); dq.Inputs.Add(Scalar(g, v.Name + "_zero_point", DataType.UInt8, pq.ZeroPoint));
                dq.Outputs.Add(v);
                v.Producer = dq;
                inserted.Add(dq);
                Insert(vq.Producer, dq, after, atStart);
            }

            var nodes = new List<Node>(atStart);
            foreach (var n in g.Nodes)
            {
                nodes.Add(n);
                if (after.TryGetValue(n, out var extra)) nodes.AddRange(extra);
            }
            g.Nodes = nodes;
            return new Placement(inserted, twin.ToDictionary(kv => kv.Value, kv => marked[kv.Key]));
        }

        /// <summary>The result of <see cref="Place"/>: the nodes it inserted and the parameters of every uint8 value it made.</summary>
        public sealed class Placement
        {
            public Placement(IReadOnlyCollection<Node> inserted, IReadOnlyDictionary<Value, ActivationQuant> uint8Values)
            {
                Inserted = inserted; UInt8Values = uint8Values;
            }
            public static Placement None { get; } = new Placement(Array.Empty<Node>(), new Dictionary<Value, ActivationQuant>());
            /// <summary>The QuantizeLinear and DequantizeLinear nodes at the float/uint8 boundaries.</summary>
            public IReadOnlyCollection<Node> Inserted { get; }
            /// <summary>Each uint8 value: real = Scale * (q - ZeroPoint).</summary>
            public IReadOnlyDictionary<Value, ActivationQuant> UInt8Values { get; }
        }

        /// <summary>An int8 layer with constant weights and a calibrated (static) input in float.</summary>
        private static bool IsStaticLayer(Node n) =>
            n.Quantization is LayerQuantization q && q.Precision == Precision.Int8 && q.Weights != null && q.Input != null
            && n.Input(0)!.Type == DataType.Float;

        private static bool IsPassThrough(Node n) =>
            n.Domain.Length == 0 && PassThrough.Contains(n.OpType) && n.Outputs.Count >= 1 && n.Input(0) != null
            && (n.OpType != "MaxPool" || n.Input(0)!.Shape!.Length == 4 && n.Outputs.Count == 1);

        /// <summary>
        /// The layer can requantize its accumulators to its calibrated output parameters: no activation or Relu, every
        /// multiplier accScale[c] / scaleOut in the range of the fixed-point rule, every bias representable in int32.
        /// </summary>
        private static bool CanWriteUInt8(Node n)
        {
            // 4-bit weights have scales per group along k, which a per-channel fixed-point multiplier cannot fold: float output.
            if (!IsStaticLayer(n) || n.Quantization!.Output == null || n.Quantization.Weights!.Bits == 4) return false;
            if (n.FusedActivation != null && n.FusedActivation.OpType != "Relu" && n.FusedActivation.OpType != "Clip") return false;
            var bias = KernelBias(n);
            if (bias == null) return false;
            var acc = AccumulatorScales(n);
            for (int c = 0; c < acc.Length; c++)
            {
                double m = acc[c] / n.Quantization.Output.Scale;
                if (!(m > 0) || !(m < 32768.0) || double.IsInfinity(acc[c])) return false;
                if (bias.Length > 0 && !(Math.Abs(bias[c] / acc[c]) < (1 << 30))) return false;
            }
            return true;
        }

        /// <summary>The fixed-point epilogue of a layer that <see cref="CanWriteUInt8"/>.</summary>
        private static OutputRequantization RequantizationOf(Node n)
        {
            var q = n.Quantization!;
            var acc = AccumulatorScales(n);
            var bias = KernelBias(n)!;
            var m0 = new int[acc.Length];
            var shift = new int[acc.Length];
            for (int c = 0; c < acc.Length; c++)
                (m0[c], shift[c]) = QuantGen.Kernels.Requantization.QuantizeMultiplier(acc[c] / q.Output!.Scale);
            var b = bias.Length == 0 ? Array.Empty<int>() : bias.Select((v, c) => (int)Math.Round(v / acc[c], MidpointRounding.ToEven)).ToArray();
            var (qmin, qmax) = ActivationClamp(n, q.Output!);
            return new OutputRequantization(m0, shift, b, q.Output!.ZeroPoint, qmin, qmax);
        }

        /// <summary>
        /// The fused activation as a clamp [qmin, qmax] of the uint8 output: a real bound v is q = zp + round(v / scale), which
        /// is what quantizing the clamped float output would give (rounding is monotone); Relu is the bound 0, q = zp.
        /// </summary>
        private static (int QMin, int QMax) ActivationClamp(Node n, ActivationQuant output)
        {
            int qmin = 0, qmax = 255;
            if (n.FusedActivation?.OpType == "Relu") qmin = output.ZeroPoint;
            else if (n.FusedActivation?.OpType == "Clip")
            {
                var (lo, hi) = Fusion.ClipBounds(n.FusedActivation);
                qmin = QuantizedBound(lo, output);
                qmax = QuantizedBound(hi, output);
            }
            return (qmin, Math.Max(qmin, qmax));
        }

        /// <summary>An Add of two float tensors of the output's shape, with a calibrated output and a clamp (or no) activation.</summary>
        private static bool IsAddCandidate(Node n, IReadOnlyDictionary<Value, ActivationQuant> activations) =>
            n.Domain.Length == 0 && n.OpType == "Add" && n.Quantization == null && n.Inputs.Count == 2
            && n.Input(0) is Value a && n.Input(1) is Value b && a.Type == DataType.Float && b.Type == DataType.Float
            && Shapes.Same(a.Shape, n.Outputs[0].Shape) && Shapes.Same(b.Shape, n.Outputs[0].Shape)
            && activations.ContainsKey(n.Outputs[0])
            && (n.FusedActivation == null || n.FusedActivation.OpType == "Relu" || n.FusedActivation.OpType == "Clip");

        /// <summary>
        /// The integer form of a uint8 Add (AddQ8): factors with factorA / factorB = scaleA / scaleB, the larger 2^22
        /// (Requantization.AddFactorBits), and the rule's multiplier for max(scaleA, scaleB) / (2^22 * scaleY); null when that
        /// multiplier is out of the rule's exact range [2^-33, 2^15).
        /// </summary>
        private static (AddQuantization Factors, (int Multiplier, int Shift) Rule)? AddRequantization(ActivationQuant a, ActivationQuant b, ActivationQuant y)
        {
            double max = Math.Max(a.Scale, b.Scale), unit = 1 << QuantGen.Kernels.Requantization.AddFactorBits;
            double m = max / (unit * y.Scale);
            if (!(max > 0) || !(m >= 1.0 / (1L << 33)) || !(m < 32768.0)) return null;
            var factors = new AddQuantization((int)Math.Round(unit * a.Scale / max), a.ZeroPoint, (int)Math.Round(unit * b.Scale / max), b.ZeroPoint);
            return (factors, QuantGen.Kernels.Requantization.QuantizeMultiplier(m));
        }

        /// <summary>zp + round_half_even(v / scale) clamped to [0, 255] (infinite bounds go to the ends).</summary>
        private static int QuantizedBound(float v, ActivationQuant q)
        {
            if (float.IsNaN(v)) return 0;
            double r = Math.Round((double)(v / q.Scale), MidpointRounding.ToEven) + q.ZeroPoint;
            return (int)Math.Max(0, Math.Min(255, r));
        }

        /// <summary>Real value of one accumulator unit per output channel: inputScale * weightScale[c] (times alpha for Gemm).</summary>
        public static double[] AccumulatorScales(Node n)
        {
            var q = n.Quantization!;
            double alpha = n.OpType == "Gemm" ? n.GetFloat("alpha", 1f) : 1.0;
            return Enumerable.Range(0, OutputChannels(n))
                .Select(c => (double)q.Input!.Scale * q.Weights!.Scales[q.Weights.Scales.Length == 1 ? 0 : c] * alpha).ToArray();
        }

        /// <summary>Output channels (the weights' output axis): Conv's output channels, or N of Gemm/MatMul.</summary>
        public static int OutputChannels(Node n)
        {
            var w = n.Input(1)!.Shape!;
            return n.OpType switch
            {
                "Conv" => w[0],
                "Gemm" => n.GetInt("transB", 0) != 0 ? w[0] : w[1],
                _ => w[1],
            };
        }

        /// <summary>
        /// The layer's float bias per output channel as its kernel adds it (Gemm: beta * C; empty when there is none), or
        /// null when the bias is not a constant vector the int8 kernels take.
        /// </summary>
        public static float[]? BiasOf(Node n)
        {
            int channels = OutputChannels(n);
            if (n.Input(2) is not Value b) return Array.Empty<float>();
            if (b.Constant is not TensorData c) return null;
            float beta = n.OpType == "Gemm" ? n.GetFloat("beta", 1f) : 1f;
            if (n.OpType == "Gemm" && beta == 0f) return Array.Empty<float>();
            if (c.Length != 1 && c.Length != channels) return null;
            return Enumerable.Range(0, channels).Select(j => beta * (float)c.GetDouble(c.Length == 1 ? 0 : j)).ToArray();
        }

        /// <summary>
        /// The bias an int8 layer's kernel adds per output channel: <see cref="BiasOf"/> plus the plan's
        /// <see cref="LayerQuantization.BiasCorrection"/> (a layer without a bias gets one); null as for <see cref="BiasOf"/>.
        /// </summary>
        public static float[]? KernelBias(Node n)
        {
            var bias = BiasOf(n);
            var correction = n.Quantization?.BiasCorrection;
            if (bias == null || correction == null) return bias;
            return Enumerable.Range(0, correction.Length).Select(c => (bias.Length == 0 ? 0f : bias[c]) + correction[c]).ToArray();
        }

        private static void Insert(Node? producer, Node node, Dictionary<Node, List<Node>> after, List<Node> atStart)
        {
            if (producer == null) { atStart.Add(node); return; }
            if (!after.TryGetValue(producer, out var list)) after[producer] = list = new List<Node>();
            list.Add(node);
        }

        private static Value Scalar(Graph g, string name, DataType type, double value)
        {
            var v = new Value(Unique(g, name)) { Type = type, Shape = Array.Empty<int>() };
            v.Constant = type == DataType.Float
                ? new TensorData(type, Array.Empty<int>(), new[] { (float)value })
                : new TensorData(type, Array.Empty<int>(), new[] { (long)value });
            g.Values[v.Name] = v;
            return v;
        }

        /// <summary>A name not yet used in the graph (or its enclosing graphs): name, else name_1, name_2, ...</summary>
        internal static string Unique(Graph g, string name)
        {
            if (g.Lookup(name) == null) return name;
            for (int i = 1; ; i++)
                if (g.Lookup(name + "_" + i) == null) return name + "_" + i;
        }
    }
}
