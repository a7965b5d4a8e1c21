using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using QuantGen.Cli;
using QuantGen.CodeGen;

namespace QuantGen.Tests.Int8
{
    /// <summary>
    /// ONNX Runtime's own int8 (QDQ) models of ../shared/corpus/ort_int8, compiled with Precision=Int8: every quantized
    /// Conv and Gemm runs on the int8 kernels with the model's weights and scales, and every test set's output (ORT's int8
    /// result) is matched with cosine >= 0.999 and a bounded number of elements one output step off.
    /// </summary>
    public class QdqModelTests
    {
        private readonly ITestOutputHelper _out;
        public QdqModelTests(ITestOutputHelper output) { _out = output; }

        /// <summary>model folder, uint8 lookup tables, uint8 Adds, largest fraction of output elements allowed to differ
        /// from ORT's.</summary>
        public static TheoryData<string, int, int, double> Models => new()
        {
            // The three small models match ORT exactly (their requantizations never land near a rounding tie).
            { "mnist_cntk", 0, 0, 0.0 },
            { "fashion_mnist_cnn", 0, 0, 0.0 },
            // LeakyRelu then Max(x, -0.4) between each pair of convolutions: one composed table each.
            { "openwakeword_embedding", 19, 0, 0.0 },
            // ResNet18: 1-LSB differences from the rounding rules (QuantGen's fixed-point rule vs ORT's float product, the Add's
            // 2^-22 factor ratio) propagate through 8 residual blocks (all 9 Adds on uint8): 0-40 of 512 features per photo differ.
            { "resnet18", 0, 9, 0.10 },
        };

        [Theory]
        [MemberData(nameof(Models))]
        public void Qdq_model_runs_on_int8_kernels_and_matches_ORT_int8(string folder, int tables, int adds, double maxDiffering)
        {
            var dir = Corpus.Path_("ort_int8", folder);
            var bytes = File.ReadAllBytes(Path.Combine(dir, "model.onnx"));
            // Every Conv and Gemm of the QDQ graph is a quantized layer.
            int layers = QuantGen.Onnx.OnnxModelReader.Parse(bytes, "model.onnx").Graph.Node.Count(n => n.OpType is "Conv" or "Gemm");
            var sets = TestSet.ReadAll(dir);
            Assert.NotEmpty(sets);
            var compiled = new Dictionary<string, Checker.Compiled>();
            var checker = new Checker(bytes, "model.onnx", null, new CompileOptions { Precision = "Int8" });
            foreach (var set in sets)
            {
                var dims = Checker.BindDims(bytes, "model.onnx", set.Inputs);
                var key = string.Join(",", dims.OrderBy(kv => kv.Key).Select(kv => kv.Key + "=" + kv.Value));
                if (!compiled.TryGetValue(key, out var model))
                {
                    compiled[key] = model = checker.Compile(dims);
                    Assert.Contains("pre-quantized (QDQ) model", string.Join(" ", model.Diagnostics.Select(d => d.Message)));
                    // Every quantized layer runs in int8 with the model's own weights; none is dequantized at run time.
                    Assert.Equal(layers, Regex.Matches(model.Source, @"^\s*//(?!/)[^\n]*int8 \(the model's int8 weights and activation scales \(QDQ\)", RegexOptions.Multiline).Count);
                    Assert.DoesNotContain("Dequantize<sbyte>(", model.Source);
                    Assert.Equal(tables, Regex.Matches(model.Source, @"Lut\.Run\(").Count);
                    Assert.Equal(adds, Regex.Matches(model.Source, @"AddQ8\.Run\(").Count);
                }
                var r = Checker.Evaluate(model, set, minCosine: 0.999);
                _out.WriteLine($"{folder}/{set.Name}: cosine {r.Cosine:F6}, max_abs {r.MaxAbs:G3}, {r.Differing} of {r.Elements} elements differ");
                Assert.True(r.Passed, $"{folder}/{set.Name}: {r.Reason}");
                Assert.True(r.Differing <= maxDiffering * r.Elements, $"{folder}/{set.Name}: {r.Differing} of {r.Elements} elements differ from ORT int8");
            }
        }

        [Fact]
        public void Qdq_model_in_float32_keeps_ONNX_semantics()
        {
            // Precision=Float32 runs the QDQ graph as written (QuantizeLinear/DequantizeLinear in float): no int8 layer.
            var dir = Corpus.Path_("ort_int8", "fashion_mnist_cnn");
            var model = new Checker(File.ReadAllBytes(Path.Combine(dir, "model.onnx")), "model.onnx", null)
                .Compile(new Dictionary<string, int> { ["batch_size"] = 100 });
            Assert.DoesNotContain("QDQ", QuantGen.Tests.Infrastructure.GeneratedCode.WithoutStaticData(model.Source));
            var r = Checker.Evaluate(model, TestSet.ReadAll(dir)[0], minCosine: 0.999);
            Assert.True(r.Passed, r.Reason);
        }
    }
}
