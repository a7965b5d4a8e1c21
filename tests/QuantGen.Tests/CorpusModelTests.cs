using System.IO;
using System.Linq;
using QuantGen.Cli;
using QuantGen.Onnx;

namespace QuantGen.Tests
{
    /// <summary>Real corpus models in float32 against their ONNX Runtime expected outputs (quantgen check semantics).</summary>
    public class CorpusModelTests
    {
        [Theory]
        [InlineData("mnist_cntk")]
        [InlineData("fashion_mnist_cnn")]
        [InlineData("openwakeword/melspectrogram")]
        [InlineData("openwakeword/embedding_model")]
        [InlineData("openwakeword/alexa_v0.1")]
        [InlineData("openwakeword/hey_jarvis_v0.1")]
        [InlineData("openwakeword/hey_mycroft_v0.1")]
        [InlineData("openwakeword/hey_rhasspy_v0.1")]
        [InlineData("openwakeword/timer_v0.1")]
        [InlineData("openwakeword/weather_v0.1")]
        public void Float32_model_matches_onnxruntime_on_every_test_set(string folder)
        {
            var dir = Corpus.Path_(folder.Split('/'));
            var modelPath = Path.Combine(dir, "model.onnx");
            var bytes = File.ReadAllBytes(modelPath);
            var checker = new Checker(bytes, "model.onnx", OnnxModelReader.FolderResolver(dir));
            var sets = TestSet.ReadAll(dir);
            Assert.NotEmpty(sets);
            var compiled = new System.Collections.Generic.Dictionary<string, Checker.Compiled>();
            foreach (var set in sets)
            {
                var dims = Checker.BindDims(bytes, "model.onnx", set.Inputs);
                var key = string.Join(",", dims.OrderBy(k => k.Key).Select(k => k.Key + "=" + k.Value));
                if (!compiled.TryGetValue(key, out var model)) compiled[key] = model = checker.Compile(dims);
                var r = Checker.Evaluate(model, set);
                Assert.True(r.Passed, $"{folder}/{set.Name}: {r.Reason}");
                Assert.True(r.Cosine > 0.99999, $"{folder}/{set.Name}: cosine {r.Cosine}");
            }
        }
    }
}
