using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using QuantGen.CodeGen;
using QuantGen.Graph;

namespace QuantGen.Cli
{
    /// <summary>Compiles generated model code (plus its kernels and a small harness) with Roslyn and loads it.</summary>
    public static class InMemoryCompiler
    {
        private static readonly Lazy<MetadataReference[]> s_refs = new Lazy<MetadataReference[]>(() =>
            ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
                .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
                .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray());

        public sealed class Result
        {
            public Assembly? Assembly { get; init; }
            public IReadOnlyList<Diagnostic> Diagnostics { get; init; } = Array.Empty<Diagnostic>();
            public bool Success => Assembly != null;
            public string Errors => string.Join("\n", Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(20));
        }

        /// <summary>
        /// Compiles sources into one assembly (Release, nullable enabled, warning level 9999), collectible unless told otherwise
        /// (a caller that uses the generated [ThreadStatic] workspace needs a non-collectible one: see below).
        /// </summary>
        public static Result Compile(string assemblyName, IEnumerable<KeyValuePair<string, string>> sources, bool optimize = true, bool collectible = true)
        {
            var parse = new CSharpParseOptions(LanguageVersion.Latest);
            var trees = sources.Select(s => CSharpSyntaxTree.ParseText(s.Value, parse, path: s.Key)).ToList();
            var options = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary,
                optimizationLevel: optimize ? OptimizationLevel.Release : OptimizationLevel.Debug,
                nullableContextOptions: NullableContextOptions.Enable, warningLevel: 9999, deterministic: true);
            var compilation = CSharpCompilation.Create(assemblyName, trees, s_refs.Value, options);
            using var ms = new MemoryStream();
            var emit = compilation.Emit(ms);
            if (!emit.Success) return new Result { Diagnostics = emit.Diagnostics };
            ms.Position = 0;
            // Collectible, so the many models a test run compiles can be unloaded. Callers go through the workspace overload
            // of Predict (see Harness), so the generated [ThreadStatic] workspace of a collectible assembly is never
            // touched: the runtime has had races between thread exit and unload of collectible thread statics
            // (dotnet/runtime#110837, #127776), and one of them is the prime suspect for a rare GC crash of the test host.
            if (!collectible) return new Result { Assembly = AssemblyLoadContext.Default.LoadFromStream(ms), Diagnostics = emit.Diagnostics };
            var alc = new AssemblyLoadContext(assemblyName, isCollectible: true);
            return new Result { Assembly = alc.LoadFromStream(ms), Diagnostics = emit.Diagnostics };
        }

        /// <summary>
        /// A harness that calls the workspace overload of <c>Predict</c> with arrays (spans cannot go through reflection):
        /// <c>public static void Run(object[] inputs, object[] outputs, byte[] workspace, int guard)</c>, where every output
        /// array and the workspace carry <c>guard</c> extra elements on each side that the model must not touch
        /// (<see cref="GuardedRunner"/> checks them).
        /// </summary>
        public static string Harness(string fullClassName, string harnessClass, IReadOnlyList<string> inputTypes, IReadOnlyList<string> outputTypes)
        {
            var args = inputTypes.Select((t, i) => $"({t}[])inputs[{i}]")
                .Concat(outputTypes.Select((t, i) => $"new System.Span<{t}>(({t}[])outputs[{i}], guard, (({t}[])outputs[{i}]).Length - 2 * guard)"))
                .Append("new System.Span<byte>(workspace, guard, workspace.Length - 2 * guard)");
            return $@"// harness
public static class {harnessClass}
{{
    public static void Run(object[] inputs, object[] outputs, byte[] workspace, int guard) => {fullClassName}.Predict({string.Join(", ", args)});
}}
";
        }

        /// <summary>
        /// Runs a compiled <see cref="Harness"/> with out-of-bounds detection: each output array and the workspace get
        /// <see cref="Guard"/> canary elements on both sides, and the workspace interior is filled with garbage first (so a
        /// step that reads scratch it did not write shows up as a wrong result, not as a lucky zero; outputs start as canary
        /// bytes too, so an output element the model never writes is not a lucky zero either). A model that writes
        /// into a canary fails with <see cref="InvalidOperationException"/> naming the buffer and the offset, instead of
        /// corrupting the heap silently.
        /// </summary>
        public sealed class GuardedRunner
        {
            /// <summary>Canary elements (bytes for the workspace) on each side of every buffer the model writes.</summary>
            public const int Guard = 256;
            private const byte Canary = 0xA5, Garbage = 0xCD;
            private readonly MethodInfo _run;
            private readonly DataType[] _outputTypes;
            private readonly int[] _outputLengths;
            private readonly int _workspaceBytes;

            public GuardedRunner(MethodInfo run, IReadOnlyList<DataType> outputTypes, IReadOnlyList<int> outputLengths, int workspaceBytes)
            {
                _run = run; _outputTypes = outputTypes.ToArray(); _outputLengths = outputLengths.ToArray(); _workspaceBytes = workspaceBytes;
            }

            /// <summary>Runs Predict once; returns one new array per output.</summary>
            public Array[] Run(IReadOnlyList<Array> inputs)
            {
                var padded = new Array[_outputTypes.Length];
                for (int i = 0; i < padded.Length; i++)
                {
                    padded[i] = Checker.NewArray(_outputTypes[i], _outputLengths[i] + 2 * Guard);
                    Bytes(padded[i]).Fill(Canary);
                }
                var workspace = new byte[_workspaceBytes + 2 * Guard];
                workspace.AsSpan().Fill(Canary);
                workspace.AsSpan(Guard, _workspaceBytes).Fill(Garbage);
                try { _run.Invoke(null, new object[] { inputs.Cast<object>().ToArray(), padded.Cast<object>().ToArray(), workspace, Guard }); }
                catch (TargetInvocationException e) when (e.InnerException != null) { System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw(); }
                CheckCanaries(workspace, Guard, _workspaceBytes, "the workspace");
                var outs = new Array[padded.Length];
                for (int i = 0; i < padded.Length; i++)
                {
                    int size = Buffer.ByteLength(padded[i]) / (_outputLengths[i] + 2 * Guard);
                    CheckCanaries(Bytes(padded[i]), Guard * size, _outputLengths[i] * size, "output " + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    outs[i] = Checker.NewArray(_outputTypes[i], _outputLengths[i]);
                    Array.Copy(padded[i], Guard, outs[i], 0, _outputLengths[i]);
                }
                return outs;
            }

            private static Span<byte> Bytes(Array a) =>
                System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(a), Buffer.ByteLength(a));

            private static void CheckCanaries(ReadOnlySpan<byte> buffer, int start, int length, string what)
            {
                int before = buffer.Slice(0, start).LastIndexOfAnyExcept(Canary);
                if (before >= 0) throw new InvalidOperationException($"Predict wrote {start - before} byte(s) before the start of {what} ({length} bytes)");
                int after = buffer.Slice(start + length).IndexOfAnyExcept(Canary);
                if (after >= 0) throw new InvalidOperationException($"Predict wrote past the end of {what} ({length} bytes), at byte {after} after it");
            }
        }

        /// <summary>Kernel sources for the given kernel names, as (hint name, source) pairs.</summary>
        public static IEnumerable<KeyValuePair<string, string>> KernelSources(IEnumerable<string> kernels) => KernelLibrary.Emit(kernels);
    }
}
