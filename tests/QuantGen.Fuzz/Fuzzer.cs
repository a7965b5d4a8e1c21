using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Google.Protobuf;
using QuantGen.Cli;
using QuantGen.CodeGen;
using QuantGen.Graph;
using QuantGen.Onnx;
using QuantGen.Onnx.Proto;

namespace QuantGen.Fuzz
{
    /// <summary>How one mutant fared. Everything from <see cref="Crash"/> on is a defect.</summary>
    public enum Outcome
    {
        /// <summary>Refused at build time with QG error diagnostics that name the file.</summary>
        Rejected,
        /// <summary>Accepted at build time; not compiled and run (run budget spent, or inputs of a type the runner has no values for).</summary>
        Accepted,
        /// <summary>Accepted, compiled with Roslyn and run on random inputs without error.</summary>
        Ran,
        /// <summary>Ran and refused its input with an ArgumentException (a value-dependent check, such as a Gather index).</summary>
        InputGuard,
        /// <summary>An exception escaped the generator's compile (it must turn every failure into a diagnostic).</summary>
        Crash,
        /// <summary>A stage did not finish within the timeout.</summary>
        Hang,
        /// <summary>QG0010: the generator caught an unexpected exception.</summary>
        InternalError,
        /// <summary>A diagnostic that does not start with the model file's name.</summary>
        Unnamed,
        /// <summary>Accepted at build time, but the generated C# does not compile.</summary>
        Uncompilable,
        /// <summary>Accepted, compiled, and Predict threw something other than ArgumentException.</summary>
        Throws,
        /// <summary>Predict wrote outside its output or workspace buffers (the guarded runner's canaries).</summary>
        GuardHit,
    }

    public sealed record FuzzOptions
    {
        public int Seed { get; init; } = 1;
        public int Count { get; init; } = 500;
        /// <summary>At most this many accepted mutants are compiled with Roslyn and run.</summary>
        public int MaxRuns { get; init; } = 100;
        public TimeSpan StageTimeout { get; init; } = TimeSpan.FromSeconds(120);
        /// <summary>Folder of ../shared/corpus.</summary>
        public string Corpus { get; init; } = "";
        /// <summary>Where defective mutants are written (fuzz-seed-index-outcome.onnx), or null.</summary>
        public string? SaveFolder { get; init; }
        public Action<string>? Log { get; init; }
    }

    public sealed record MutantResult(int Index, string Source, string Precision, IReadOnlyList<string> Mutations, Outcome Outcome, string Detail);

    /// <summary>
    /// The structured fuzzer: mutants of the ONNX backend node tests and small corpus models (<see cref="Mutator"/>, 1-3
    /// mutations each, from a fixed seed) go through <see cref="ModelCompiler.Compile"/> exactly as the generator runs it
    /// (float32, or int8 with dynamic activations for a quarter of them); accepted ones are compiled with Roslyn and run on
    /// random inputs under the guarded runner. Each mutant is classified (<see cref="Outcome"/>). Deterministic for a seed.
    /// </summary>
    public sealed class Fuzzer
    {
        private readonly FuzzOptions _options;
        private readonly List<(string Name, string Folder, byte[] Bytes, Dictionary<string, int> Dims)> _sources = new();
        private readonly Dictionary<int, bool> _accepted = new();

        public Fuzzer(FuzzOptions options)
        {
            _options = options;
            var node = Path.Combine(options.Corpus, "onnx_backend_v1.22.0", "node");
            var folders = Directory.GetDirectories(node).OrderBy(d => d, StringComparer.Ordinal).ToList();
            folders.Add(Path.Combine(options.Corpus, "mnist_cntk"));
            foreach (var dir in folders)
            {
                var file = Path.Combine(dir, "model.onnx");
                if (!File.Exists(file)) continue;
                var bytes = File.ReadAllBytes(file);
                var dims = new Dictionary<string, int>(StringComparer.Ordinal);
                try { dims = Checker.BindDims(bytes, Path.GetFileName(dir), TestSet.ReadAll(dir).First().Inputs); }
                catch (Exception) { } // no test set, or inputs the CLI cannot read: no symbolic dims bound
                _sources.Add((Path.GetFileName(dir), dir, bytes, dims));
            }
        }

