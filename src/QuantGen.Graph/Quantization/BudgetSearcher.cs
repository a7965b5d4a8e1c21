using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;

namespace QuantGen.Graph.Quantization
{
    /// <summary>
    /// The MaxError search: after each measured round, if the budget is missed, quantized layers move one step up the ladder of
    /// precisions (4-bit or 7-bit weights to 8-bit, 8-bit to float32), chosen by what their error costs the model's outputs
    /// and what the step costs:
    /// <list type="bullet">
    /// <item>error: each layer's noise n = 10^(-SQNR/10), SQNR being the end-to-end SQNR with only that layer quantized at its
    /// current precision (<see cref="ErrorAnalysis.Sensitivity"/> on the first calibration samples, measured once per layer
    /// and weight bits: a layer raised to 8-bit is measured again at 8-bit before it competes again);</item>
    /// <item>cost of the step: its static bytes as a share of the model's weight bytes plus its time (MACs at each precision's
    /// measured time per MAC, <see cref="TimePerMac"/>) as a share of the model's; a step whose time saved outweighs
    /// the bytes it adds costs nothing (4-bit to 8-bit on a conv usually, since the 4-bit kernels are slower);</item>
    /// <item>among the layers whose noise is at least a tenth of the largest (so every step removes a real part of the
    /// error), the one with the most noise per cost goes first.</item>
    /// </list>
    /// One layer per round for the first four rounds, then one more every four rounds, so large models converge in few rounds.
    /// The budget is unmet when the next step would leave no layer quantized, or after <see cref="MaxRounds"/> rounds; the
    /// layers that resisted are named. Deterministic: ties break by node name.
    /// </summary>
    public sealed class BudgetSearcher
    {
        public const int MaxRounds = 48;

        /// <summary>
        /// Relative time per MAC of a layer at each precision, int8 with 8-bit weights = 1: measured on the benchmark models
        /// (notes/benchmarks.md, 2026-12-07, AVX2 host: ResNet18 generated float32 / int8 dynamic 1.64, 4-bit / 8-bit weights
        /// 1.43; 7-bit weights 0.71 there, 1.0 with VNNI, counted as 1).
        /// </summary>
        public static double TimePerMac(Precision precision, int bits) => precision != Precision.Int8 ? 1.6 : bits == 4 ? 1.4 : 1.0;

        /// <summary>Static bytes per weight: 4-bit two per byte plus a float scale per group, 7/8-bit one byte, float32 four.</summary>
        private static double BytesPerWeight(Precision precision, QuantizedTensor? w) =>
            precision != Precision.Int8 ? 4 : w == null ? 0 : w.Bits == 4 ? 0.5 + (w.GroupSize > 0 ? 4.0 / w.GroupSize : 0) : 1;

        private static string Share(double cost) => cost <= 0 ? "none: it saves more time than it adds bytes" : F($"{100 * cost:F2}% of size + time");

        private static long WeightCount(LayerQuantization q) =>
            q.Weights?.Values.Length ?? (q.Node.Input(1)?.Constant is TensorData c ? c.Length : 0);

        private readonly AccuracyBudget _budget;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly List<string> _steps = new List<string>();
        private readonly Dictionary<string, LayerChoice> _choices = new Dictionary<string, LayerChoice>(StringComparer.Ordinal);
        private readonly List<string> _resisting = new List<string>();
        private readonly string _file;
        /// <summary>End-to-end SQNR (dB) of each layer quantized alone, by node name and weight bits.</summary>
        private readonly Dictionary<string, double> _sensitivity = new Dictionary<string, double>(StringComparer.Ordinal);
        private int _rounds;
        private bool _gaveUp;

        public BudgetSearcher(AccuracyBudget budget, string modelFile) { _budget = budget; _file = modelFile; }

        private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

