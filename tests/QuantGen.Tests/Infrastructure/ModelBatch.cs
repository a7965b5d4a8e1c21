using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;
using QuantGen.Cli;
using QuantGen.CodeGen;
using QuantGen.Graph;
using QuantGen.Onnx;

namespace QuantGen.Tests.Infrastructure
{
    /// <summary>
    /// Compiles many models into one in-memory assembly (one Roslyn compilation instead of one per model): every
    /// model gets its own class, the kernels are emitted once for the union of what the models use. A model whose
    /// QuantGen compilation fails, or whose generated code does not compile, is reported on its own entry and
    /// left out; the others still compile.
    /// </summary>
    public static class ModelBatch
    {
        private static int s_batches;

        /// <summary>One model of a batch: inputs are the ONNX bytes and symbolic dimension values; outputs are filled by <see cref="Compile"/>.</summary>
        public sealed class Entry
        {
            public Entry(string name, byte[] bytes, IReadOnlyDictionary<string, int>? dims = null, ExternalDataResolver? resolver = null)
            {
                Name = name; Bytes = bytes; Dims = dims ?? new Dictionary<string, int>(); Resolver = resolver;
            }
            public string Name { get; }
            public byte[] Bytes { get; }
            public IReadOnlyDictionary<string, int> Dims { get; }
            public ExternalDataResolver? Resolver { get; }

            /// <summary>Errors of QuantGen's compilation (QG diagnostics), or null when it succeeded.</summary>
            public IReadOnlyList<QgDiagnostic>? CompileErrors { get; internal set; }
            /// <summary>C# compiler errors in this model's generated code, or null.</summary>
            public string? RoslynErrors { get; internal set; }
            public InferencePlan? Plan { get; internal set; }
            public string? Source { get; internal set; }
            internal IReadOnlyList<string> Kernels = Array.Empty<string>();
            internal string ClassName = "";
            internal InMemoryCompiler.GuardedRunner? Runner;

            public bool Ready => Runner != null;

            public string Failure => CompileErrors != null
                ? string.Join("; ", CompileErrors.Where(d => d.Severity == QgSeverity.Error))
                : RoslynErrors ?? (Ready ? "" : "not compiled");

            /// <summary>Runs the generated Predict with one array per input (outputs and workspace guarded against out-of-bounds writes); returns one new array per output.</summary>
            public Array[] Run(IReadOnlyList<Array> inputs)
            {
                if (Runner == null) throw new InvalidOperationException($"{Name} is not compiled: {Failure}");
                return Runner.Run(inputs);
            }
        }

        /// <summary>Compiles the entries in chunks of at most <paramref name="chunk"/> models per assembly.</summary>
        public static void Compile(IReadOnlyList<Entry> entries, int chunk = 150)
        {
            for (int start = 0; start < entries.Count; start += chunk)
                CompileChunk(entries.Skip(start).Take(chunk).ToList());
        }

        private static void CompileChunk(List<Entry> entries)
        {
            int batch = System.Threading.Interlocked.Increment(ref s_batches);
            var ns = "QuantGen.Batch" + batch.ToString(CultureInfo.InvariantCulture);
            var live = new List<Entry>();
            for (int i = 0; i < entries.Count; i++)
            {
                var e = entries[i];
                e.ClassName = "M" + i.ToString(CultureInfo.InvariantCulture);
                var options = new CompileOptions { ClassName = e.ClassName, Namespace = ns, Dimensions = e.Dims };
                CompileResult result;
                try { result = ModelCompiler.Compile(e.Bytes, e.Name, e.Resolver, options); }
                catch (Exception ex) { e.CompileErrors = new[] { new QgDiagnostic("QG0010", QgSeverity.Error, "exception escaped ModelCompiler.Compile: " + ex) }; continue; }
                if (!result.Success) { e.CompileErrors = result.Diagnostics; continue; }
                e.Plan = result.Plan; e.Source = result.Source; e.Kernels = result.Kernels;
                live.Add(e);
            }
            // Compile; drop models whose generated code has errors and retry (kernel errors fail every model).
            for (int attempt = 0; attempt < 4 && live.Count > 0; attempt++)
            {
                var sources = new List<KeyValuePair<string, string>>();
                foreach (var e in live)
                {
                    sources.Add(new(e.ClassName + ".g.cs", e.Source!));
                    sources.Add(new(e.ClassName + ".harness.cs", InMemoryCompiler.Harness($"{ns}.{e.ClassName}", "Harness" + e.ClassName,
                        e.Plan!.Inputs.Select(v => DataTypes.CSharpName(v.Type)).ToList(), e.Plan.Outputs.Select(v => DataTypes.CSharpName(v.Type)).ToList())));
                }
                sources.AddRange(KernelLibrary.Emit(live.SelectMany(e => e.Kernels).Distinct()));
                var compiled = InMemoryCompiler.Compile("QuantGenTestBatch" + batch.ToString(CultureInfo.InvariantCulture) + "_" + attempt.ToString(CultureInfo.InvariantCulture), sources);
                // Warnings count as errors too: generated code must compile warning-free.
                var bad = compiled.Diagnostics.Where(d => d.Severity >= Microsoft.CodeAnalysis.DiagnosticSeverity.Warning)
                    .GroupBy(d => d.Location.SourceTree?.FilePath ?? "").ToList();
                if (compiled.Success && bad.Count == 0)
                {
                    foreach (var e in live) e.Runner = Checker.Runner(compiled.Assembly!, "Harness" + e.ClassName, e.Plan!);
                    return;
                }
                var failedNow = new List<Entry>();
                foreach (var g in bad)
                {
                    var owner = live.FirstOrDefault(e => g.Key.StartsWith(e.ClassName + ".", StringComparison.Ordinal));
                    var text = string.Join("\n", g.Take(5));
                    if (owner != null) { owner.RoslynErrors = "generated code does not compile: " + text; failedNow.Add(owner); }
                    else
                    {
                        foreach (var e in live) e.RoslynErrors = "kernels or harness do not compile: " + text;
                        return;
                    }
                }
                if (failedNow.Count == 0)
                {
                    foreach (var e in live) e.RoslynErrors = "compilation failed: " + compiled.Errors;
                    return;
                }
                live = live.Except(failedNow).ToList();
            }
        }
    }
}
