using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using QuantGen.Graph.Quantization;

namespace QuantGen.CodeGen
{
    /// <summary>
    /// The options a &lt;QuantModel&gt; item shares with the CLI, in one place: each option's metadata name (the csproj), its
    /// manifest key (the line build/QuantGen.targets writes) and its flag (<c>quantgen check|report|generate|profile</c>), and
    /// one parser from their text to <see cref="CompileOptions"/>, whose initializers are the defaults. The generator parses
    /// the manifest through it and the CLI its flags, so both accept and reject the same values with the same messages.
    /// Combinations that need the model (calibration data for Optimize, ...) are checked when compiling (QG0007).
    /// </summary>
    public static class QuantModelOptions
    {
        /// <summary>One option: csproj metadata name, manifest key, CLI flag.</summary>
        public sealed record Option(string Metadata, string Key, string Flag);

        public static readonly IReadOnlyList<Option> All = new[]
        {
            new Option("Precision", "precision", "--precision"),
            new Option("Dimensions", "dimensions", "--dims"),
            new Option("WeightGranularity", "weights", "--weights"),
            new Option("WeightBits", "weightBits", "--weight-bits"),
            new Option("GroupSize", "groupSize", "--group-size"),
            new Option("Activations", "activations", "--activations"),
            new Option("ActivationGranularity", "activationGranularity", "--activation-granularity"),
            new Option("Calibration", "calibration", "--calibration"),
            new Option("CalibrationMethod", "calibrationMethod", "--calibration-method"),
            new Option("CalibrationPercentile", "calibrationPercentile", "--calibration-percentile"),
            new Option("CalibrationSamples", "calibrationSamples", "--calibration-samples"),
            new Option("Exclude", "exclude", "--exclude"),
            new Option("MaxError", "maxError", "--max-error"),
            new Option("MaxErrorIsError", "maxErrorIsError", "--max-error-is-error"),
            new Option("Optimize", "optimize", "--optimize"),
        };

        /// <summary>The options that apply to Precision="Int8" only.</summary>
        private static readonly string[] Int8Only =
            { "weights", "weightBits", "groupSize", "activations", "activationGranularity", "calibration", "exclude", "maxError", "optimize" };

        /// <summary>
        /// Parses the options' text, looked up by manifest key (empty: the default), onto <paramref name="options"/>; every
        /// malformed value adds a message naming the option as the csproj does.
        /// </summary>
        public static CompileOptions Parse(CompileOptions options, Func<string, string> get, List<string> errors)
        {
            var defaults = new CompileOptions();
            string Text(string key) => (get(key) ?? "").Trim();
            string Name(string key) => All.First(o => o.Key == key).Metadata;
            void Invalid(string key, string why) => errors.Add($"{Name(key)}=\"{Text(key)}\" {why}");
            // Enumerations compare case-insensitively, hyphens ignored (per-channel = PerChannel).
            string OneOf(string key, string fallback, params string[] values)
            {
                var t = Text(key).Replace("-", "");
                if (t.Length == 0) return fallback;
                var match = values.FirstOrDefault(v => string.Equals(v, t, StringComparison.OrdinalIgnoreCase));
                if (match == null) Invalid(key, $"is not one of {string.Join(", ", values)}");
                return match ?? fallback;
            }
            int Int(string key, int fallback, Func<int, bool> valid, string what)
            {
                if (Text(key).Length == 0) return fallback;
                if (int.TryParse(Text(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && valid(v)) return v;
                Invalid(key, "is not " + what);
                return fallback;
            }
            bool Bool(string key, bool fallback)
            {
                if (Text(key).Length == 0) return fallback;
                if (bool.TryParse(Text(key), out var v)) return v;
                Invalid(key, "is not true or false");
                return fallback;
            }

            var precision = OneOf("precision", defaults.Precision, "Float32", "Int8");
            double percentile = defaults.CalibrationPercentile;
            if (Text("calibrationPercentile").Length > 0
                && !(double.TryParse(Text("calibrationPercentile"), NumberStyles.Float, CultureInfo.InvariantCulture, out percentile) && QuantizationOptions.IsValidPercentile(percentile)))
            {
                Invalid("calibrationPercentile", "is not a number in (50, 100]");
                percentile = defaults.CalibrationPercentile;
            }
            if (Text("maxError").Length > 0 && AccuracyBudget.Parse(Text("maxError"), out var budgetError) == null) errors.Add($"MaxError: {budgetError}");
            var dims = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var entry in Text("dimensions").Split(new[] { ',', ';' }, StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = entry.Split('=');
                if (parts.Length == 2 && parts[0].Trim().Length > 0
                    && int.TryParse(parts[1].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0)
                {
                    var name = parts[0].Trim();
                    if (dims.ContainsKey(name)) errors.Add($"Dimensions binds '{name}' twice");
                    else dims[name] = value;
                }
                else errors.Add($"Dimensions entry '{entry.Trim()}' is not name=N with N > 0");
            }
            var parsed = options with
            {
                Precision = precision,
                Dimensions = dims.Count > 0 ? dims : options.Dimensions,
                WeightGranularity = OneOf("weights", defaults.WeightGranularity, "PerChannel", "PerTensor"),
                WeightBits = Int("weightBits", defaults.WeightBits, QuantizationOptions.IsValidWeightBits, "8, 7 or 4"),
                GroupSize = Int("groupSize", defaults.GroupSize, QuantizationOptions.IsValidGroupSize, "0 (per channel) or a positive multiple of 4"),
                Activations = OneOf("activations", defaults.Activations, "Dynamic", "Static"),
                ActivationGranularity = OneOf("activationGranularity", defaults.ActivationGranularity, "PerRow", "PerTensor"),
                Calibration = Text("calibration"),
                CalibrationMethod = OneOf("calibrationMethod", defaults.CalibrationMethod, "MinMax", "Percentile", "Mse", "Entropy"),
                CalibrationPercentile = percentile,
                CalibrationSamples = Int("calibrationSamples", defaults.CalibrationSamples, v => v > 0, "a positive integer"),
                Exclude = Text("exclude"),
                MaxError = Text("maxError"),
                MaxErrorIsError = Bool("maxErrorIsError", defaults.MaxErrorIsError),
                Optimize = Bool("optimize", defaults.Optimize),
            };
            if (parsed.Precision != "Int8" && (Int8Only.Any(k => Text(k).Length > 0 && k != "optimize") || parsed.Optimize))
                errors.Add($"{string.Join(", ", Int8Only.Select(Name))} apply to Precision=\"Int8\" only");
            return parsed;
        }
    }
}
