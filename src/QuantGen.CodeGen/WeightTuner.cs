using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Numerics;
using System.Threading.Tasks;
using QuantGen.CodeGen.Ops;
using QuantGen.Graph;
using QuantGen.Graph.Quantization;

namespace QuantGen.CodeGen
{
    /// <summary>
    /// Optimize="true": tunes every int8 layer's weights on the calibration data, in graph order. The float model runs once per
    /// calibration sample; then the int8 model runs on all samples in lockstep (<see cref="ErrorAnalysis.Simulator.RunInt8InLockstep"/>),
    /// and before each layer runs it is tuned on what it sees there: its input in the int8 model (every earlier layer already
    /// tuned, on the layer's uint8 grid) against the float layer's output on the float input. Each layer keeps a fixed random
    /// subset of its input columns (im2col patches of a Conv, rows of a Gemm's or MatMul's A: <see cref="MaxColumns"/>, fixed
    /// seed) and the means of all of them. Per output channel (a row w of the weight matrix; rows are independent):
    /// <list type="number">
    /// <item>Clipping: each scale (per channel or group) is max|w| / qmax times the alpha in {1, 0.99, ..., 0.5} minimizing
    /// sum_k E[x_k^2] (w_k - w_q,k)^2, the output error of independent inputs.</item>
    /// <item>Learned rounding (AdaRound): w_q = s (floor(w / s) + h(V)), h(V) = clamp(sigmoid(V) (zeta - gamma) + gamma, 0, 1),
    /// zeta = 1.1, gamma = -0.1, V started where h is w / s's fraction; Adam on V minimizes the error
    /// |w Xf - w_q Xq|^2 / N + rho sum_k E[xq_k^2] (w_k - w_q,k)^2 (rho = <see cref="Damping"/>) over the row's error with
    /// clipped round-to-nearest, plus lambda mean_k (1 - |2h - 1|^beta), beta falling from 20 to 2 after the first fifth of the
    /// iterations, which drives every h to 0 or 1; each weight then rounds down (V &lt; 0) or up.</item>
    /// <item>Each row keeps whichever of round-to-nearest, clipped round-to-nearest and learned rounding errs least on the
    /// columns, so a layer never gets worse on the calibration data than round-to-nearest.</item>
    /// <item>Bias correction: the bias gains, per channel, w . mean(xf) - w_q . mean(xq) over every column of every sample, so
    /// the layer's mean output in the int8 model equals the float layer's.</item>
    /// </list>
    /// Deterministic: fixed seed and iteration order; every vector loop keeps one accumulator per lane (no reduction across
    /// lanes), so results do not depend on the vector width. Tuned layers are cached by node name, bits and layout across the
    /// rounds of a budget search.
    /// </summary>
    public static class WeightTuner
    {
        public const int MaxColumns = 1024;
        public const int Iterations = 150;
        public const float LearningRate = 0.02f;
        public const float Lambda = 0.01f;
        public const float Damping = 0.01f;
        private const int Seed = 20261206;
        private const float Zeta = 1.1f, Gamma = -0.1f;
        private const int Block = 8;


        /// <summary>Layers the tuner handles: int8 Conv (1-D, 2-D), Gemm and MatMul with constant weights (the planner's weight layers).</summary>
        private static bool Supports(LayerQuantization l) =>
            l.Precision == Precision.Int8 && l.Weights != null && l.Weights.Values.Length > 0
            && l.Node.OpType is "Conv" or "Gemm" or "MatMul" && l.Node.Input(1)?.Constant != null;

