using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Runtime.Loader;
using QuantGen.Graph;
using QuantGen.Onnx.Proto;

namespace QuantGen.Generator.Tests
{
    /// <summary>
    /// Real consumer projects built with <c>dotnet build</c>: through a ProjectReference to the generator (with the targets
    /// imported explicitly) and through the packed QuantGen NuGet package. Slow (tens of seconds each): kept few.
    /// Both live in one class so they never build at the same time.
    /// </summary>
    public class MSBuildEndToEndTests
    {
        private static string GeneratorProject => Path.Combine(TestPaths.RepoRoot, "src", "QuantGen.Generator", "QuantGen.Generator.csproj");
        private static string GeneratorTargets => Path.Combine(TestPaths.RepoRoot, "src", "QuantGen.Generator", "build", "QuantGen.targets");

        private const string Program = @"using System;
using System.IO;

// Reads a float32 little-endian input file, runs the generated model, prints the argmax.
byte[] bytes = File.ReadAllBytes(args[0]);
float[] input = new float[My.Models.Digits.InputLength];
Buffer.BlockCopy(bytes, 0, input, 0, bytes.Length);
float[] output = new float[My.Models.Digits.OutputLength];
My.Models.Digits.Predict(input, output);
int best = 0;
for (int i = 1; i < output.Length; i++) if (output[i] > output[best]) best = i;
Console.WriteLine(""argmax="" + best);
";

        private static string ConsumerProject(string references) => $@"<Project Sdk=""Microsoft.NET.Sdk"">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
    <RootNamespace>Consumer</RootNamespace>
  </PropertyGroup>
  <ItemGroup>
    <QuantModel Include=""models/mnist.onnx"" ClassName=""Digits"" Namespace=""My.Models"" Precision=""Float32"" />
    <QuantModel Include=""models/mnist.onnx"" ClassName=""DigitsInt8"" Namespace=""My.Models"" Precision=""Int8"" Calibration=""{TestPaths.Corpus("mnist_cntk")}"" StaticData=""Literals"" />
  </ItemGroup>
{references}
</Project>
";

        /// <summary>Writes the consumer's sources, the model copy and the first test input; returns the expected argmax (ORT).</summary>
        private static int WriteConsumer(string folder, string project)
        {
            Directory.CreateDirectory(Path.Combine(folder, "models"));
            File.Copy(TestPaths.MnistModel, Path.Combine(folder, "models", "mnist.onnx"));
            File.WriteAllText(Path.Combine(folder, "Consumer.csproj"), project);
            File.WriteAllText(Path.Combine(folder, "Program.cs"), Program);
            var set = TestPaths.Corpus("mnist_cntk", "test_data_set_0");
            var input = ReadFloats(Path.Combine(set, "input_0.pb"));
            var bytes = new byte[input.Length * 4];
            Buffer.BlockCopy(input, 0, bytes, 0, bytes.Length); // little-endian on every supported platform
            File.WriteAllBytes(Path.Combine(folder, "input.bin"), bytes);
            var expected = ReadFloats(Path.Combine(set, "output_0.pb"));
            return Array.IndexOf(expected, expected.Max());
        }

        /// <summary>A property of the consumer project as MSBuild evaluates it (no build).</summary>
        private static string Property(string folder, string name, string args)
        {
            var r = DotNetCli.DotNet($"msbuild -getProperty:{name} {args}", folder);
            Assert.True(r.ExitCode == 0, r.ToString());
            return r.Output.Trim();
        }

        /// <summary>The QuantGen static data resources of a built assembly (name, bytes), read through a collectible load context.</summary>
        private static System.Collections.Generic.Dictionary<string, byte[]> QuantGenResources(string assemblyPath)
        {
            var context = new AssemblyLoadContext("quantgen-resources", isCollectible: true);
            try
            {
                using var file = File.OpenRead(assemblyPath);
                var assembly = context.LoadFromStream(file);
                return assembly.GetManifestResourceNames().Where(n => n.StartsWith("QuantGen.StaticData.", StringComparison.Ordinal))
                    .ToDictionary(n => n, n =>
                    {
                        using var stream = assembly.GetManifestResourceStream(n)!;
                        using var copy = new MemoryStream();
                        stream.CopyTo(copy);
                        return copy.ToArray();
                    });
            }
            finally
            {
                context.Unload();
            }
        }

