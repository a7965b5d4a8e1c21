using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.Tests.Infrastructure
{
    /// <summary>
    /// One ORT-oracle case: a model and its inputs. Inputs not given explicitly are random with a seed derived from
    /// the case name, so every run sees the same data.
    /// </summary>
    public sealed class OpCase
    {
        public OpCase(string name, OnnxBuilder model, Action<Random, Dictionary<string, Array>>? inputs = null)
        {
            Name = name;
            Model = model.ToBytes();
            var r = new Random(RandomData.Seed(name));
            var given = new Dictionary<string, Array>(StringComparer.Ordinal);
            inputs?.Invoke(r, given);
            foreach (var (n, t, s) in model.Inputs)
            {
                var data = given.TryGetValue(n, out var g) ? g : RandomData.Make(r, t, s.Aggregate(1, (a, b) => a * b));
                Inputs.Add((n, new HostArray(data, s)));
            }
        }

        public string Name { get; }
        public byte[] Model { get; }
        public List<(string Name, HostArray Value)> Inputs { get; } = new List<(string, HostArray)>();
        public override string ToString() => Name;
    }

    /// <summary>
    /// Compiles all cases of a suite in one Roslyn compilation (on first use), then checks one case at a time:
    /// ONNX Runtime's outputs against the generated code's outputs.
    /// </summary>
    public static class OpSuite
    {
        private static readonly ConcurrentDictionary<Type, Lazy<Dictionary<string, (OpCase Case, ModelBatch.Entry Entry)>>> s_suites = new();

        /// <summary>The compiled model of one case (compiling the suite on first use).</summary>
        public static ModelBatch.Entry Entry(Type suite, Func<IReadOnlyList<OpCase>> cases, string name) => Compiled(suite, cases)[name].Entry;

        private static Dictionary<string, (OpCase Case, ModelBatch.Entry Entry)> Compiled(Type suite, Func<IReadOnlyList<OpCase>> cases) =>
            s_suites.GetOrAdd(suite, _ => new Lazy<Dictionary<string, (OpCase, ModelBatch.Entry)>>(() =>
            {
                var list = cases();
                var dup = list.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
                if (dup != null) throw new InvalidOperationException($"duplicate case name {dup.Key}");
                var entries = list.Select(c => new ModelBatch.Entry(c.Name + ".onnx", c.Model)).ToList();
                ModelBatch.Compile(entries);
                return list.Select((c, i) => (c, entries[i])).ToDictionary(p => p.c.Name, p => (p.c, p.Item2));
            })).Value;

        public static void Check(Type suite, Func<IReadOnlyList<OpCase>> cases, string name)
        {
            var (c, entry) = Compiled(suite, cases)[name];
            Assert.True(entry.Ready, $"{name}: QuantGen could not compile the model: {entry.Failure}");
            var expected = Ort.Run(c.Model, c.Inputs);
            var plan = entry.Plan!;
            Assert.Equal(expected.Count, plan.Outputs.Count);
            var actual = entry.Run(c.Inputs.Select(i => i.Value.Data).ToList());
            var failures = new List<string>();
            for (int o = 0; o < expected.Count; o++)
            {
                var diff = TensorCompare.Diff($"output {o} ('{plan.Outputs[o].Name}')", actual[o], plan.Outputs[o].Shape!, expected[o].Data, expected[o].Shape,
                    TensorCompare.IsExactType(expected[o].Data));
                if (actual[o].GetType() != expected[o].Data.GetType())
                    diff = $"output {o}: element type {actual[o].GetType().Name}, ORT gives {expected[o].Data.GetType().Name}";
                if (diff != null) failures.Add(diff);
            }
            Assert.True(failures.Count == 0, $"{name}: generated code differs from ONNX Runtime:\n" + string.Join("\n", failures));
        }
    }
}
