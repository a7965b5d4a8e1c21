using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Cli;
using QuantGen.CodeGen;
using QuantGen.Graph;

namespace QuantGen.Tests.Compiler
{
    /// <summary>The build-time reference evaluator (used for calibration) reproduces ONNX Runtime's float outputs.</summary>
    public class ReferenceEvaluatorTests
    {
        [Theory]
        [InlineData("mnist_cntk", 10)]
        [InlineData("fashion_mnist_cnn", 1)]
        [InlineData("openwakeword/hey_jarvis_v0.1", 3)]
        [InlineData("openwakeword/melspectrogram", 1)]
        public void Reference_evaluation_matches_onnxruntime(string folder, int setCount)
        {
            var dir = Corpus.Path_(folder.Split('/'));
            var bytes = File.ReadAllBytes(Path.Combine(dir, "model.onnx"));
            foreach (var set in TestSet.ReadAll(dir).Take(setCount))
            {
                var dims = Checker.BindDims(bytes, "model.onnx", set.Inputs);
                var plan = ModelCompiler.BuildPlan(bytes, "model.onnx", null, new CompileOptions { Dimensions = dims }, new List<QgDiagnostic>());
                var inputs = set.Inputs.Select(t => new TensorData(DataType.Float, t.Shape, (float[])t.Data)).ToList();
                int observed = 0;
                var values = ReferenceEvaluator.Run(plan.Model.Graph, OperatorRegistry.Default, inputs, (v, d) => observed++);
                Assert.True(observed > plan.Model.Graph.Nodes.Count / 2);
                var output = values[plan.Outputs[0]];
                var expected = set.Outputs[0];
                Assert.Equal(expected.Data.Length, output.Length);
                for (int i = 0; i < output.Length; i++)
                {
                    double a = output.GetDouble(i), b = expected.Get(i);
                    Assert.True(Math.Abs(a - b) <= 1e-4 + 1e-3 * Math.Abs(b), $"{folder}/{set.Name}[{i}]: {a} vs {b}");
                }
            }
        }
    }
}
