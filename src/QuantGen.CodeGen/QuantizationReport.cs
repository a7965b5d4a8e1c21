using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using QuantGen.Graph;
using QuantGen.Graph.Quantization;

namespace QuantGen.CodeGen
{
    /// <summary>One layer of the report: what was decided for it and what it costs in accuracy.</summary>
    public sealed record LayerReport(
        string Node, string OpType, string InputShape, string OutputShape, long Macs, string Precision, string Reason,
        int? WeightBits, string? Granularity, double? WeightScaleMin, double? WeightScaleMax, double? WeightMse, double? WeightSqnrDb,
        string Input, string Output, LayerError? Error, TunedWeights? Tuned = null);

    /// <summary>
    /// What quantizing a model did, as data (built from the plan's decisions and error measurements, never recomputed
    /// elsewhere) with two renderings: Markdown for people and JSON for tools. The generator writes both beside its manifest
    /// (<c>obj/.../quantgen/&lt;Class&gt;.quantgen.md|json</c>) and the build prints <see cref="Headline"/>; <c>quantgen report</c>
    /// prints the Markdown.
    /// </summary>
    public sealed class QuantizationReport
    {
        private QuantizationReport(string model, string className, QuantizationOptions options, IReadOnlyList<LayerReport> layers,
            long modelBytes, long staticBytes, long workspaceBytes, EndToEndError? endToEnd, double? measureSeconds, IReadOnlyList<string> notes,
            BudgetSearch? budget, double? optimizeSeconds)
        {
            Budget = budget; OptimizeSeconds = optimizeSeconds;
            Model = model; ClassName = className; Options = options; Layers = layers; ModelBytes = modelBytes; StaticBytes = staticBytes;
            WorkspaceBytes = workspaceBytes; EndToEnd = endToEnd; MeasureSeconds = measureSeconds; Notes = notes;
        }

        public string Model { get; }
        public string ClassName { get; }
        public QuantizationOptions Options { get; }
        public IReadOnlyList<LayerReport> Layers { get; }
        /// <summary>Bytes of the ONNX model's initializers (float32 weights).</summary>
        public long ModelBytes { get; }
        /// <summary>Bytes of the generated static data (int8 weights, their scales and sums, float constants).</summary>
        public long StaticBytes { get; }
        public long WorkspaceBytes { get; }
        public double Compression => StaticBytes == 0 ? 1 : (double)ModelBytes / StaticBytes;
        public long Int8Macs => Layers.Where(l => l.Precision == "int8").Sum(l => l.Macs);
        public long FloatMacs => Layers.Where(l => l.Precision != "int8").Sum(l => l.Macs);
        /// <summary>MACs of the int8 layers with 4-bit weights (part of <see cref="Int8Macs"/>).</summary>
        public long FourBitMacs => Layers.Where(l => l.Precision == "int8" && l.WeightBits == 4).Sum(l => l.Macs);
        /// <summary>The quantized model against the float model on the calibration data; null without calibration data.</summary>
        public EndToEndError? EndToEnd { get; }
        public double? MeasureSeconds { get; }
        /// <summary>The MaxError search (null without a budget).</summary>
        public BudgetSearch? Budget { get; }
        /// <summary>Build time Optimize spent tuning weights (null without Optimize).</summary>
        public double? OptimizeSeconds { get; }
        /// <summary>What could not be measured, and why.</summary>
        public IReadOnlyList<string> Notes { get; }