        /// <summary>
        /// Tunes the int8 layers of the decisions that the cache does not hold yet, on the samples, and returns the tuned weights
        /// by node name for every int8 layer the cache holds in the decided layout.
        /// </summary>
        public static Dictionary<string, TunedWeights> Tune(QuantGen.Graph.Graph g, IOpRegistry ops, QuantizationDecisions decisions,
            IReadOnlyList<IReadOnlyList<TensorData>> samples, Dictionary<string, TunedWeights> cache)
        {
            var layers = decisions.Layers.Where(Supports).ToList();
            var topLevel = new HashSet<Node>(g.Nodes);
            var todo = layers.Where(l => topLevel.Contains(l.Node) && !cache.ContainsKey(Key(l))).ToDictionary(l => l.Node, l => new LayerData(l));
            if (todo.Count > 0 && samples.Count > 0)
            {
                var sim = new ErrorAnalysis.Simulator(g, ops, decisions);
                foreach (var d in todo.Values) d.Select(samples.Count, MaxColumns);
                // The float model gives each layer's targets: its float input.
                for (int s = 0; s < samples.Count; s++)
                {
                    var f = sim.RunFloat(samples[s]);
                    foreach (var d in todo.Values)
                        if (f.TryGetValue(d.Layer.Node.Inputs[0]!, out var x)) d.Add(s, x, quantized: false);
                }
                // The int8 model in lockstep gives each layer its input as the quantized model computes it, with every earlier layer
                // already tuned; the layer is tuned before it runs.
                sim.RunInt8InLockstep(samples, (n, readers) =>
                {
                    if (!todo.TryGetValue(n, out var d)) return;
                    for (int s = 0; s < readers.Count; s++)
                    {
                        var x = readers[s](n.Inputs[0]!);
                        d.Add(s, ErrorAnalysis.FakeQuantize(x, sim.InputParameters(n, x), 0, 255), quantized: true);
                    }
                    var t = d.Tune(Iterations, LearningRate, Lambda, Damping);
                    cache[Key(d.Layer)] = t;
                    n.Quantization!.Weights = t.Weights;
                    n.Quantization.BiasCorrection = t.BiasCorrection;
                });
            }
            var result = new Dictionary<string, TunedWeights>(StringComparer.Ordinal);
            foreach (var l in layers)
                if (cache.TryGetValue(Key(l), out var t)) result[l.Node.Name] = t;
            return result;
        }

        private static string Key(LayerQuantization l) => $"{l.Node.Name}\n{l.Weights!.Bits}\n{l.Weights.GroupSize}\n{l.Weights.Axis}\n{l.Weights.Scales.Length}";

        /// <summary>One layer as a matrix product: rows (output channels) in conv groups, each row a dot product of Depth inputs.</summary>
        private sealed class LayerData
        {
            public readonly LayerQuantization Layer;
            private readonly Conv.Geometry? _conv;
            private readonly int _rows, _groups, _depth, _positions; // positions: columns per sample
            private readonly Func<int, int, int> _flat;              // (row, k) -> flat weight index
            private int[] _chosen = Array.Empty<int>();               // selected column indices over all samples, ascending
            // Per conv group, K x Np: the chosen columns of the float model's input, and of the int8 model's (on its uint8 grid).
            private float[][] _xf = Array.Empty<float[]>(), _xq = Array.Empty<float[]>();
            private double[][] _meanF = Array.Empty<double[]>(), _meanQ = Array.Empty<double[]>();
            private long _seen;
            private int _np;
            public int Columns => _chosen.Length;

            public LayerData(LayerQuantization layer)
            {
                Layer = layer;
                var n = layer.Node;
                var ws = n.Input(1)!.Shape!;
                if (n.OpType == "Conv")
                {
                    _conv = Conv.Resolve(n);
                    _rows = _conv.Cout; _groups = _conv.Group;
                    _depth = ws.Skip(1).Aggregate(1, (a, b) => a * b);
                    _positions = _conv.Batch * _conv.OH * _conv.OW;
                    int depth = _depth;
                    _flat = (r, k) => r * depth + k;
                }
                else
                {
                    bool rowsFirst = n.OpType == "Gemm" && n.GetInt("transB", 0) != 0; // B as [N, K]
                    _rows = rowsFirst ? ws[0] : ws[1]; _groups = 1;
                    _depth = rowsFirst ? ws[1] : ws[0];
                    var a = n.Input(0)!.Shape!;
                    _positions = a.Aggregate(1, (p, d) => p * d) / Math.Max(1, _depth);
                    int depth = _depth, rows = _rows;
                    _flat = rowsFirst ? (r, k) => r * depth + k : (r, k) => k * rows + r;
                }
            }

