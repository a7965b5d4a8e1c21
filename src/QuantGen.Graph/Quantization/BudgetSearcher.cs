using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;

namespace QuantGen.Graph.Quantization
{
    /// <summary>
    /// The MaxError search: after each measured round, if the budget is missed, the quantized layers whose quantization alone
    /// costs the model's outputs the most at their current precision (lowest end-to-end SQNR, <see cref="ErrorAnalysis.Sensitivity"/>
    /// on the first calibration samples, measured once per layer and weight bits: a layer raised to 8-bit is measured again
    /// at 8-bit before it competes again) move one step up the ladder of
    /// precisions: 4-bit or 7-bit weights to 8-bit, 8-bit to float32. One layer per round for the first four rounds, then one
    /// more every four rounds, so large models converge in few rounds. The budget is unmet when the next step would leave no
    /// layer quantized, or after <see cref="MaxRounds"/> rounds; the layers that resisted are named. Deterministic: ties break by node name.
    /// </summary>
    public sealed class BudgetSearcher
    {
        public const int MaxRounds = 48;

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
            var candidates = quantized
                .Select(q => (Layer: q, Sqnr: _sensitivity.TryGetValue(Key(q), out var s) ? s : double.PositiveInfinity))
                .OrderBy(x => x.Sqnr).ThenBy(x => x.Layer.Node.Name, StringComparer.Ordinal).ToList();
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
            foreach (var (layer, sqnr) in chosen)
            {
                int bits = layer.Weights?.Bits ?? 8, next = bits < 8 ? 8 : 0;
                string name = layer.Node.Name;
                _choices[name] = new LayerChoice(next, next == 0
                    ? F($"kept in float32 by MaxError {_budget}: end-to-end SQNR {sqnr:F1} dB when it alone is quantized, the lowest of the int8 layers at {_budget.Measured(e)}")
                    : F($"raised from {bits}-bit to 8-bit weights by MaxError {_budget}: end-to-end SQNR {sqnr:F1} dB alone at {_budget.Measured(e)}"));
                _steps.Add(F($"round {_rounds}: {_budget.Measured(e)} misses {_budget}; '{name}' ({layer.Node.OpType}, end-to-end SQNR {sqnr:F1} dB alone) {(bits == 8 ? "int8" : bits + "-bit")} -> {(next == 0 ? "float32" : "8-bit")}"));
            }
            return options with { Choices = new Dictionary<string, LayerChoice>(_choices, StringComparer.Ordinal) };
        }

        /// <summary>The search's outcome after its last round.</summary>
        public BudgetSearch Result(ErrorMeasurements errors) =>
            new BudgetSearch(_budget, !_gaveUp && _budget.IsMet(errors.EndToEnd), _rounds, _steps.ToList(), _resisting.ToList(),
                _clock.Elapsed.TotalSeconds, _budget.Measured(errors.EndToEnd));
    }
}
