using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using QuantGen.Graph;

namespace QuantGen.Tests.Infrastructure
{
    /// <summary>A tensor on the host: element array plus shape.</summary>
    public sealed record HostArray(Array Data, int[] Shape)
    {
        public override string ToString() => $"{Data.GetType().GetElementType()!.Name}[{string.Join(",", Shape)}]";
    }

    /// <summary>Runs a serialized model with ONNX Runtime (CPU, one thread, log level ERROR).</summary>
    public static class Ort
    {
        public static List<HostArray> Run(byte[] model, IReadOnlyList<(string Name, HostArray Value)> inputs)
        {
            using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, IntraOpNumThreads = 1, InterOpNumThreads = 1 };
            using var session = new InferenceSession(model, options);
            using var runOptions = new RunOptions();
            var values = inputs.Select(i => Create(i.Value)).ToList();
            try
            {
                using var results = session.Run(runOptions, inputs.Select(i => i.Name).ToList(), values, session.OutputNames);
                var outs = new List<HostArray>();
                foreach (var r in results)
                {
                    var info = r.GetTensorTypeAndShape();
                    var shape = info.Shape.Select(d => checked((int)d)).ToArray();
                    Array data = info.ElementDataType switch
                    {
                        TensorElementType.Float => r.GetTensorDataAsSpan<float>().ToArray(),
                        TensorElementType.Int64 => r.GetTensorDataAsSpan<long>().ToArray(),
                        TensorElementType.Int32 => r.GetTensorDataAsSpan<int>().ToArray(),
                        TensorElementType.Bool => r.GetTensorDataAsSpan<bool>().ToArray(),
                        TensorElementType.UInt8 => r.GetTensorDataAsSpan<byte>().ToArray(),
                        TensorElementType.Int8 => r.GetTensorDataAsSpan<sbyte>().ToArray(),
                        var t => throw new NotSupportedException($"ORT output element type {t}"),
                    };
                    outs.Add(new HostArray(data, shape));
                }
                return outs;
            }
            finally
            {
                foreach (var v in values) v.Dispose();
            }
        }

        private static OrtValue Create(HostArray v)
        {
            var shape = v.Shape.Select(d => (long)d).ToArray();
            return v.Data switch
            {
                float[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
                long[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
                int[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
                bool[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
                sbyte[] a when a.GetType() == typeof(sbyte[]) => OrtValue.CreateTensorValueFromMemory(a, shape), // the CLR lets sbyte[] and byte[] match each other's type test
                byte[] a => OrtValue.CreateTensorValueFromMemory(a, shape),
                _ => throw new NotSupportedException(v.Data.GetType().Name),
            };
        }
    }

    /// <summary>Element-wise comparison: floats with |a - b| &lt;= 1e-4 + 1e-3 |b| (NaN matches NaN), integers and bools exactly.</summary>
    public static class TensorCompare
    {
        public const double AbsTol = 1e-4, RelTol = 1e-3;

        public static double Get(Array a, int i) => a switch
        {
            float[] f => f[i], double[] d => d[i], long[] l => l[i], int[] n => n[i], bool[] b => b[i] ? 1 : 0, sbyte[] s when s.GetType() == typeof(sbyte[]) => s[i], byte[] u => u[i], // the CLR lets sbyte[] and byte[] match each other's type test
            _ => throw new InvalidOperationException(a.GetType().Name),
        };

        /// <summary>Null when equal within tolerance, else a description of the first mismatch.</summary>
        public static string? Diff(string what, Array actual, int[] actualShape, Array expected, int[] expectedShape, bool exact)
        {
            if (!actualShape.SequenceEqual(expectedShape))
                return $"{what}: shape [{string.Join(",", actualShape)}], expected [{string.Join(",", expectedShape)}]";
            if (actual.Length != expected.Length)
                return $"{what}: {actual.Length} elements, expected {expected.Length}";
            int bad = 0; string? first = null; double maxAbs = 0;
            for (int i = 0; i < actual.Length; i++)
            {
                double a = Get(actual, i), b = Get(expected, i);
                if (double.IsNaN(a) && double.IsNaN(b)) continue;
                if (a == b) continue; // also equal infinities
                double diff = Math.Abs(a - b);
                maxAbs = Math.Max(maxAbs, double.IsNaN(diff) ? double.PositiveInfinity : diff);
                bool ok = !exact && diff <= AbsTol + RelTol * Math.Abs(b);
                if (!ok)
                {
                    bad++;
                    first ??= $"element {i}: {a.ToString("R", CultureInfo.InvariantCulture)} vs expected {b.ToString("R", CultureInfo.InvariantCulture)}";
                }
            }
            return bad == 0 ? null : $"{what}: {bad} of {actual.Length} elements differ (max |diff| {maxAbs:G4}); first at {first}";
        }

        public static bool IsExactType(Array a) => a is not float[] && a is not double[];
    }

    /// <summary>Deterministic random tensors (fixed seeds; the seed of a case comes from a stable hash of its name).</summary>
    public static class RandomData
    {
        public static int Seed(string name)
        {
            unchecked
            {
                uint h = 2166136261;
                foreach (var c in name) { h ^= c; h *= 16777619; }
                return (int)(h & 0x7FFFFFFF);
            }
        }

        public static Array Make(Random r, DataType type, int n) => type switch
        {
            DataType.Float => Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 6 - 3)).ToArray(),
            DataType.Int64 => Enumerable.Range(0, n).Select(_ => (long)r.Next(-20, 21)).ToArray(),
            DataType.Int32 => Enumerable.Range(0, n).Select(_ => r.Next(-20, 21)).ToArray(),
            DataType.Bool => Enumerable.Range(0, n).Select(_ => r.Next(2) == 1).ToArray(),
            DataType.UInt8 => Enumerable.Range(0, n).Select(_ => (byte)r.Next(0, 256)).ToArray(),
            DataType.Int8 => Enumerable.Range(0, n).Select(_ => (sbyte)r.Next(-128, 128)).ToArray(),
            _ => throw new NotSupportedException(type.ToString()),
        };

        public static float[] Floats(Random r, int n, double lo = -3, double hi = 3) =>
            Enumerable.Range(0, n).Select(_ => (float)(lo + r.NextDouble() * (hi - lo))).ToArray();
    }
}
