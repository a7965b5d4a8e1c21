using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using QuantGen.CodeGen;

namespace QuantGen.Generator.Tests
{
    /// <summary>An in-memory AdditionalFile (what the MSBuild target's manifest looks like to the generator).</summary>
    public sealed class InMemoryAdditionalText : AdditionalText
    {
        private readonly SourceText _text;
        public InMemoryAdditionalText(string path, string text) { Path = path; _text = SourceText.From(text); }
        public override string Path { get; }
        public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
    }

    /// <summary>Builds manifests, compilations and generator drivers for the tests.</summary>
    public static class GeneratorHarness
    {
        public static readonly CSharpParseOptions ParseOptions = new CSharpParseOptions(LanguageVersion.Latest);

        /// <summary>The strictest consumer: nullable enabled, warning level 9999, every warning an error.</summary>
        public static readonly CSharpCompilationOptions StrictOptions = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary,
            optimizationLevel: OptimizationLevel.Release, nullableContextOptions: NullableContextOptions.Enable,
            warningLevel: 9999, generalDiagnosticOption: ReportDiagnostic.Error, deterministic: true);

        private static readonly Lazy<MetadataReference[]> s_references = new Lazy<MetadataReference[]>(() =>
            ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
                .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
                .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray());

        /// <summary>The text build/QuantGen.targets writes for one &lt;QuantModel&gt; item.</summary>
        public static string Manifest(string modelPath, string? hash = null, string className = "Digits", string ns = "My.Models",
            string precision = "Float32", string accessibility = "public", string dimensions = "", string item = "models/mnist.onnx") =>
            string.Join("\n",
                "# QuantGen model manifest",
                "format=1",
                "item=" + item,
                "path=" + modelPath,
                "sha256=" + (hash ?? (File.Exists(modelPath) ? ModelCompiler.Sha256(File.ReadAllBytes(modelPath)) : "0")),
                "class=" + className,
                "namespace=" + ns,
                "precision=" + precision,
                "accessibility=" + accessibility,
                "dimensions=" + dimensions) + "\n";

        public static InMemoryAdditionalText ManifestFile(string text, string name = "mnist.1234.quantmodel") =>
            new InMemoryAdditionalText(Path.Combine(Path.GetTempPath(), "obj", "quantgen", name), text);

        public static CSharpCompilation Compilation(params string[] sources) =>
            CSharpCompilation.Create("Consumer",
                sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
                s_references.Value, StrictOptions);

        public static GeneratorDriver Driver(params AdditionalText[] manifests) =>
            CSharpGeneratorDriver.Create(
                new[] { new QuantModelGenerator().AsSourceGenerator() },
                additionalTexts: manifests,
                parseOptions: ParseOptions,
                driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

        /// <summary>Runs the generator once on a fresh driver; returns the single generator's result.</summary>
        public static GeneratorRunResult RunOnce(params AdditionalText[] manifests)
        {
            var driver = Driver(manifests).RunGenerators(Compilation("class Empty { }"), TestContext.Current.CancellationToken);
            return driver.GetRunResult().Results.Single();
        }

        public static IEnumerable<IncrementalStepRunReason> Reasons(GeneratorRunResult result, string step) =>
            result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason);
    }
}
