using System;
using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Graph
{
    /// <summary>
    /// Runs a planned (inferred, fused) graph at build time on concrete inputs with each op's scalar reference
    /// (<see cref="OpDefinition.Fold"/>): used to run the float model on calibration data. Slow but simple; every
    /// intermediate value is handed to an observer (for range statistics) before it may be dropped.
    /// </summary>
    public static class ReferenceEvaluator
    {
        public static Dictionary<Value, TensorData> Run(Graph g, IOpRegistry ops, IReadOnlyList<TensorData> inputs, Action<Value, TensorData>? observe = null)
        {
            if (inputs.Count != g.Inputs.Count) throw new ArgumentException($"the graph has {g.Inputs.Count} inputs, {inputs.Count} given");
            var values = new Dictionary<Value, TensorData>();
            for (int i = 0; i < inputs.Count; i++)
            {
                if (inputs[i].Length != Shapes.Size(g.Inputs[i].Shape!))
                    throw new ArgumentException($"input '{g.Inputs[i].Name}' needs {Shapes.Size(g.Inputs[i].Shape!)} elements, got {inputs[i].Length}");
                values[g.Inputs[i]] = inputs[i].Reshaped(g.Inputs[i].Shape!);
                observe?.Invoke(g.Inputs[i], values[g.Inputs[i]]);
            }
            RunGraph(g, ops, values, observe);
            return values;
        }

        private static TensorData Get(Value v, Dictionary<Value, TensorData> values) =>
            v.Constant ?? (values.TryGetValue(v, out var d) ? d : throw new InvalidOperationException($"'{v.Name}' has no value yet"));

        private static void RunGraph(Graph g, IOpRegistry ops, Dictionary<Value, TensorData> values, Action<Value, TensorData>? observe)
        {
            foreach (var n in g.Nodes)
            {
                if (n.OpType == "If" && n.Domain.Length == 0)
                {
                    var cond = Get(n.Inputs[0]!, values).GetLong(0) != 0;
                    var branch = n.Attributes[cond ? "then_branch" : "else_branch"].G!;
                    RunGraph(branch, ops, values, observe);
                    for (int i = 0; i < n.Outputs.Count; i++)
                    {
                        values[n.Outputs[i]] = Get(branch.Outputs[i], values);
                        observe?.Invoke(n.Outputs[i], values[n.Outputs[i]]);
                    }
                    continue;
                }
                var def = ops.Find(n) ?? throw new InvalidOperationException($"no op for {n.Describe()}");
                // Fold reads constant inputs: bind the current values for the call, then restore.
                var bound = new List<Value>();
                try
                {
                    foreach (var v in n.Inputs)
                        if (v != null && v.Constant == null) { v.Constant = Get(v, values); bound.Add(v); }
                    var outs = def.Fold(n) ?? throw new InvalidOperationException($"{n.Describe()} has no build-time reference implementation");
                    for (int i = 0; i < outs.Length && i < n.Outputs.Count; i++)
                    {
                        values[n.Outputs[i]] = outs[i];
                        observe?.Invoke(n.Outputs[i], outs[i]);
                    }
                }
                finally
                {
                    foreach (var v in bound) v.Constant = null;
                }
            }
        }
    }
}
