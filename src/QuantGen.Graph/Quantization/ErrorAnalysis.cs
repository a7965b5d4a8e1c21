using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

namespace QuantGen.Graph.Quantization
{
    /// <summary>
    /// The quantization error of one layer against the float model on the measured samples. SQNR = 10 log10(sum y^2 /
    /// sum (y - y_hat)^2) in dB (infinity when the layer's output is exact). Isolated: the layer alone quantized, fed the float
    /// model's input; cumulative: the layer's output in the quantized model against the float model's.
    /// </summary>
    public sealed record LayerError(double IsolatedSqnrDb, double CumulativeSqnrDb, double CumulativeMse,
        double InputMin, double InputMax, double OutputMin, double OutputMax);

    /// <summary>
    /// The quantized model against the float model over all graph outputs: E = mean (y - y_hat)^2 over every element of every
    /// sample, the cosine similarity of all outputs per sample (mean and worst), the largest |y - y_hat|, and for an output
    /// whose last axis holds 2+ classes the fraction of rows whose argmax agrees (the first such output, like quantgen check).
    /// </summary>
    public sealed record EndToEndError(int Samples, double Mse, double MeanCosine, double MinCosine, double MaxAbs, double? Top1Agreement, long Top1Rows);

    public sealed class ErrorMeasurements
    {
        public ErrorMeasurements(IReadOnlyDictionary<Node, LayerError> layers, EndToEndError endToEnd, double seconds)
        {
            Layers = layers; EndToEnd = endToEnd; Seconds = seconds;
        }
        public IReadOnlyDictionary<Node, LayerError> Layers { get; }
        public EndToEndError EndToEnd { get; }
        /// <summary>Build time the measurement took.</summary>
        public double Seconds { get; }
    }

    /// <summary>
    /// Measures what quantization costs in accuracy, at build time, by simulation on calibration samples. The planned graph
    /// (after <see cref="Int8Boundaries"/>) is run twice per sample with the scalar references: once as the float model (the
    /// inserted QuantizeLinear/DequantizeLinear are identities, uint8 values carry floats), once as the int8 model (every uint8
    /// value is the real number its code stands for, s (q - z); an int8 layer quantizes its input with its own parameters, or
    /// per call like the dynamic kernels, multiplies by its dequantized weights and, when it writes uint8, rounds and clamps its
    /// output onto that grid). The integer kernels requantize from exact int32 sums with a fixed-point rule, so single outputs
    /// may differ from this simulation by one quantization step; figures agree with <c>quantgen check</c> to about 1e-4 in cosine.
    /// The float bias is added unrounded (the kernels round it to int32 accumulator units, 2^-31 of the range).
    /// </summary>
    public static class ErrorAnalysis
    {
        /// <summary>
        /// The two evaluations of a planned graph: as the float model and as the int8 model (see the class summary), plus
        /// one int8 layer alone on given inputs. Made once per graph; weights are dequantized once.
        /// </summary>
        public sealed class Simulator
        {
            private readonly IOpRegistry _ops;
            private readonly HashSet<Node> _inserted;
            private readonly IReadOnlyDictionary<Value, ActivationQuant> _u8;
            private readonly Dictionary<Node, TensorData> _weights = new Dictionary<Node, TensorData>();
            private readonly Graph _g;

            public Simulator(Graph g, IOpRegistry ops, QuantizationDecisions decisions)
            {
                _g = g; _ops = ops;
                _inserted = new HashSet<Node>(decisions.Boundaries.Inserted);
                _u8 = decisions.Boundaries.UInt8Values;
            }

            private TensorData[] Fold(Node n, IReadOnlyList<TensorData?> inputs) =>
                ReferenceEvaluator.Fold(n, _ops, inputs, v => _u8.ContainsKey(v) ? DataType.Float : (DataType?)null);

            private static List<TensorData?> Inputs(Node n, Func<Value, TensorData> get) => n.Inputs.Select(v => v == null ? null : get(v)).ToList();