        /// <summary>The report of a quantized build (null for float32).</summary>
        public static QuantizationReport? Build(InferencePlan plan, string modelFile, string className, long staticBytes)
        {
            if (plan.Quantization == null || plan.QuantizationOptions == null) return null;
            var layers = new List<LayerReport>();
            foreach (var q in plan.Quantization.Layers)
            {
                var n = q.Node;
                bool int8 = q.Precision == Precision.Int8;
                // An int8 embedding table: its weights are input 0, its input the indices.
                bool table = n.OpType == "Gather";
                string reason = int8 ? q.Reason : "float32: " + q.Reason;
                int? bits = null; string? granularity = null; double? sMin = null, sMax = null, mse = null, sqnr = null;
                if (int8 && q.Weights is QuantizedTensor w)
                {
                    bits = w.Bits;
                    granularity = w.GroupSize > 0 ? F($"groups of {w.GroupSize}") : w.Axis < 0 ? "per-tensor" : table ? "per-row" : "per-channel";
                    sMin = w.Scales.Min(); sMax = w.Scales.Max();
                    mse = q.WeightMse;
                    if (n.Input(table ? 0 : 1)?.Constant is TensorData f && f.Length > 0)
                    {
                        double signal = 0;
                        for (int i = 0; i < f.Length; i++) signal += f.GetDouble(i) * f.GetDouble(i);
                        sqnr = ErrorAnalysis.SqnrDb(signal / f.Length, q.WeightMse);
                    }
                }
                string input = !int8 ? "float32" : table ? "indices" : q.Add != null ? "uint8 (both inputs)" : q.Input is ActivationQuant a ? Describe(a) : q.Weights == null ? "uint8 x int8, per call" : q.InputPerRow ? "uint8 per row, per call" : "uint8, per call";
                string output = q.Requantized != null && q.Output is ActivationQuant o ? Describe(o) : "float32";
                LayerError? measured = null;
                if (plan.Errors != null && plan.Errors.Layers.TryGetValue(n, out var e)) measured = e;
                layers.Add(new LayerReport(n.Name, n.OpType, Shapes.Format(n.Input(0)?.Shape), Shapes.Format(n.Outputs[0].Shape), q.Macs,
                    int8 ? "int8" : "float32", reason, bits, granularity, sMin, sMax, mse, sqnr, input, output, measured, int8 ? q.Tuned : null));
            }
            var notes = new List<string>();
            if (plan.Errors == null)
                notes.Add(plan.Quantization.PreQuantized
                    ? "a pre-quantized (QDQ) model has no float model to measure against: compare with its own outputs (quantgen check)"
                    : "no calibration data (Calibration=\"folder\"): activation ranges, layer SQNR and end-to-end error are not measured");
            return new QuantizationReport(modelFile, className, plan.QuantizationOptions, layers, plan.ModelConstantBytes, staticBytes, plan.WorkspaceBytes,
                plan.Errors?.EndToEnd, plan.Errors?.Seconds, notes, plan.Budget, plan.TuneSeconds);
        }

        private static string Describe(ActivationQuant a) =>
            F($"uint8 s={a.Scale:G4} z={a.ZeroPoint} [{a.Scale * (0 - a.ZeroPoint):G4}, {a.Scale * (255 - a.ZeroPoint):G4}]");

        private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

        private static string Db(double? db) => db is double d ? double.IsPositiveInfinity(d) ? "exact" : F($"{d:F1}") : "";

        private static string Bytes(long b) => b >= 10L << 20 ? F($"{b / 1048576.0:F1} MiB") : b >= 10L << 10 ? F($"{b / 1024.0:F1} KiB") : F($"{b} B");

        private static string Macs(long m) => m >= 10_000_000 ? F($"{m / 1e6:F0} M") : m >= 10_000 ? F($"{m / 1e3:F0} k") : F($"{m}");

        /// <summary>One line for the build output: layers in int8, compression, and the end-to-end error when measured.</summary>
        public string Headline
        {
            get
            {
                int int8 = Layers.Count(l => l.Precision == "int8");
                var s = F($"{ClassName}: {int8} of {Layers.Count} layers int8 ({Percent(Int8Macs, Int8Macs + FloatMacs)} of MACs), static data {Bytes(StaticBytes)} vs {Bytes(ModelBytes)} of model weights ({Compression:F2}x smaller)");
                if (EndToEnd is EndToEndError e)
                {
                    s += F($", on {e.Samples} calibration samples E={e.Mse:G3} cosine {e.MeanCosine:F5} (worst {e.MinCosine:F5})");
                    if (e.Top1Agreement is double t) s += F($" top-1 agreement {t:P2}");
                }
                if (OptimizeSeconds is double os) s += F($"; Optimize tuned {Layers.Count(l => l.Tuned != null)} layers in {os:F1} s");
                if (Budget is BudgetSearch b) s += F($"; MaxError {b.Budget} {(b.Met ? "met" : "NOT met")} ({b.Measured}, {b.Rounds} rounds, {b.Seconds:F1} s)");
                if (EndToEnd == null) s += ", error not measured (" + (Notes.Count > 0 && Notes[0].StartsWith("a pre-quantized", StringComparison.Ordinal) ? "pre-quantized QDQ model" : "no calibration data") + ")";
                return s;
            }
        }

        /// <summary>Without an explicit budget, a quantized model should keep cosine 0.99 to the float model on every calibration sample.</summary>
        public const double DefaultMinCosine = 0.99;