        /// <summary>The options of the next round, or null when the search is over (met, or given up).</summary>
        /// <param name="sensitivity">Measures the end-to-end SQNR of the given layers quantized one at a time (called for the layers not yet measured at their bits).</param>
        public QuantizationOptions? Next(QuantizationOptions options, QuantizationDecisions decisions, ErrorMeasurements errors,
            Func<IReadOnlyList<Node>, Dictionary<Node, double>> sensitivity)
        {
            _rounds++;
            var e = errors.EndToEnd;
            if (_budget.Metric == BudgetMetric.Top1 && e.Top1Agreement == null)
                throw new QgException(DiagnosticIds.InvalidOption, $"{_file}: MaxError=\"{_budget}\": the model has no output with a class axis (last axis of 2+) to take top-1 on");
            if (_budget.IsMet(e)) return null;
            var quantized = decisions.Layers
                .Where(q => q.Precision == Precision.Int8 && q.Add == null && (q.Weights != null || QuantizationPlanner.IsActivationMatMul(q.Node))).ToList();
            static string Key(LayerQuantization q) => q.Node.Name + "\n" + (q.Weights?.Bits ?? 8);
            var unmeasured = quantized.Where(q => !_sensitivity.ContainsKey(Key(q))).ToDictionary(q => q.Node);
            if (unmeasured.Count > 0)
                foreach (var kv in sensitivity(unmeasured.Keys.ToList())) _sensitivity[Key(unmeasured[kv.Key])] = kv.Value;
            // The model's weight bytes and time at the current precisions, to weigh each step's cost.
            double totalBytes = decisions.Layers.Sum(q => WeightCount(q) * BytesPerWeight(q.Precision, q.Weights));
            double totalTime = decisions.Layers.Sum(q => q.Macs * TimePerMac(q.Precision, q.Weights?.Bits ?? 8));
            double Cost(LayerQuantization q)
            {
                int bits = q.Weights?.Bits ?? 8;
                var next = bits < 8 ? Precision.Int8 : Precision.Float32;
                double bytes = WeightCount(q) * ((next == Precision.Int8 ? 1 : 4) - BytesPerWeight(q.Precision, q.Weights));
                double time = q.Macs * (TimePerMac(next, 8) - TimePerMac(q.Precision, bits));
                return Math.Max(0, (totalBytes > 0 ? bytes / totalBytes : 0) + (totalTime > 0 ? time / totalTime : 0));
            }
            var measured = quantized
                .Select(q => (Layer: q, Sqnr: _sensitivity.TryGetValue(Key(q), out var s) ? s : double.PositiveInfinity))
                .Select(x => (x.Layer, x.Sqnr, Noise: Math.Pow(10, -x.Sqnr / 10), Cost: Cost(x.Layer))).ToList();
            double loudest = measured.Count == 0 ? 0 : measured.Max(x => x.Noise);
            // Relevant layers (noise >= a tenth of the loudest) by noise per cost (a free step first, then by noise), then the rest by noise.
            var candidates = measured
                .OrderBy(x => x.Noise >= loudest / 10 ? 0 : 1)
                .ThenByDescending(x => x.Noise >= loudest / 10 ? (x.Cost <= 0 ? double.PositiveInfinity : x.Noise / x.Cost) : x.Noise)
                .ThenByDescending(x => x.Noise).ThenBy(x => x.Layer.Node.Name, StringComparer.Ordinal)
                .Select(x => (x.Layer, x.Sqnr, x.Cost)).ToList();
            int move = 1 + (_rounds - 1) / 4;
            var chosen = candidates.Take(move).ToList();
            bool lastToFloat = chosen.Count == candidates.Count && chosen.All(c => (c.Layer.Weights?.Bits ?? 8) == 8);
            if (candidates.Count == 0 || lastToFloat || _rounds >= MaxRounds)
            {
                _gaveUp = true;
                _resisting.AddRange(candidates.Take(3).Select(c => F($"'{c.Layer.Node.Name}' ({c.Layer.Node.OpType}, end-to-end SQNR {c.Sqnr:F1} dB alone)")));
                _resisting.AddRange(_choices.Where(kv => kv.Value.Bits == 0).Select(kv => F($"'{kv.Key}' (already float32)")).Take(3));
                return null;
            }
            foreach (var (layer, sqnr, cost) in chosen)
            {
                int bits = layer.Weights?.Bits ?? 8, next = bits < 8 ? 8 : 0;
                string name = layer.Node.Name;
                _choices[name] = new LayerChoice(next, next == 0
                    ? F($"kept in float32 by MaxError {_budget}: end-to-end SQNR {sqnr:F1} dB when it alone is quantized, chosen for its error per cost (step cost {Share(cost)}) at {_budget.Measured(e)}")
                    : F($"raised from {bits}-bit to 8-bit weights by MaxError {_budget}: end-to-end SQNR {sqnr:F1} dB alone, step cost {Share(cost)}, at {_budget.Measured(e)}"));
                _steps.Add(F($"round {_rounds}: {_budget.Measured(e)} misses {_budget}; '{name}' ({layer.Node.OpType}, end-to-end SQNR {sqnr:F1} dB alone, step cost {Share(cost)}) {(bits == 8 ? "int8" : bits + "-bit")} -> {(next == 0 ? "float32" : "8-bit")}"));
            }
            return options with { Choices = new Dictionary<string, LayerChoice>(_choices, StringComparer.Ordinal) };
        }

        /// <summary>The search's outcome after its last round.</summary>
        public BudgetSearch Result(ErrorMeasurements errors) =>
            new BudgetSearch(_budget, !_gaveUp && _budget.IsMet(errors.EndToEnd), _rounds, _steps.ToList(), _resisting.ToList(),
                _clock.Elapsed.TotalSeconds, _budget.Measured(errors.EndToEnd));
    }
}