            private bool TouchesUInt8(Node n) => n.Inputs.Any(v => v != null && _u8.ContainsKey(v)) || n.Outputs.Any(_u8.ContainsKey);

            /// <summary>One int8 layer on the given inputs (float, or already on their uint8 grid: quantizing again is exact).</summary>
            public TensorData QuantizedLayer(Node n, Func<Value, TensorData> get)
            {
                var q = n.Quantization!;
                var x = Inputs(n, get);
                if (n.OpType == "Gather")
                {
                    // An int8 table: the rows are dequantized, the indices are exact.
                    return Fold(n, new List<TensorData?> { Dequantized(n, q.Weights!), x[1] })[0];
                }
                if (q.Add != null)
                {
                    for (int i = 0; i < 2; i++) x[i] = FakeQuantize(x[i]!, _u8[n.Inputs[i]!], 0, 255);
                }
                else if (q.Weights == null)
                {
                    x[0] = FakeQuantize(x[0]!, DynamicParameters(x[0]!), 0, 255);
                    x[1] = SymmetricFakeQuantize(x[1]!);
                }
                else
                {
                    x[0] = q.InputPerRow ? FakeQuantizeRows(x[0]!) : FakeQuantize(x[0]!, InputParameters(n, x[0]!), 0, 255);
                    x[1] = Dequantized(n, q.Weights);
                }
                var y = q.BiasCorrection == null ? Fold(n, x)[0] : CorrectedLayer(n, x, q.BiasCorrection);
                if (_u8.TryGetValue(n.Outputs[0], out var po))
                    y = FakeQuantize(y, po, q.Requantized?.QMin ?? 0, q.Requantized?.QMax ?? 255);
                return y;
            }

            /// <summary>The layer's quantized weights (or table) as float, dequantized once per layer.</summary>
            private TensorData Dequantized(Node n, QuantizedTensor weights)
            {
                if (!_weights.TryGetValue(n, out var w))
                    _weights[n] = w = new TensorData(DataType.Float, weights.Shape, weights.Dequantize());
                return w;
            }

            /// <summary>The uint8 parameters an int8 layer quantizes its input x with: the value's own (uint8 chains), calibrated, or per call.</summary>
            public ActivationQuant InputParameters(Node n, TensorData x) =>
                _u8.TryGetValue(n.Inputs[0]!, out var known) ? known : n.Quantization!.Input ?? DynamicParameters(x);

            /// <summary>The layer with its bias correction added per output channel before its fused activation.</summary>
            private TensorData CorrectedLayer(Node n, List<TensorData?> x, float[] correction)
            {
                var act = n.FusedActivation;
                TensorData y;
                n.FusedActivation = null;
                try { y = Fold(n, x)[0]; }
                finally { n.FusedActivation = act; }
                int channels = correction.Length, inner = 1;
                if (n.OpType == "Conv") for (int d = 2; d < y.Shape.Length; d++) inner *= y.Shape[d];
                var values = new float[y.Length];
                for (int i = 0; i < values.Length; i++) values[i] = (float)y.GetDouble(i) + correction[i / inner % channels];
                y = new TensorData(DataType.Float, y.Shape, values);
                return act == null ? y : ReferenceEvaluator.Fold(act, _ops, new TensorData?[] { y })[0];
            }

            /// <summary>Every value of the float model on one sample (uint8 values hold the floats they replace).</summary>
            public Dictionary<Value, TensorData> RunFloat(IReadOnlyList<TensorData> sample) =>
                ReferenceEvaluator.Run(_g, _ops, sample, interpret: (n, get) =>
                    _inserted.Contains(n) ? new[] { get(n.Inputs[0]!) } : TouchesUInt8(n) ? Fold(n, Inputs(n, get)) : null);

