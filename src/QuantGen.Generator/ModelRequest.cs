using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis.CSharp;
using QuantGen.CodeGen;
using QuantGen.Graph.Quantization;

namespace QuantGen.Generator
{
    /// <summary>One symbolic dimension binding (<c>Dimensions="batch_size=1"</c>).</summary>
    internal sealed record DimensionBinding(string Name, int Value);

    /// <summary>
    /// One &lt;QuantModel&gt; item as the generator sees it: parsed from the manifest that build/QuantGen.targets writes
    /// into obj/.../quantgen/. This is the incremental cache boundary: plain equatable data (no ISymbol, Compilation or
    /// SyntaxNode), equal exactly when the model's content hash and the options are equal.
    /// </summary>
    /// <remarks>
    /// Manifest format: UTF-8 lines <c>key=value</c> (lines starting with <c>#</c> are comments):
    /// <c>format=1</c>, <c>item</c> (the Include as written), <c>path</c> (full path of the .onnx), <c>sha256</c>,
    /// <c>class</c>, <c>namespace</c>, <c>precision</c>, <c>accessibility</c>, <c>dimensions</c> (<c>name=N</c> pairs
    /// separated by <c>,</c> or <c>;</c>). An empty <c>class</c> defaults to the model file name, Pascal-cased.
    /// </remarks>
    internal sealed record ModelRequest(
        string ManifestPath,
        string Item,
        string ModelPath,
        string Hash,
        string ClassName,
        string Namespace,
        string Precision,
        string Accessibility,
        EquatableArray<DimensionBinding> Dimensions,
        EquatableArray<DiagnosticInfo> Errors)
    {
        /// <summary>Int8 options (see build/QuantGen.targets); the calibration hash makes edited calibration data regenerate.</summary>
        public string WeightGranularity { get; init; } = "";
        public int WeightBits { get; init; } = 8;
        public int GroupSize { get; init; } = QuantizationOptions.DefaultGroupSize;
        public string Activations { get; init; } = "";
        public string Calibration { get; init; } = "";
        public string CalibrationHash { get; init; } = "";
        public string CalibrationMethod { get; init; } = "";
        public double CalibrationPercentile { get; init; } = 99.99;
        public int CalibrationSamples { get; init; } = 1000;
        public string Exclude { get; init; } = "";
        public string MaxError { get; init; } = "";
        public bool MaxErrorIsError { get; init; }
        public bool Optimize { get; init; }

        /// <summary>The file extension of model manifests among the AdditionalFiles.</summary>
        public const string ManifestExtension = ".quantmodel";

        public bool IsValid => Errors.Count == 0;

        /// <summary>Fully qualified name of the generated class (for messages and hint names).</summary>
        public string FullClassName => Namespace.Length == 0 ? ClassName : Namespace + "." + ClassName;

        /// <summary>The file a diagnostic about this item points at: the model if known, else the manifest.</summary>
        public string DiagnosticFile => ModelPath.Length > 0 ? ModelPath : ManifestPath;

        public CompileOptions ToCompileOptions() => new CompileOptions
        {
            ClassName = ClassName,
            Namespace = Namespace,
            Precision = Precision,
            Accessibility = Accessibility,
            Dimensions = Dimensions.ToDictionary(d => d.Name, d => d.Value, StringComparer.Ordinal),
            WeightGranularity = WeightGranularity.Length == 0 ? "PerChannel" : WeightGranularity,
            WeightBits = WeightBits,
            GroupSize = GroupSize,
            Activations = Activations,
            Calibration = Calibration,
            CalibrationMethod = CalibrationMethod.Length == 0 ? "MinMax" : CalibrationMethod,
            CalibrationPercentile = CalibrationPercentile,
            CalibrationSamples = CalibrationSamples,
            Exclude = Exclude,
            MaxError = MaxError,
            MaxErrorIsError = MaxErrorIsError,
            Optimize = Optimize,
        };

        /// <summary>Every key a manifest may hold: exactly the lines build/QuantGen.targets writes (a test compares the two).</summary>
        public static readonly string[] Keys =
        {
            "format", "item", "path", "sha256", "class", "namespace", "precision", "accessibility", "dimensions", "weights", "weightBits", "groupSize",
            "activations", "calibration", "calibrationHash", "calibrationMethod", "calibrationPercentile", "calibrationSamples", "exclude", "maxError", "maxErrorIsError", "optimize",
        };

        public static ModelRequest Parse(string manifestPath, string text)
        {
            var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var raw in text.Split('\n'))
            {
                var line = raw.Trim();
                if (line.Length == 0 || line[0] == '#') continue;
                int eq = line.IndexOf('=');
                if (eq <= 0) continue;
                values[line.Substring(0, eq).Trim()] = line.Substring(eq + 1).Trim();
            }
            string Get(string key) => values.TryGetValue(key, out var v) ? v : "";

            var errors = new List<DiagnosticInfo>();
            var item = Get("item");
            var path = Get("path");
            var what = item.Length > 0 ? $"<QuantModel Include=\"{item}\">" : $"QuantGen manifest '{Path.GetFileName(manifestPath)}'";
            var file = path.Length > 0 ? path : manifestPath;
            void Invalid(string message) => errors.Add(DiagnosticInfo.Error(DiagnosticIds.InvalidOption, $"{what}: {message}", file));

            foreach (var key in values.Keys.Where(k => !Keys.Contains(k, StringComparer.OrdinalIgnoreCase)).OrderBy(k => k, StringComparer.Ordinal))
                Invalid($"unknown manifest key '{key}': is build/QuantGen.targets from the same QuantGen version?");
            if (Get("format") != "1") Invalid($"unknown manifest format '{Get("format")}' (expected 1): is build/QuantGen.targets from the same QuantGen version?");
            if (path.Length == 0) Invalid("the manifest names no model path");

            var className = Get("class");
            if (className.Length == 0 && path.Length > 0) className = Names.TypeName(Path.GetFileNameWithoutExtension(path));
            if (!IsIdentifier(className)) Invalid($"ClassName '{className}' is not a valid C# identifier");

            var ns = Get("namespace");
            if (ns.StartsWith("global::", StringComparison.Ordinal)) ns = ns.Substring("global::".Length);
            if (ns.Length > 0 && !ns.Split('.').All(IsIdentifier)) Invalid($"Namespace '{ns}' is not a valid C# namespace");

            var precision = Get("precision");
            if (precision.Length == 0 || precision.Equals("Float32", StringComparison.OrdinalIgnoreCase)) precision = "Float32";
            else if (precision.Equals("Int8", StringComparison.OrdinalIgnoreCase)) precision = "Int8";
            else Invalid($"Precision '{precision}' is not Float32 or Int8");

            var accessibility = Get("accessibility");
            if (accessibility.Length == 0) accessibility = "public";
            accessibility = accessibility.ToLowerInvariant();
            if (accessibility != "public" && accessibility != "internal") Invalid($"Accessibility '{Get("accessibility")}' is not public or internal");

            var dims = new List<DimensionBinding>();
            foreach (var entry in Get("dimensions").Split(new[] { ',', ';' }, StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = entry.Split('=');
                if (parts.Length == 2 && parts[0].Trim().Length > 0
                    && int.TryParse(parts[1].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0)
                {
                    var name = parts[0].Trim();
                    if (dims.Any(d => d.Name == name)) Invalid($"Dimensions binds '{name}' twice");
                    else dims.Add(new DimensionBinding(name, value));
                }
                else Invalid($"Dimensions entry '{entry.Trim()}' is not name=N with N > 0");
            }
            dims.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));

            double percentile = 99.99;
            if (Get("calibrationPercentile").Length > 0 && !double.TryParse(Get("calibrationPercentile"), NumberStyles.Float, CultureInfo.InvariantCulture, out percentile))
                Invalid($"CalibrationPercentile '{Get("calibrationPercentile")}' is not a number");
            int samples = 1000;
            if (Get("calibrationSamples").Length > 0 && !(int.TryParse(Get("calibrationSamples"), NumberStyles.Integer, CultureInfo.InvariantCulture, out samples) && samples > 0))
                Invalid($"CalibrationSamples '{Get("calibrationSamples")}' is not a positive integer");
            int weightBits = 8;
            if (Get("weightBits").Length > 0 && !(int.TryParse(Get("weightBits"), NumberStyles.Integer, CultureInfo.InvariantCulture, out weightBits) && weightBits is 4 or 7 or 8))
                Invalid($"WeightBits '{Get("weightBits")}' is not 8, 7 or 4");
            bool maxErrorIsError = false;
            if (Get("maxErrorIsError").Length > 0 && !bool.TryParse(Get("maxErrorIsError"), out maxErrorIsError))
                Invalid($"MaxErrorIsError '{Get("maxErrorIsError")}' is not true or false");
            bool optimize = false;
            if (Get("optimize").Length > 0 && !bool.TryParse(Get("optimize"), out optimize))
                Invalid($"Optimize '{Get("optimize")}' is not true or false");
            if (Get("maxError").Length > 0 && AccuracyBudget.Parse(Get("maxError"), out var budgetError) == null) Invalid(budgetError!);
            int groupSize = QuantizationOptions.DefaultGroupSize;
            if (Get("groupSize").Length > 0 && !(int.TryParse(Get("groupSize"), NumberStyles.Integer, CultureInfo.InvariantCulture, out groupSize) && QuantizationOptions.IsValidGroupSize(groupSize)))
                Invalid($"GroupSize '{Get("groupSize")}' is not 0 or a positive multiple of 4");
            if (precision != "Int8" && (Get("calibration").Length > 0 || Get("activations").Length > 0 || Get("weights").Length > 0 || Get("weightBits").Length > 0 || Get("groupSize").Length > 0 || Get("exclude").Length > 0 || Get("maxError").Length > 0 || optimize))
                Invalid("WeightGranularity, WeightBits, GroupSize, Activations, Calibration, Exclude, MaxError and Optimize apply to Precision=\"Int8\" only");

            return new ModelRequest(manifestPath, item, path, Get("sha256").ToLowerInvariant(), className, ns, precision, accessibility,
                EquatableArray.From(dims), EquatableArray.From(errors))
            {
                WeightGranularity = Get("weights"),
                WeightBits = weightBits,
                GroupSize = groupSize,
                Activations = Get("activations"),
                Calibration = Get("calibration"),
                CalibrationHash = Get("calibrationHash"),
                CalibrationMethod = Get("calibrationMethod"),
                CalibrationPercentile = percentile,
                CalibrationSamples = samples,
                Exclude = Get("exclude"),
                MaxError = Get("maxError"),
                MaxErrorIsError = maxErrorIsError,
                Optimize = optimize,
            };
        }

        private static bool IsIdentifier(string s) =>
            s.Length > 0 && SyntaxFacts.IsValidIdentifier(s) && SyntaxFacts.GetKeywordKind(s) == SyntaxKind.None;
    }
}
