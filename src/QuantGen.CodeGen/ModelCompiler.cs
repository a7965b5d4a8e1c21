using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using QuantGen.Graph;
using QuantGen.Graph.Quantization;
using QuantGen.Onnx;

namespace QuantGen.CodeGen
{
    /// <summary>Options of one &lt;QuantModel&gt; item.</summary>
    public sealed record CompileOptions
    {
        public string ClassName { get; init; } = "Model";
        /// <summary>Namespace of the generated class; empty for the global namespace.</summary>
        public string Namespace { get; init; } = "";
        /// <summary>"Float32" or "Int8".</summary>
        public string Precision { get; init; } = "Float32";
        /// <summary>Int8 weights: "PerChannel" (default) or "PerTensor".</summary>
        public string WeightGranularity { get; init; } = "PerChannel";
        /// <summary>Int8 weight bits: 8 (default, [-127, 127]), 7 ([-63, 63]: faster int8 GEMM on x86 without VNNI) or 4 ([-7, 7], two per byte).</summary>
        public int WeightBits { get; init; } = 8;
        /// <summary>4-bit weights: one scale per this many k and output channel (a multiple of 4, default 32); 0: per channel.</summary>
        public int GroupSize { get; init; } = QuantizationOptions.DefaultGroupSize;
        /// <summary>Int8 activations: "Dynamic" (measured per call) or "Static" (calibrated); empty: Static when Calibration is set.</summary>
        public string Activations { get; init; } = "";
        /// <summary>Dynamic activations of dense layers: "PerRow" (default: per token or sample) or "PerTensor".</summary>
        public string ActivationGranularity { get; init; } = "PerRow";
        /// <summary>Folder of calibration data (test_data_set_* input .pb files or .npy arrays), for static activations.</summary>
        public string Calibration { get; init; } = "";
        /// <summary>"MinMax" (default), "Percentile", "Mse" or "Entropy".</summary>
        public string CalibrationMethod { get; init; } = "MinMax";
        /// <summary>Percentile kept by the Percentile method (default 99.99).</summary>
        public double CalibrationPercentile { get; init; } = 99.99;
        /// <summary>At most this many calibration samples are used (default 1000).</summary>
        public int CalibrationSamples { get; init; } = 1000;
        /// <summary>Accuracy budget on the calibration data: "cosine>=x", "mse<=x" or "top1>=x%"; empty for none.</summary>
        public string MaxError { get; init; } = "";
        /// <summary>An unmet MaxError fails the build (QG0011 as an error).</summary>
        public bool MaxErrorIsError { get; init; }
        /// <summary>Node names and op types kept in float32, separated by ';' or ','.</summary>
        public string Exclude { get; init; } = "";
        /// <summary>Tune the int8 weights on the calibration data (clipping, learned rounding, bias correction: <see cref="WeightTuner"/>).</summary>
        public bool Optimize { get; init; }
        /// <summary>"public" or "internal".</summary>
        public string Accessibility { get; init; } = "public";
        /// <summary>
        /// Emit per-op timing (the CLI's <c>quantgen profile</c>; not a &lt;QuantModel&gt; option): a nested
        /// <c>QuantGenProfile</c> class accumulates Stopwatch ticks after each op of Run, by step.
        /// </summary>
        public bool Profile { get; init; }
        /// <summary>
        /// The logical name of the manifest resource that holds the static data (build/QuantGen.targets embeds the file the
        /// generator writes, <see cref="CompileResult.StaticData"/>); empty: the static data is written into the source as
        /// base64 literals (the CLI, in-memory compiles).
        /// </summary>
        public string StaticDataResource { get; init; } = "";
        /// <summary>Values for symbolic dimensions (dim_param), e.g. batch_size=1.</summary>
        public IReadOnlyDictionary<string, int> Dimensions { get; init; } = new Dictionary<string, int>();
    }

    /// <summary>The result of compiling one model: its source (null on error), the kernels it uses, and diagnostics.</summary>
    public sealed class CompileResult
    {
        public CompileResult(string? source, IReadOnlyList<string> kernels, IReadOnlyList<QgDiagnostic> diagnostics, InferencePlan? plan,
            QuantizationReport? report = null, byte[]? staticData = null)
        {
            Source = source; Kernels = kernels; Diagnostics = diagnostics; Plan = plan; Report = report; StaticData = staticData;
        }
        /// <summary>
        /// With <see cref="CompileOptions.StaticDataResource"/>: the bytes of that resource, which the source reads and checks
        /// (possibly empty); otherwise null (the data is in the source).
        /// </summary>
        public byte[]? StaticData { get; }
        /// <summary>The quantization report of an int8 build (null for float32 or on error).</summary>
        public QuantizationReport? Report { get; }
        public string? Source { get; }
        public IReadOnlyList<string> Kernels { get; }
        public IReadOnlyList<QgDiagnostic> Diagnostics { get; }
        public InferencePlan? Plan { get; }
        public bool Success => Source != null;
    }

