using System;
using System.Globalization;

namespace QuantGen.Graph.Quantization
{
    public enum BudgetMetric { Cosine, Mse, Top1 }

    /// <summary>
    /// The MaxError option: how close to the float model the quantized model must stay on the calibration data.
    /// <c>cosine&gt;=x</c> holds on every sample (the worst cosine), <c>mse&lt;=x</c> bounds E = mean (y - y_hat)^2 over all outputs,
    /// <c>top1&gt;=x%</c> is the share of rows whose argmax agrees with the float model's.
    /// </summary>
    public sealed record AccuracyBudget(BudgetMetric Metric, double Threshold)
    {
        /// <summary>Parses "cosine&gt;=0.999", "mse&lt;=1e-4" or "top1&gt;=99.5%" (spaces allowed); null with the reason when malformed.</summary>
        public static AccuracyBudget? Parse(string text, out string? error)
        {
            error = null;
            var s = (text ?? "").Replace(" ", "").ToLowerInvariant();
            BudgetMetric metric;
            string rest;
            if (s.StartsWith("cosine>=", StringComparison.Ordinal)) { metric = BudgetMetric.Cosine; rest = s.Substring(8); }
            else if (s.StartsWith("mse<=", StringComparison.Ordinal)) { metric = BudgetMetric.Mse; rest = s.Substring(5); }
            else if (s.StartsWith("top1>=", StringComparison.Ordinal)) { metric = BudgetMetric.Top1; rest = s.Substring(6).TrimEnd('%'); }
            else { error = $"MaxError=\"{text}\" is not cosine>=x, mse<=x or top1>=x%"; return null; }
            if (!double.TryParse(rest, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) || double.IsNaN(t) || double.IsInfinity(t))
            {
                error = $"MaxError=\"{text}\": '{rest}' is not a number";
                return null;
            }
            bool ok = metric switch { BudgetMetric.Cosine => t > -1 && t <= 1, BudgetMetric.Mse => t >= 0, _ => t >= 0 && t <= 100 };
            if (!ok)
            {
                error = $"MaxError=\"{text}\": the bound must be in (-1, 1] for cosine, >= 0 for mse, in [0, 100] for top1";
                return null;
            }
            return new AccuracyBudget(metric, t);
        }

        /// <summary>Whether the measured error keeps the budget (a top-1 budget on a model without a class axis never does).</summary>
        public bool IsMet(EndToEndError e) => Metric switch
        {
            BudgetMetric.Cosine => e.MinCosine >= Threshold,
            BudgetMetric.Mse => e.Mse <= Threshold,
            _ => e.Top1Agreement is double t && 100 * t >= Threshold - 1e-9,
        };

        /// <summary>The measured figure the budget bounds, as text.</summary>
        public string Measured(EndToEndError e) => Metric switch
        {
            BudgetMetric.Cosine => string.Format(CultureInfo.InvariantCulture, "worst cosine {0:F5}", e.MinCosine),
            BudgetMetric.Mse => string.Format(CultureInfo.InvariantCulture, "E {0:G4}", e.Mse),
            _ => e.Top1Agreement is double t ? string.Format(CultureInfo.InvariantCulture, "top-1 agreement {0:F2}%", 100 * t) : "no class axis for top-1",
        };

        public override string ToString() => Metric switch
        {
            BudgetMetric.Cosine => string.Format(CultureInfo.InvariantCulture, "cosine>={0}", Threshold),
            BudgetMetric.Mse => string.Format(CultureInfo.InvariantCulture, "mse<={0}", Threshold),
            _ => string.Format(CultureInfo.InvariantCulture, "top1>={0}%", Threshold),
        };
    }

    /// <summary>One layer's precision chosen by the budget search: weight bits (8, 7 or 4), or 0 for float32, and why.</summary>
    public sealed record LayerChoice(int Bits, string Reason);

    /// <summary>What the budget search did: the budget, whether it was met, each step, the layers that resisted, its cost.</summary>
    public sealed record BudgetSearch(AccuracyBudget Budget, bool Met, int Rounds, System.Collections.Generic.IReadOnlyList<string> Steps,
        System.Collections.Generic.IReadOnlyList<string> Resisting, double Seconds, string Measured);
}
