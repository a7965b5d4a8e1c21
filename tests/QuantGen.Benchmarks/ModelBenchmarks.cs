using System;
using BenchmarkDotNet.Attributes;
using QuantGen.Benchmarks.Models;

namespace QuantGen.Benchmarks
{
    // Batch-1 latency: ONNX Runtime float32 (the baseline), ONNX Runtime's own int8 (the QDQ models of
    // ../shared/corpus/ort_int8, which ORT fuses into channels-last QLinearConv/QGemm/QLinearAdd kernels), the generated
    // float32 class, the generated int8 classes (dynamic activations, static calibrated activations, and dynamic with 7-bit
    // or 4-bit weights), on the same input in the same run. Each GlobalSetup runs them once and checks the outputs against ORT
    // float32: float32 within |a - b| <= 1e-4 + 1e-3 |b|, every int8 output (ORT's included) cosine >= 0.99 (it throws
    // otherwise, and BenchmarkDotNet reports the benchmark as failed). The generated calls use the per-thread-workspace
    // overload, the one applications call.

    /// <summary>The two ONNX Runtime sessions of a model benchmark (float32 and ORT's own int8), disposed after the run.</summary>
    public abstract class OrtSessions : IDisposable
    {
        /// <summary>
        /// The 4-bit (round-to-nearest) classes' gate: they run to measure the 4-bit kernels' speed, and 4 bits without Optimize
        /// lose more (ResNet18 groups of 32: cosine 0.90-0.98 over the 8 photos), so this only catches broken output.
        /// </summary>
        protected const double W4MinCosine = 0.85;

        /// <summary>
        /// ONNX Runtime's own int8 (uint8 activations x int8 weights) is exact on hosts with VNNI, but its AVX2 kernel without
        /// VNNI multiplies with vpmaddubsw, whose int16 pair sums saturate (ORT's documentation advises reduce_range there): on
        /// an AMD EPYC host without AVX-VNNI or AVX-512BW its ResNet18 features reach cosine 0.962 to its float32 on photo 0.
        /// The gate only catches a broken session; the generated int8 classes keep 0.99 on every path (<see cref="Check.Qdq"/>).
        /// </summary>
        protected const double OrtInt8MinCosine = 0.95;

        protected OrtRunner? _runner, _runnerQ;

        [GlobalCleanup]
        public void Dispose()
        {
            _runner?.Dispose();
            _runnerQ?.Dispose();
            GC.SuppressFinalize(this);
        }
    }

    /// <summary>mnist_cntk: [1,1,28,28] pixels 0..255 (test_data_set_0), 10 logits.</summary>
    public class Mnist : OrtSessions
    {
        private float[] _x = [], _f32 = [], _q8 = [], _q7 = [], _q4 = [], _qs = [], _ort = [], _ortQ = [], _qq = new float[MnistQdq.OutputLength];

        [GlobalSetup]
        public void Setup()
        {
            _x = Corpus.ReadFloats(Corpus.Path("mnist_cntk", "test_data_set_0", "input_0.pb"), MnistF32.InputLength);
            _f32 = new float[MnistF32.OutputLength];
            _q8 = new float[MnistInt8.OutputLength];
            _q7 = new float[MnistInt8W7.OutputLength];
            _q4 = new float[MnistInt8W4.OutputLength];
            _qs = new float[MnistInt8Static.OutputLength];
            _ort = new float[MnistF32.OutputLength];
            _ortQ = new float[MnistF32.OutputLength];
            _runner = OrtRunner.Single(Corpus.Path("mnist_cntk", "model.onnx"), _x, [1, 1, 28, 28], _ort, [1, 10]);
            _runnerQ = OrtRunner.Single(Corpus.Path("ort_int8", "mnist_cntk", "model.onnx"), _x, [1, 1, 28, 28], _ortQ, [1, 10]);
            _runner.Run();
            OnnxRuntimeInt8();
            Float32();
            Int8();
            Int8W7();
            Int8W4();
            Int8Static();
            Check.Float32("MnistF32", _f32, _ort);
            var ortInt8Cosine = Check.Int8("ORT int8 mnist", _ortQ, _ort, OrtInt8MinCosine);
            Check.Int8("MnistInt8", _q8, _ort);
            Check.Int8("MnistInt8W7", _q7, _ort);
            Check.Int8("MnistInt8W4", _q4, _ort, W4MinCosine);
            Check.Int8("MnistInt8Static", _qs, _ort);
            Int8Qdq();
            Check.Qdq("MnistQdq", _qq, _ortQ, _ort, ortInt8Cosine);
        }

