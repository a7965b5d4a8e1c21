using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using QuantGen.CodeGen;
using QuantGen.Onnx;

namespace QuantGen.Generator.Tests
{
    public class IncrementalPipelineTests
    {
        private static readonly string[] s_allSteps =
        {
            StepNames.Manifests, StepNames.ModelRequests, StepNames.GeneratedModels, StepNames.DuplicateClasses, StepNames.KernelNames, StepNames.KernelUnion,
        };

        [Fact]
        public void UnrelatedEdit_ReusesEveryStep_AndDoesNotRecompileTheModel()
        {
            var manifest = GeneratorHarness.ManifestFile(GeneratorHarness.Manifest(TestPaths.MnistModel));
            var compilation = GeneratorHarness.Compilation("class Empty { }");
            var driver = GeneratorHarness.Driver(manifest).RunGenerators(compilation, TestContext.Current.CancellationToken);
            var first = driver.GetRunResult().Results.Single();
            Assert.Empty(first.Diagnostics);
            Assert.Contains(first.GeneratedSources, s => s.HintName == "My.Models.Digits.g.cs");
            foreach (var step in s_allSteps) Assert.True(first.TrackedSteps.ContainsKey(step), $"step {step} was not tracked");

            driver = driver.RunGenerators(compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class Unrelated { int X => 1; }", GeneratorHarness.ParseOptions, cancellationToken: TestContext.Current.CancellationToken)), TestContext.Current.CancellationToken);
            var second = driver.GetRunResult().Results.Single();

            foreach (var step in s_allSteps)
                Assert.All(GeneratorHarness.Reasons(second, step),
                    r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"step {step}: {r}"));
            // Cached (not Unchanged) means the step's function did not run at all.
            Assert.All(GeneratorHarness.Reasons(second, StepNames.GeneratedModels), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
            Assert.Equal(first.GeneratedSources.Select(s => s.HintName), second.GeneratedSources.Select(s => s.HintName));
        }

        [Fact]
        public void ChangedManifestHash_RecompilesTheModel()
        {
            var model = TestPaths.MnistModel;
            var manifest = GeneratorHarness.ManifestFile(GeneratorHarness.Manifest(model));
            var compilation = GeneratorHarness.Compilation("class Empty { }");
            var driver = GeneratorHarness.Driver(manifest).RunGenerators(compilation, TestContext.Current.CancellationToken);

            var edited = GeneratorHarness.ManifestFile(GeneratorHarness.Manifest(model, hash: new string('0', 64)));
            driver = driver.ReplaceAdditionalText(manifest, edited).RunGenerators(compilation, TestContext.Current.CancellationToken);
            var result = driver.GetRunResult().Results.Single();

            Assert.Equal(new[] { IncrementalStepRunReason.Modified }, GeneratorHarness.Reasons(result, StepNames.ModelRequests));
            Assert.Equal(new[] { IncrementalStepRunReason.Modified }, GeneratorHarness.Reasons(result, StepNames.GeneratedModels));
            // Same kernels as before: the model's kernel list is equal, so the union (and the kernel files) are reused.
            Assert.Equal(new[] { IncrementalStepRunReason.Unchanged }, GeneratorHarness.Reasons(result, StepNames.KernelNames));
            Assert.All(GeneratorHarness.Reasons(result, StepNames.KernelUnion), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
            Assert.All(GeneratorHarness.Reasons(result, StepNames.DuplicateClasses), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
            Assert.Contains(result.GeneratedSources, s => s.HintName == "My.Models.Digits.g.cs");
        }

        [Fact]
        public void ChangedOption_RecompilesTheModel()
        {
            var manifest = GeneratorHarness.ManifestFile(GeneratorHarness.Manifest(TestPaths.MnistModel));
            var compilation = GeneratorHarness.Compilation("class Empty { }");
            var driver = GeneratorHarness.Driver(manifest).RunGenerators(compilation, TestContext.Current.CancellationToken);

            var renamed = GeneratorHarness.ManifestFile(GeneratorHarness.Manifest(TestPaths.MnistModel, className: "Mnist"));
            driver = driver.ReplaceAdditionalText(manifest, renamed).RunGenerators(compilation, TestContext.Current.CancellationToken);
            var result = driver.GetRunResult().Results.Single();

            Assert.Equal(new[] { IncrementalStepRunReason.Modified }, GeneratorHarness.Reasons(result, StepNames.GeneratedModels));
            Assert.Contains(result.GeneratedSources, s => s.HintName == "My.Models.Mnist.g.cs");
            Assert.DoesNotContain(result.GeneratedSources, s => s.HintName == "My.Models.Digits.g.cs");
        }

        [Fact]
        public void TwoFreshRuns_ProduceByteIdenticalOutput()
        {
            string Render(GeneratorRunResult r) => string.Join("\n---\n", r.GeneratedSources.Select(s => s.HintName + "\n" + s.SourceText));
            var a = GeneratorHarness.RunOnce(GeneratorHarness.ManifestFile(GeneratorHarness.Manifest(TestPaths.MnistModel)));
            var b = GeneratorHarness.RunOnce(GeneratorHarness.ManifestFile(GeneratorHarness.Manifest(TestPaths.MnistModel)));
            Assert.True(a.GeneratedSources.Length > 1, "expected the model file and its kernel files");
            Assert.Equal(Render(a), Render(b));
        }

        [Fact]
        public void GeneratedSource_IsWhatTheCompilerEmits_ForTheManifestOptions()
        {
            var result = GeneratorHarness.RunOnce(GeneratorHarness.ManifestFile(GeneratorHarness.Manifest(TestPaths.MnistModel, className: "Digits", ns: "My.Models", accessibility: "internal")));
            var bytes = File.ReadAllBytes(TestPaths.MnistModel);
            var expected = ModelCompiler.Compile(bytes, "model.onnx", OnnxModelReader.FolderResolver(Path.GetDirectoryName(TestPaths.MnistModel)!),
                new CompileOptions { ClassName = "Digits", Namespace = "My.Models", Accessibility = "internal" });
            Assert.True(expected.Success);
            var generated = result.GeneratedSources.Single(s => s.HintName == "My.Models.Digits.g.cs").SourceText.ToString();
            Assert.Equal(expected.Source, generated);
            Assert.Contains("internal static partial class Digits", generated);
            var kernelHints = KernelLibrary.Emit(expected.Kernels).Select(k => k.Key).OrderBy(k => k, System.StringComparer.Ordinal);
            Assert.Equal(kernelHints, result.GeneratedSources.Select(s => s.HintName).Where(h => h.StartsWith("QuantGen.Kernels.", System.StringComparison.Ordinal)).OrderBy(h => h, System.StringComparer.Ordinal));
        }

        [Fact]
        public void TwoModels_EmitEachKernelFileOnce()
        {
            var a = GeneratorHarness.ManifestFile(GeneratorHarness.Manifest(TestPaths.MnistModel, className: "A"), "a.quantmodel");
            var b = GeneratorHarness.ManifestFile(GeneratorHarness.Manifest(TestPaths.MnistModel, className: "B"), "b.quantmodel");
            var driver = GeneratorHarness.Driver(a, b);
            driver = driver.RunGeneratorsAndUpdateCompilation(GeneratorHarness.Compilation("class Empty { }"), out var output, out var diagnostics, TestContext.Current.CancellationToken);
            Assert.Empty(diagnostics);
            var hints = driver.GetRunResult().Results.Single().GeneratedSources.Select(s => s.HintName).ToList();
            Assert.Contains("My.Models.A.g.cs", hints);
            Assert.Contains("My.Models.B.g.cs", hints);
            Assert.Equal(hints.Count, hints.Distinct().Count());
            Assert.Empty(output.GetDiagnostics(TestContext.Current.CancellationToken));
        }
    }
}
