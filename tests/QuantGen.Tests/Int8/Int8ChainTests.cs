using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using QuantGen.Cli;
using QuantGen.CodeGen;
using QuantGen.Tests.Infrastructure;
using DataType = QuantGen.Graph.DataType;

namespace QuantGen.Tests.Int8
{
    /// <summary>
    /// Static int8 boundaries (Int8Boundaries): on a graph with a shared input, a chain through MaxPool and Flatten, a fused
    /// Clip, an Add of two int8 layers' outputs read by an int8 layer and by the graph output, the generated code quantizes
    /// and dequantizes exactly where the plan says, and every output stays close to float32.
    /// </summary>
    public class Int8ChainTests
    {
        private readonly ITestOutputHelper _out;
        public Int8ChainTests(ITestOutputHelper output) { _out = output; }

        private static float[] Weights(Random rng, int count, int fanIn) =>
            Enumerable.Range(0, count).Select(_ => (float)((rng.NextDouble() * 2 - 1) * Math.Sqrt(6.0 / fanIn))).ToArray();

        private static byte[] Model()
        {
            var rng = new Random(42);
            return new OnnxBuilder(13)
                .Input("x", DataType.Float, 1, 8, 12, 12)
                .Initializer("wa", Weights(rng, 16 * 8 * 9, 72), 16, 8, 3, 3).Initializer("ba", Weights(rng, 16, 16), 16)
                .Initializer("wb", Weights(rng, 16 * 8 * 9, 72), 16, 8, 3, 3)
                .Initializer("wc", Weights(rng, 16 * 16 * 9, 144), 16, 16, 3, 3).Initializer("bc", Weights(rng, 16, 16), 16)
                .Initializer("wd", Weights(rng, 10 * 576, 576), 10, 576).Initializer("bd", Weights(rng, 10, 10), 10)
                .Initializer("we", Weights(rng, 4 * 16 * 9, 144), 4, 16, 3, 3)
                // x feeds two int8 convs: one QuantizeLinear.
                .Node("Conv", new[] { "x", "wa", "ba" }, new[] { "a" }, a => a.Ints("pads", 1, 1, 1, 1))
                .Node("Relu", "a", "ar")
                .Node("Conv", new[] { "x", "wb" }, new[] { "b" }, a => a.Ints("strides", 2, 2).Ints("pads", 1, 1, 1, 1))
                // a -> MaxPool -> conv c: a chain (conv a requantizes, the pool runs on uint8).
                .Node("MaxPool", "ar", "pa", a => a.Ints("kernel_shape", 2, 2).Ints("strides", 2, 2))
                .Node("Conv", new[] { "pa", "wc", "bc" }, new[] { "c" }, a => a.Ints("pads", 1, 1, 1, 1))
                // A Clip (bounds as inputs, opset 13) fused into conv c becomes a clamp of its uint8 output.
                .Initializer("lo", new[] { 0f }).Initializer("hi", new[] { 1.5f })
                .Node("Clip", new[] { "c", "lo", "hi" }, new[] { "cr" })
                // cr is read by the Add and, through Flatten, by the int8 Gemm; the Add of two int8 layers' outputs, read by
                // conv e, runs on uint8 (AddQ8); its output is also a graph output: one DequantizeLinear.
                .Node("Add", new[] { "cr", "b" }, new[] { "s" })
                .Node("Conv", new[] { "s", "we" }, new[] { "e" }, a => a.Ints("pads", 1, 1, 1, 1))
                .Node("Flatten", "cr", "f")
                .Node("Gemm", new[] { "f", "wd", "bd" }, new[] { "logits" }, a => a.Int("transB", 1))
                .Output("logits", DataType.Float).Output("s", DataType.Float).Output("e", DataType.Float)
                .ToBytes();
        }

