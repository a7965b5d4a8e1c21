using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using QuantGen.CodeGen;
using QuantGen.Graph;
using QuantGen.Onnx;

namespace QuantGen.Cli
{
    /// <summary>One test set: inputs and expected outputs, in graph order.</summary>
    public sealed class TestSet
    {
        public TestSet(string name, List<HostTensor> inputs, List<HostTensor> outputs) { Name = name; Inputs = inputs; Outputs = outputs; }
        public string Name { get; }
        public List<HostTensor> Inputs { get; }
        public List<HostTensor> Outputs { get; }

        public static List<TestSet> ReadAll(string folder)
        {
            static int Index(string path)
            {
                var name = Path.GetFileNameWithoutExtension(path);
                var us = name.LastIndexOf('_');
                return int.TryParse(name.Substring(us + 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : 0;
            }
            return Directory.GetDirectories(folder, "test_data_set_*")
                .OrderBy(d => d.Length).ThenBy(d => d, StringComparer.Ordinal)
                .Select(d => new TestSet(Path.GetFileName(d),
                    Directory.GetFiles(d, "input_*.pb").OrderBy(Index).Select(HostTensor.Read).ToList(),
                    Directory.GetFiles(d, "output_*.pb").OrderBy(Index).Select(HostTensor.Read).ToList()))
                .ToList();
        }
    }

    /// <summary>The comparison of one test set.</summary>
    public sealed record SetResult(string Set, bool Passed, string Reason, double MaxAbs, double MaxRel, double Cosine, IReadOnlyList<Array>? Actual)
    {
        /// <summary>Top-1 agreement with the expected output for classifiers (quantized checks), else null.</summary>
        public double? Top1 { get; init; }
        /// <summary>Quantized checks: output elements that differ from the expected ones by more than float rounding
        /// (1e-6 + 1e-5 |expected|), e.g. one step of an int8 output grid, and the element count.</summary>
        public long Differing { get; init; }
        public long Elements { get; init; }
    }

    /// <summary>Compiles a model for given symbolic dimension values, runs it on test sets and compares with expected outputs.</summary>
    public sealed class Checker
    {
        /// <summary>Float32 tolerance per element: |actual - expected| &lt;= AbsTol + RelTol * |expected|.</summary>
        public const double AbsTol = 1e-4, RelTol = 1e-3;

        private readonly byte[] _bytes;
        private readonly string _fileName;
        private readonly ExternalDataResolver? _resolver;
        private readonly CompileOptions _options;
        private static int s_counter;

        /// <param name="options">Precision and quantization options (class name, namespace and dimensions are set per compile).</param>
        public Checker(byte[] bytes, string fileName, ExternalDataResolver? resolver, CompileOptions? options = null)
        {
            _bytes = bytes; _fileName = fileName; _resolver = resolver; _options = options ?? new CompileOptions();
        }

        /// <summary>A compiled model: call <see cref="Run"/> with input arrays.</summary>
        public sealed class Compiled
        {
            internal InMemoryCompiler.GuardedRunner Runner = null!;
            public InferencePlan Plan { get; internal set; } = null!;
            public string Source { get; internal set; } = "";
            public IReadOnlyList<QgDiagnostic> Diagnostics { get; internal set; } = Array.Empty<QgDiagnostic>();
            /// <summary>Seconds spent generating C# (parse, optimize, plan, emit) and compiling it with Roslyn.</summary>
            public double GenerateSeconds { get; internal set; }
            public double CompileSeconds { get; internal set; }
            /// <summary>The quantization report (int8 builds), as the generator writes it.</summary>
            public QuantizationReport? Report { get; internal set; }
            /// <summary>The compiled model class (namespace QuantGen.Check).</summary>
            public Type? ModelType { get; internal set; }

            /// <summary>Runs the model once (outputs and workspace guarded against out-of-bounds writes); one new array per output.</summary>
            public Array[] Run(IReadOnlyList<Array> inputs) => Runner.Run(inputs);

            /// <summary>
            /// Predict with a caller workspace, unguarded, for timing: (input arrays, output arrays, workspace, 0). Each
            /// output array and the workspace must have exactly the plan's sizes.
            /// </summary>
            public Action<object[], object[], byte[], int> Predict { get; internal set; } = null!;
        }

        /// <summary>Run(inputs, outputs, workspace, guard) of a compiled harness class (<see cref="InMemoryCompiler.Harness"/>).</summary>
        private static MethodInfo HarnessRun(Assembly assembly, string harnessClass) => assembly.GetType(harnessClass)!.GetMethod("Run")!;

        /// <summary>The guarded runner of a compiled harness class for a plan.</summary>
        public static InMemoryCompiler.GuardedRunner Runner(Assembly assembly, string harnessClass, InferencePlan plan) =>
            new InMemoryCompiler.GuardedRunner(HarnessRun(assembly, harnessClass),
                plan.Outputs.Select(o => o.Type).ToList(),
                plan.Outputs.Select(o => Shapes.Size(o.Shape!)).ToList(), checked((int)plan.WorkspaceBytes));

        public static Array NewArray(DataType t, int n) => t switch
        {
            DataType.Float => new float[n], DataType.Int64 => new long[n], DataType.Int32 => new int[n],
            DataType.Bool => new bool[n], DataType.UInt8 => new byte[n], DataType.Int8 => new sbyte[n],
            _ => throw new NotSupportedException(t.ToString()),
        };

        /// <summary>Generates, compiles and loads the model; throws <see cref="CheckException"/> with the QG diagnostic on failure.</summary>
        /// <param name="collectible">False for an assembly that stays loaded, whose statics run as in a normal build (benchmarks).</param>
        public Compiled Compile(IReadOnlyDictionary<string, int> dims, bool collectible = true)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int id = System.Threading.Interlocked.Increment(ref s_counter);
            var className = "M" + id.ToString(CultureInfo.InvariantCulture);
            var options = _options with { ClassName = className, Namespace = "QuantGen.Check", Dimensions = dims };
            var result = ModelCompiler.Compile(_bytes, _fileName, _resolver, options);
            if (!result.Success)
                throw new CheckException(string.Join("; ", result.Diagnostics.Where(d => d.Severity == QgSeverity.Error)));
            var plan = result.Plan!;
            var generateSeconds = clock.Elapsed.TotalSeconds;
            var sources = new List<KeyValuePair<string, string>> { new("model.g.cs", result.Source!) };
            sources.AddRange(KernelLibrary.Emit(result.Kernels));
            sources.Add(new("harness.cs", InMemoryCompiler.Harness("QuantGen.Check." + className, "Harness" + className,
                plan.Inputs.Select(i => DataTypes.CSharpName(i.Type)).ToList(), plan.Outputs.Select(o => DataTypes.CSharpName(o.Type)).ToList())));
            var compiled = InMemoryCompiler.Compile("QuantGenCheck" + className, sources, collectible: collectible);
            if (!compiled.Success) throw new CheckException("generated code does not compile: " + compiled.Errors);
            return new Compiled
            {
                Runner = Runner(compiled.Assembly!, "Harness" + className, plan),
                Predict = HarnessRun(compiled.Assembly!, "Harness" + className).CreateDelegate<Action<object[], object[], byte[], int>>(),
                ModelType = compiled.Assembly!.GetType("QuantGen.Check." + className),
                Plan = plan, Source = result.Source!, Diagnostics = result.Diagnostics, Report = result.Report,
                GenerateSeconds = generateSeconds, CompileSeconds = clock.Elapsed.TotalSeconds - generateSeconds,
            };
        }

        /// <summary>Symbolic dimension values implied by a test set's input shapes.</summary>
        public static Dictionary<string, int> BindDims(byte[] bytes, string fileName, IReadOnlyList<HostTensor> inputs) =>
            ModelCompiler.BindDimensions(OnnxModelReader.Parse(bytes, fileName), inputs.Select(t => t.Shape).ToList());

        /// <summary>
        /// Runs one set and compares every output. Float32 (minCosine null): every element within the float tolerance.
        /// Quantized (minCosine set): passes when the cosine similarity of all outputs is at least minCosine; the element
        /// errors and top-1 agreement are reported.
        /// </summary>
        public static SetResult Evaluate(Compiled model, TestSet set, double? minCosine = null)
        {
            var plan = model.Plan;
            if (set.Inputs.Count != plan.Inputs.Count)
                return new SetResult(set.Name, false, $"the set has {set.Inputs.Count} inputs, the model {plan.Inputs.Count}", 0, 0, 0, null);
            var inputs = new List<Array>();
            for (int i = 0; i < plan.Inputs.Count; i++)
            {
                var v = plan.Inputs[i];
                var t = set.Inputs[i];
                if (t.Data.Length != Shapes.Size(v.Shape!))
                    return new SetResult(set.Name, false, $"input {i} has {t.Data.Length} elements, the model expects {Shapes.Format(v.Shape)}", 0, 0, 0, null);
                inputs.Add(ConvertArray(t, v.Type));
            }
            Array[] outs;
            try { outs = model.Run(inputs); }
            catch (Exception e) { return new SetResult(set.Name, false, $"run failed: {e.GetType().Name}: {e.Message}", 0, 0, 0, null); }
            double maxAbs = 0, maxRel = 0, dot = 0, na = 0, nb = 0;
            long differing = 0, elements = 0;
            string? failure = null;
            for (int o = 0; o < Math.Min(outs.Length, set.Outputs.Count); o++)
            {
                var expected = set.Outputs[o];
                var actual = outs[o];
                if (actual.Length != expected.Data.Length)
                {
                    failure ??= $"output {o} has {actual.Length} elements, expected {expected.Data.Length}";
                    continue;
                }
                for (int i = 0; i < actual.Length; i++)
                {
                    double a = Get(actual, i), b = expected.Get(i);
                    if (double.IsNaN(a) && double.IsNaN(b)) continue;
                    double diff = Math.Abs(a - b);
                    if (double.IsInfinity(a) && a == b) diff = 0;
                    maxAbs = Math.Max(maxAbs, diff);
                    maxRel = Math.Max(maxRel, diff / Math.Max(Math.Abs(b), 1e-12));
                    dot += a * b; na += a * a; nb += b * b;
                    elements++;
                    if (diff > 1e-6 + 1e-5 * Math.Abs(b)) differing++;
                    if (!(diff <= AbsTol + RelTol * Math.Abs(b)))
                        failure ??= $"output {o} ('{plan.Outputs[o].Name}') element {i}: {a.ToString("R", CultureInfo.InvariantCulture)} vs expected {b.ToString("R", CultureInfo.InvariantCulture)}";
                }
            }
            // Cosine similarity of all outputs. It is undefined for a zero vector: when either side is (numerically) zero,
            // the outputs count as identical (1) if every element is within 1e-4, else as unrelated (0).
            double cosine = na < 1e-24 || nb < 1e-24 ? (maxAbs <= 1e-4 ? 1 : 0) : dot / Math.Sqrt(na * nb);
            if (minCosine is double min)
            {
                bool sizesOk = failure == null || !failure.Contains("elements");
                bool ok = sizesOk && cosine >= min;
                return new SetResult(set.Name, ok, ok ? "" : sizesOk ? $"cosine {cosine:F6} < {min}" : failure!, maxAbs, maxRel, cosine, outs)
                { Top1 = Top1Agreement(outs, set), Differing = differing, Elements = elements };
            }
            return new SetResult(set.Name, failure == null, failure ?? "", maxAbs, maxRel, cosine, outs);
        }

        /// <summary>
        /// For an output whose last axis has 2+ classes: the fraction of rows whose argmax equals the expected argmax
        /// (null when no output looks like class scores).
        /// </summary>
        public static double? Top1Agreement(Array[] outs, TestSet set)
        {
            for (int o = 0; o < Math.Min(outs.Length, set.Outputs.Count); o++)
            {
                var shape = set.Outputs[o].Shape;
                int classes = shape.Length == 0 ? 1 : shape[shape.Length - 1];
                if (classes < 2 || classes > 100_000 || outs[o].Length != set.Outputs[o].Data.Length || !(outs[o] is float[] a)) continue;
                int rows = a.Length / classes, agree = 0;
                for (int r = 0; r < rows; r++)
                {
                    int ia = 0, ib = 0;
                    for (int c = 1; c < classes; c++)
                    {
                        if (a[r * classes + c] > a[r * classes + ia]) ia = c;
                        if (set.Outputs[o].Get(r * classes + c) > set.Outputs[o].Get(r * classes + ib)) ib = c;
                    }
                    if (ia == ib) agree++;
                }
                return rows == 0 ? null : (double)agree / rows;
            }
            return null;
        }

        public static double Get(Array a, int i) => a switch
        {
            float[] f => f[i], long[] l => l[i], int[] n => n[i], bool[] b => b[i] ? 1 : 0, sbyte[] s when s.GetType() == typeof(sbyte[]) => s[i], byte[] u => u[i], // the CLR lets sbyte[] and byte[] match each other's type test
            _ => throw new InvalidOperationException(),
        };

        public static Array ConvertArray(HostTensor t, DataType to)
        {
            if (t.Type == to) return t.Data;
            var r = NewArray(to, t.Data.Length);
            for (int i = 0; i < r.Length; i++)
            {
                double v = t.Get(i);
                switch (r)
                {
                    case float[] f: f[i] = (float)v; break;
                    case long[] l: l[i] = (long)v; break;
                    case int[] n: n[i] = (int)v; break;
                    case bool[] b: b[i] = v != 0; break;
                    case sbyte[] s when s.GetType() == typeof(sbyte[]): s[i] = (sbyte)v; break; // the CLR lets sbyte[] match byte[] and back
                    case byte[] u: u[i] = (byte)v; break;
                }
            }
            return r;
        }
    }

    public sealed class CheckException : Exception
    {
        public CheckException(string message) : base(message) { }
    }
}