            /// <summary>Chooses which columns of all samples are kept (Floyd's sampling with a fixed seed).</summary>
            public void Select(int samples, int maxColumns)
            {
                long total = (long)_positions * samples;
                int m = (int)Math.Min(total, maxColumns);
                var rnd = new Random(Seed);
                var set = new HashSet<long>();
                for (long j = total - m; j < total; j++)
                {
                    long t = (long)(rnd.NextDouble() * (j + 1));
                    if (t > j) t = j;
                    set.Add(set.Contains(t) ? j : t);
                }
                _chosen = set.Select(v => (int)v).OrderBy(v => v).ToArray();
                _np = Pad(m);
                float[][] Columns() => Enumerable.Range(0, _groups).Select(_ => new float[_depth * _np]).ToArray();
                double[][] Means() => Enumerable.Range(0, _groups).Select(_ => new double[_depth]).ToArray();
                _xf = Columns(); _xq = Columns(); _meanF = Means(); _meanQ = Means();
            }

            /// <summary>Adds one sample's input to the float or the int8 side: its chosen columns, and every column to the mean.</summary>
            public void Add(int sample, TensorData input, bool quantized)
            {
                var x = input.ToFloats();
                var (columns, means) = quantized ? (_xq, _meanQ) : (_xf, _meanF);
                var column = new float[_depth];
                long first = (long)sample * _positions;
                int next = Array.BinarySearch(_chosen, (int)first);
                if (next < 0) next = ~next;
                for (int pos = 0; pos < _positions; pos++)
                {
                    bool keep = next < _chosen.Length && _chosen[next] == first + pos;
                    for (int g = 0; g < _groups; g++)
                    {
                        Gather(x, pos, g, column);
                        var mean = means[g];
                        for (int k = 0; k < _depth; k++) mean[k] += column[k];
                        if (keep)
                        {
                            var dst = columns[g];
                            for (int k = 0; k < _depth; k++) dst[k * _np + next] = column[k];
                        }
                    }
                    if (keep) next++;
                }
                if (quantized) _seen += _positions;
            }

            /// <summary>Column pos of group g: an im2col patch in the weight's (channel, kernel row, kernel column) order, or a row of A.</summary>
            private void Gather(float[] x, int pos, int group, float[] dst)
            {
                if (_conv == null) { Array.Copy(x, (long)pos * _depth, dst, 0, _depth); return; }
                var c = _conv;
                int cg = c.Cin / c.Group, plane = c.OH * c.OW;
                int b = pos / plane, oy = pos % plane / c.OW, ox = pos % c.OW;
                int k = 0;
                for (int ch = 0; ch < cg; ch++)
                {
                    int baseIndex = (b * c.Cin + group * cg + ch) * c.H * c.W;
                    for (int i = 0; i < c.KH; i++)
                    {
                        int iy = oy * c.SH - c.PadTop + i * c.DH;
                        for (int j = 0; j < c.KW; j++, k++)
                        {
                            int ix = ox * c.SW - c.PadLeft + j * c.DW;
                            dst[k] = (uint)iy < (uint)c.H && (uint)ix < (uint)c.W ? x[baseIndex + iy * c.W + ix] : 0f;
                        }
                    }
                }
            }

