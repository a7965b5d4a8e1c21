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
        /// <param name="interpret">Optional: evaluates a node in place of its reference (given the node and a reader of the values
        /// computed so far), or returns null to use the reference. The quantization error analysis runs the int8 layers so.</param>
        public static Dictionary<Value, TensorData> Run(Graph g, IOpRegistry ops, IReadOnlyList<TensorData> inputs, Action<Value, TensorData>? observe = null,
            Func<Node, Func<Value, TensorData>, TensorData[]?>? interpret = null)
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
            RunGraph(g, ops, values, observe, interpret);
            return values;
        }

        private static TensorData Get(Value v, Dictionary<Value, TensorData> values) =>
            v.Constant ?? (values.TryGetValue(v, out var d) ? d : throw new InvalidOperationException($"'{v.Name}' has no value yet"));

        private static void RunGraph(Graph g, IOpRegistry ops, Dictionary<Value, TensorData> values, Action<Value, TensorData>? observe,
            Func<Node, Func<Value, TensorData>, TensorData[]?>? interpret)
        {
            TensorData Read(Value v) => Get(v, values);
            foreach (var n in g.Nodes)
            {
                if (n.OpType == "If" && n.Domain.Length == 0)
                {
                    var cond = Get(n.Inputs[0]!, values).GetLong(0) != 0;
                    var branch = n.Attributes[cond ? "then_branch" : "else_branch"].G!;
                    RunGraph(branch, ops, values, observe, interpret);
                    for (int i = 0; i < n.Outputs.Count; i++)
                    {
                        values[n.Outputs[i]] = Get(branch.Outputs[i], values);
                        observe?.Invoke(n.Outputs[i], values[n.Outputs[i]]);
                    }
                    continue;
                }
                var outs = interpret?.Invoke(n, Read) ?? Fold(n, ops, n.Inputs.Select(v => v == null ? null : Get(v, values)).ToList());
                for (int i = 0; i < outs.Length && i < n.Outputs.Count; i++)
                {
                    values[n.Outputs[i]] = outs[i];
                    observe?.Invoke(n.Outputs[i], outs[i]);
                }
            }
        }

        /// <summary>
        /// Runs one node's reference on the given input data (null: leave that input as it is). Fold reads inputs as constants:
        /// each is bound for the call and restored after. <paramref name="retype"/> (optional) gives the element type a value is
        /// bound as (the error analysis carries uint8 tensors as the real numbers they stand for, in float).
        /// </summary>
        public static TensorData[] Fold(Node n, IOpRegistry ops, IReadOnlyList<TensorData?> inputs, Func<Value, DataType?>? retype = null)
        {
            var def = ops.Find(n) ?? throw new InvalidOperationException($"no op for {n.Describe()}");
            var saved = new List<(Value Value, TensorData? Constant, DataType Type)>();
            try
            {
                for (int i = 0; i < n.Inputs.Count && i < inputs.Count; i++)
                {
                    var v = n.Inputs[i];
                    if (v == null || inputs[i] == null || ReferenceEquals(v.Constant, inputs[i])) continue;
                    saved.Add((v, v.Constant, v.Type));
                    v.Constant = inputs[i];
                    if (retype?.Invoke(v) is DataType t) v.Type = t;
                }
                if (retype != null)
                    foreach (var o in n.Outputs)
                        if (retype(o) is DataType t) { saved.Add((o, o.Constant, o.Type)); o.Type = t; }
                return def.Fold(n) ?? throw new InvalidOperationException($"{n.Describe()} has no build-time reference implementation");
            }
            finally
            {
                for (int i = saved.Count - 1; i >= 0; i--) { saved[i].Value.Constant = saved[i].Constant; saved[i].Value.Type = saved[i].Type; }
            }
        }
    }
}