        public IReadOnlyList<MutantResult> Run()
        {
            var results = new List<MutantResult>();
            int runs = 0;
            for (int i = 0; i < _options.Count; i++)
            {
                var r = One(i, ref runs);
                results.Add(r);
                if (r.Outcome >= Outcome.Crash)
                {
                    _options.Log?.Invoke($"DEFECT {r.Outcome} mutant {i} of {r.Source} ({r.Precision}): {string.Join("; ", r.Mutations)} -> {r.Detail}");
                }
                if ((i + 1) % 100 == 0) _options.Log?.Invoke($"  {i + 1} mutants, {runs} run");
            }
            return results;
        }

        private static CompileOptions Options(string precision, Dictionary<string, int> dims) =>
            new CompileOptions { Precision = precision, Dimensions = dims };

        private bool SourceAccepted(int s)
        {
            if (_accepted.TryGetValue(s, out var ok)) return ok;
            var (name, folder, bytes, dims) = _sources[s];
            ok = ModelCompiler.Compile(bytes, name + ".onnx", OnnxModelReader.FolderResolver(folder), Options("Float32", dims)).Success;
            _accepted[s] = ok;
            return ok;
        }

        private MutantResult One(int index, ref int runs)
        {
            var rng = new Random(unchecked(_options.Seed * 1_000_003 + index));
            int s = rng.Next(_sources.Count);
            for (int tries = 0; tries < 50 && !SourceAccepted(s); tries++) s = rng.Next(_sources.Count);
            var (name, folder, bytes, dims) = _sources[s];
            var precision = rng.Next(4) == 0 ? "Int8" : "Float32";
            var model = ModelProto.Parser.ParseFrom(bytes);
            var mutations = new List<string>();
            int count = 1 + rng.Next(3);
            for (int attempt = 0; attempt < 20 && mutations.Count < count; attempt++)
            {
                var (kind, apply) = Mutator.All[rng.Next(Mutator.All.Count)];
                var what = apply(model, rng);
                if (what != null) mutations.Add(kind + ": " + what);
            }
            var mutant = model.ToByteArray();
            var file = $"fuzz_{name}_{index.ToString(CultureInfo.InvariantCulture)}.onnx";
            var resolver = OnnxModelReader.FolderResolver(folder);
            MutantResult Result(Outcome o, string detail)
            {
                if (o >= Outcome.Crash && _options.SaveFolder != null)
                {
                    Directory.CreateDirectory(_options.SaveFolder);
                    File.WriteAllBytes(Path.Combine(_options.SaveFolder, $"fuzz-{_options.Seed}-{index}-{o}.onnx"), mutant);
                }
                return new MutantResult(index, name, precision, mutations, o, detail);
            }

            // Stage 1: the generator's compile.
            var (finished, compiled, error) = Timed(() => ModelCompiler.Compile(mutant, file, resolver, Options(precision, dims)));
            if (!finished) return Result(Outcome.Hang, "generate did not finish");
            if (error != null) return Result(Outcome.Crash, $"{error.GetType().Name}: {error.Message}");
            var result = compiled!;
            var unnamed = result.Diagnostics.FirstOrDefault(d => !d.Message.StartsWith(file + ":", StringComparison.Ordinal));
            var internalError = result.Diagnostics.FirstOrDefault(d => d.Id == DiagnosticIds.InternalError);
            if (internalError != null) return Result(Outcome.InternalError, internalError.ToString());
            if (unnamed != null) return Result(Outcome.Unnamed, unnamed.ToString());
            if (!result.Success) return Result(Outcome.Rejected, result.Diagnostics.First(d => d.Severity == QgSeverity.Error).ToString());

            // Stage 2: Roslyn and a guarded run on random inputs.
            var plan = result.Plan!;
            if (runs >= _options.MaxRuns) return Result(Outcome.Accepted, "run budget spent");
            if (plan.Inputs.Any(v => !Runnable(v.Type)) || plan.Outputs.Any(v => !Runnable(v.Type)))
                return Result(Outcome.Accepted, "an input or output type the runner has no arrays for");
            runs++;
            var (built, loaded, buildError) = Timed(() => new Checker(mutant, file, resolver, Options(precision, dims)).Compile(dims));
            if (!built) return Result(Outcome.Hang, "Roslyn compile did not finish");
            if (buildError is CheckException ce && ce.Message.StartsWith("generated code does not compile", StringComparison.Ordinal))
                return Result(Outcome.Uncompilable, ce.Message.Split('\n').Take(3).Aggregate((a, b) => a + " | " + b));
            if (buildError != null) return Result(Outcome.Crash, $"{buildError.GetType().Name}: {buildError.Message}");
            var inputs = plan.Inputs.Select(v => RandomArray(v.Type, Shapes.Size(v.Shape!), rng)).ToList();
            var (ran, _, runError) = Timed(() => loaded!.Run(inputs));
            if (!ran) return Result(Outcome.Hang, "Predict did not finish");
            return runError switch
            {
                null => Result(Outcome.Ran, ""),
                ArgumentException a => Result(Outcome.InputGuard, a.Message),
                InvalidOperationException g when g.Message.StartsWith("Predict wrote", StringComparison.Ordinal) => Result(Outcome.GuardHit, g.Message),
                _ => Result(Outcome.Throws, $"{runError.GetType().Name}: {runError.Message}"),
            };
        }

