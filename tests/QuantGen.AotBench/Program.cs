using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using QuantGen.Benchmarks;
using QuantGen.Benchmarks.Models;

namespace QuantGen.AotBench
{
    /// <summary>
    /// Median microseconds per Predict call (batch 1, one thread, per-thread workspace overload) of every benchmark model,
    /// plus a hash of each output so that runs can be compared bit for bit (JIT vs AOT, x64 vs arm64). Prints
    /// "model<TAB>median_us<TAB>hash" lines after a header naming the runtime and the instruction sets it sees.
    /// Arguments: [seconds per model (default 3)] [model name: only that one]; "--list" prints the model names.
    /// </summary>
    internal static class Program
    {
        private static int Main(string[] args)
        {
            if (args.Length > 0 && args[0] == "--list")
            {
                foreach (var (name, _, _) in Models()) Console.WriteLine(name);
                return 0;
            }
            double seconds = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 3;
            string filter = args.Length > 1 ? args[1] : "";
            Console.WriteLine($"# runtime={(System.Runtime.JitInfo.GetCompiledMethodCount() == 0 ? "NativeAOT" : "JIT")} arch={System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture} " +
                $"Avx2={Avx2.IsSupported} Avx512BW={Avx512BW.IsSupported} AvxVnni={AvxVnni.IsSupported} Vector512={Vector512.IsHardwareAccelerated} " +
                $"AdvSimd={System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported} Dp={System.Runtime.Intrinsics.Arm.Dp.IsSupported}");
            foreach (var (name, run, outputs) in Models())
            {
                if (filter.Length > 0 && name != filter) continue;
                double us = seconds > 0 ? Median(run, seconds) : Once(run);
                Console.WriteLine($"{name}\t{us.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)}\t{Hash(outputs):x16}");
            }
            return 0;
        }