            /// <summary>
            /// Every value of the float model on one sample, except that one int8 layer runs quantized. Given that sample's float
            /// values (<see cref="RunFloat"/>), a node the layer cannot reach keeps its float outputs instead of being computed again.
            /// </summary>
            public Dictionary<Value, TensorData> RunOnly(IReadOnlyList<TensorData> sample, Node only, IReadOnlyDictionary<Value, TensorData>? floats = null)
            {
                var reached = floats == null ? null : Reached(only);
                return ReferenceEvaluator.Run(_g, _ops, sample, interpret: (n, get) =>
                {
                    if (reached != null && !reached.Contains(n) && n.Outputs.All(floats!.ContainsKey))
                        return n.Outputs.Select(o => floats![o]).ToArray();
                    if (_inserted.Contains(n)) return new[] { get(n.Inputs[0]!) };
                    if (n == only) return new[] { QuantizedLayer(n, get) };
                    return TouchesUInt8(n) ? Fold(n, Inputs(n, get)) : null;
                });
            }

            /// <summary>The layer and the nodes that read what it writes, transitively; a node with subgraphs always counts (its branches may read any outer value).</summary>
            private HashSet<Node> Reached(Node layer)
            {
                var reached = new HashSet<Node> { layer };
                var values = new HashSet<Value>(layer.Outputs);
                foreach (var n in _g.Nodes) // topological order
                    if (n.Attributes.Values.Any(a => a.G != null || a.Kind == AttributeKind.Graphs) || n.Inputs.Any(v => v != null && values.Contains(v)))
                    {
                        reached.Add(n);
                        values.UnionWith(n.Outputs);
                    }
                return reached;
            }

            /// <summary>Every value of the int8 model on one sample (uint8 values hold the real numbers of their codes).</summary>
            public Dictionary<Value, TensorData> RunInt8(IReadOnlyList<TensorData> sample) =>
                ReferenceEvaluator.Run(_g, _ops, sample, interpret: Int8Node);

            /// <summary>
            /// The int8 model on all samples in lockstep (<see cref="ReferenceEvaluator.RunInLockstep"/>): <paramref name="before"/>
            /// sees each node's inputs on every sample first and may change the node's quantization (Optimize tunes layers so, in order).
            /// </summary>
            public List<Dictionary<Value, TensorData>> RunInt8InLockstep(IReadOnlyList<IReadOnlyList<TensorData>> samples,
                Action<Node, IReadOnlyList<Func<Value, TensorData>>> before) =>
                ReferenceEvaluator.RunInLockstep(_g, _ops, samples, Int8Node, (n, readers) =>
                {
                    before(n, readers);
                    _weights.Remove(n);
                });

            private TensorData[]? Int8Node(Node n, Func<Value, TensorData> get)
            {
                if (_inserted.Contains(n))
                    return new[] { n.OpType == "QuantizeLinear" ? FakeQuantize(get(n.Inputs[0]!), _u8[n.Outputs[0]], 0, 255) : get(n.Inputs[0]!) };
                if (n.Quantization?.Precision == Precision.Int8) return new[] { QuantizedLayer(n, get) };
                return TouchesUInt8(n) ? Fold(n, Inputs(n, get)) : null;
            }
        }

        /// <summary>
        /// End-to-end sensitivity of each given int8 layer: the SQNR (dB) of all float graph outputs when only that layer is
        /// quantized and every other op runs in float, on the given samples. Unlike the isolated SQNR (the layer's own output), it
        /// includes what the rest of the model does to the layer's error (a log after a filterbank amplifies it, a classifier
        /// head may ignore it). Costs one evaluation of the model per layer and sample.
        /// </summary>
        public static Dictionary<Node, double> Sensitivity(Graph g, IOpRegistry ops, QuantizationDecisions decisions,
            IReadOnlyList<IReadOnlyList<TensorData>> samples, IReadOnlyList<Node> layers) =>
            Sensitivity(ops, new[] { new Part(g, decisions, samples) }, layers);