    /// <summary>
    /// The compiler's front door: ONNX bytes -> parse -> graph (inference, folding, fusion) -> plan -> C#.
    /// Never throws for bad input: every failure becomes a QG diagnostic.
    /// </summary>
    public static class ModelCompiler
    {
        public const string Version = "0.1.0";

        public static string Sha256(byte[] bytes)
        {
            using var sha = SHA256.Create();
            return string.Concat(sha.ComputeHash(bytes).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        }

        /// <summary>Parses and optimizes a model into a plan (used by the emitter, the CLI and tests).</summary>
        public static InferencePlan BuildPlan(byte[] modelBytes, string modelFileName, ExternalDataResolver? resolver,
            CompileOptions options, List<QgDiagnostic> diagnostics)
        {
            var ops = OperatorRegistry.Default;
            var proto = OnnxModelReader.Parse(modelBytes, modelFileName);
            var quant = QuantizationOptionsOf(options, modelFileName);
            var first = Prepare(proto, modelFileName, resolver, options, quant, diagnostics);
            IReadOnlyList<IReadOnlyList<TensorData>>? samples = null;
            // Calibration samples by the sizes they bind the model's symbolic dimensions to: the first group at the compiled shape
            // (perhaps empty), then one per other binding (clips of other lengths), each evaluated on the model prepared at its sizes.
            var groups = new List<(IReadOnlyDictionary<string, int>? Dims, List<IReadOnlyList<TensorData>> Samples)>();
            if (!first.Qdq && quant.Precision == Precision.Int8 && !string.IsNullOrEmpty(options.Calibration))
            {
                samples = CalibrationData.Load(options.Calibration, first.Model.Graph.Inputs, options.CalibrationSamples, SymbolicAxes(proto));
                groups = GroupByShape(proto, options, first.Model.Graph.Inputs, samples);
            }
            if (quant.MaxError != null && (samples == null || samples.Count == 0 || first.Qdq || quant.Precision != Precision.Int8))
                throw new QgException(DiagnosticIds.InvalidOption, $"{modelFileName}: MaxError=\"{quant.MaxError}\" needs Precision=\"Int8\", a float model (not QDQ) and calibration data (Calibration=\"folder\")");
            Prepared PrepareAt(IReadOnlyDictionary<string, int> dims) =>
                Prepare(proto, modelFileName, resolver, options with { Dimensions = dims }, quant, new List<QgDiagnostic>());
            // Calibrated ranges by value name (the budget search rebuilds the graph each round: the planner places boundaries in it),
            // the widest over the shape groups.
            Dictionary<string, (double Min, double Max)>? ranges = null;
            if (!first.Qdq && quant.Precision == Precision.Int8 && quant.Activations == ActivationMode.Static)
            {
                ranges = new Dictionary<string, (double Min, double Max)>(StringComparer.Ordinal);
                foreach (var (dims, group) in groups)
                    foreach (var kv in Calibrator.Calibrate(dims == null ? first.Model.Graph : PrepareAt(dims).Model.Graph, ops, group, quant))
                        ranges[kv.Key.Name] = ranges.TryGetValue(kv.Key.Name, out var r) ? (Math.Min(r.Min, kv.Value.Min), Math.Max(r.Max, kv.Value.Max)) : kv.Value;
                diagnostics.Add(new QgDiagnostic(DiagnosticIds.InvalidOption, QgSeverity.Info,
                    $"{modelFileName}: calibrated {ranges.Count} tensors on {samples!.Count} samples ({quant.Method}" +
                    (groups.Count > 1 ? $"; {groups.Count(g => g.Samples.Count > 0)} input shapes" : "") + ")"));
            }
            if (quant.Optimize && (samples == null || samples.Count == 0 || first.Qdq || quant.Precision != Precision.Int8))
                throw new QgException(DiagnosticIds.InvalidOption, $"{modelFileName}: Optimize=\"true\" needs Precision=\"Int8\", a float model (not QDQ) and calibration data (Calibration=\"folder\")");
            if (quant.Optimize && groups[0].Samples.Count == 0)
                throw new QgException(DiagnosticIds.InvalidOption, $"{modelFileName}: Optimize=\"true\" tunes on calibration samples at the compiled shape, and none of the {samples!.Count} has it ({Shapes.Format(first.Model.Graph.Inputs[0].Shape)} for '{first.Model.Graph.Inputs[0].Name}')");
            // The activation parameters a prepared graph is decided with: the calibrated ranges by value name, else its own (QDQ).
            IReadOnlyDictionary<Value, ActivationQuant>? ActivationsOf(Prepared p) => ranges == null ? p.Activations
                : ranges.Where(kv => p.Model.Graph.Values.ContainsKey(kv.Key))
                    .ToDictionary(kv => p.Model.Graph.Values[kv.Key], kv => ActivationQuant.FromRange(kv.Value.Item1, kv.Value.Item2));
            var search = quant.MaxError != null ? new BudgetSearcher(quant.MaxError, modelFileName) : null;
            // Optimize: tuned layers by name, bits and layout, kept across the rounds of a budget search.
            var tunedCache = quant.Optimize ? new Dictionary<string, TunedWeights>() : null;
            double tuneSeconds = 0;
            var current = first;
            while (true)
            {
                var decisions = QuantizationPlanner.Decide(current.Model.Graph, quant, ActivationsOf(current));
                // The samples at other shapes, on the model prepared and decided at their sizes with the same options.
                List<ErrorAnalysis.Part> Parts()
                {
                    var parts = new List<ErrorAnalysis.Part> { new ErrorAnalysis.Part(current.Model.Graph, decisions, groups[0].Samples) };
                    foreach (var (dims, group) in groups.Skip(1))
                    {
                        var at = PrepareAt(dims!);
                        parts.Add(new ErrorAnalysis.Part(at.Model.Graph, QuantizationPlanner.Decide(at.Model.Graph, quant, ActivationsOf(at)), group));
                    }
                    return parts;
                }
                if (tunedCache != null)
                {
                    // Tune what this decision quantizes and the cache lacks, then decide again with the tuned weights on a fresh graph
                    // (deciding places boundaries in the graph).
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    var tuned = WeightTuner.Tune(current.Model.Graph, ops, decisions, groups[0].Samples, tunedCache);
                    tuneSeconds += clock.Elapsed.TotalSeconds;
                    if (!SameKeys(tuned, quant.Tuned))
                    {
                        quant = quant with { Tuned = tuned };
                        current = Prepare(proto, modelFileName, resolver, options, quant, new List<QgDiagnostic>());
                        continue;
                    }
                }
                // The error of the quantized model against the float model, on the calibration data (a QDQ model has no float model).
                var measured = samples != null && samples.Count > 0 ? Parts() : null;
                var errors = measured != null ? ErrorAnalysis.Measure(ops, measured) : null;
                var next = search?.Next(quant, decisions, errors!, layers => ErrorAnalysis.Sensitivity(ops, First(measured!, SensitivitySamples), layers));
                if (next == null)
                {
                    if (current.Qdq) QdqModel.Simplify(current.Model.Graph);
                    var plan = Planner.Plan(current.Model, ops);
                    plan.ModelConstantBytes = current.ConstantBytes;
                    if (quant.Precision != Precision.Float32)
                    {
                        plan.Quantization = decisions;
                        plan.QuantizationOptions = quant;
                        plan.Errors = errors;
                        plan.Budget = search?.Result(errors!);
                        plan.TuneSeconds = tunedCache != null ? tuneSeconds : (double?)null;
                    }
                    return plan;
                }
                quant = next;
                current = Prepare(proto, modelFileName, resolver, options, quant, new List<QgDiagnostic>());
            }
        }

        /// <summary>The parts cut down to their first <paramref name="count"/> samples in order (the first part stays, perhaps empty: it names the layers).</summary>
        private static List<ErrorAnalysis.Part> First(List<ErrorAnalysis.Part> parts, int count)
        {
            var result = new List<ErrorAnalysis.Part>();
            foreach (var p in parts)
            {
                int take = Math.Min(count, p.Samples.Count);
                if (result.Count == 0 || take > 0) result.Add(p with { Samples = p.Samples.Take(take).ToList() });
                count -= take;
            }
            return result;
        }

        /// <summary>Per graph input (initializers excluded, in order), which axes are symbolic (dim_param or unknown).</summary>
        public static IReadOnlyList<bool[]> SymbolicAxes(QuantGen.Onnx.Proto.ModelProto proto) =>
            GraphInputs(proto).Select(i => i.Type?.TensorType?.Shape?.Dim.Select(d =>
                d.ValueCase != QuantGen.Onnx.Proto.TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue).ToArray() ?? Array.Empty<bool>()).ToList();

        private static List<QuantGen.Onnx.Proto.ValueInfoProto> GraphInputs(QuantGen.Onnx.Proto.ModelProto proto)
        {
            var initializers = new HashSet<string>(proto.Graph.Initializer.Select(i => i.Name));
            return proto.Graph.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        }

        /// <summary>
        /// The sizes input shapes bind the model's symbolic dimensions to: a dim_param by its name, an unnamed symbolic axis as
        /// "input_dimK" (the names <c>Dimensions</c> takes).
        /// </summary>
        public static Dictionary<string, int> BindDimensions(QuantGen.Onnx.Proto.ModelProto proto, IReadOnlyList<int[]> shapes)
        {
            var graphInputs = GraphInputs(proto);
            var dims = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < graphInputs.Count && i < shapes.Count; i++)
            {
                var shape = graphInputs[i].Type?.TensorType?.Shape;
                if (shape == null) continue;
                for (int d = 0; d < shape.Dim.Count && d < shapes[i].Length; d++)
                {
                    var dim = shape.Dim[d];
                    if (dim.ValueCase == QuantGen.Onnx.Proto.TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue) continue;
                    var name = dim.ValueCase == QuantGen.Onnx.Proto.TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam && dim.DimParam.Length > 0
                        ? dim.DimParam : $"{graphInputs[i].Name}_dim{d}";
                    dims[name] = shapes[i][d];
                }
            }
            return dims;
        }