            public TunedWeights Tune(int iterations, float learningRate, float lambda, float damping)
            {
                var nearest = Layer.Weights!;
                var w = Layer.Node.Input(1)!.Constant!.ToFloats();
                var values = (sbyte[])nearest.Values.Clone();
                var scales = (float[])nearest.Scales.Clone();
                int n = Columns, rowsPerGroup = _rows / _groups, qmax = nearest.QMax;
                var nearestError = new double[_rows];
                var tunedError = new double[_rows];
                var clipped = new int[_rows];
                var correction = new float[_rows];
                for (int g = 0; g < _groups; g++)
                {
                    var xq = _xq[g];
                    var diag = new float[_depth];
                    for (int k = 0; k < _depth; k++)
                    {
                        double s = 0;
                        for (int j = 0; j < n; j++) s += (double)xq[k * _np + j] * xq[k * _np + j];
                        diag[k] = (float)(s / n);
                    }
                    var problem = new Problem(_xf[g], xq, Transpose(xq, _depth, _np, n), diag, _depth, _np, n, damping);
                    int blocks = (rowsPerGroup + Block - 1) / Block;
                    Parallel.For(0, blocks, bi =>
                    {
                        int r0 = g * rowsPerGroup + bi * Block, count = Math.Min(Block, (g + 1) * rowsPerGroup - r0);
                        var rows = new RowSet(this, nearest, w, r0, count, qmax);
                        var target = problem.Target(rows.Float);
                        for (int r = 0; r < count; r++)
                        {
                            nearestError[r0 + r] = problem.Error(target, rows.Float, rows.Quantized(r, rows.NearestCodes, rows.NearestScales), r);
                            clipped[r0 + r] = rows.Clip(r, diag);
                        }
                        var learned = problem.LearnRounding(rows, target, iterations, learningRate, lambda);
                        for (int r = 0; r < count; r++)
                        {
                            // The best of: nearest, clipped nearest, learned rounding (on clipped scales); ties keep the simpler.
                            double e0 = nearestError[r0 + r];
                            double e1 = problem.Error(target, rows.Float, rows.Quantized(r, rows.ClippedCodes, rows.Scales), r);
                            double e2 = problem.Error(target, rows.Float, rows.Quantized(r, learned, rows.Scales), r);
                            var (codes, sc, err, clips) = e2 < e1 && e2 < e0 ? (learned, rows.Scales, e2, clipped[r0 + r])
                                : e1 < e0 ? (rows.ClippedCodes, rows.Scales, e1, clipped[r0 + r]) : (rows.NearestCodes, rows.NearestScales, e0, 0);
                            clipped[r0 + r] = clips;
                            tunedError[r0 + r] = err;
                            rows.Write(r, codes, sc, values, scales);
                        }
                    });
                    if (!CanCorrectBias(Layer.Node)) continue;
                    float alpha = Layer.Node.OpType == "Gemm" ? Layer.Node.GetFloat("alpha", 1f) : 1f;
                    for (int r = g * rowsPerGroup; r < (g + 1) * rowsPerGroup; r++)
                    {
                        double sum = 0;
                        for (int k = 0; k < _depth; k++)
                        {
                            int f = _flat(r, k);
                            sum += w[f] * _meanF[g][k] - values[f] * (double)scales[nearest.ScaleIndex(f)] * _meanQ[g][k];
                        }
                        correction[r] = (float)(alpha * sum / _seen);
                    }
                }
                var tuned = nearest.With(values, scales);
                int flipped = 0;
                for (int i = 0; i < values.Length; i++) if (values[i] != nearest.Values[i]) flipped++;
                return new TunedWeights(tuned, correction, nearestError.Sum() / _rows, tunedError.Sum() / _rows, flipped, clipped.Sum(), n);
            }

            /// <summary>Rows r0..r0+count-1 of the weight matrix: float values, scale index per k, nearest and clipped codes.</summary>
            internal sealed class RowSet
            {
                public readonly int Count, Depth, QMax;
                public readonly float[] Float;          // Block x Depth
                public readonly int[] ScaleIndex;       // Block x Depth
                public readonly float[] NearestScales;  // per scale index (a copy of the layer's)
                public readonly float[] Scales;         // clipped
                public readonly sbyte[] NearestCodes, ClippedCodes; // Block x Depth
                private readonly LayerData _layer;
                private readonly int _r0;

