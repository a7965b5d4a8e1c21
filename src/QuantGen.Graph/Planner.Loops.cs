using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Graph
{
    /// <summary>
    /// A Loop or Scan node: the body planned once as nested steps and run as a C# loop. Loop-carried values live in the
    /// node's output storage (the body input is a view of it; opset-8 Scan, which runs once per batch row, has its own
    /// buffer); each iteration ends by copying the body's carried outputs back into it, through a staging buffer when a
    /// carried output is another carried input (a swap). Scan slices and the iteration number/condition have their own
    /// small buffers, written at the start of each iteration.
    /// </summary>
    public sealed class LoopStep : Step
    {
        public LoopStep(Node node, Graph body) { Node = node; BodyGraph = body; }
        public Node Node { get; }
        public Graph BodyGraph { get; }
        public List<Step> Body { get; } = new List<Step>();
        public bool IsScan => Node.OpType == "Scan";
        /// <summary>Scan of opset 8: a batch axis 0 on every state and scan input, the scan axis 1.</summary>
        public bool IsBatchedScan => IsScan && Node.Opset < 9;
        /// <summary>Number of loop-carried values (N).</summary>
        public int Carried { get; set; }
        /// <summary>Index of the first loop-carried initial value among the node inputs.</summary>
        public int FirstInitial => IsScan ? (IsBatchedScan ? 1 : 0) : 2;
        /// <summary>Index of the first loop-carried value among the body inputs (Loop: after iteration number and condition).</summary>
        public int FirstCarriedIn => IsScan ? 0 : 2;
        /// <summary>Index of the first loop-carried value among the body outputs (Loop: after the condition).</summary>
        public int FirstCarriedOut => IsScan ? 0 : 1;
        public Value CarriedIn(int i) => BodyGraph.Inputs[FirstCarriedIn + i];
        public Value CarriedOut(int i) => BodyGraph.Outputs[FirstCarriedOut + i];
        /// <summary>Body outputs that are scan outputs (after the carried ones).</summary>
        public IEnumerable<Value> ScanOutputs => BodyGraph.Outputs.Skip(FirstCarriedOut + Carried);
        /// <summary>Carried index -> staging buffer, for carried outputs that are (views of) another carried input.</summary>
        public Dictionary<int, Value> Staged { get; } = new Dictionary<int, Value>();
        /// <summary>Values with storage for the whole loop: node outputs, body inputs, staging buffers.</summary>
        public List<Value> Defined { get; } = new List<Value>();
    }

    public static partial class Planner
    {
        private static bool IsLoop(Node n) => (n.OpType == "Loop" || n.OpType == "Scan") && n.Domain.Length == 0;

        private static LoopStep BuildLoopStep(Node n, IOpRegistry ops, Dictionary<Value, Value> viewOf)
        {
            var s = new LoopStep(n, n.Attributes["body"].G!);
            int bodyScanInputs = s.IsScan ? (int)n.GetInt("num_scan_inputs", 0) : 0;
            s.Carried = s.BodyGraph.Inputs.Count - s.FirstCarriedIn - bodyScanInputs;
            if (!s.IsBatchedScan)
                for (int i = 0; i < s.Carried; i++) viewOf[s.CarriedIn(i)] = n.Outputs[i];
            BuildSteps(s.BodyGraph, ops, s.Body, viewOf);
            for (int i = 0; i < s.Carried; i++)
            {
                var r = Root(s.CarriedOut(i), viewOf);
                for (int j = 0; j < s.Carried; j++)
                    if (j != i && ReferenceEquals(r, Root(s.CarriedIn(j), viewOf)))
                        s.Staged[i] = new Value($"{n.Name}__next{i}") { Type = s.CarriedIn(i).Type, Shape = s.CarriedIn(i).Shape };
            }
            s.Defined.AddRange(n.Outputs);
            s.Defined.AddRange(s.BodyGraph.Inputs);
            s.Defined.AddRange(s.Staged.Values);
            return s;
        }
    }
}