        [Benchmark(Baseline = true)] public void OnnxRuntime() => _runner!.Run();
        [Benchmark] public void OnnxRuntimeInt8() => _runnerQ!.Run();
        [Benchmark] public void Float32() => MnistF32.Predict(_x, _f32);
        [Benchmark] public void Int8() => MnistInt8.Predict(_x, _q8);
        [Benchmark] public void Int8W7() => MnistInt8W7.Predict(_x, _q7);
        [Benchmark] public void Int8W4() => MnistInt8W4.Predict(_x, _q4);
        /// <summary>Static activations (calibrated on the 10 digits of the float test sets).</summary>
        [Benchmark] public void Int8Static() => MnistInt8Static.Predict(_x, _qs);
        /// <summary>ORT's int8 QDQ model compiled by QuantGen (the same quantization as OnnxRuntimeInt8).</summary>
        [Benchmark] public void Int8Qdq() => MnistQdq.Predict(_x, _qq);
    }

    /// <summary>
    /// fashion_mnist_cnn (Dimensions batch_size=1): image 0 of test_data_set_0 (already x/255), outputs "output" [1,10]
    /// (log-probabilities) and "19" [1,3200] (the flattened features). The model declares both outputs with 128 rows, so ORT
    /// refuses [1,...] values bound in advance: its outputs are bound with BindOutputToDevice (ORT allocates them per call,
    /// native memory, log level ERROR so no per-call warning), as /work/shared/TOOLCHAIN.md measured it.
    /// </summary>
    public class Fashion : OrtSessions
    {
        private float[] _x = [], _f32 = [], _f32Features = [], _q8 = [], _q8Features = [], _q7 = [], _q7Features = [], _q4 = [], _q4Features = [], _qs = [], _qsFeatures = [], _ortQ = [];
        private readonly float[] _qq = new float[FashionQdq.OutputLength];

        [GlobalSetup]
        public void Setup()
        {
            _x = Corpus.ReadFloats(Corpus.Path("fashion_mnist_cnn", "test_data_set_0", "input_0.pb"), FashionF32.InputLength);
            _f32 = new float[FashionF32.OutputLength];
            _f32Features = new float[FashionF32.Output19Length];
            _q8 = new float[FashionInt8.OutputLength];
            _q8Features = new float[FashionInt8.Output19Length];
            _q7 = new float[FashionInt8W7.OutputLength];
            _q7Features = new float[FashionInt8W7.Output19Length];
            _q4 = new float[FashionInt8W4.OutputLength];
            _q4Features = new float[FashionInt8W4.Output19Length];
            _qs = new float[FashionInt8Static.OutputLength];
            _qsFeatures = new float[FashionInt8Static.Output19Length];
            _runner = new OrtRunner(Corpus.Path("fashion_mnist_cnn", "model.onnx"), "input", _x, [1, 1, 28, 28], [], "output", "19");
            var ort = _runner.RunAndReadDeviceOutputs();
            // ORT's int8 model has one output ("output"; the stray "19" was removed before quantizing), declared [batch_size, 10].
            _ortQ = new float[FashionF32.OutputLength];
            _runnerQ = OrtRunner.Single(Corpus.Path("ort_int8", "fashion_mnist_cnn", "model.onnx"), _x, [1, 1, 28, 28], _ortQ, [1, 10]);
            OnnxRuntimeInt8();
            var ortInt8Cosine = Check.Int8("ORT int8 fashion output", _ortQ, ort["output"], OrtInt8MinCosine);
            Float32();
            Int8();
            Int8W7();
            Int8W4();
            Check.Float32("FashionF32 output", _f32, ort["output"]);
            Check.Float32("FashionF32 19", _f32Features, ort["19"]);
            Check.Int8("FashionInt8 output", _q8, ort["output"]);
            Check.Int8("FashionInt8 19", _q8Features, ort["19"]);
            Check.Int8("FashionInt8W7 output", _q7, ort["output"]);
            Check.Int8("FashionInt8W7 19", _q7Features, ort["19"]);
            Check.Int8("FashionInt8W4 output", _q4, ort["output"], W4MinCosine);
            Check.Int8("FashionInt8W4 19", _q4Features, ort["19"], W4MinCosine);
            Int8Static();
            Check.Int8("FashionInt8Static output", _qs, ort["output"]);
            Check.Int8("FashionInt8Static 19", _qsFeatures, ort["19"]);
            Int8Qdq();
            Check.Qdq("FashionQdq", _qq, _ortQ, ort["output"], ortInt8Cosine);
        }

