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
    /// separated by <c>,</c> or <c>;</c>), <c>resource</c> (the static data's manifest resource name; empty: literals in the source).
    /// An empty <c>class</c> defaults to the model file name, Pascal-cased.
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
        public string WeightGranularity { get; init; } = Defaults.WeightGranularity;
        public int WeightBits { get; init; } = Defaults.WeightBits;
        public int GroupSize { get; init; } = Defaults.GroupSize;
        public string Activations { get; init; } = Defaults.Activations;
        public string ActivationGranularity { get; init; } = Defaults.ActivationGranularity;
        public string Calibration { get; init; } = Defaults.Calibration;
        public string CalibrationHash { get; init; } = "";
        public string CalibrationMethod { get; init; } = Defaults.CalibrationMethod;
        public double CalibrationPercentile { get; init; } = Defaults.CalibrationPercentile;
        public int CalibrationSamples { get; init; } = Defaults.CalibrationSamples;
        public string Exclude { get; init; } = Defaults.Exclude;
        public string MaxError { get; init; } = Defaults.MaxError;
        public bool MaxErrorIsError { get; init; } = Defaults.MaxErrorIsError;
        public bool Optimize { get; init; } = Defaults.Optimize;
        /// <summary>
        /// The logical name under which build/QuantGen.targets embeds the static data file the generator writes beside the
        /// manifest (<see cref="GeneratedModel.StaticDataPath"/>); empty: the static data goes into the source as literals.
        /// </summary>
        public string Resource { get; init; } = "";

        /// <summary>The defaults: <see cref="CompileOptions"/>'s.</summary>
        private static readonly CompileOptions Defaults = new CompileOptions();

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
            WeightGranularity = WeightGranularity,
            WeightBits = WeightBits,
            GroupSize = GroupSize,
            Activations = Activations,
            ActivationGranularity = ActivationGranularity,
            Calibration = Calibration,
            CalibrationMethod = CalibrationMethod,
            CalibrationPercentile = CalibrationPercentile,
            CalibrationSamples = CalibrationSamples,
            Exclude = Exclude,
            MaxError = MaxError,
            MaxErrorIsError = MaxErrorIsError,
            Optimize = Optimize,
            StaticDataResource = Resource,
        };

        /// <summary>
        /// Every key a manifest may hold: exactly the lines build/QuantGen.targets writes (a test compares the two): the item's
        /// identity, then every option <see cref="QuantModelOptions"/> parses.
        /// </summary>
        public static readonly string[] Keys =
            new[] { "format", "item", "path", "sha256", "class", "namespace", "accessibility", "calibrationHash", "resource" }
                .Concat(QuantModelOptions.All.Select(o => o.Key)).ToArray();

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

            var accessibility = Get("accessibility");
            if (accessibility.Length == 0) accessibility = "public";
            accessibility = accessibility.ToLowerInvariant();
            if (accessibility != "public" && accessibility != "internal") Invalid($"Accessibility '{Get("accessibility")}' is not public or internal");

            var messages = new List<string>();
            var options = QuantModelOptions.Parse(new CompileOptions(), Get, messages);
            foreach (var m in messages) Invalid(m);
            var dims = options.Dimensions.Select(kv => new DimensionBinding(kv.Key, kv.Value)).ToList();
            dims.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));

            return new ModelRequest(manifestPath, item, path, Get("sha256").ToLowerInvariant(), className, ns, options.Precision, accessibility,
                EquatableArray.From(dims), EquatableArray.From(errors))
            {
                WeightGranularity = options.WeightGranularity,
                WeightBits = options.WeightBits,
                GroupSize = options.GroupSize,
                Activations = options.Activations,
                ActivationGranularity = options.ActivationGranularity,
                Calibration = options.Calibration,
                CalibrationHash = Get("calibrationHash"),
                CalibrationMethod = options.CalibrationMethod,
                CalibrationPercentile = options.CalibrationPercentile,
                CalibrationSamples = options.CalibrationSamples,
                Exclude = options.Exclude,
                MaxError = options.MaxError,
                MaxErrorIsError = options.MaxErrorIsError,
                Optimize = options.Optimize,
                Resource = Get("resource"),
            };
        }

        private static bool IsIdentifier(string s) =>
            s.Length > 0 && SyntaxFacts.IsValidIdentifier(s) && SyntaxFacts.GetKeywordKind(s) == SyntaxKind.None;
    }
}
