using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using Microsoft.CodeAnalysis;
using QuantGen.Cli;
using QuantGen.CodeGen;
using QuantGen.Onnx.Proto;
using static QuantGen.Tests.Compiler.ProtoModels;

namespace QuantGen.Tests.Compiler
{
    /// <summary>
    /// Golden-file snapshots of the generated C# for two small models. On an intended change, regenerate with
    /// QUANTGEN_UPDATE_SNAPSHOTS=1 and review the diff of tests/QuantGen.Tests/Snapshots.
    /// </summary>
    public class SnapshotTests
    {
        private static AttributeProto Ints(string name, params long[] v)
        {
            var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
            a.Ints.AddRange(v);
            return a;
        }

        private static AttributeProto Int(string name, long v) => new AttributeProto { Name = name, I = v, Type = AttributeProto.Types.AttributeType.Int };

        private static float[] Seq(int n, float scale) => Enumerable.Range(0, n).Select(i => (float)Math.Round(Math.Sin(i + 1) * scale, 3)).ToArray();

        /// <summary>Conv(2x1x3x3, pad 1) + Relu, MaxPool 2x2, Flatten, Gemm(transB) 3 outputs, Softmax.</summary>
        public static ModelProto TinyCnn()
        {
            var nodes = new[]
            {
                Node("Conv", "conv_0", new[] { "image", "w0", "b0" }, new[] { "c0" }, Ints("pads", 1, 1, 1, 1), Ints("kernel_shape", 3, 3)),
                Node("Relu", "relu_0", new[] { "c0" }, new[] { "r0" }),
                Node("MaxPool", "pool_0", new[] { "r0" }, new[] { "p0" }, Ints("kernel_shape", 2, 2), Ints("strides", 2, 2)),
                Node("Flatten", "flatten_0", new[] { "p0" }, new[] { "f0" }),
                Node("Gemm", "fc_0", new[] { "f0", "w1", "b1" }, new[] { "logits" }, Int("transB", 1)),
                Node("Softmax", "softmax_0", new[] { "logits" }, new[] { "probs" }, Int("axis", 1)),
            };
            var inits = new[]
            {
                FloatRaw("w0", Seq(18, 0.5f), 2, 1, 3, 3), FloatRaw("b0", new[] { 0.1f, -0.1f }, 2),
                FloatRaw("w1", Seq(3 * 8, 0.25f), 3, 8), FloatRaw("b1", new[] { 0f, 0.5f, -0.5f }, 3),
            };
            return Model(nodes, new[] { Tensor("image", 1, 1, 1, 4, 4) }, new[] { Tensor("probs", 1, 1, 3) }, inits);
        }

        /// <summary>Two inputs (float features, int64 token ids), two outputs: an embedding Gather, Add, ReduceMean, and an If on a comparison.</summary>
        public static ModelProto TwoInputsWithIf()
        {
            var thenG = new GraphProto { Name = "then" };
            thenG.Node.Add(Node("Mul", "then_mul", new[] { "mean", "two" }, new[] { "then_out" }));
            thenG.Output.Add(Tensor("then_out", 1, 1, 1));
            var elseG = new GraphProto { Name = "else" };
            elseG.Node.Add(Node("Neg", "else_neg", new[] { "mean" }, new[] { "else_out" }));
            elseG.Output.Add(Tensor("else_out", 1, 1, 1));
            var nodes = new[]
            {
                Node("Gather", "embed", new[] { "table", "token_ids" }, new[] { "emb" }),
                Node("Add", "add_features", new[] { "emb", "features" }, new[] { "sum" }),
                Node("ReduceMean", "mean_all", new[] { "sum" }, new[] { "mean" }, Ints("axes", 0, 1), Int("keepdims", 1)),
                Node("Greater", "is_positive", new[] { "mean", "zero" }, new[] { "cond" }),
                Node("If", "branch", new[] { "cond" }, new[] { "score" },
                    new AttributeProto { Name = "then_branch", G = thenG, Type = AttributeProto.Types.AttributeType.Graph },
                    new AttributeProto { Name = "else_branch", G = elseG, Type = AttributeProto.Types.AttributeType.Graph }),
            };
            var inits = new[] { FloatRaw("table", Seq(5 * 4, 1f), 5, 4), FloatRaw("zero", new[] { 0f }), FloatRaw("two", new[] { 2f }) };
            return Model(nodes, new[] { Tensor("features", 1, 3, 4), Tensor("token_ids", 7, 3) },
                new[] { Tensor("sum", 1, 3, 4), Tensor("score", 1, 1, 1) }, inits, opset: 13);
        }