        [Benchmark(Baseline = true)] public void OnnxRuntime() => _runner!.Run();
        [Benchmark] public void OnnxRuntimeInt8() => _runnerQ!.Run();
        [Benchmark] public void Float32() => FashionF32.Predict(_x, _f32, _f32Features);
        [Benchmark] public void Int8() => FashionInt8.Predict(_x, _q8, _q8Features);
        [Benchmark] public void Int8W7() => FashionInt8W7.Predict(_x, _q7, _q7Features);
        [Benchmark] public void Int8W4() => FashionInt8W4.Predict(_x, _q4, _q4Features);
        /// <summary>Static activations (calibrated on test_data_set_0's 100 images): conv, pool and fc layers chained in uint8.</summary>
        [Benchmark] public void Int8Static() => FashionInt8Static.Predict(_x, _qs, _qsFeatures);
        /// <summary>ORT's int8 QDQ model compiled by QuantGen (the same quantization as OnnxRuntimeInt8; one output).</summary>
        [Benchmark] public void Int8Qdq() => FashionQdq.Predict(_x, _qq);
    }

    /// <summary>openWakeWord embedding_model (Dimensions unk__314=1): one [1,76,32,1] mel window (the first of
    /// test_data_set_0), a 96-float embedding.</summary>
    public class WakeEmbedding : OrtSessions
    {
        private float[] _x = [], _f32 = [], _q8 = [], _q7 = [], _q4 = [], _qs = [], _ort = [], _ortQ = [], _qq = [];

        [GlobalSetup]
        public void Setup()
        {
            _x = Corpus.ReadFloats(Corpus.Path("openwakeword", "embedding_model", "test_data_set_0", "input_0.pb"), WakeEmbeddingF32.InputLength);
            _qq = new float[WakeEmbeddingQdq.OutputLength];
            _f32 = new float[WakeEmbeddingF32.OutputLength];
            _q8 = new float[WakeEmbeddingInt8.OutputLength];
            _q7 = new float[WakeEmbeddingInt8W7.OutputLength];
            _q4 = new float[WakeEmbeddingInt8W4.OutputLength];
            _qs = new float[WakeEmbeddingInt8Static.OutputLength];
            _ort = new float[WakeEmbeddingF32.OutputLength];
            _ortQ = new float[WakeEmbeddingF32.OutputLength];
            _runner = OrtRunner.Single(Corpus.Path("openwakeword", "embedding_model", "model.onnx"), _x, [1, 76, 32, 1], _ort, [1, 1, 1, 96]);
            _runnerQ = OrtRunner.Single(Corpus.Path("ort_int8", "openwakeword_embedding", "model.onnx"), _x, [1, 76, 32, 1], _ortQ, [1, 1, 1, 96]);
            _runner.Run();
            OnnxRuntimeInt8();
            Float32();
            Int8();
            Int8W7();
            Int8W4();
            Int8Static();
            Check.Float32("WakeEmbeddingF32", _f32, _ort);
            var ortInt8Cosine = Check.Int8("ORT int8 embedding", _ortQ, _ort, OrtInt8MinCosine);
            Check.Int8("WakeEmbeddingInt8", _q8, _ort);
            Check.Int8("WakeEmbeddingInt8W7", _q7, _ort);
            Check.Int8("WakeEmbeddingInt8W4", _q4, _ort, W4MinCosine);
            Check.Int8("WakeEmbeddingInt8Static", _qs, _ort);
            Int8Qdq();
            Check.Qdq("WakeEmbeddingQdq", _qq, _ortQ, _ort, ortInt8Cosine);
        }