        /// <summary>
        /// The warning text when the measured end-to-end cosine falls under <see cref="DefaultMinCosine"/> on some calibration sample,
        /// naming the int8 layers with the lowest isolated SQNR (the ones to keep in float first); null when it holds or was not measured.
        /// </summary>
        public string? BudgetWarning()
        {
            if (Budget is BudgetSearch b)
                return b.Met ? null : F($"MaxError=\"{b.Budget}\" is not met on the calibration data ({b.Measured} after {b.Rounds} rounds of the search); the layers that resist: {string.Join(", ", b.Resisting)}; see the quantization report");
            if (EndToEnd is not EndToEndError e || e.MinCosine >= DefaultMinCosine) return null;
            var worst = Layers.Where(l => l.Precision == "int8" && l.Error != null).OrderBy(l => l.Error!.IsolatedSqnrDb).Take(3)
                .Select(l => F($"'{l.Node}' ({l.OpType}, {Db(l.Error!.IsolatedSqnrDb)} dB)"));
            return F($"the int8 model's cosine to the float model on the calibration data is {e.MinCosine:F4} on its worst sample (mean {e.MeanCosine:F4}), under {DefaultMinCosine}; the layers with the largest quantization error are {string.Join(", ", worst)}; see the quantization report");
        }

        /// <summary>What 4-bit weights cost in speed, as measured (README, "4-bit weights: speed"; tests/QuantGen.AotBench).</summary>
        private const string FourBitSpeed = "Speed: the 4-bit kernel unpacks the weights on every call and adds each group's product in float, so a 4-bit layer runs " +
            "slower than the same layer with 8-bit weights (whole models 1.1-1.8x the 8-bit time on an AVX2 host, README); 4-bit buys size, not speed";

        private static string Percent(long part, long whole) => whole == 0 ? "0%" : F($"{100.0 * part / whole:F1}%");

        public string ToMarkdown()
        {
            var b = new StringBuilder();
            b.Append("# QuantGen quantization report: ").Append(ClassName).Append(" (").Append(Model).Append(")\n\n");
            var o = Options;
            b.Append(F($"Options: Precision={o.Precision}, WeightBits={o.WeightBits}, WeightGranularity={o.Weights}, Activations={o.Activations}"));
            if (o.WeightBits == 4) b.Append(F($", GroupSize={o.GroupSize}"));
            if (o.Activations == ActivationMode.Static) b.Append(F($", CalibrationMethod={o.Method}"));
            if (o.Optimize) b.Append(", Optimize=true");
            b.Append("\n\n| total | figure |\n|---|---|\n");
            b.Append(F($"| layers in int8 | {Layers.Count(l => l.Precision == "int8")} of {Layers.Count} |\n"));
            b.Append(F($"| MACs per call | {Macs(Int8Macs + FloatMacs)}: int8 {Macs(Int8Macs)} ({Percent(Int8Macs, Int8Macs + FloatMacs)}), float32 {Macs(FloatMacs)} |\n"));
            b.Append(F($"| weights | {Bytes(ModelBytes)} of initializers in the model, {Bytes(StaticBytes)} of generated static data: {Compression:F2}x smaller |\n"));
            b.Append(F($"| workspace | {Bytes(WorkspaceBytes)} |\n"));
            if (FourBitMacs > 0)
                b.Append(F($"| 4-bit weights | {Layers.Count(l => l.Precision == "int8" && l.WeightBits == 4)} layers, {Macs(FourBitMacs)} ({Percent(FourBitMacs, Int8Macs + FloatMacs)} of MACs): half the weight bytes of 8-bit. {FourBitSpeed} |\n"));
            if (EndToEnd is EndToEndError e)
            {
                b.Append(F($"| end to end, {e.Samples} calibration samples | E = mean (y - y_hat)^2 = {e.Mse:G4}; cosine {e.MeanCosine:F6} mean, {e.MinCosine:F6} worst; max abs error {e.MaxAbs:G4}"));
                if (e.Top1Agreement is double t) b.Append(F($"; top-1 agreement {t:P2} of {e.Top1Rows} rows"));
                b.Append(" |\n");
                if (MeasureSeconds is double sec) b.Append(F($"| measurement cost | {sec:F2} s at build time |\n"));
            }
            if (OptimizeSeconds is double tuneSeconds)
            {
                var tuned = Layers.Where(l => l.Tuned != null).Select(l => l.Tuned!).ToList();
                b.Append(F($"| Optimize | {tuned.Count} layers tuned on up to {(tuned.Count == 0 ? 0 : tuned.Max(t => t.Columns))} calibration columns each (clipping, learned rounding, bias correction): {tuned.Sum(t => (long)t.Flipped)} weights rounded the other way, {tuned.Sum(t => (long)t.ClippedScales)} scales clipped; {tuneSeconds:F1} s at build time |\n"));
            }
            if (Budget is BudgetSearch search)
            {
                b.Append(F($"| MaxError {search.Budget} | {(search.Met ? "met" : "NOT met")}: {search.Measured} after {search.Rounds} measured rounds, {search.Seconds:F1} s of search at build time |\n"));
                foreach (var step in search.Steps) b.Append("| search step | ").Append(Cell(step)).Append(" |\n");
                if (search.Resisting.Count > 0) b.Append("| resisting layers | ").Append(Cell(string.Join(", ", search.Resisting))).Append(" |\n");
            }
            foreach (var note in Notes) b.Append("| not measured | ").Append(note).Append(" |\n");
            b.Append("\nPer layer (SQNR = 10 log10(sum y^2 / sum (y - y_hat)^2) in dB against the float model; isolated: the layer alone quantized on the float input; cumulative: in the quantized model):\n\n");
            b.Append("| node | op | input -> output | MACs | precision | reason | weights | weight scales | weight MSE | weight SQNR | input | output | SQNR isolated | SQNR cumulative | observed input range | observed output range | tuned: output error nearest -> tuned |\n");
            b.Append("|---|---|---|---:|---|---|---|---|---:|---:|---|---|---:|---:|---|---|---|\n");
            foreach (var l in Layers)
            {
                string weights = l.WeightBits is int wb ? F($"{wb}-bit {l.Granularity}") : "";
                string scales = l.WeightScaleMin is double lo ? F($"{lo:G3}..{l.WeightScaleMax:G3}") : "";
                string range(double a, double c) => double.IsInfinity(a) ? "" : F($"[{a:G4}, {c:G4}]");
                b.Append(F($"| {Cell(l.Node)} | {l.OpType} | {l.InputShape} -> {l.OutputShape} | {Macs(l.Macs)} | {l.Precision} | {Cell(l.Reason)} | {weights} | {scales} | {(l.WeightMse is double m ? m.ToString("G3", CultureInfo.InvariantCulture) : "")} | {Db(l.WeightSqnrDb)} | {l.Input} | {l.Output} | {Db(l.Error?.IsolatedSqnrDb)} | {Db(l.Error?.CumulativeSqnrDb)} | {(l.Error is LayerError x ? range(x.InputMin, x.InputMax) : "")} | {(l.Error is LayerError y ? range(y.OutputMin, y.OutputMax) : "")} | {(l.Tuned is TunedWeights t ? F($"{t.NearestError:G3} -> {t.TunedError:G3}, {t.Flipped} flips, {t.ClippedScales} clipped") : "")} |\n"));
            }
            return b.ToString();
        }