        private static float[] ReadFloats(string path) =>
            OnnxImporter.DecodeStandalone(TensorProto.Parser.ParseFrom(File.ReadAllBytes(path)), Path.GetFileName(path)).ToFloats();

        private static void BuildAndRun(string folder, int expectedArgmax, string restoreArgs = "")
        {
            var build = DotNetCli.DotNet($"build -c Release {restoreArgs}", folder);
            Assert.True(build.ExitCode == 0, build.ToString());
            Assert.Contains(" 0 Warning(s)", build.Output);
            var run = DotNetCli.Run("dotnet", $"{Path.Combine(folder, "bin", "Release", "net10.0", "Consumer.dll")} input.bin", folder, TimeSpan.FromMinutes(2));
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal($"argmax={expectedArgmax}", run.Output.Trim());
        }

        [Fact]
        public void ProjectReferenceConsumer_BuildsRunsAndRebuildsWithoutRecompiling()
        {
            using var temp = new TestPaths.TempFolder("qg-e2e-projref");
            var expected = WriteConsumer(temp.Path, ConsumerProject($@"  <ItemGroup>
    <ProjectReference Include=""{GeneratorProject}"" OutputItemType=""Analyzer"" ReferenceOutputAssembly=""false"" />
  </ItemGroup>
  <Import Project=""{GeneratorTargets}"" />"));

            BuildAndRun(temp.Path, expected);

            var quantgen = Path.Combine(temp.Path, "obj", "Release", "net10.0", "quantgen");
            var manifests = Directory.GetFiles(quantgen, "*.quantmodel").Select(File.ReadAllText).ToList();
            Assert.Equal(2, manifests.Count);
            var manifest = Assert.Single(manifests, m => m.Contains("class=Digits\n") || m.Contains("class=Digits\r\n"));
            Assert.Contains("sha256=" + QuantGen.CodeGen.ModelCompiler.Sha256(File.ReadAllBytes(TestPaths.MnistModel)), manifest, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("class=Digits", manifest);

            // The int8 model's quantization report (Markdown and JSON) is beside the manifests; the float one has none.
            var md = File.ReadAllText(Path.Combine(quantgen, "My.Models.DigitsInt8.quantgen.md"));
            Assert.Contains("# QuantGen quantization report: DigitsInt8", md);
            Assert.Contains("end to end, ", md);
            using (var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(quantgen, "My.Models.DigitsInt8.quantgen.json"))))
                Assert.True(json.RootElement.GetProperty("endToEnd").GetProperty("meanCosine").GetDouble() > 0.99);
            Assert.False(File.Exists(Path.Combine(quantgen, "My.Models.Digits.quantgen.md")));

            // The float model's weights are an embedded resource (StaticData's default), the file the generator wrote beside its
            // manifest; the int8 model's (StaticData="Literals") are in its source, so it has no file and no resource.
            var staticData = Assert.Single(Directory.GetFiles(quantgen, "*.staticdata"));
            var digitsManifest = Directory.GetFiles(quantgen, "*.quantmodel").Single(f => File.ReadAllText(f) == manifest);
            Assert.Equal(digitsManifest + ".staticdata", staticData);
            Assert.Contains("resource=QuantGen.StaticData.mnist.", manifest);
            var dll = Path.Combine(temp.Path, "bin", "Release", "net10.0", "Consumer.dll");
            Assert.Equal(File.ReadAllBytes(staticData), Assert.Single(QuantGenResources(dll)).Value);
            var written = File.GetLastWriteTimeUtc(staticData);

            // A no-op rebuild skips the manifest target and the compiler, and still prints the report's headline.
            var again = DotNetCli.DotNet("build -c Release --no-restore -v:n", temp.Path);
            Assert.True(again.ExitCode == 0, again.ToString());
            Assert.Contains("QuantGen report ", again.Output);
            Assert.Contains("DigitsInt8: ", again.Output);
            Assert.Contains("Skipping target \"QuantGenWriteManifests\"", again.Output);
            Assert.Contains("Skipping target \"CoreCompile\"", again.Output);

            // An edit of the project's own code compiles again; the static data file is not rewritten and the program still runs.
            File.AppendAllText(Path.Combine(temp.Path, "Program.cs"), "// an edit\n");
            BuildAndRun(temp.Path, expected, "--no-restore");
            Assert.Equal(written, File.GetLastWriteTimeUtc(staticData));
            Assert.Equal(File.ReadAllBytes(staticData), Assert.Single(QuantGenResources(dll)).Value);

            // A missing model is QG0008 from the targets, naming the item.
            File.Delete(Path.Combine(temp.Path, "models", "mnist.onnx"));
            var missing = DotNetCli.DotNet("build -c Release --no-restore", temp.Path);
            Assert.NotEqual(0, missing.ExitCode);
            Assert.Contains("error QG0008", missing.Output);
            Assert.Contains("<QuantModel Include=\"models/mnist.onnx\">", missing.Output);

            // A StaticData value other than Resource or Literals is QG0007 from the targets.
            var project = Path.Combine(temp.Path, "Consumer.csproj");
            File.WriteAllText(project, File.ReadAllText(project).Replace("StaticData=\"Literals\"", "StaticData=\"Blob\""));
            var bad = DotNetCli.DotNet("build -c Release --no-restore", temp.Path);
            Assert.NotEqual(0, bad.ExitCode);
            Assert.Contains("error QG0007", bad.Output);
            Assert.Contains("StaticData 'Blob' is not Resource or Literals", bad.Output);
        }

        [Fact]
        public void PackageConsumer_RestoresFromALocalFeed_BuildsAndRuns()
        {
            using var temp = new TestPaths.TempFolder("qg-e2e-package");
            var feed = Path.Combine(temp.Path, "feed");
            var pack = DotNetCli.DotNet($"pack \"{GeneratorProject}\" -c Release -o \"{feed}\"", TestPaths.RepoRoot);
            Assert.True(pack.ExitCode == 0, pack.ToString());
            var package = Assert.Single(Directory.GetFiles(feed, "QuantGen.*.nupkg"));
            var version = Path.GetFileNameWithoutExtension(package).Substring("QuantGen.".Length);

            using (var zip = ZipFile.OpenRead(package))
            {
                var entries = zip.Entries.Select(e => e.FullName).ToList();
                foreach (var dll in new[] { "QuantGen.Generator", "QuantGen.CodeGen", "QuantGen.Graph", "QuantGen.Onnx", "Google.Protobuf" })
                    Assert.Contains($"analyzers/dotnet/cs/{dll}.dll", entries);
                Assert.Contains("build/QuantGen.targets", entries);
                Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal));
                using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
                var text = nuspec.ReadToEnd();
                Assert.Contains("<developmentDependency>true</developmentDependency>", text);
                Assert.DoesNotContain("<dependency ", text);
            }

