using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using QuantGen.Cli;
using QuantGen.CodeGen;

namespace QuantGen.Tests.Compiler
{
    /// <summary>
    /// Predict under load: 8 threads x 10,000 calls each on the MNIST model in float32 and in int8 (dynamic activations), with
    /// the generated per-thread workspace and with a workspace per thread passed by the caller. Every output must be bit for bit
    /// the single-threaded output of the same input.
    /// </summary>
    public class ThreadSafetyTests
    {
        private const int Threads = 8, CallsPerThread = 10_000, Inputs = 64;

        /// <summary>Compiles the model with a harness of two entry points: the thread's own workspace, and the caller's.</summary>
        private static (Action<float[], float[]> Own, Action<float[], float[], byte[]> Caller, int WorkspaceBytes, int InLength, int OutLength) Build(string precision)
        {
            var bytes = File.ReadAllBytes(Corpus.Path_("mnist_cntk", "model.onnx"));
            var cls = "ThreadSafe" + precision;
            var r = ModelCompiler.Compile(bytes, "mnist.onnx", null, new CompileOptions { Precision = precision, ClassName = cls, Namespace = "QuantGen.Threads" });
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            var harness = $@"public static class Harness{cls}
{{
    public static void Own(float[] x, float[] y) => QuantGen.Threads.{cls}.Predict(x, y);
    public static void Caller(float[] x, float[] y, byte[] ws) => QuantGen.Threads.{cls}.Predict(x, y, ws);
}}";
            var sources = new List<KeyValuePair<string, string>> { new("model.g.cs", r.Source!), new("harness.cs", harness) };
            sources.AddRange(KernelLibrary.Emit(r.Kernels));
            // Not collectible: the generated [ThreadStatic] workspace is used (see InMemoryCompiler.Compile).
            var compiled = InMemoryCompiler.Compile("QuantGenThreads" + cls, sources, collectible: false);
            Assert.True(compiled.Success, compiled.Errors);
            var type = compiled.Assembly!.GetType("Harness" + cls)!;
            return (type.GetMethod("Own")!.CreateDelegate<Action<float[], float[]>>(), type.GetMethod("Caller")!.CreateDelegate<Action<float[], float[], byte[]>>(),
                checked((int)r.Plan!.WorkspaceBytes), QuantGen.Graph.Shapes.Size(r.Plan.Inputs[0].Shape!), QuantGen.Graph.Shapes.Size(r.Plan.Outputs[0].Shape!));
        }

        [Theory]
        [InlineData("Float32", false)]
        [InlineData("Float32", true)]
        [InlineData("Int8", false)]
        [InlineData("Int8", true)]
        public void Eight_threads_of_ten_thousand_calls_give_the_single_threaded_bits(string precision, bool callerWorkspace)
        {
            var (own, caller, wsBytes, inLength, outLength) = Build(precision);
            var rng = new Random(11);
            var inputs = Enumerable.Range(0, Inputs).Select(_ => Enumerable.Range(0, inLength).Select(_ => (float)(rng.NextDouble() * 255)).ToArray()).ToArray();
            var expected = inputs.Select(x => { var y = new float[outLength]; caller(x, y, new byte[wsBytes]); return y; }).ToArray();
            Assert.Contains(expected, e => e.Any(v => v != 0f));
            int mismatches = 0, calls = 0;
            Exception? failure = null;
            using var start = new Barrier(Threads);
            var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
            {
                try
                {
                    var y = new float[outLength];
                    var ws = new byte[wsBytes];
                    start.SignalAndWait();
                    for (int i = 0; i < CallsPerThread; i++)
                    {
                        int k = (t * 7 + i * 3) % Inputs;
                        if (callerWorkspace) caller(inputs[k], y, ws); else own(inputs[k], y);
                        for (int j = 0; j < outLength; j++)
                            if (BitConverter.SingleToInt32Bits(y[j]) != BitConverter.SingleToInt32Bits(expected[k][j])) { Interlocked.Increment(ref mismatches); break; }
                        Interlocked.Increment(ref calls);
                    }
                }
                catch (Exception e) { failure = e; }
            })).ToList();
            threads.ForEach(th => th.Start());
            threads.ForEach(th => th.Join());
            Assert.Null(failure);
            Assert.Equal(Threads * CallsPerThread, calls);
            Assert.Equal(0, mismatches);
        }
    }
}