        /// <summary>
        /// Int8-sized layers (dot products >= 32 deep) in the chain the int8 planner keeps in uint8, as in a ResNet block:
        /// Conv 8x4x3x3 + Relu, Conv 8x8x3x3, the residual Add + Relu, MaxPool 2x2, Conv 4x8x3x3, Flatten, Gemm 36 -> 3 (transB).
        /// </summary>
        public static ModelProto ResidualBlock()
        {
            var nodes = new[]
            {
                Node("Conv", "conv_a", new[] { "image", "wa", "ba" }, new[] { "ca" }, Ints("pads", 1, 1, 1, 1), Ints("kernel_shape", 3, 3)),
                Node("Relu", "relu_a", new[] { "ca" }, new[] { "a" }),
                Node("Conv", "conv_b", new[] { "a", "wb", "bb" }, new[] { "b" }, Ints("pads", 1, 1, 1, 1), Ints("kernel_shape", 3, 3)),
                Node("Add", "residual", new[] { "a", "b" }, new[] { "s" }),
                Node("Relu", "relu_s", new[] { "s" }, new[] { "r" }),
                Node("MaxPool", "pool_r", new[] { "r" }, new[] { "pr" }, Ints("kernel_shape", 2, 2), Ints("strides", 2, 2)),
                Node("Conv", "conv_d", new[] { "pr", "wd", "bd" }, new[] { "d" }, Ints("pads", 1, 1, 1, 1), Ints("kernel_shape", 3, 3)),
                Node("Flatten", "flatten", new[] { "d" }, new[] { "f" }),
                Node("Gemm", "fc", new[] { "f", "wf", "bf" }, new[] { "logits" }, Int("transB", 1)),
            };
            var inits = new[]
            {
                FloatRaw("wa", Seq(8 * 4 * 9, 0.3f), 8, 4, 3, 3), FloatRaw("ba", Seq(8, 0.1f), 8),
                FloatRaw("wb", Seq(8 * 8 * 9, 0.2f), 8, 8, 3, 3), FloatRaw("bb", Seq(8, 0.05f), 8),
                FloatRaw("wd", Seq(4 * 8 * 9, 0.15f), 4, 8, 3, 3), FloatRaw("bd", Seq(4, 0.05f), 4),
                FloatRaw("wf", Seq(3 * 36, 0.25f), 3, 36), FloatRaw("bf", new[] { 0f, 0.5f, -0.5f }, 3),
            };
            return Model(nodes, new[] { Tensor("image", 1, 1, 4, 6, 6) }, new[] { Tensor("logits", 1, 1, 3) }, inits, opset: 13);
        }

        /// <summary>Golden files: the float models, and the residual block in int8 (dynamic; static with calibrated activations; 4-bit and 7-bit weights).</summary>
        public static IEnumerable<object[]> Models() => new[] { "TinyCnn", "TwoInputsWithIf", "ResidualInt8Dynamic", "ResidualInt8Static", "ResidualInt8Static4Bit", "ResidualInt8Static7Bit" }
            .Select(n => new object[] { n });

        private static ModelProto Get(string name) => name == "TinyCnn" ? TinyCnn() : name == "TwoInputsWithIf" ? TwoInputsWithIf() : ResidualBlock();

        private static CompileOptions Options(string name)
        {
            var o = new CompileOptions { ClassName = name, Namespace = "Snapshots" };
            if (!name.StartsWith("ResidualInt8", StringComparison.Ordinal)) return o;
            o = o with { Precision = "Int8" };
            if (name == "ResidualInt8Dynamic") return o;
            // Eight deterministic calibration images in [-1, 1].
            var calibration = Int8.FashionStaticTests.CalibrationFolder(Seq(8 * 4 * 36, 1f), new[] { 8, 4, 6, 6 });
            return o with { Calibration = calibration, WeightBits = name.EndsWith("4Bit", StringComparison.Ordinal) ? 4 : name.EndsWith("7Bit", StringComparison.Ordinal) ? 7 : 8 };
        }

        [Theory]
        [MemberData(nameof(Models))]
        public void Generated_code_matches_the_golden_file(string name)
        {
            var r = ModelCompiler.Compile(Get(name).ToByteArray(), name + ".onnx", null, Options(name));
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            var path = Path.Combine(Corpus.RepoRoot, "tests", "QuantGen.Tests", "Snapshots", name + ".g.cs");
            if (Environment.GetEnvironmentVariable("QUANTGEN_UPDATE_SNAPSHOTS") == "1") File.WriteAllText(path, r.Source);
            Assert.True(File.Exists(path), $"missing snapshot {path}: run with QUANTGEN_UPDATE_SNAPSHOTS=1");
            Assert.Equal(File.ReadAllText(path).Replace("\r\n", "\n"), r.Source);
        }

        [Theory]
        [MemberData(nameof(Models))]
        public void Generated_code_compiles_without_warnings_at_the_highest_level(string name)
        {
            var r = ModelCompiler.Compile(Get(name).ToByteArray(), name + ".onnx", null, Options(name));
            var sources = new List<KeyValuePair<string, string>> { new("model.g.cs", r.Source!) };
            sources.AddRange(KernelLibrary.Emit(r.Kernels));
            var c = InMemoryCompiler.Compile("Snap" + name, sources);
            var warnings = c.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
            Assert.True(c.Success, c.Errors);
            Assert.Empty(warnings);
        }

        [Fact]
        public void Two_input_model_runs_both_branches_of_If_correctly()
        {
            var checker = new Checker(TwoInputsWithIf().ToByteArray(), "if.onnx", null);
            var m = checker.Compile(new Dictionary<string, int>());
            var table = Seq(20, 1f);
            foreach (var shift in new[] { 3f, -3f })
            {
                var features = Enumerable.Repeat(shift, 12).ToArray();
                var ids = new long[] { 0, 4, -1 };
                var outs = m.Run(new Array[] { features, ids });
                var sum = (float[])outs[0];
                var expectedSum = new float[12];
                for (int r = 0; r < 3; r++)
                    for (int c = 0; c < 4; c++)
                        expectedSum[r * 4 + c] = table[(int)((ids[r] + 5) % 5) * 4 + c] + shift;
                Assert.Equal(expectedSum, sum);
                float mean = expectedSum.Average();
                Assert.Equal(mean > 0 ? mean * 2 : -mean, ((float[])outs[1])[0], 5);
            }
        }

        [Fact]
        public void Wrong_span_lengths_throw_ArgumentException()
        {
            var checker = new Checker(TinyCnn().ToByteArray(), "tiny.onnx", null);
            var m = checker.Compile(new Dictionary<string, int>());
            Assert.Throws<ArgumentException>(() => m.Run(new Array[] { new float[15] }));
            Assert.Throws<ArgumentException>(() => m.Run(new Array[] { new float[17] }));
        }
    }
}