        /// <summary>Sensitivity over samples at several shapes: <paramref name="layers"/> are the first part's nodes.</summary>
        public static Dictionary<Node, double> Sensitivity(IOpRegistry ops, IReadOnlyList<Part> parts, IReadOnlyList<Node> layers)
        {
            var signal = new double[layers.Count];
            var noise = new double[layers.Count];
            var keys = Keys(parts[0].Decisions.Layers.Select(l => l.Node).ToList());
            foreach (var part in parts)
            {
                var sim = new Simulator(part.Graph, ops, part.Decisions);
                var nodes = Keys(part.Decisions.Layers.Select(l => l.Node).ToList()).ToDictionary(kv => kv.Value, kv => kv.Key);
                foreach (var sample in part.Samples)
                {
                    var f = sim.RunFloat(sample);
                    for (int i = 0; i < layers.Count; i++)
                    {
                        if (!nodes.TryGetValue(keys[layers[i]], out var layer)) continue;
                        var q = sim.RunOnly(sample, layer, f);
                        Accumulate(part.Graph, f, q, ref signal[i], ref noise[i]);
                    }
                }
            }
            var result = new Dictionary<Node, double>();
            for (int i = 0; i < layers.Count; i++) result[layers[i]] = SqnrDb(signal[i], noise[i]);
            return result;
        }

        private static void Accumulate(Graph g, IReadOnlyDictionary<Value, TensorData> f, IReadOnlyDictionary<Value, TensorData> q, ref double signal, ref double noise)
        {
            foreach (var o in g.Outputs)
            {
                var (a, b) = (f[o], q[o]);
                if (!a.IsFloating) continue;
                for (int e = 0; e < a.Length; e++)
                {
                    double ya = a.GetDouble(e), d = ya - b.GetDouble(e);
                    signal += ya * ya; noise += d * d;
                }
            }
        }

        /// <summary>
        /// Calibration samples on one preparation of the model: the graph prepared at the samples' shapes (symbolic dimensions
        /// bound to their sizes) and its decisions. Measurements over several parts match layers by node name.
        /// </summary>
        public sealed record Part(Graph Graph, QuantizationDecisions Decisions, IReadOnlyList<IReadOnlyList<TensorData>> Samples);

        /// <summary>Each layer's key across preparations of one model: its name and how many layers before it have that name.</summary>
        private static Dictionary<Node, string> Keys(IReadOnlyList<Node> layers)
        {
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            var keys = new Dictionary<Node, string>();
            foreach (var n in layers)
            {
                seen[n.Name] = seen.TryGetValue(n.Name, out var c) ? c + 1 : 0;
                keys[n] = n.Name + "#" + seen[n.Name];
            }
            return keys;
        }

        public static ErrorMeasurements Measure(Graph g, IOpRegistry ops, QuantizationDecisions decisions, IReadOnlyList<IReadOnlyList<TensorData>> samples) =>
            Measure(ops, new[] { new Part(g, decisions, samples) });

