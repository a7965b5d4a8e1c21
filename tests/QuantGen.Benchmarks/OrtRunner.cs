using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// ONNX Runtime float32 the way /work/shared/TOOLCHAIN.md measured it: 1 intra-op and 1 inter-op thread, sequential
    /// execution, log level ERROR, input and outputs prebound once through OrtIoBinding over managed arrays, so a call is
    /// <see cref="Run"/> = RunWithBinding and nothing else.
    /// </summary>
    public sealed class OrtRunner : IDisposable
    {
        private readonly SessionOptions _options;
        private readonly InferenceSession _session;
        private readonly RunOptions _run;
        private readonly OrtIoBinding _binding;
        private readonly List<OrtValue> _values = new();
        private readonly string[] _deviceOutputs;

        /// <param name="outputs">Outputs to prebind over caller arrays (name, shape, array). Outputs named in
        /// <paramref name="deviceOutputs"/> are instead bound to CPU memory that ONNX Runtime allocates per call (for models
        /// whose declared output shape differs from the real one, which ORT refuses to write into a preallocated value).</param>
        public OrtRunner(string model, string inputName, float[] input, long[] inputShape,
            IEnumerable<(string Name, long[] Shape, float[] Buffer)> outputs, params string[] deviceOutputs)
            : this(model, _ => inputName, input, inputShape, _ => outputs, deviceOutputs)
        {
        }

        /// <summary>A model with one input and one output, both prebound (names from the session).</summary>
        public static OrtRunner Single(string model, float[] input, long[] inputShape, float[] output, long[] outputShape) =>
            new(model, s => s.InputNames[0], input, inputShape, s => [(s.OutputNames[0], outputShape, output)], []);

        private OrtRunner(string model, Func<InferenceSession, string> inputName, float[] input, long[] inputShape,
            Func<InferenceSession, IEnumerable<(string Name, long[] Shape, float[] Buffer)>> outputs, string[] deviceOutputs)
            : this(model, s => [(inputName(s), OrtValue.CreateTensorValueFromMemory(input, inputShape))], outputs, deviceOutputs)
        {
        }

        /// <summary>A model with int64 inputs (token ids, masks) and float outputs, all prebound.</summary>
        public static OrtRunner Int64Inputs(string model, IEnumerable<(string Name, long[] Data, long[] Shape)> inputs,
            IEnumerable<(string Name, long[] Shape, float[] Buffer)> outputs) =>
            new(model, _ => inputs.Select(i => (i.Name, OrtValue.CreateTensorValueFromMemory(i.Data, i.Shape))).ToList(), _ => outputs, []);

        private OrtRunner(string model, Func<InferenceSession, IEnumerable<(string Name, OrtValue Value)>> inputs,
            Func<InferenceSession, IEnumerable<(string Name, long[] Shape, float[] Buffer)>> outputs, string[] deviceOutputs)
        {
            _options = new SessionOptions
            {
                IntraOpNumThreads = 1,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            };
            _session = new InferenceSession(model, _options);
            _run = new RunOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
            _binding = _session.CreateIoBinding();
            foreach (var (name, value) in inputs(_session))
            {
                _values.Add(value);
                _binding.BindInput(name, value);
            }
            foreach (var (name, shape, buffer) in outputs(_session))
                _prebound.Add((name, OrtValue.CreateTensorValueFromMemory(buffer, shape)));
            _values.AddRange(_prebound.Select(p => p.Value));
            _deviceOutputs = deviceOutputs;
            BindOutputs();
            _binding.SynchronizeBoundInputs();
        }

        private readonly List<(string Name, OrtValue Value)> _prebound = new();

        private void BindOutputs()
        {
            foreach (var (name, value) in _prebound) _binding.BindOutput(name, value);
            foreach (var name in _deviceOutputs) _binding.BindOutputToDevice(name, OrtMemoryInfo.DefaultInstance);
        }

        public IReadOnlyList<string> InputNames => _session.InputNames;

        public IReadOnlyList<string> OutputNames => _session.OutputNames;

        public void Run()
        {
            if (_deviceOutputs.Length != 0)
            {
                // After a run, ORT leaves the outputs it allocated bound as fixed values of their real shape, which the next
                // run rejects for a model that declares other dimensions ("Got: 1 Expected: 128"): bind them to the device
                // again (two native calls per output, well under 1% of fashion_mnist_cnn's call).
                _binding.ClearBoundOutputs();
                BindOutputs();
            }
            _session.RunWithBinding(_run, _binding);
        }

        /// <summary>Runs once and copies the outputs bound with BindOutputToDevice (for the correctness check, not timed).</summary>
        public Dictionary<string, float[]> RunAndReadDeviceOutputs()
        {
            Run();
            var result = new Dictionary<string, float[]>();
            using var values = _binding.GetOutputValues();
            var names = _binding.GetOutputNames();
            for (int i = 0; i < names.Length; i++)
                if (_deviceOutputs.Contains(names[i])) result[names[i]] = values[i].GetTensorDataAsSpan<float>().ToArray();
            return result;
        }

        public void Dispose()
        {
            _binding.Dispose();
            foreach (var v in _values) v.Dispose();
            _run.Dispose();
            _session.Dispose();
            _options.Dispose();
        }
    }
}