        [Fact]
        public void Quantize_and_dequantize_are_placed_once_and_outputs_follow_float32()
        {
            var rng = new Random(7);
            var bytes = Model();
            var calib = Enumerable.Range(0, 32 * 8 * 144).Select(_ => (float)(rng.NextDouble() * 4 - 1)).ToArray();
            var folder = FashionStaticTests.CalibrationFolder(calib, 32, 8, 12, 12);
            var dims = new Dictionary<string, int>();
            var f32 = new Checker(bytes, "chain.onnx", null).Compile(dims);
            var q8 = new Checker(bytes, "chain.onnx", null, new CompileOptions { Precision = "Int8", Calibration = folder }).Compile(dims);
            int Count(string s) => Regex.Matches(q8.Source, Regex.Escape(s)).Count;
            foreach (var line in q8.Source.Split('\n').Where(l => l.TrimStart().StartsWith("// ") && l.Contains(" -> "))) _out.WriteLine(line.Trim());
            Assert.Equal(1, Count("QuantizeDynamic.Quantize("));  // x, shared by convs a and b
            Assert.Equal(0, Count("QLinear.Quantize<byte>("));
            Assert.Equal(3, Count("ConvQ8.Conv2DRequantize("));   // a (read by the pool), c (read by the Gemm and the Add), b (the Add)
            Assert.Equal(1, Count("Pool.Max2DU8("));
            Assert.Equal(1, Count("ConvQ8.Conv2D("));             // e: uint8 in, float out (a graph output)
            Assert.Equal(1, Count("AddQ8.Run("));
            Assert.Equal(1, Count("QuantizeDynamic.Dequantize(")); // s, a graph output
            Assert.Equal(1, Count("DenseQ8.Run("));               // uint8 in, float logits
            Assert.Contains("uint8 output, requantized", q8.Source);
            Assert.Contains("Conv + Clip", q8.Source);

            for (int t = 0; t < 4; t++)
            {
                var x = Enumerable.Range(0, 8 * 144).Select(_ => (float)(rng.NextDouble() * 4 - 1)).ToArray();
                var e = f32.Run(new Array[] { x });
                var a = q8.Run(new Array[] { x });
                for (int o = 0; o < 3; o++)
                {
                    var (ef, af) = ((float[])e[o], (float[])a[o]);
                    double dot = 0, ne = 0, na = 0;
                    for (int i = 0; i < ef.Length; i++) { dot += ef[i] * af[i]; ne += ef[i] * ef[i]; na += af[i] * af[i]; }
                    double cosine = dot / Math.Sqrt(ne * na);
                    _out.WriteLine($"sample {t} output {o}: cosine {cosine:F6}");
                    Assert.True(cosine >= 0.995, $"sample {t} output {o}: cosine {cosine}");
                }
            }
        }

        /// <summary>Two int8 convolutions concatenated along channels and read by a third: the Concat is a byte copy in uint8.</summary>
        [Fact]
        public void Concat_of_int8_layers_runs_on_uint8_with_shared_parameters()
        {
            var rng = new Random(3);
            var bytes = new OnnxBuilder(13)
                .Input("x", DataType.Float, 1, 8, 10, 10)
                .Initializer("wp", Weights(rng, 6 * 8 * 9, 72), 6, 8, 3, 3)
                .Initializer("wq", Weights(rng, 10 * 8 * 9, 72), 10, 8, 3, 3)
                .Initializer("wr", Weights(rng, 4 * 16 * 9, 144), 4, 16, 3, 3)
                .Node("Conv", new[] { "x", "wp" }, new[] { "p" }, a => a.Ints("pads", 1, 1, 1, 1))
                .Node("Relu", "p", "pr")
                .Node("Conv", new[] { "x", "wq" }, new[] { "q" }, a => a.Ints("pads", 1, 1, 1, 1))
                .Node("Concat", new[] { "pr", "q" }, new[] { "c" }, a => a.Int("axis", 1))
                .Node("Conv", new[] { "c", "wr" }, new[] { "y" }, a => a.Ints("pads", 1, 1, 1, 1))
                .Output("y", DataType.Float)
                .ToBytes();
            var calib = Enumerable.Range(0, 16 * 800).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            var folder = FashionStaticTests.CalibrationFolder(calib, 16, 8, 10, 10);
            var f32 = new Checker(bytes, "concat.onnx", null).Compile(new Dictionary<string, int>());
            var q8 = new Checker(bytes, "concat.onnx", null, new CompileOptions { Precision = "Int8", Calibration = folder }).Compile(new Dictionary<string, int>());
            int Count(string what) => Regex.Matches(q8.Source, Regex.Escape(what)).Count;
            Assert.Equal(2, Count("ConvQ8.Conv2DRequantize("));
            Assert.Equal(2, Count("Tensor.ConcatPart<byte>("));
            Assert.Equal(1, Count("ConvQ8.Conv2D("));
            Assert.Equal(0, Count("Dequantize("));
            for (int t = 0; t < 3; t++)
            {
                var x = Enumerable.Range(0, 800).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
                var e = (float[])f32.Run(new Array[] { x })[0];
                var a = (float[])q8.Run(new Array[] { x })[0];
                double dot = 0, ne = 0, na = 0;
                for (int i = 0; i < e.Length; i++) { dot += e[i] * a[i]; ne += e[i] * e[i]; na += a[i] * a[i]; }
                double cosine = dot / Math.Sqrt(ne * na);
                _out.WriteLine($"sample {t}: cosine {cosine:F6}");
                Assert.True(cosine >= 0.995, $"sample {t}: cosine {cosine}");
            }
        }
    }
}
