using System;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace QuantGen.Generator.Tests
{
    public class DiagnosticTests
    {
        private static Diagnostic Single(GeneratorRunResult result, string id)
        {
            Assert.Null(result.Exception);
            var d = Assert.Single(result.Diagnostics, x => x.Id == id);
            return d;
        }

        [Fact]
        public void TruncatedModel_IsQG0001Error_NamingTheFile_AndNoException()
        {
            using var temp = new TestPaths.TempFolder("qg-truncated");
            var bytes = File.ReadAllBytes(TestPaths.MnistModel);
            var path = Path.Combine(temp.Path, "truncated.onnx");
            File.WriteAllBytes(path, bytes.Take(bytes.Length / 2).ToArray());

            var result = GeneratorHarness.RunOnce(GeneratorHarness.ManifestFile(GeneratorHarness.Manifest(path, item: "models/truncated.onnx")));

            var d = Single(result, "QG0001");
            Assert.Equal(DiagnosticSeverity.Error, d.Severity);
            Assert.Contains("truncated.onnx", d.GetMessage());
            Assert.Equal(path, d.Location.GetLineSpan().Path);
            Assert.Empty(result.GeneratedSources);
        }

        [Fact]
        public void GarbageModel_IsQG0001Error()
        {
            using var temp = new TestPaths.TempFolder("qg-garbage");
            var path = Path.Combine(temp.Path, "garbage.onnx");
            File.WriteAllBytes(path, Enumerable.Range(0, 4096).Select(i => (byte)(i * 37 + 11)).ToArray());

            var result = GeneratorHarness.RunOnce(GeneratorHarness.ManifestFile(GeneratorHarness.Manifest(path, item: "garbage.onnx")));

            var d = Single(result, "QG0001");
            Assert.Contains("garbage.onnx", d.GetMessage());
            Assert.Empty(result.GeneratedSources);
        }

        [Fact]
        public void MissingModel_IsQG0008Error_NamingTheItem()
        {
            var path = Path.Combine(Path.GetTempPath(), "qg-does-not-exist", "missing.onnx");
            var result = GeneratorHarness.RunOnce(GeneratorHarness.ManifestFile(GeneratorHarness.Manifest(path, hash: "0", item: "models/missing.onnx")));

            var d = Single(result, "QG0008");
            Assert.Equal(DiagnosticSeverity.Error, d.Severity);
            Assert.Contains("models/missing.onnx", d.GetMessage());
            Assert.Contains(path, d.GetMessage());
        }

        [Theory]
        [InlineData("class=1Digits", "ClassName '1Digits'")]
        [InlineData("class=class", "ClassName 'class'")]
        [InlineData("namespace=My..Models", "Namespace 'My..Models'")]
        [InlineData("precision=Float16", "Precision=\"Float16\" is not one of Float32, Int8")]
        [InlineData("accessibility=private", "Accessibility 'private'")]
        [InlineData("dimensions=batch_size=0", "Dimensions entry 'batch_size=0'")]
        [InlineData("dimensions=batch", "Dimensions entry 'batch'")]
        public void InvalidOption_IsQG0007Error(string line, string expectedText)
        {
            var key = line.Substring(0, line.IndexOf('='));
            var manifest = string.Join("\n", GeneratorHarness.Manifest(TestPaths.MnistModel).Split('\n')
                .Select(l => l.StartsWith(key + "=", System.StringComparison.Ordinal) ? line : l));

            var result = GeneratorHarness.RunOnce(GeneratorHarness.ManifestFile(manifest));

            var d = Single(result, "QG0007");
            Assert.Equal(DiagnosticSeverity.Error, d.Severity);
            Assert.Contains(expectedText, d.GetMessage());
            Assert.Contains("models/mnist.onnx", d.GetMessage());
            Assert.Empty(result.GeneratedSources);
        }

        [Fact]
        public void Int8Precision_GeneratesAQuantizedModel()
        {
            var result = GeneratorHarness.RunOnce(GeneratorHarness.ManifestFile(GeneratorHarness.Manifest(TestPaths.MnistModel, precision: "int8")));
            Assert.DoesNotContain(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
            var source = result.GeneratedSources.Single(s => s.HintName == "My.Models.Digits.g.cs").SourceText.ToString();
            Assert.Contains("int8 (int8 weights, activations quantized per call)", source);
            Assert.Contains(result.GeneratedSources, s => s.HintName == "QuantGen.Kernels.QGemm.g.cs");
        }

        [Fact]
        public void StaticActivationsWithoutCalibration_IsQG0007()
        {
            var manifest = GeneratorHarness.Manifest(TestPaths.MnistModel, precision: "int8") + "activations=Static\n";
            var d = Single(GeneratorHarness.RunOnce(GeneratorHarness.ManifestFile(manifest)), "QG0007");
            Assert.Contains("Calibration", d.GetMessage());
        }

        [Fact]
        public void EmptyClassName_DefaultsToThePascalCasedFileName()
        {
            using var temp = new TestPaths.TempFolder("qg-name");
            var path = Path.Combine(temp.Path, "my-digit_model.onnx");
            File.Copy(TestPaths.MnistModel, path);
            var result = GeneratorHarness.RunOnce(GeneratorHarness.ManifestFile(GeneratorHarness.Manifest(path, className: "", ns: "")));
            Assert.Empty(result.Diagnostics);
            Assert.Contains(result.GeneratedSources, s => s.HintName == "MyDigitModel.g.cs");
        }

        [Fact]
        public void TwoItemsGeneratingTheSameClass_IsQG0007_NotACrash()
        {
            var a = GeneratorHarness.ManifestFile(GeneratorHarness.Manifest(TestPaths.MnistModel, item: "a.onnx"), "a.quantmodel");
            var b = GeneratorHarness.ManifestFile(GeneratorHarness.Manifest(TestPaths.MnistModel, item: "b.onnx"), "b.quantmodel");
            var result = GeneratorHarness.RunOnce(a, b);
            Assert.Null(result.Exception);
            Assert.Equal(2, result.Diagnostics.Count(d => d.Id == "QG0007"));
            Assert.All(result.Diagnostics, d => Assert.Contains("My.Models.Digits", d.GetMessage()));
            Assert.Contains(result.Diagnostics, d => d.GetMessage().Contains("a.onnx"));
            Assert.Contains(result.Diagnostics, d => d.GetMessage().Contains("b.onnx"));
            Assert.DoesNotContain(result.GeneratedSources, s => s.HintName == "My.Models.Digits.g.cs");
        }

        [Fact]
        public void SymbolicDimensionInfo_FromTheCompiler_StaysAnInfo()
        {
            // fashion_mnist_cnn has input[batch_size,1,28,28]: binding it reports nothing; leaving it unbound binds 1 and says so as an info.
            var model = TestPaths.Corpus("fashion_mnist_cnn", "model.onnx");
            Assert.True(File.Exists(model), model);
            var bound = GeneratorHarness.RunOnce(GeneratorHarness.ManifestFile(GeneratorHarness.Manifest(model, className: "Fashion", dimensions: "batch_size=1")));
            Assert.DoesNotContain(bound.Diagnostics, d => d.Id == "QG0004" || d.Severity == DiagnosticSeverity.Error);
            Assert.Contains(bound.GeneratedSources, s => s.HintName == "My.Models.Fashion.g.cs");

            var unbound = GeneratorHarness.RunOnce(GeneratorHarness.ManifestFile(GeneratorHarness.Manifest(model, className: "Fashion")));
            var info = Assert.Single(unbound.Diagnostics, d => d.Id == "QG0004");
            Assert.Equal(DiagnosticSeverity.Info, info.Severity);
            Assert.Contains("bound to 1", info.GetMessage());
            Assert.Contains(unbound.GeneratedSources, s => s.HintName == "My.Models.Fashion.g.cs");
        }

        [Fact]
        public void TheTargetsWriteExactlyTheManifestKeysTheGeneratorReads()
        {
            var targets = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "src", "QuantGen.Generator", "build", "QuantGen.targets"));
            var written = System.Text.RegularExpressions.Regex.Matches(targets, "_QuantGenManifestLine Include=\"([A-Za-z0-9]+)=")
                .Select(m => m.Groups[1].Value).ToList();
            Assert.Equal(ModelRequest.Keys.OrderBy(k => k, StringComparer.Ordinal), written.OrderBy(k => k, StringComparer.Ordinal));
            // Each option's line carries the metadata of its name (Calibration as the targets' normalized full path).
            foreach (var o in QuantGen.CodeGen.QuantModelOptions.All)
                Assert.Matches($"_QuantGenManifestLine Include=\"{o.Key}=\\$\\(\\[MSBuild\\]::Escape\\('%\\(_QuantGenModel\\.(QuantGen)?{o.Metadata}\\)'\\)\\)\"", targets);
            // A key the generator does not know (a targets file of another version) is QG0007, not silently ignored.
            var d = Single(GeneratorHarness.RunOnce(GeneratorHarness.ManifestFile(GeneratorHarness.Manifest(TestPaths.MnistModel) + "futureOption=1\n")), "QG0007");
            Assert.Contains("unknown manifest key 'futureOption'", d.GetMessage());
        }

        [Fact]
        public void EveryCatalogId_HasADescriptorInCategoryQuantGen_InSequence()
        {
            var ids = DiagnosticDescriptors.All.Select(d => d.Id).ToList();
            Assert.Equal(Enumerable.Range(1, 12).Select(i => $"QG{i:0000}"), ids);
            Assert.All(DiagnosticDescriptors.All, d => Assert.Equal("QuantGen", d.Category));
            var unshipped = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "src", "QuantGen.Generator", "AnalyzerReleases.Unshipped.md"));
            foreach (var d in DiagnosticDescriptors.All)
                Assert.Contains($"{d.Id} | QuantGen | {d.DefaultSeverity} |", unshipped);
        }
    }
}
