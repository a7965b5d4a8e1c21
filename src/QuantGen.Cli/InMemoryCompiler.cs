using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using QuantGen.CodeGen;

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

        /// <summary>Compiles sources into one assembly (Release, nullable enabled, warning level 9999).</summary>
        public static Result Compile(string assemblyName, IEnumerable<KeyValuePair<string, string>> sources, bool optimize = true)
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
            var alc = new AssemblyLoadContext(assemblyName, isCollectible: true);
            return new Result { Assembly = alc.LoadFromStream(ms), Diagnostics = emit.Diagnostics };
        }

        /// <summary>
        /// A harness that calls <c>Predict</c> with arrays (spans cannot go through reflection):
        /// <c>public static void Run(object[] inputs, object[] outputs)</c>.
        /// </summary>
        public static string Harness(string fullClassName, string harnessClass, IReadOnlyList<string> inputTypes, IReadOnlyList<string> outputTypes)
        {
            var args = inputTypes.Select((t, i) => $"({t}[])inputs[{i}]").Concat(outputTypes.Select((t, i) => $"({t}[])outputs[{i}]"));
            return $@"// harness
public static class {harnessClass}
{{
    public static void Run(object[] inputs, object[] outputs) => {fullClassName}.Predict({string.Join(", ", args)});
}}
";
        }

        /// <summary>Kernel sources for the given kernel names, as (hint name, source) pairs.</summary>
        public static IEnumerable<KeyValuePair<string, string>> KernelSources(IEnumerable<string> kernels) => KernelLibrary.Emit(kernels);
    }
}