        /// <summary>Measures over samples at several shapes; the layers are reported by the first part's nodes.</summary>
        public static ErrorMeasurements Measure(IOpRegistry ops, IReadOnlyList<Part> parts)
        {
            var clock = Stopwatch.StartNew();
            var primary = Keys(parts[0].Decisions.Layers.Select(l => l.Node).ToList());
            var acc = primary.Values.ToDictionary(k => k, _ => new LayerAccumulator(), StringComparer.Ordinal);
            double sumSq = 0, maxAbs = 0, cosineSum = 0, minCosine = double.PositiveInfinity;
            long elements = 0, topRows = 0, topAgree = 0;
            int count = 0;
            bool hasTop = false;
            foreach (var (g, decisions, samples) in parts)
            {
                var sim = new Simulator(g, ops, decisions);
                var layers = Keys(decisions.Layers.Select(l => l.Node).ToList());
                foreach (var sample in samples)
                {
                    count++;
                    var f = sim.RunFloat(sample);
                    var q = sim.RunInt8(sample);
                    foreach (var kv in layers)
                    {
                        var n = kv.Key;
                        if (!acc.TryGetValue(kv.Value, out var layerAcc)) continue; // not a layer at the first part's shapes
                        if (!f.TryGetValue(n.Outputs[0], out var yf) || !q.TryGetValue(n.Outputs[0], out var yq)) continue; // an If branch not taken
                        var yi = n.Quantization?.Precision == Precision.Int8 ? sim.QuantizedLayer(n, v => v.Constant ?? f[v]) : yf;
                        var x = n.Inputs[0]!.Constant ?? f[n.Inputs[0]!];
                        layerAcc.Add(x, yf, yi, yq);
                    }
                    double dot = 0, na = 0, nb = 0, sampleMax = 0;
                    foreach (var o in g.Outputs)
                    {
                        var (a, b) = (f[o], q[o]);
                        if (!a.IsFloating) continue;
                        for (int i = 0; i < a.Length; i++)
                        {
                            double ya = a.GetDouble(i), yb = b.GetDouble(i), d = ya - yb;
                            sumSq += d * d; dot += ya * yb; na += ya * ya; nb += yb * yb;
                            sampleMax = Math.Max(sampleMax, Math.Abs(d));
                        }
                        elements += a.Length;
                    }
                    maxAbs = Math.Max(maxAbs, sampleMax);
                    double cosine = na < 1e-24 || nb < 1e-24 ? (sampleMax <= 1e-4 ? 1 : 0) : dot / Math.Sqrt(na * nb);
                    cosineSum += cosine;
                    minCosine = Math.Min(minCosine, cosine);
                    var classes = g.Outputs.FirstOrDefault(o => f[o].IsFloating && o.Shape!.Length > 0 && o.Shape[o.Shape.Length - 1] >= 2);
                    if (classes != null)
                    {
                        hasTop = true;
                        var (a, b) = (f[classes], q[classes]);
                        int c = classes.Shape![classes.Shape.Length - 1];
                        for (int r = 0; r < a.Length / c; r++, topRows++)
                            if (ArgMax(a, r * c, c) == ArgMax(b, r * c, c)) topAgree++;
                    }
                }
            }
            var end = new EndToEndError(count, elements == 0 ? 0 : sumSq / elements, count == 0 ? 1 : cosineSum / count,
                count == 0 ? 1 : minCosine, maxAbs, hasTop && topRows > 0 ? (double)topAgree / topRows : null, topRows);
            return new ErrorMeasurements(primary.Where(kv => acc[kv.Value].Count > 0).ToDictionary(kv => kv.Key, kv => acc[kv.Value].Result()), end,
                clock.Elapsed.TotalSeconds);
        }

        private static int ArgMax(TensorData t, int start, int count)
        {
            int best = 0;
            for (int i = 1; i < count; i++) if (t.GetDouble(start + i) > t.GetDouble(start + best)) best = i;
            return best;
        }

        /// <summary>DynamicQuantizeLinear's parameters for x, computed in float like <c>QuantizeDynamic</c> (src/QuantGen.Kernels).</summary>
        public static ActivationQuant DynamicParameters(TensorData x)
        {
            float min = 0f, max = 0f;
            for (int i = 0; i < x.Length; i++) { float v = (float)x.GetDouble(i); min = Math.Min(min, v); max = Math.Max(max, v); }
            float scale = (max - min) / 255f;
            if (!(scale > 0f)) return new ActivationQuant(0f, 0);
            double zp = Math.Round(Math.Max(0f, Math.Min(255f, 0f - min / scale)), MidpointRounding.ToEven);
            return new ActivationQuant(scale, (int)zp);
        }

