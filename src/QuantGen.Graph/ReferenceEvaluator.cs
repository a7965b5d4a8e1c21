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
    public static partial class ReferenceEvaluator
    {
        /// <param name="interpret">Optional: evaluates a node in place of its reference (given the node and a reader of the values
        /// computed so far), or returns null to use the reference. The quantization error analysis runs the int8 layers so.</param>
        public static Dictionary<Value, TensorData> Run(Graph g, IOpRegistry ops, IReadOnlyList<TensorData> inputs, Action<Value, TensorData>? observe = null,
            Func<Node, Func<Value, TensorData>, TensorData[]?>? interpret = null)
        {
            var values = Bind(g, inputs, observe);
            RunGraph(g, ops, values, observe, interpret);
            return values;
        }

        /// <summary>The graph's inputs bound to one sample's tensors (checked for count and size, reshaped to the input shapes).</summary>
        private static Dictionary<Value, TensorData> Bind(Graph g, IReadOnlyList<TensorData> inputs, Action<Value, TensorData>? observe)
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
            return values;
        }

        /// <summary>
        /// Runs the graph on several samples in lockstep: each top-level node on every sample before the next node, with
        /// <paramref name="before"/> called ahead of each node with a reader of every sample's values (so a caller can look at
        /// one layer's inputs on all samples, and change how that layer is evaluated, before it runs). Values no later node reads
        /// are dropped as the run goes; the returned dictionaries hold the graph outputs.
        /// </summary>
        public static List<Dictionary<Value, TensorData>> RunInLockstep(Graph g, IOpRegistry ops, IReadOnlyList<IReadOnlyList<TensorData>> samples,
            Func<Node, Func<Value, TensorData>, TensorData[]?>? interpret, Action<Node, IReadOnlyList<Func<Value, TensorData>>>? before)
        {
            var all = samples.Select(inputs => Bind(g, inputs, null)).ToList();
            // The last top-level node that reads each value (a node with subgraphs reads what its subgraphs read).
            var lastUse = new Dictionary<Value, int>();
            for (int i = 0; i < g.Nodes.Count; i++)
                foreach (var v in Reads(g.Nodes[i])) lastUse[v] = i;
            var outputs = new HashSet<Value>(g.Outputs);
            var readers = all.Select(values => (Func<Value, TensorData>)(v => Get(v, values))).ToList();
            for (int i = 0; i < g.Nodes.Count; i++)
            {
                var n = g.Nodes[i];
                before?.Invoke(n, readers);
                foreach (var values in all)
                {
                    RunNode(n, ops, values, null, interpret);
                    foreach (var v in n.Inputs)
                        if (v != null && lastUse.TryGetValue(v, out int last) && last == i && !outputs.Contains(v)) values.Remove(v);
                }
            }
            return all;
        }

        private static IEnumerable<Value> Reads(Node n)
        {
            foreach (var v in n.Inputs) if (v != null) yield return v;
            foreach (var a in n.Attributes.Values)
                if (a.G != null)
                    foreach (var inner in a.G.AllNodes())
                        foreach (var v in inner.Inputs) if (v != null) yield return v;
        }

        private static TensorData Get(Value v, Dictionary<Value, TensorData> values) =>
            v.Constant ?? (values.TryGetValue(v, out var d) ? d : throw new InvalidOperationException($"'{v.Name}' has no value yet"));

        private static void RunGraph(Graph g, IOpRegistry ops, Dictionary<Value, TensorData> values, Action<Value, TensorData>? observe,
            Func<Node, Func<Value, TensorData>, TensorData[]?>? interpret)
        {
            foreach (var n in g.Nodes) RunNode(n, ops, values, observe, interpret);
        }

        private static void RunNode(Node n, IOpRegistry ops, Dictionary<Value, TensorData> values, Action<Value, TensorData>? observe,
            Func<Node, Func<Value, TensorData>, TensorData[]?>? interpret)
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
                return;
            }
            if (IsLoopNode(n)) { RunLoop(n, ops, values, observe, interpret); return; }
            var outs = interpret?.Invoke(n, v => Get(v, values)) ?? Fold(n, ops, n.Inputs.Select(v => v == null ? null : Get(v, values)).ToList());
            for (int i = 0; i < outs.Length && i < n.Outputs.Count; i++)
            {
                values[n.Outputs[i]] = outs[i];
                observe?.Invoke(n.Outputs[i], outs[i]);
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