        private (bool Finished, T? Value, Exception? Error) Timed<T>(Func<T> f)
        {
            var task = Task.Factory.StartNew(f, TaskCreationOptions.LongRunning);
            try
            {
                if (!task.Wait(_options.StageTimeout)) return (false, default, null);
                return (true, task.Result, null);
            }
            catch (AggregateException e) { return (true, default, e.InnerException ?? e); }
        }

        private static bool Runnable(DataType t) => t is DataType.Float or DataType.Int64 or DataType.Int32 or DataType.Bool or DataType.UInt8 or DataType.Int8;

        /// <summary>Random values: floats in [-2, 2], integers in [0, 3) (valid indices for most index inputs), random bytes and bools.</summary>
        private static Array RandomArray(DataType t, int n, Random rng)
        {
            var a = Checker.NewArray(t, n);
            for (int i = 0; i < n; i++)
            {
                switch (a)
                {
                    case float[] f: f[i] = (float)(rng.NextDouble() * 4 - 2); break;
                    case long[] l: l[i] = rng.Next(3); break;
                    case int[] x: x[i] = rng.Next(3); break;
                    case bool[] b: b[i] = rng.Next(2) == 0; break;
                    case byte[] u: u[i] = (byte)rng.Next(256); break;
                    case sbyte[] sb: sb[i] = (sbyte)rng.Next(-128, 128); break;
                }
            }
            return a;
        }

        /// <summary>The summary line: mutants, how many were compiled and run, and every outcome's count.</summary>
        public static string Summary(FuzzOptions o, IReadOnlyList<MutantResult> results)
        {
            var counts = Enum.GetValues<Outcome>().ToDictionary(x => x, x => results.Count(r => r.Outcome == x));
            int defects = results.Count(r => r.Outcome >= Outcome.Crash);
            int run = counts[Outcome.Ran] + counts[Outcome.InputGuard] + counts[Outcome.Throws] + counts[Outcome.GuardHit];
            return $"fuzz seed {o.Seed}: {results.Count} mutants, {results.Count - counts[Outcome.Rejected]} accepted, {run} compiled and run; "
                + $"rejected {counts[Outcome.Rejected]}, ran {counts[Outcome.Ran]}, input guards {counts[Outcome.InputGuard]}, not run {counts[Outcome.Accepted]}; "
                + $"crashes {counts[Outcome.Crash]}, hangs {counts[Outcome.Hang]}, internal errors {counts[Outcome.InternalError]}, unnamed diagnostics {counts[Outcome.Unnamed]}, "
                + $"uncompilable {counts[Outcome.Uncompilable]}, throws {counts[Outcome.Throws]}, guard hits {counts[Outcome.GuardHit]} ({defects} defects)";
        }
    }
}