        private static string Cell(string s) => s.Replace("|", "\\|").Replace("\n", " ");

        public string ToJson()
        {
            var j = new JsonWriter();
            j.Open('{');
            j.Prop("model", Model); j.Prop("class", ClassName);
            j.Key("options"); j.Open('{');
            j.Prop("precision", Options.Precision.ToString()); j.Prop("weightBits", Options.WeightBits); j.Prop("weightGranularity", Options.Weights.ToString());
            j.Prop("activations", Options.Activations.ToString()); j.Prop("calibrationMethod", Options.Method.ToString());
            j.Prop("groupSize", Options.GroupSize); j.Key("optimize"); j.Raw(Options.Optimize ? "true" : "false");
            j.Close('}');
            j.Key("totals"); j.Open('{');
            j.Prop("layers", Layers.Count); j.Prop("int8Layers", Layers.Count(l => l.Precision == "int8"));
            j.Prop("int8Macs", Int8Macs); j.Prop("fourBitMacs", FourBitMacs); j.Prop("floatMacs", FloatMacs);
            j.Prop("modelBytes", ModelBytes); j.Prop("staticBytes", StaticBytes); j.Prop("compression", Compression); j.Prop("workspaceBytes", WorkspaceBytes);
            j.Prop("optimizeSeconds", OptimizeSeconds);
            j.Close('}');
            j.Key("endToEnd");
            if (EndToEnd is EndToEndError e)
            {
                j.Open('{');
                j.Prop("samples", e.Samples); j.Prop("mse", e.Mse); j.Prop("meanCosine", e.MeanCosine); j.Prop("minCosine", e.MinCosine); j.Prop("maxAbs", e.MaxAbs);
                j.Prop("top1Agreement", e.Top1Agreement); j.Prop("top1Rows", e.Top1Rows); j.Prop("measureSeconds", MeasureSeconds);
                j.Close('}');
            }
            else j.Raw("null");
            j.Key("maxError");
            if (Budget is BudgetSearch bs)
            {
                j.Open('{');
                j.Prop("budget", bs.Budget.ToString()); j.Key("met"); j.Raw(bs.Met ? "true" : "false"); j.Prop("measured", bs.Measured);
                j.Prop("rounds", bs.Rounds); j.Prop("seconds", bs.Seconds);
                j.Key("steps"); j.Open('[');
                foreach (var step in bs.Steps) j.Item(step);
                j.Close(']');
                j.Key("resisting"); j.Open('[');
                foreach (var r in bs.Resisting) j.Item(r);
                j.Close(']');
                j.Close('}');
            }
            else j.Raw("null");
            j.Key("notes"); j.Open('[');
            foreach (var note in Notes) j.Item(note);
            j.Close(']');
            j.Key("layers"); j.Open('[');
            foreach (var l in Layers)
            {
                j.Open('{');
                j.Prop("node", l.Node); j.Prop("op", l.OpType); j.Prop("inputShape", l.InputShape); j.Prop("outputShape", l.OutputShape); j.Prop("macs", l.Macs);
                j.Prop("precision", l.Precision); j.Prop("reason", l.Reason); j.Prop("weightBits", l.WeightBits); j.Prop("granularity", l.Granularity);
                j.Prop("weightScaleMin", l.WeightScaleMin); j.Prop("weightScaleMax", l.WeightScaleMax); j.Prop("weightMse", l.WeightMse); j.Prop("weightSqnrDb", l.WeightSqnrDb);
                j.Prop("input", l.Input); j.Prop("output", l.Output);
                j.Prop("sqnrIsolatedDb", l.Error?.IsolatedSqnrDb); j.Prop("sqnrCumulativeDb", l.Error?.CumulativeSqnrDb); j.Prop("mseCumulative", l.Error?.CumulativeMse);
                j.Prop("inputMin", l.Error?.InputMin); j.Prop("inputMax", l.Error?.InputMax); j.Prop("outputMin", l.Error?.OutputMin); j.Prop("outputMax", l.Error?.OutputMax);
                j.Key("tuned");
                if (l.Tuned is TunedWeights t)
                {
                    j.Open('{');
                    j.Prop("nearestError", t.NearestError); j.Prop("tunedError", t.TunedError); j.Prop("flipped", t.Flipped);
                    j.Prop("clippedScales", t.ClippedScales); j.Prop("columns", t.Columns);
                    j.Close('}');
                }
                else j.Raw("null");
                j.Close('}');
            }
            j.Close(']');
            j.Close('}');
            return j.ToString();
        }