                public RowSet(LayerData layer, QuantizedTensor nearest, float[] w, int r0, int count, int qmax)
                {
                    _layer = layer; _r0 = r0; Count = count; Depth = layer._depth; QMax = qmax;
                    Float = new float[Block * Depth];
                    ScaleIndex = new int[Block * Depth];
                    NearestCodes = new sbyte[Block * Depth];
                    for (int r = 0; r < count; r++)
                        for (int k = 0; k < Depth; k++)
                        {
                            int f = layer._flat(r0 + r, k);
                            Float[r * Depth + k] = w[f];
                            ScaleIndex[r * Depth + k] = nearest.ScaleIndex(f);
                            NearestCodes[r * Depth + k] = nearest.Values[f];
                        }
                    NearestScales = nearest.Scales;
                    Scales = (float[])nearest.Scales.Clone();
                    ClippedCodes = (sbyte[])NearestCodes.Clone();
                    _perTensor = nearest.Axis < 0;
                }

                private readonly bool _perTensor;

                /// <summary>Row r quantized: codes times their scales.</summary>
                public float[] Quantized(int r, sbyte[] codes, float[] scales)
                {
                    var q = new float[Depth];
                    for (int k = 0; k < Depth; k++) q[k] = codes[r * Depth + k] * scales[ScaleIndex[r * Depth + k]];
                    return q;
                }

                /// <summary>Chooses row r's clipped scales (not for one scale per tensor, which all rows share); returns how many changed.</summary>
                public int Clip(int r, float[] diag)
                {
                    if (_perTensor) return 0;
                    int changed = 0;
                    foreach (var s in Enumerable.Range(0, Depth).Select(k => ScaleIndex[r * Depth + k]).Distinct().ToList())
                    {
                        var members = Enumerable.Range(0, Depth).Where(k => ScaleIndex[r * Depth + k] == s).ToArray();
                        double max = members.Max(k => Math.Abs((double)Float[r * Depth + k]));
                        if (!(max > 0) || double.IsInfinity(max)) continue;
                        double best = double.PositiveInfinity;
                        float bestScale = NearestScales[s];
                        for (int step = 0; step <= 50; step++)
                        {
                            float scale = step == 0 ? NearestScales[s] : (float)(max * (1 - 0.01 * step) / QMax);
                            double e = 0;
                            foreach (int k in members)
                            {
                                float v = Float[r * Depth + k];
                                double d = v - QuantizedTensor.Round(v, scale, QMax) * (double)scale;
                                e += (diag[k] + 1e-30) * d * d;
                            }
                            if (e < best) { best = e; bestScale = scale; }
                        }
                        if (bestScale != NearestScales[s]) changed++;
                        Scales[s] = bestScale;
                        foreach (int k in members) ClippedCodes[r * Depth + k] = QuantizedTensor.Round(Float[r * Depth + k], bestScale, QMax);
                    }
                    return changed;
                }

                public void Write(int r, sbyte[] codes, float[] scales, sbyte[] values, float[] allScales)
                {
                    for (int k = 0; k < Depth; k++)
                    {
                        values[_layer._flat(_r0 + r, k)] = codes[r * Depth + k];
                        int s = ScaleIndex[r * Depth + k];
                        if (!_perTensor) allScales[s] = scales[s];
                    }
                }
            }

            private static float[] Transpose(float[] x, int depth, int np, int n)
            {
                int kp = Pad(depth);
                var t = new float[np * kp];
                for (int k = 0; k < depth; k++)
                    for (int j = 0; j < n; j++) t[j * kp + k] = x[k * np + j];
                return t;
            }
        }

        private static bool CanCorrectBias(Node n) =>
            Int8Boundaries.BiasOf(n) != null && !(n.OpType == "Gemm" && n.GetFloat("beta", 1f) == 0f && n.Input(2) != null);

        /// <summary>Columns padded to a multiple of 16 floats (every vector width divides it).</summary>
        private static int Pad(int n) => (n + 15) / 16 * 16;

        /// <summary>
        /// A conv group's columns: the float model's input Xf and the int8 model's Xq (Depth x Np), Xq transposed (Np x Kp),
        /// E[xq_k^2] and the damping. A row w quantized to q errs by |w Xf - q Xq|^2 / N + rho sum_k E[xq_k^2] (w_k - q_k)^2.
        /// </summary>
        private sealed class Problem
        {
            private readonly float[] _xf, _xq, _xqt, _diag;
            private readonly int _depth, _np, _kp, _n;
            private readonly float _damping;

