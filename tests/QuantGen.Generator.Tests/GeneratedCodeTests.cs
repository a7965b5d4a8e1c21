using System;
using System.IO;
using System.Linq;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using QuantGen.Graph;
using QuantGen.Onnx.Proto;

namespace QuantGen.Generator.Tests
{
    public class GeneratedCodeTests
    {
        private const string Harness = @"
public static class Harness
{
    public static float[] Run(float[] input)
    {
        var output = new float[My.Models.Digits.OutputLength];
        My.Models.Digits.Predict(input, output);
        return output;
    }
}
";

        [Fact]
        public void GeneratedCodeAndKernels_CompileWithoutAnyDiagnostic_AtWarningLevel9999_WithWarningsAsErrors_AndMatchOrt()
        {
            var compilation = GeneratorHarness.Compilation(Harness);
            var driver = GeneratorHarness.Driver(GeneratorHarness.ManifestFile(GeneratorHarness.Manifest(TestPaths.MnistModel)));
            driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics, TestContext.Current.CancellationToken);
            Assert.Empty(generatorDiagnostics);
            Assert.Equal(NullableContextOptions.Enable, output.Options.NullableContextOptions);
            Assert.Equal(9999, output.Options.WarningLevel);
            Assert.True(output.SyntaxTrees.Count() > 2, "generator added no files");

            RunMatchesOrt(output);
        }

        [Fact]
        public void WithAResourceName_TheWeightsLeaveTheSource_ForAFileTheBuildEmbeds()
        {
            using var temp = new TestPaths.TempFolder("qg-resource");
            const string resource = "QuantGen.StaticData.mnist.42";
            var manifest = new InMemoryAdditionalText(Path.Combine(temp.Path, "mnist.42.quantmodel"),
                GeneratorHarness.Manifest(TestPaths.MnistModel) + "resource=" + resource + "\n");
            var driver = GeneratorHarness.Driver(manifest);
            driver.RunGeneratorsAndUpdateCompilation(GeneratorHarness.Compilation(Harness), out var output, out var generatorDiagnostics, TestContext.Current.CancellationToken);
            Assert.Empty(generatorDiagnostics);
            var model = output.SyntaxTrees.Single(t => t.FilePath.EndsWith("My.Models.Digits.g.cs", StringComparison.Ordinal)).ToString();
            Assert.DoesNotContain("\"u8", model);
            Assert.Contains($"GetManifestResourceStream(\"{resource}\")", model);

            // The file beside the manifest holds every tensor above 16 elements (the MNIST CNN's weights, 4-byte floats, aligned).
            var file = Path.Combine(temp.Path, "mnist.42.quantmodel.staticdata");
            Assert.InRange(new FileInfo(file).Length, 5000 * 4, 6000 * 4);
            RunMatchesOrt(output, new ResourceDescription(resource, () => File.OpenRead(file), isPublic: true));

            // Without that file embedded, the first call says which resource is missing.
            var missing = Assert.Throws<System.Reflection.TargetInvocationException>(() => RunMatchesOrt(output));
            Assert.Contains(resource, missing.InnerException!.ToString());
        }

        [Fact]
        public void WithAResourceName_AnUnwritableStaticDataFile_IsQG0012()
        {
            var manifest = new InMemoryAdditionalText(Path.Combine(Path.GetTempPath(), "qg-no-such-folder", "obj", "mnist.42.quantmodel"),
                GeneratorHarness.Manifest(TestPaths.MnistModel) + "resource=QuantGen.StaticData.mnist.42\n");
            var d = Assert.Single(GeneratorHarness.RunOnce(manifest).Diagnostics, x => x.Id == "QG0012");
            Assert.Equal(DiagnosticSeverity.Error, d.Severity);
            Assert.Contains("<QuantModel Include=\"models/mnist.onnx\">: cannot write the static data file", d.GetMessage());
        }

        /// <summary>Emits the compilation (with the given resources), runs the generated model on the first MNIST set, compares with ORT.</summary>
        private static void RunMatchesOrt(Compilation output, params ResourceDescription[] resources)
        {
            using var ms = new MemoryStream();
            var emit = output.Emit(ms, manifestResources: resources, cancellationToken: TestContext.Current.CancellationToken);
            Assert.True(emit.Success, string.Join("\n", emit.Diagnostics.Take(20)));
            // Nothing at all, not even hidden or info diagnostics about generated code, except the usual hidden ones.
            Assert.Empty(emit.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Info));

            ms.Position = 0;
            // Not collectible: Predict touches the generated [ThreadStatic] workspace, and thread statics of collectible
            // assemblies have a history of runtime races on thread exit and unload (see InMemoryCompiler).
            var alc = new AssemblyLoadContext("generated-mnist", isCollectible: false);
            var run = alc.LoadFromStream(ms).GetType("Harness")!.GetMethod("Run")!;
            var set = TestPaths.Corpus("mnist_cntk", "test_data_set_0");
            var input = ReadFloats(Path.Combine(set, "input_0.pb"));
            var expected = ReadFloats(Path.Combine(set, "output_0.pb"));
            var actual = (float[])run.Invoke(null, new object[] { input })!;
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-4 + 1e-3 * Math.Abs(expected[i]), $"output[{i}] = {actual[i]}, ORT {expected[i]}");
        }

        private static float[] ReadFloats(string path)
        {
            var proto = TensorProto.Parser.ParseFrom(File.ReadAllBytes(path));
            return OnnxImporter.DecodeStandalone(proto, Path.GetFileName(path)).ToFloats();
        }
    }
}