        /// <summary>Calibration samples grouped by input shapes: the compiled shape first (perhaps no samples), then each other in order of appearance.</summary>
        private static List<(IReadOnlyDictionary<string, int>? Dims, List<IReadOnlyList<TensorData>> Samples)> GroupByShape(
            QuantGen.Onnx.Proto.ModelProto proto, CompileOptions options, IReadOnlyList<Value> inputs, IReadOnlyList<IReadOnlyList<TensorData>> samples)
        {
            string Key(IEnumerable<int[]> shapes) => string.Join(";", shapes.Select(Shapes.Format));
            var compiled = Key(inputs.Select(v => v.Shape!));
            var groups = new List<(IReadOnlyDictionary<string, int>? Dims, List<IReadOnlyList<TensorData>> Samples)> { (null, new List<IReadOnlyList<TensorData>>()) };
            var index = new Dictionary<string, int>(StringComparer.Ordinal) { [compiled] = 0 };
            foreach (var sample in samples)
            {
                var key = Key(sample.Select(t => t.Shape));
                if (!index.TryGetValue(key, out int at))
                {
                    var dims = options.Dimensions.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
                    foreach (var kv in BindDimensions(proto, sample.Select(t => t.Shape).ToList())) dims[kv.Key] = kv.Value;
                    index[key] = at = groups.Count;
                    groups.Add((dims, new List<IReadOnlyList<TensorData>>()));
                }
                groups[at].Samples.Add(sample);
            }
            return groups;
        }

