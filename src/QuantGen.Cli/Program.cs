using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using QuantGen.CodeGen;
using QuantGen.Graph.Quantization;
using QuantGen.Onnx;

namespace QuantGen.Cli
{
    public static class Program
    {
        public const string Usage = @"quantgen: compile ONNX models to C# and check them

usage:
  quantgen check <folder|model.onnx> [--precision float32|int8] [--data <folder>] [int8 options]
      Generates the model's C#, compiles it in memory, runs every test_data_set_* beside the model (or in
      --data) and compares with the expected outputs. Float32 passes when every element satisfies
      |actual - expected| <= 1e-4 + 1e-3 * |expected|; int8 passes when the cosine similarity of the outputs
      is >= --min-cosine (default 0.99), and reports the errors and top-1 agreement. Exit code 0 only when
      every set passes.
      int8 options: --weights per-channel|per-tensor, --weight-bits 8|7|4, --group-size N (4-bit: 32; 0 per channel), --max-error 'cosine>=0.999'|'mse<=x'|'top1>=x%',
      --max-error-is-error true|false, --optimize true|false, --activations dynamic|static,
      --activation-granularity per-row|per-tensor, --calibration <folder>,
      --calibration-method minmax|percentile|mse|entropy, --calibration-percentile <p>, --calibration-samples <n>, --exclude <names;OpTypes>, --min-cosine <c>
  quantgen profile <folder|model.onnx> [--data <folder>] [--dims name=N,...] [--runs N] [--precision ...] [int8 options]
      Compiles the model with a timer after each op, warms it up, runs the first test set's inputs (their first
      samples when --dims binds smaller sizes) N times (default 300) and prints each op's mean time per call,
      slowest first, with its share of the whole call.
  quantgen report <folder|model.onnx> [--calibration <folder>] [int8 options] [--dims name=N,...] [--json <file>] [--md <file>]
      Quantizes the model as a build would (precision int8 unless --precision says otherwise) and prints the quantization
      report: per layer the precision and why, weight bits, scales and error, activation parameters, SQNR against the
      float model; totals (compression, MACs by precision, workspace) and, with calibration data, the end-to-end error
      E = mean (y - y_hat)^2, cosine, max abs error and top-1 agreement measured on it. --json/--md also write the files.
  quantgen generate <model.onnx> -o <Model.g.cs> [--class Name] [--namespace Ns] [--dims name=N,...]
      Writes the code a build would generate: the model file, and one QuantGen.Kernels.<Name>.g.cs file per
      kernel it uses in the same folder.";

        public static int Main(string[] args)
        {
            if (args.Length == 0 || args[0] is "-h" or "--help") { Console.WriteLine(Usage); return args.Length == 0 ? 2 : 0; }
            try
            {
                return args[0] switch
                {
                    "check" => Check(args.Skip(1).ToArray()),
                    "generate" => Generate(args.Skip(1).ToArray()),
                    "profile" => Profile(args.Skip(1).ToArray()),
                    "report" => Report(args.Skip(1).ToArray()),
                    _ => Fail($"unknown command '{args[0]}'\n\n{Usage}"),
                };
            }
            catch (UsageException e) { return Fail(e.Message + "\n\n" + Usage); }
            // A path that cannot be read or written (a missing model file, a folder without permission) is one line, not a stack trace.
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException) { return Fail($"quantgen {args[0]}: {e.Message}"); }
        }

        private static int Fail(string message)
        {
            Console.Error.WriteLine(message);
            return 2;
        }

        private sealed class UsageException : Exception { public UsageException(string m) : base(m) { } }

        private static (string? Positional, Dictionary<string, string> Options) Parse(string[] args)
        {
            string? positional = null;
            var options = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < args.Length; i++)
            {
                if (args[i].StartsWith("-", StringComparison.Ordinal))
                {
                    if (i + 1 >= args.Length) throw new UsageException($"option {args[i]} needs a value");
                    options[args[i]] = args[++i];
                }
                else if (positional == null) positional = args[i];
                else throw new UsageException($"unexpected argument '{args[i]}'");
            }
            return (positional, options);
        }

        /// <summary>The &lt;QuantModel&gt; options from their flags (<see cref="QuantModelOptions"/>: the parser the build uses).</summary>
        private static CompileOptions QuantOptions(Dictionary<string, string> o)
        {
            var flags = QuantModelOptions.All.ToDictionary(x => x.Key, x => x.Flag, StringComparer.Ordinal);
            var errors = new List<string>();
            var options = QuantModelOptions.Parse(new CompileOptions(), key => o.TryGetValue(flags[key], out var v) ? v : "", errors);
            if (errors.Count > 0)
                throw new UsageException(string.Join("; ", errors) + " (" + string.Join(", ", QuantModelOptions.All.Select(x => $"{x.Flag} sets {x.Metadata}")) + ")");
            return options.Calibration.Length > 0 ? options with { Calibration = Path.GetFullPath(options.Calibration) } : options;
        }

        private static int Check(string[] args)
        {
            var (target, o) = Parse(args);
            if (target == null) throw new UsageException("check needs a folder or a model file");
            string modelPath = File.Exists(target) ? target : FindModel(target);
            string dataFolder = o.TryGetValue("--data", out var d) ? d : Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
            var options = QuantOptions(o);
            var precision = options.Precision;
            var bytes = File.ReadAllBytes(modelPath);
            var sets = TestSet.ReadAll(dataFolder);
            Console.WriteLine($"model {Path.GetFileName(modelPath)} ({bytes.Length} bytes), {sets.Count} test sets in {dataFolder}, precision {precision.ToLowerInvariant()}");
            if (sets.Count == 0) { Console.WriteLine("0 passed, 0 failed"); return 1; }
            var checker = new Checker(bytes, Path.GetFileName(modelPath), OnnxModelReader.FolderResolver(Path.GetDirectoryName(Path.GetFullPath(modelPath))!), options);
            double? minCosine = precision == "Float32" ? null : o.TryGetValue("--min-cosine", out var mc) ? double.Parse(mc, CultureInfo.InvariantCulture) : 0.99;
            var compiled = new Dictionary<string, Checker.Compiled>(StringComparer.Ordinal);
            var failures = new Dictionary<string, string>(StringComparer.Ordinal);
            int passed = 0, failed = 0;
            foreach (var set in sets)
            {
                string line;
                Dictionary<string, int> dims;
                try { dims = Checker.BindDims(bytes, Path.GetFileName(modelPath), set.Inputs); }
                catch (QgException e) { dims = new(); failures[""] = e.ToDiagnostic().ToString(); }
                var key = string.Join(",", dims.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key}={k.Value}"));
                if (failures.TryGetValue(key, out var why) || failures.TryGetValue("", out why))
                {
                    line = $"FAIL {set.Name} {why}";
                    failed++;
                    Console.WriteLine(line);
                    continue;
                }
                if (!compiled.TryGetValue(key, out var model))
                {
                    try
                    {
                        model = checker.Compile(dims);
                        compiled[key] = model;
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"  compiled{(key.Length > 0 ? " for " + key : "")}: generate {model.GenerateSeconds:F2} s, Roslyn {model.CompileSeconds:F2} s, {model.Source.Length / 1024} KiB of C#, workspace {model.Plan.WorkspaceBytes} bytes"));
                        foreach (var diag in model.Diagnostics.Where(x => x.Severity != QgSeverity.Info)) Console.WriteLine("  " + diag);
                        if (model.Report is QuantizationReport report)
                        {
                            // The build's report headline, and the layers an accuracy budget moved off the requested precision.
                            Console.WriteLine("  report: " + report.Headline);
                            foreach (var l in report.Layers.Where(l => l.Reason.Contains("by MaxError")))
                                Console.WriteLine($"    {l.Node} ({l.OpType}): {l.Reason}");
                        }
                    }
                    catch (CheckException e)
                    {
                        failures[key] = e.Message;
                        Console.WriteLine($"FAIL {set.Name} {e.Message}");
                        failed++;
                        continue;
                    }
                }
                var r = Checker.Evaluate(model, set, minCosine);
                var top1 = r.Top1 is double t ? string.Create(CultureInfo.InvariantCulture, $" top1={t:P2}") : "";
                if (minCosine != null) top1 += string.Create(CultureInfo.InvariantCulture, $" differing={r.Differing}/{r.Elements}");
                if (r.Passed)
                {
                    passed++;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PASS {set.Name} max_abs={r.MaxAbs:G3} max_rel={r.MaxRel:G3} cosine={r.Cosine:F6}{top1}"));
                }
                else
                {
                    failed++;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"FAIL {set.Name} {r.Reason} (max_abs={r.MaxAbs:G3} cosine={r.Cosine:F6}{top1})"));
                }
            }
            Console.WriteLine($"{passed} passed, {failed} failed");
            return failed == 0 ? 0 : 1;
        }

        private static string FindModel(string folder)
        {
            if (!Directory.Exists(folder)) throw new UsageException($"'{folder}' is neither a model file nor a folder");
            var candidates = Directory.GetFiles(folder, "*.onnx");
            var model = candidates.FirstOrDefault(f => Path.GetFileName(f) == "model.onnx") ?? (candidates.Length == 1 ? candidates[0] : null);
            return model ?? throw new UsageException($"no model.onnx (or single .onnx file) in '{folder}'");
        }

        private static int Profile(string[] args)
        {
            var (target, o) = Parse(args);
            if (target == null) throw new UsageException("profile needs a folder or a model file");
            string modelPath = File.Exists(target) ? target : FindModel(target);
            string dataFolder = o.TryGetValue("--data", out var d) ? d : Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
            int runs = o.TryGetValue("--runs", out var r) ? int.Parse(r, CultureInfo.InvariantCulture) : 300;
            var bytes = File.ReadAllBytes(modelPath);
            var sets = TestSet.ReadAll(dataFolder);
            if (sets.Count == 0) throw new UsageException($"no test_data_set_* in {dataFolder}");
            var options = QuantOptions(o) with { Profile = true };
            var dims = options.Dimensions.Count > 0 ? options.Dimensions : Checker.BindDims(bytes, Path.GetFileName(modelPath), sets[0].Inputs);
            var model = new Checker(bytes, Path.GetFileName(modelPath), OnnxModelReader.FolderResolver(Path.GetDirectoryName(Path.GetFullPath(modelPath))!), options)
                .Compile(dims);
            var inputs = new List<Array>();
            for (int i = 0; i < model.Plan.Inputs.Count; i++)
            {
                var v = model.Plan.Inputs[i];
                var all = Checker.ConvertArray(sets[0].Inputs[i], v.Type);
                int n = QuantGen.Graph.Shapes.Size(v.Shape!);
                if (all.Length < n) throw new UsageException($"input {i} of {sets[0].Name} has {all.Length} elements, the model expects {n}");
                var x = Checker.NewArray(v.Type, n);
                Array.Copy(all, x, n);
                inputs.Add(x);
            }
            var profile = model.ModelType!.GetNestedType("QuantGenProfile", System.Reflection.BindingFlags.NonPublic)!;
            var ticks = (long[])profile.GetField("Ticks")!.GetValue(null)!;
            var names = (string[])profile.GetField("Names")!.GetValue(null)!;
            var warm = System.Diagnostics.Stopwatch.StartNew();
            while (warm.Elapsed.TotalSeconds < 2) model.Run(inputs); // the JIT reaches tier 1
            Array.Clear(ticks);
            for (int i = 0; i < runs; i++) model.Run(inputs);
            double total = ticks.Sum();
            double us(long t) => t * 1e6 / System.Diagnostics.Stopwatch.Frequency / runs;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"model {Path.GetFileName(modelPath)}, precision {options.Precision.ToLowerInvariant()}, {runs} calls after warm-up; mean us per call: {us((long)total):F1}"));
            foreach (int i in Enumerable.Range(0, ticks.Length).OrderByDescending(i => ticks[i]))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{us(ticks[i]),10:F1} us {100 * ticks[i] / total,5:F1}%  {names[i]}"));
            return 0;
        }

        private static int Report(string[] args)
        {
            var (target, o) = Parse(args);
            if (target == null) throw new UsageException("report needs a folder or a model file");
            string modelPath = File.Exists(target) ? target : FindModel(target);
            if (!o.ContainsKey("--precision")) o["--precision"] = "int8";
            var bytes = File.ReadAllBytes(modelPath);
            var options = QuantOptions(o) with
            {
                ClassName = o.TryGetValue("--class", out var c) ? c : Names.TypeName(Path.GetFileNameWithoutExtension(modelPath)),
            };
            var result = ModelCompiler.Compile(bytes, Path.GetFileName(modelPath), OnnxModelReader.FolderResolver(Path.GetDirectoryName(Path.GetFullPath(modelPath))!), options);
            foreach (var diag in result.Diagnostics) Console.Error.WriteLine(diag);
            if (!result.Success) return 1;
            if (result.Report == null) { Console.WriteLine("float32 build: nothing is quantized, no report"); return 0; }
            var md = result.Report.ToMarkdown();
            Console.Write(md);
            Console.WriteLine();
            Console.WriteLine(result.Report.Headline);
            if (o.TryGetValue("--md", out var mdPath)) File.WriteAllText(mdPath, md);
            if (o.TryGetValue("--json", out var jsonPath)) File.WriteAllText(jsonPath, result.Report.ToJson());
            return 0;
        }

        private static int Generate(string[] args)
        {
            var (model, o) = Parse(args);
            if (model == null || !o.TryGetValue("-o", out var output)) throw new UsageException("generate needs <model.onnx> -o <file>");
            var bytes = File.ReadAllBytes(model);
            var options = QuantOptions(o) with
            {
                ClassName = o.TryGetValue("--class", out var c) ? c : Names.TypeName(Path.GetFileNameWithoutExtension(model)),
                Namespace = o.TryGetValue("--namespace", out var ns) ? ns : "",
            };
            var result = ModelCompiler.Compile(bytes, Path.GetFileName(model), OnnxModelReader.FolderResolver(Path.GetDirectoryName(Path.GetFullPath(model))!), options);
            foreach (var diag in result.Diagnostics) Console.Error.WriteLine(diag);
            if (!result.Success) return 1;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
            File.WriteAllText(output, result.Source);
            // One file per kernel (each starts with its own usings, so they cannot be concatenated), beside the output,
            // named like the generator's hint names: QuantGen.Kernels.<Name>.g.cs.
            var folder = Path.GetDirectoryName(Path.GetFullPath(output))!;
            var kernelFiles = KernelLibrary.Emit(result.Kernels);
            foreach (var k in kernelFiles) File.WriteAllText(Path.Combine(folder, k.Key), k.Value);
            Console.WriteLine($"wrote {output} ({result.Source!.Length} chars) and {kernelFiles.Count} kernel files in {folder}: {string.Join(", ", kernelFiles.Select(k => k.Key))}");
            return 0;
        }
    }
}
