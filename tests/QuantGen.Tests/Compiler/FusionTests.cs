using System;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using QuantGen.Cli;
using QuantGen.CodeGen;
using QuantGen.Graph;
using QuantGen.Onnx.Proto;
using static QuantGen.Tests.Compiler.ProtoModels;

namespace QuantGen.Tests.Compiler
{
    /// <summary>Fusion rewrites keep the model's results (checked against ONNX Runtime) and really remove the fused node.</summary>
    public class FusionTests
    {
        private static float[] Random(int n, int seed, float scale = 1f)
        {
            var r = new Random(seed);
            return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1) * scale).ToArray();
        }

        private static float[] Ort(ModelProto m, string input, float[] x, int[] shape)
        {
            using var session = new InferenceSession(m.ToByteArray());
            using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(input, new DenseTensor<float>(x, shape)) });
            return results.First().AsEnumerable<float>().ToArray();
        }

        [Theory]
        [InlineData(false, false)]
        [InlineData(true, false)]
        [InlineData(false, true)]
        [InlineData(true, true)]
        public void Gemm_followed_by_BatchNormalization_is_folded_into_the_Gemm(bool transB, bool withC)
        {
            int m = 3, k = 5, n = 4;
            var b = FloatRaw("B", Random(k * n, 1), transB ? new long[] { n, k } : new long[] { k, n });
            var inits = new List<TensorProto>
            {
                b, FloatRaw("scale", Random(n, 2), n), FloatRaw("beta", Random(n, 3), n), FloatRaw("mean", Random(n, 4), n),
                FloatRaw("var", Random(n, 5).Select(v => Math.Abs(v) + 0.1f).ToArray(), n),
            };
            var gemmInputs = new List<string> { "A", "B" };
            if (withC) { inits.Add(FloatRaw("C", Random(n, 6), n)); gemmInputs.Add("C"); }
            var gemm = Node("Gemm", "gemm", gemmInputs, new[] { "g" },
                new AttributeProto { Name = "transB", I = transB ? 1 : 0, Type = AttributeProto.Types.AttributeType.Int },
                new AttributeProto { Name = "beta", F = 0.5f, Type = AttributeProto.Types.AttributeType.Float },
                new AttributeProto { Name = "alpha", F = 1.5f, Type = AttributeProto.Types.AttributeType.Float });
            var bn = Node("BatchNormalization", "bn", new[] { "g", "scale", "beta", "mean", "var" }, new[] { "y" });
            var model = Model(new[] { gemm, bn }, new[] { Tensor("A", 1, m, k) }, new[] { Tensor("y", 1, m, n) }, inits, opset: 15);

            var plan = ModelCompiler.BuildPlan(model.ToByteArray(), "gemm_bn.onnx", null, new CompileOptions(), new List<QgDiagnostic>());
            Assert.Equal(new[] { "Gemm" }, plan.Steps.OfType<NodeStep>().Select(s => s.Node.OpType));

            var x = Random(m * k, 7);
            var expected = Ort(model, "A", x, new[] { m, k });
            var actual = (float[])new Checker(model.ToByteArray(), "gemm_bn.onnx", null).Compile(new Dictionary<string, int>()).Run(new Array[] { x })[0];
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-4 + 1e-3 * Math.Abs(expected[i]), $"{i}: {actual[i]} vs {expected[i]}");
        }
    }
}