            var consumer = Path.Combine(temp.Path, "consumer");
            Directory.CreateDirectory(consumer);
            var expected = WriteConsumer(consumer, ConsumerProject($@"  <PropertyGroup>
    <RestorePackagesPath>{Path.Combine(temp.Path, "packages")}</RestorePackagesPath>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include=""QuantGen"" Version=""{version}"" />
  </ItemGroup>"));
            File.WriteAllText(Path.Combine(consumer, "NuGet.config"), $@"<?xml version=""1.0"" encoding=""utf-8""?>
<configuration>
  <packageSources>
    <clear />
    <add key=""local"" value=""{feed}"" />
    <add key=""nuget.org"" value=""https://api.nuget.org/v3/index.json"" />
  </packageSources>
</configuration>
");
            BuildAndRun(consumer, expected);
            Assert.True(Directory.Exists(Path.Combine(temp.Path, "packages", "quantgen", version)), "the package was not restored into the temporary packages folder");

            // The package's NativeAOT default: x86-64-v3 for x64 targets, nothing for arm64, and a user's own choice wins.
            Assert.Equal("x86-64-v3", Property(consumer, "IlcInstructionSet", "-p:RuntimeIdentifier=linux-x64"));
            Assert.Equal("x86-64-v3", Property(consumer, "IlcInstructionSet", "-p:RuntimeIdentifier=win-x64"));
            Assert.Equal("", Property(consumer, "IlcInstructionSet", "-p:RuntimeIdentifier=linux-arm64"));
            Assert.Equal("native", Property(consumer, "IlcInstructionSet", "-p:RuntimeIdentifier=linux-x64 -p:IlcInstructionSet=native"));
            Assert.Equal("", Property(consumer, "IlcInstructionSet", "-p:RuntimeIdentifier=linux-x64 -p:QuantGenDefaultInstructionSet=false"));
        }
    }
}