        [Benchmark(Baseline = true)] public void OnnxRuntime() => _runner!.Run();
        [Benchmark] public void OnnxRuntimeInt8() => _runnerQ!.Run();
        [Benchmark] public void Float32() => WakeEmbeddingF32.Predict(_x, _f32);
        [Benchmark] public void Int8() => WakeEmbeddingInt8.Predict(_x, _q8);
        [Benchmark] public void Int8W7() => WakeEmbeddingInt8W7.Predict(_x, _q7);
        [Benchmark] public void Int8W4() => WakeEmbeddingInt8W4.Predict(_x, _q4);
        /// <summary>Static activations (calibrated on 300 mel windows of the float test sets).</summary>
        [Benchmark] public void Int8Static() => WakeEmbeddingInt8Static.Predict(_x, _qs);
        /// <summary>ORT's int8 QDQ model compiled by QuantGen (the same quantization as OnnxRuntimeInt8).</summary>
        [Benchmark] public void Int8Qdq() => WakeEmbeddingQdq.Predict(_x, _qq);
    }

    /// <summary>ResNet18 (ML.NET's featurizer, from NuGet): the preprocessed astronaut photo of resnet18_mlnet/test_data_set_0,
    /// [1,3,224,224] -> 512 features.</summary>
    public class ResNet18 : OrtSessions
    {
        private float[] _x = [], _f32 = [], _q8 = [], _q7 = [], _q4 = [], _qs = [], _ort = [], _ortQ = [], _qq = [];

        [GlobalSetup]
        public void Setup()
        {
            _x = Corpus.ReadFloats(Corpus.Path("resnet18_mlnet", "test_data_set_0", "input_0.pb"), ResNet18F32.InputLength);
            _f32 = new float[ResNet18F32.OutputLength];
            _q8 = new float[ResNet18Int8.OutputLength];
            _q7 = new float[ResNet18Int8W7.OutputLength];
            _q4 = new float[ResNet18Int8W4.OutputLength];
            _qs = new float[ResNet18Int8Static.OutputLength];
            _ort = new float[ResNet18F32.OutputLength];
            _ortQ = new float[ResNet18F32.OutputLength];
            _qq = new float[ResNet18Qdq.OutputLength];
            _runner = OrtRunner.Single(Corpus.ResNet18Model, _x, [1, 3, 224, 224], _ort, [1, 512, 1, 1]);
            _runnerQ = OrtRunner.Single(Corpus.Path("ort_int8", "resnet18", "model.onnx"), _x, [1, 3, 224, 224], _ortQ, [1, 512, 1, 1]);
            _runner.Run();
            OnnxRuntimeInt8();
            var ortInt8Cosine = Check.Int8("ORT int8 ResNet18", _ortQ, _ort, OrtInt8MinCosine);
            Float32();
            Int8();
            Int8W7();
            Int8W4();
            Check.Float32("ResNet18F32", _f32, _ort);
            Check.Int8("ResNet18Int8", _q8, _ort);
            Check.Int8("ResNet18Int8W7", _q7, _ort);
            Check.Int8("ResNet18Int8W4", _q4, _ort, W4MinCosine);
            Int8Static();
            Check.Int8("ResNet18Int8Static", _qs, _ort);
            Int8Qdq();
            Check.Qdq("ResNet18Qdq", _qq, _ortQ, _ort, ortInt8Cosine);
        }

        [Benchmark(Baseline = true)] public void OnnxRuntime() => _runner!.Run();
        [Benchmark] public void OnnxRuntimeInt8() => _runnerQ!.Run();
        [Benchmark] public void Float32() => ResNet18F32.Predict(_x, _f32);
        [Benchmark] public void Int8() => ResNet18Int8.Predict(_x, _q8);
        [Benchmark] public void Int8W7() => ResNet18Int8W7.Predict(_x, _q7);
        /// <summary>4-bit weights, round to nearest (speed; accuracy needs Optimize or a budget, see the README).</summary>
        [Benchmark] public void Int8W4() => ResNet18Int8W4.Predict(_x, _q4);
        /// <summary>Static activations (calibrated on the 8 photos): every residual block chained in uint8.</summary>
        [Benchmark] public void Int8Static() => ResNet18Int8Static.Predict(_x, _qs);
        /// <summary>ORT's int8 QDQ model compiled by QuantGen (the same quantization as OnnxRuntimeInt8).</summary>
        [Benchmark] public void Int8Qdq() => ResNet18Qdq.Predict(_x, _qq);
    }
}
