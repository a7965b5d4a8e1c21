using System;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using QuantGen.Cli;
using QuantGen.CodeGen;
using QuantGen.Graph;
using static QuantGen.Tests.Compiler.ProtoModels;

namespace QuantGen.Tests.Int8
{
    /// <summary>Int8 MatMul of two activations (attention-style, batched with broadcasting) against ONNX Runtime float32.</summary>
    public class ActivationMatMulTests
    {
        [Theory]
        [InlineData(new long[] { 2, 3, 7, 64 }, new long[] { 2, 3, 64, 9 })]
        [InlineData(new long[] { 4, 5, 48 }, new long[] { 48, 6 })]
        [InlineData(new long[] { 2, 1, 3, 40 }, new long[] { 1, 4, 40, 5 })]
        public void Activation_matmul_in_int8_has_cosine_above_0_999_to_onnxruntime(long[] aShape, long[] bShape)
        {
            var model = Model(new[] { Node("MatMul", "qk", new[] { "a", "b" }, new[] { "y" }) },
                new[] { Tensor("a", 1, aShape), Tensor("b", 1, bShape) }, new[] { Tensor("y", 1) });
            var rng = new Random(3);
            float[] R(long[] s) => Enumerable.Range(0, (int)s.Aggregate(1L, (x, y) => x * y)).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            var a = R(aShape);
            var b = R(bShape);
            var compiled = new Checker(model.ToByteArray(), "mm.onnx", null, new CompileOptions { Precision = "Int8" }).Compile(new Dictionary<string, int>());
            Assert.Contains("both operands quantized per call", compiled.Source);
            var y = (float[])compiled.Run(new Array[] { a, b })[0];

            using var session = new InferenceSession(model.ToByteArray());
            using var results = session.Run(new[]
            {
                NamedOnnxValue.CreateFromTensor("a", new DenseTensor<float>(a, aShape.Select(d => (int)d).ToArray())),
                NamedOnnxValue.CreateFromTensor("b", new DenseTensor<float>(b, bShape.Select(d => (int)d).ToArray())),
            });
            var expected = results.First().AsEnumerable<float>().ToArray();
            Assert.Equal(expected.Length, y.Length);
            double dot = 0, na = 0, nb = 0;
            for (int i = 0; i < y.Length; i++) { dot += y[i] * expected[i]; na += y[i] * y[i]; nb += expected[i] * expected[i]; }
            Assert.True(dot / Math.Sqrt(na * nb) > 0.999, $"cosine {dot / Math.Sqrt(na * nb)}");
        }
    }
}