        private static bool SameKeys(IReadOnlyDictionary<string, TunedWeights> a, IReadOnlyDictionary<string, TunedWeights> b) =>
            a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var t) && ReferenceEquals(t, kv.Value));

        /// <summary>Calibration samples the budget search measures each layer's end-to-end sensitivity on (one model evaluation per layer and sample).</summary>
        private const int SensitivitySamples = 2;

        private sealed class Prepared
        {
            public Model Model = null!;
            public bool Qdq;
            public long ConstantBytes;
            public IReadOnlyDictionary<Value, ActivationQuant>? Activations;
        }

        /// <summary>Import, inference and folding, dead-node removal, QDQ folding and fusion: the graph the planner decides on.</summary>
        private static Prepared Prepare(QuantGen.Onnx.Proto.ModelProto proto, string modelFileName, ExternalDataResolver? resolver, CompileOptions options,
            QuantizationOptions quant, List<QgDiagnostic> diagnostics)
        {
            var ops = OperatorRegistry.Default;
            var model = OnnxImporter.Import(proto, modelFileName, resolver, options.Dimensions, diagnostics);
            foreach (var v in model.Graph.Inputs)
            {
                if (!DataTypes.IsRuntimeSupported(v.Type))
                    throw new QgException(DiagnosticIds.UnsupportedType, $"{modelFileName}: input '{v.Name}' has element type {DataTypes.OnnxName(v.Type)}, which is not supported");
                if (v.Shape == null)
                    throw new QgException(DiagnosticIds.ShapeInference, $"{modelFileName}: input '{v.Name}' has no shape");
            }
            long constantBytes = model.Graph.Values.Values.Where(v => v.Constant != null)
                .Sum(v => (long)v.Constant!.Length * (DataTypes.IsRuntimeSupported(v.Type) ? DataTypes.SizeOf(v.Type) : 4));
            foreach (var entry in quant.Exclude)
                if (!model.Graph.AllNodes().Any(n => n.Name == entry || n.OpType == entry))
                    diagnostics.Add(new QgDiagnostic(DiagnosticIds.InvalidOption, QgSeverity.Warning,
                        $"{modelFileName}: Exclude entry '{entry}' names no node and no op type of the model (names and op types compare case-sensitively)"));
            // A pre-quantized (QDQ) model run in int8: its weight DequantizeLinears become constants marked with the model's int8 weights.
            bool qdq = quant.Precision == Precision.Int8 && QdqModel.MarkWeights(model.Graph) > 0;
            Passes.InferAndFold(model.Graph, ops, diagnostics, modelFileName);
            Passes.CheckDeclaredOutputs(model.Graph, diagnostics, modelFileName);
            Passes.RemoveDeadNodes(model.Graph);
            IReadOnlyDictionary<Value, ActivationQuant>? activations = null;
            if (qdq)
            {
                activations = QdqModel.FoldActivationPairs(model.Graph);
                int tables = QdqModel.FuseLookupTables(model.Graph, ops);
                diagnostics.Add(new QgDiagnostic(DiagnosticIds.InvalidOption, QgSeverity.Info,
                    $"{modelFileName}: pre-quantized (QDQ) model: the model's int8 weights and {activations.Count} activation scales are used; {tables} uint8 lookup tables"));
            }
            TransformerFusion.Run(model.Graph, ops);
            Fusion.Run(model.Graph, n => ops.Get(n)?.AcceptsActivation(n) == true);
            return new Prepared { Model = model, Qdq = qdq, ConstantBytes = constantBytes, Activations = activations };
        }

        /// <summary>The &lt;QuantModel&gt; precision options, checked (QG0007 for an unknown value).</summary>
        public static QuantizationOptions QuantizationOptionsOf(CompileOptions o, string file)
        {
            T Parse<T>(string what, string value, T fallback) where T : struct
            {
                if (string.IsNullOrEmpty(value)) return fallback;
                if (Enum.TryParse<T>(value, true, out var r) && Enum.IsDefined(typeof(T), r)) return r;
                throw new QgException(DiagnosticIds.InvalidOption, $"{file}: {what}=\"{value}\" is not one of {string.Join(", ", Enum.GetNames(typeof(T)))}");
            }
            var precision = Parse("Precision", o.Precision, Precision.Float32);
            bool hasCalibration = !string.IsNullOrEmpty(o.Calibration);
            var activations = Parse("Activations", o.Activations, hasCalibration ? ActivationMode.Static : ActivationMode.Dynamic);
            if (precision == Precision.Int8 && activations == ActivationMode.Static && !hasCalibration)
                throw new QgException(DiagnosticIds.InvalidOption, $"{file}: Activations=\"Static\" needs calibration data (Calibration=\"folder\")");
            if (!QuantizationOptions.IsValidPercentile(o.CalibrationPercentile))
                throw new QgException(DiagnosticIds.InvalidOption, $"{file}: CalibrationPercentile={o.CalibrationPercentile} must be in (50, 100]");
            if (!QuantizationOptions.IsValidWeightBits(o.WeightBits))
                throw new QgException(DiagnosticIds.InvalidOption, $"{file}: WeightBits={o.WeightBits} must be 8, 7 or 4");
            if (!QuantizationOptions.IsValidGroupSize(o.GroupSize))
                throw new QgException(DiagnosticIds.InvalidOption, $"{file}: GroupSize={o.GroupSize} must be 0 (per channel) or a positive multiple of 4");
            var granularity = Parse("WeightGranularity", o.WeightGranularity, WeightGranularity.PerChannel);
            if (o.WeightBits == 4 && granularity == WeightGranularity.PerTensor)
                throw new QgException(DiagnosticIds.InvalidOption, $"{file}: 4-bit weights have scales per channel or group (WeightGranularity=\"PerTensor\" does not apply)");
            AccuracyBudget? budget = null;
            if (!string.IsNullOrWhiteSpace(o.MaxError))
            {
                budget = AccuracyBudget.Parse(o.MaxError, out var why);
                if (budget == null) throw new QgException(DiagnosticIds.InvalidOption, $"{file}: {why}");
            }
            return new QuantizationOptions
            {
                MaxError = budget,
                MaxErrorIsError = o.MaxErrorIsError,
                Precision = precision,
                Weights = granularity,
                WeightBits = o.WeightBits,
                GroupSize = o.GroupSize,
                Activations = activations,
                ActivationGranularity = Parse("ActivationGranularity", o.ActivationGranularity, ActivationGranularity.PerRow),
                Method = Parse("CalibrationMethod", o.CalibrationMethod, CalibrationMethod.MinMax),
                Percentile = o.CalibrationPercentile,
                Exclude = ExcludeList(o.Exclude),
                Optimize = o.Optimize,
            };
        }

        /// <summary>The Exclude option's entries: node names or op types separated by ';' or ',', trimmed, empty ones dropped.</summary>
        public static string[] ExcludeList(string? exclude) =>
            (exclude ?? "").Split(new[] { ';', ',' }, StringSplitOptions.RemoveEmptyEntries).Select(e => e.Trim()).Where(e => e.Length > 0)
                .Distinct(StringComparer.Ordinal).ToArray();

        public static CompileResult Compile(byte[] modelBytes, string modelFileName, ExternalDataResolver? resolver, CompileOptions options)
        {
            var diagnostics = new List<QgDiagnostic>();
            try
            {
                var plan = BuildPlan(modelBytes, modelFileName, resolver, options, diagnostics);
                var emitter = new ModelEmitter(plan, options, Sha256(modelBytes), OperatorRegistry.Default);
                var source = emitter.Emit();
                var report = QuantizationReport.Build(plan, modelFileName, options.ClassName, emitter.Constants.TotalBytes);
                if (report?.BudgetWarning() is string warning)
                    diagnostics.Add(new QgDiagnostic(DiagnosticIds.AccuracyBudget,
                        plan.Budget != null && plan.QuantizationOptions!.MaxErrorIsError ? QgSeverity.Error : QgSeverity.Warning, $"{modelFileName}: {warning}"));
                return new CompileResult(source, emitter.Kernels.ToList(), Named(diagnostics, modelFileName), plan, report, emitter.Constants.ResourceBlob);
            }
            catch (QgException e)
            {
                diagnostics.Add(e.ToDiagnostic());
            }
            catch (ShapeException e)
            {
                diagnostics.Add(new QgDiagnostic(DiagnosticIds.ShapeInference, QgSeverity.Error, $"{modelFileName}: {e.Message}"));
            }
            catch (Exception e) when (e is OutOfMemoryException || e is OverflowException || e is InsufficientExecutionStackException)
            {
                diagnostics.Add(new QgDiagnostic(DiagnosticIds.InvalidModel, QgSeverity.Error, $"{modelFileName}: the model is too large or too deep to compile ({e.GetType().Name})"));
            }
            catch (Exception e)
            {
                diagnostics.Add(new QgDiagnostic(DiagnosticIds.InternalError, QgSeverity.Error, $"{modelFileName}: internal error in QuantGen ({e.GetType().Name}: {e.Message})"));
            }
            return new CompileResult(null, Array.Empty<string>(), Named(diagnostics, modelFileName), null);
        }

        /// <summary>
        /// Every diagnostic names the model file first: the phases below the boundary (an op's checks, the constant pool) know the
        /// node but not the file, and in a project with several models the file is what the user needs first.
        /// </summary>
        internal static IReadOnlyList<QgDiagnostic> Named(IEnumerable<QgDiagnostic> diagnostics, string modelFileName) =>
            diagnostics.Select(d => d.Message.StartsWith(modelFileName + ":", StringComparison.Ordinal) ? d : d with { Message = $"{modelFileName}: {d.Message}" }).ToList();
    }
}
