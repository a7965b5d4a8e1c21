using System;
using System.IO;
using System.Linq;
using QuantGen.Cli;

namespace QuantGen.Tests
{
    /// <summary>ResNet18 restored from its NuGet package (tests/Directory.Build.props), checked against resnet18_mlnet's ONNX Runtime outputs.</summary>
    public class ResNet18Tests
    {
        public static string ModelPath()
        {
            var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
            if (string.IsNullOrEmpty(root)) root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            var path = Path.Combine(root, "microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1", "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
            Assert.True(File.Exists(path), $"ResNet18 was not restored to {path} (dotnet restore tests/QuantGen.Tests)");
            return path;
        }

        [Fact]
        public void ResNet18_float32_matches_onnxruntime_features_on_all_8_photos()
        {
            var path = ModelPath();
            var bytes = File.ReadAllBytes(path);
            var model = new Checker(bytes, "ResNet18.onnx", null).Compile(new System.Collections.Generic.Dictionary<string, int>());
            var sets = TestSet.ReadAll(Corpus.Path_("resnet18_mlnet"));
            Assert.Equal(8, sets.Count);
            foreach (var set in sets)
            {
                var r = Checker.Evaluate(model, set);
                Assert.True(r.Passed, $"{set.Name}: {r.Reason}");
                Assert.True(r.Cosine > 0.99999, $"{set.Name}: cosine {r.Cosine}");
            }
        }

        [Fact]
        public void ResNet18_int8_features_have_cosine_at_least_0_995_to_float_on_all_8_photos()
        {
            var bytes = File.ReadAllBytes(ModelPath());
            var options = new QuantGen.CodeGen.CompileOptions { Precision = "Int8" };
            var model = new Checker(bytes, "ResNet18.onnx", null, options).Compile(new System.Collections.Generic.Dictionary<string, int>());
            Assert.Contains("int8 weights, activations quantized per call", model.Source);
            var sets = TestSet.ReadAll(Corpus.Path_("resnet18_mlnet"));
            Assert.Equal(8, sets.Count);
            foreach (var set in sets)
            {
                var r = Checker.Evaluate(model, set, minCosine: 0.995);
                Assert.True(r.Passed, $"{set.Name}: {r.Reason}");
            }
        }

        /// <summary>
        /// Static activations calibrated on photos 0-3, checked on photos 4-7 (held out): every residual block runs in uint8
        /// (requantizing convs, uint8 Adds), and the features keep cosine >= 0.995.
        /// </summary>
        [Fact]
        public void ResNet18_static_int8_chains_every_block_and_keeps_cosine_at_least_0_995_on_held_out_photos()
        {
            var bytes = File.ReadAllBytes(ModelPath());
            var calibration = Directory.CreateTempSubdirectory("qg-r18-calib").FullName;
            var sets = TestSet.ReadAll(Corpus.Path_("resnet18_mlnet"));
            Assert.Equal(8, sets.Count);
            foreach (var name in sets.Take(4).Select(t => t.Name))
            {
                var dst = Directory.CreateDirectory(Path.Combine(calibration, name)).FullName;
                foreach (var f in Directory.GetFiles(Path.Combine(Corpus.Path_("resnet18_mlnet"), name), "input_*.pb"))
                    File.Copy(f, Path.Combine(dst, Path.GetFileName(f)));
            }
            var options = new QuantGen.CodeGen.CompileOptions { Precision = "Int8", Calibration = calibration };
            var model = new Checker(bytes, "ResNet18.onnx", null, options).Compile(new System.Collections.Generic.Dictionary<string, int>());
            Assert.Contains("calibrated", string.Join(" ", model.Diagnostics.Select(d => d.Message)));
            int Count(string what) => model.Source.Split(what).Length - 1;
            Assert.Equal(1, Count("QuantizeDynamic.Quantize("));    // the image, once
            Assert.Equal(8, Count("AddQ8.Run("));                   // every residual Add but the last of 9 (read by the float pool)
            Assert.True(Count("ConvQ8.Conv2DRequantize(") >= 18, "requantizing convolutions");
            foreach (var set in sets.Skip(4))
            {
                var r = Checker.Evaluate(model, set, minCosine: 0.995);
                Assert.True(r.Passed, $"{set.Name}: {r.Reason}");
            }
        }

        [Fact]
        public void ResNet18_int8_with_7_bit_weights_keeps_cosine_at_least_0_995_on_all_8_photos()
        {
            var bytes = File.ReadAllBytes(ModelPath());
            var options = new QuantGen.CodeGen.CompileOptions { Precision = "Int8", WeightBits = 7 };
            var model = new Checker(bytes, "ResNet18.onnx", null, options).Compile(new System.Collections.Generic.Dictionary<string, int>());
            Assert.Contains("7-bit weights, activations quantized per call", model.Source);
            Assert.Contains("float.PositiveInfinity, 0f, 0, true);", model.Source); // the narrow-weight kernels are selected
            foreach (var set in TestSet.ReadAll(Corpus.Path_("resnet18_mlnet")))
            {
                var r = Checker.Evaluate(model, set, minCosine: 0.995);
                Assert.True(r.Passed, $"{set.Name}: {r.Reason}");
            }
        }
    }
}