            public Problem(float[] xf, float[] xq, float[] xqt, float[] diag, int depth, int np, int n, float damping)
            {
                _xf = xf; _xq = xq; _xqt = xqt; _diag = diag; _depth = depth; _np = np; _kp = Pad(depth); _n = n; _damping = damping;
            }

            /// <summary>The float layer's outputs on the columns, w Xf, for the Block rows of w (Block x Depth): Block x Np.</summary>
            public float[] Target(float[] w)
            {
                var padded = new float[Block * _kp];
                for (int r = 0; r < Block; r++) Array.Copy(w, r * _depth, padded, r * _kp, _depth);
                var y = new float[Block * _np];
                MultiplyX(_xf, padded, y);
                return y;
            }

            /// <summary>The error of row r of w quantized to q (see the class summary).</summary>
            public double Error(float[] target, float[] w, float[] q, int r)
            {
                var t = new float[_np];
                Array.Copy(target, r * _np, t, 0, _np);
                for (int k = 0; k < _depth; k++)
                {
                    float qk = q[k];
                    if (qk == 0f) continue;
                    for (int j = 0; j < _n; j++) t[j] -= qk * _xq[k * _np + j];
                }
                double e = 0, ridge = 0;
                for (int j = 0; j < _n; j++) e += (double)t[j] * t[j];
                for (int k = 0; k < _depth; k++) { double d = w[r * _depth + k] - q[k]; ridge += _diag[k] * d * d; }
                return e / _n + _damping * ridge;
            }

            /// <summary>AdaRound on the rows of the set (see the class summary); returns the codes, rounded down or up per weight.</summary>
            public sbyte[] LearnRounding(LayerData.RowSet rows, float[] target, int iterations, float learningRate, float lambda)
            {
                int depth = _depth, size = Block * depth;
                var v = new float[size];
                var m1 = new float[size];
                var m2 = new float[size];
                var floor = new float[size];
                var scale = new float[size];
                var fixedValue = new float[size];
                var variable = new bool[size];
                var norm = new float[Block];
                for (int r = 0; r < rows.Count; r++)
                {
                    norm[r] = (float)Math.Max(Error(target, rows.Float, rows.Quantized(r, rows.ClippedCodes, rows.Scales), r), 1e-30);
                    for (int k = 0; k < depth; k++)
                    {
                        int e = r * depth + k;
                        float s = rows.Scales[rows.ScaleIndex[e]];
                        float ratio = rows.Float[e] / s;
                        float lo = (float)Math.Floor(ratio);
                        scale[e] = s; floor[e] = lo;
                        if (lo >= rows.QMax || lo + 1 <= -rows.QMax || float.IsNaN(ratio))
                        {
                            fixedValue[e] = s * Math.Max(-rows.QMax, Math.Min(rows.QMax, float.IsNaN(ratio) ? 0 : lo));
                            continue;
                        }
                        variable[e] = true;
                        float frac = Math.Max(0.01f, Math.Min(0.99f, ratio - lo));
                        float p = (frac - Gamma) / (Zeta - Gamma);
                        v[e] = (float)Math.Log(p / (1 - p));
                    }
                }
                var soft = new float[Block * _kp];
                var t = new float[Block * _np];
                var grad = new float[Block * _kp];
                int warm = iterations / 5;
                const float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
                float c1 = 1, c2 = 1;
                for (int it = 0; it < iterations; it++)
                {
                    for (int r = 0; r < rows.Count; r++)
                        for (int k = 0; k < depth; k++)
                        {
                            int e = r * depth + k;
                            soft[r * _kp + k] = variable[e] ? scale[e] * (floor[e] + H(v[e])) : fixedValue[e];
                        }
                    // t = w Xf - soft Xq (the residual on the columns), grad = t Xq^T.
                    MultiplyX(_xq, soft, t);
                    for (int i = 0; i < t.Length; i++) t[i] = target[i] - t[i];
                    MultiplyXt(t, grad);
                    bool regularize = it >= warm;
                    float beta = regularize ? 20f - 18f * (it - warm) / Math.Max(1, iterations - 1 - warm) : 0f;
                    c1 *= beta1; c2 *= beta2;
                    for (int r = 0; r < rows.Count; r++)
                        for (int k = 0; k < depth; k++)
                        {
                            int e = r * depth + k;
                            if (!variable[e]) continue;
                            float sig = Sigmoid(v[e]);
                            float hRaw = sig * (Zeta - Gamma) + Gamma;
                            if (hRaw <= 0f || hRaw >= 1f) continue; // clamped: no gradient
                            float dd = rows.Float[e] - soft[r * _kp + k];
                            // d loss / d h: the error grows with (w - q), and dq/dh = s.
                            float g = -scale[e] * (2f * grad[r * _kp + k] / _n + 2f * _damping * _diag[k] * dd) / norm[r];
                            if (regularize)
                            {
                                float u = 2f * hRaw - 1f;
                                float au = Math.Abs(u);
                                g += lambda / depth * -beta * (float)Math.Pow(au, beta - 1) * Math.Sign(u) * 2f;
                            }
                            g *= (Zeta - Gamma) * sig * (1 - sig);
                            m1[e] = beta1 * m1[e] + (1 - beta1) * g;
                            m2[e] = beta2 * m2[e] + (1 - beta2) * g * g;
                            float mh = m1[e] / (1 - c1), vh = m2[e] / (1 - c2);
                            v[e] -= learningRate * mh / ((float)Math.Sqrt(vh) + eps);
                        }
                }
                var codes = (sbyte[])rows.ClippedCodes.Clone();
                for (int r = 0; r < rows.Count; r++)
                    for (int k = 0; k < depth; k++)
                    {
                        int e = r * depth + k;
                        if (variable[e]) codes[e] = (sbyte)Math.Max(-rows.QMax, Math.Min(rows.QMax, floor[e] + (v[e] >= 0 ? 1 : 0)));
                    }
                return codes;
            }