        /// <summary>A minimal JSON writer (the generator targets netstandard2.0 without System.Text.Json). Non-finite numbers are written as strings.</summary>
        private sealed class JsonWriter
        {
            private readonly StringBuilder _b = new StringBuilder();
            private bool _first = true;
            private int _depth;

            private void Separate()
            {
                if (!_first) _b.Append(',');
                _b.Append('\n').Append(' ', 2 * _depth);
                _first = false;
            }

            public void Open(char c) { if (_b.Length > 0 && _b[_b.Length - 1] != ' ') Separate(); _b.Append(c); _depth++; _first = true; }
            public void Close(char c) { _depth--; _b.Append('\n').Append(' ', 2 * _depth).Append(c); _first = false; }
            public void Key(string k) { Separate(); String(k); _b.Append(": "); }
            public void Raw(string s) { _b.Append(s); }
            public void Item(string s) { Separate(); String(s); }
            public void Prop(string k, string? v) { Key(k); if (v == null) _b.Append("null"); else String(v); }
            public void Prop(string k, long? v) { Key(k); _b.Append(v is long i ? i.ToString(CultureInfo.InvariantCulture) : "null"); }
            public void Prop(string k, double? v)
            {
                Key(k);
                if (v is not double d) _b.Append("null");
                else if (double.IsNaN(d) || double.IsInfinity(d)) String(d.ToString(CultureInfo.InvariantCulture));
                else _b.Append(d.ToString("R", CultureInfo.InvariantCulture));
            }

            private void String(string s)
            {
                _b.Append('"');
                foreach (char c in s)
                {
                    if (c == '"' || c == '\\') _b.Append('\\').Append(c);
                    else if (c < ' ') _b.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else _b.Append(c);
                }
                _b.Append('"');
            }

            public override string ToString() => _b.ToString() + "\n";
        }
    }
}