        /// <summary>s (clamp(round_half_even(x / s) + z, qmin, qmax) - z): the real number x's uint8 code stands for.</summary>
        public static TensorData FakeQuantize(TensorData x, ActivationQuant p, int qmin, int qmax)
        {
            var y = new float[x.Length];
            if (p.Scale > 0f)
                for (int i = 0; i < y.Length; i++)
                {
                    double r = Math.Round((double)((float)x.GetDouble(i) / p.Scale), MidpointRounding.ToEven) + p.ZeroPoint;
                    int code = double.IsNaN(r) ? p.ZeroPoint : (int)Math.Max(qmin, Math.Min(qmax, r));
                    y[i] = p.Scale * (code - p.ZeroPoint);
                }
            return new TensorData(DataType.Float, x.Shape, y);
        }

        /// <summary>
        /// <see cref="FakeQuantize"/> of each row (last axis) of x with its own <see cref="DynamicParameters"/>: a dense layer's
        /// input quantized per row, as <c>QuantizeDynamic.RunRows</c> does.
        /// </summary>
        public static TensorData FakeQuantizeRows(TensorData x)
        {
            int k = x.Shape.Length == 0 ? 1 : x.Shape[x.Shape.Length - 1];
            var y = new float[x.Length];
            var row = new float[k];
            for (int start = 0; start + k <= x.Length && k > 0; start += k)
            {
                for (int i = 0; i < k; i++) row[i] = (float)x.GetDouble(start + i);
                var r = new TensorData(DataType.Float, new[] { k }, row);
                var q = FakeQuantize(r, DynamicParameters(r), 0, 255);
                for (int i = 0; i < k; i++) y[start + i] = (float)q.GetDouble(i);
            }
            return new TensorData(DataType.Float, x.Shape, y);
        }

        /// <summary>Symmetric int8 per tensor, as the activation x activation MatMul quantizes its B: s = max|x| / 127.</summary>
        public static TensorData SymmetricFakeQuantize(TensorData x)
        {
            float maxAbs = 0f;
            for (int i = 0; i < x.Length; i++) maxAbs = Math.Max(maxAbs, Math.Abs((float)x.GetDouble(i)));
            float s = maxAbs == 0f ? 1f : maxAbs / 127f;
            var y = new float[x.Length];
            for (int i = 0; i < y.Length; i++)
                y[i] = s * (float)Math.Max(-127, Math.Min(127, Math.Round((double)((float)x.GetDouble(i) / s), MidpointRounding.ToEven)));
            return new TensorData(DataType.Float, x.Shape, y);
        }

        /// <summary>10 log10(signal / noise) in dB; infinity for no noise, 0 for no signal.</summary>
        public static double SqnrDb(double signal, double noise) =>
            noise <= 0 ? double.PositiveInfinity : signal <= 0 ? 0 : 10 * Math.Log10(signal / noise);

        private sealed class LayerAccumulator
        {
            private double _signal, _isolated, _cumulative;
            private double _inMin = double.PositiveInfinity, _inMax = double.NegativeInfinity, _outMin = double.PositiveInfinity, _outMax = double.NegativeInfinity;
            public long Count { get; private set; }

            public void Add(TensorData x, TensorData y, TensorData isolated, TensorData cumulative)
            {
                if (x.IsFloating)
                    for (int i = 0; i < x.Length; i++) { double v = x.GetDouble(i); _inMin = Math.Min(_inMin, v); _inMax = Math.Max(_inMax, v); }
                for (int i = 0; i < y.Length; i++)
                {
                    double v = y.GetDouble(i), di = v - isolated.GetDouble(i), dc = v - cumulative.GetDouble(i);
                    _signal += v * v; _isolated += di * di; _cumulative += dc * dc;
                    _outMin = Math.Min(_outMin, v); _outMax = Math.Max(_outMax, v);
                }
                Count += y.Length;
            }

            public LayerError Result() => new LayerError(SqnrDb(_signal, _isolated), SqnrDb(_signal, _cumulative), _cumulative / Count,
                _inMin, _inMax, _outMin, _outMax);
        }
    }
}