            private static float Sigmoid(float x) => 1f / (1f + (float)Math.Exp(-x));
            private static float H(float v) => Math.Max(0f, Math.Min(1f, Sigmoid(v) * (Zeta - Gamma) + Gamma));

            /// <summary>t[r, j] = sum_k d[r, k] X[k, j] for the Block rows of d (Block x Kp).</summary>
            private void MultiplyX(float[] x, float[] d, float[] t) => Combine(d, _kp, _depth, x, _np, t);

            /// <summary>g[r, k] = sum_j t[r, j] Xq[k, j] (through Xq transposed) for the Block rows of t (Block x Np).</summary>
            private void MultiplyXt(float[] t, float[] g) => Combine(t, _np, _n, _xqt, _kp, g);

            /// <summary>
            /// output[r, c] = sum_i coef[r, i] m[i, c] for the Block rows (coef rows coefStride apart, m and output rows width apart,
            /// width a multiple of 16): one accumulator per row and lane, i in order, so the result does not depend on the vector width.
            /// </summary>
            private static void Combine(float[] coef, int coefStride, int count, float[] m, int width, float[] output)
            {
                int lanes = Vector<float>.Count;
                for (int c = 0; c < width; c += lanes)
                {
                    Vector<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
                    for (int i = 0; i < count; i++)
                    {
                        var mv = new Vector<float>(m, i * width + c);
                        a0 += mv * coef[i]; a1 += mv * coef[coefStride + i]; a2 += mv * coef[2 * coefStride + i]; a3 += mv * coef[3 * coefStride + i];
                        a4 += mv * coef[4 * coefStride + i]; a5 += mv * coef[5 * coefStride + i]; a6 += mv * coef[6 * coefStride + i]; a7 += mv * coef[7 * coefStride + i];
                    }
                    a0.CopyTo(output, c); a1.CopyTo(output, width + c); a2.CopyTo(output, 2 * width + c); a3.CopyTo(output, 3 * width + c);
                    a4.CopyTo(output, 4 * width + c); a5.CopyTo(output, 5 * width + c); a6.CopyTo(output, 6 * width + c); a7.CopyTo(output, 7 * width + c);
                }
            }
        }
    }
}