        private static IEnumerable<(string Name, Action Run, float[][] Outputs)> Models()
        {
            var mnist = Corpus.ReadFloats(Corpus.Path("mnist_cntk", "test_data_set_0", "input_0.pb"), MnistF32.InputLength);
            var fashion = Corpus.ReadFloats(Corpus.Path("fashion_mnist_cnn", "test_data_set_0", "input_0.pb"), FashionF32.InputLength);
            var wake = Corpus.ReadFloats(Corpus.Path("openwakeword", "embedding_model", "test_data_set_0", "input_0.pb"), WakeEmbeddingF32.InputLength);
            var photo = Corpus.ReadFloats(Corpus.Path("resnet18_mlnet", "test_data_set_0", "input_0.pb"), ResNet18F32.InputLength);
            float[] O(int n) => new float[n];

            var m1 = O(MnistF32.OutputLength); yield return ("mnist_cntk float32", () => MnistF32.Predict(mnist, m1), [m1]);
            var m2 = O(MnistInt8.OutputLength); yield return ("mnist_cntk int8", () => MnistInt8.Predict(mnist, m2), [m2]);
            var m5 = O(MnistInt8W4.OutputLength); yield return ("mnist_cntk int8 4-bit", () => MnistInt8W4.Predict(mnist, m5), [m5]);
            var m3 = O(MnistInt8Static.OutputLength); yield return ("mnist_cntk int8 static", () => MnistInt8Static.Predict(mnist, m3), [m3]);
            var m4 = O(MnistQdq.OutputLength); yield return ("mnist_cntk int8 QDQ", () => MnistQdq.Predict(mnist, m4), [m4]);
            var f1 = O(FashionF32.OutputLength); var f1b = O(FashionF32.Output19Length);
            yield return ("fashion_mnist_cnn float32", () => FashionF32.Predict(fashion, f1, f1b), [f1, f1b]);
            var f2 = O(FashionInt8.OutputLength); var f2b = O(FashionInt8.Output19Length);
            yield return ("fashion_mnist_cnn int8", () => FashionInt8.Predict(fashion, f2, f2b), [f2, f2b]);
            var f5 = O(FashionInt8W4.OutputLength); var f5b = O(FashionInt8W4.Output19Length);
            yield return ("fashion_mnist_cnn int8 4-bit", () => FashionInt8W4.Predict(fashion, f5, f5b), [f5, f5b]);
            var f3 = O(FashionInt8Static.OutputLength); var f3b = O(FashionInt8Static.Output19Length);
            yield return ("fashion_mnist_cnn int8 static", () => FashionInt8Static.Predict(fashion, f3, f3b), [f3, f3b]);
            var f4 = O(FashionQdq.OutputLength); yield return ("fashion_mnist_cnn int8 QDQ", () => FashionQdq.Predict(fashion, f4), [f4]);
            var w1 = O(WakeEmbeddingF32.OutputLength); yield return ("openwakeword embedding float32", () => WakeEmbeddingF32.Predict(wake, w1), [w1]);
            var w2 = O(WakeEmbeddingInt8.OutputLength); yield return ("openwakeword embedding int8", () => WakeEmbeddingInt8.Predict(wake, w2), [w2]);
            var w5 = O(WakeEmbeddingInt8W4.OutputLength); yield return ("openwakeword embedding int8 4-bit", () => WakeEmbeddingInt8W4.Predict(wake, w5), [w5]);
            var w3 = O(WakeEmbeddingInt8Static.OutputLength); yield return ("openwakeword embedding int8 static", () => WakeEmbeddingInt8Static.Predict(wake, w3), [w3]);
            var w4 = O(WakeEmbeddingQdq.OutputLength); yield return ("openwakeword embedding int8 QDQ", () => WakeEmbeddingQdq.Predict(wake, w4), [w4]);
            var r1 = O(ResNet18F32.OutputLength); yield return ("ResNet18 float32", () => ResNet18F32.Predict(photo, r1), [r1]);
            var r2 = O(ResNet18Int8.OutputLength); yield return ("ResNet18 int8", () => ResNet18Int8.Predict(photo, r2), [r2]);
            var r5 = O(ResNet18Int8W4.OutputLength); yield return ("ResNet18 int8 4-bit", () => ResNet18Int8W4.Predict(photo, r5), [r5]);
            var r3 = O(ResNet18Int8Static.OutputLength); yield return ("ResNet18 int8 static", () => ResNet18Int8Static.Predict(photo, r3), [r3]);
            var r4 = O(ResNet18Qdq.OutputLength); yield return ("ResNet18 int8 QDQ", () => ResNet18Qdq.Predict(photo, r4), [r4]);
        }

        /// <summary>One call (seconds = 0: the outputs' hash is what is wanted, e.g. under an emulator), its microseconds.</summary>
        private static double Once(Action run)
        {
            long t0 = Stopwatch.GetTimestamp();
            run();
            return Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }

        /// <summary>Warms up (the JIT reaches tier 1), then times batches of calls for about <paramref name="seconds"/>; the median per call.</summary>
        private static double Median(Action run, double seconds)
        {
            var sw = Stopwatch.StartNew();
            int calls = 0;
            while (sw.Elapsed.TotalSeconds < Math.Max(0.5, seconds / 3) || calls < 50) { run(); calls++; }
            double perCall = sw.Elapsed.TotalSeconds / calls;
            int batch = Math.Max(1, (int)(0.02 / perCall)); // ~20 ms batches
            int batches = Math.Max(9, (int)(seconds / Math.Max(perCall * batch, 1e-9)));
            var times = new double[batches];
            for (int b = 0; b < batches; b++)
            {
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < batch; i++) run();
                times[b] = Stopwatch.GetElapsedTime(t0).TotalSeconds * 1e6 / batch;
            }
            Array.Sort(times);
            return times[batches / 2];
        }

        /// <summary>FNV-1a over the output floats' bits.</summary>
        private static ulong Hash(float[][] outputs)
        {
            ulong h = 14695981039346656037UL;
            foreach (var o in outputs)
                foreach (float v in o)
                {
                    uint bits = BitConverter.SingleToUInt32Bits(v);
                    for (int i = 0; i < 4; i++) { h ^= (bits >> (8 * i)) & 0xFF; h *= 1099511628211UL; }
                }
            return h;
        }
    }
}
