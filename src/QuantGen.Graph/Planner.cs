using System;
using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Graph
{
    public enum StorageKind { Input, Output, Workspace, Constant }

    /// <summary>Where a value lives at run time: a graph input/output span, a workspace slice, or static data.</summary>
    public sealed class Storage
    {
        public StorageKind Kind { get; set; }
        /// <summary>Input or output index.</summary>
        public int Index { get; set; }
        /// <summary>Byte offset into the workspace.</summary>
        public long Offset { get; set; }
        public long Bytes { get; set; }
        /// <summary>The value that owns the storage (views share their source's storage).</summary>
        public Value Root { get; set; } = null!;
    }

    public abstract class Step { }

    /// <summary>Runs one node (with its fused activation, if any).</summary>
    public sealed class NodeStep : Step
    {
        public NodeStep(Node node, OpDefinition op) { Node = node; Op = op; }
        public Node Node { get; }
        public OpDefinition Op { get; }
        public long ScratchOffset { get; set; }
        public long ScratchBytes { get; set; }
        /// <summary>True when the op's output is a view of its input: no code runs.</summary>
        public bool IsView { get; set; }
    }

    /// <summary>An If node: both branches planned as nested steps; each branch ends with copies into the If outputs.</summary>
    public sealed class IfStep : Step
    {
        public IfStep(Node node) { Node = node; }
        public Node Node { get; }
        public List<Step> Then { get; } = new List<Step>();
        public List<Step> Else { get; } = new List<Step>();
    }

    /// <summary>Copies a value into another value's storage (graph outputs that are views, inputs or constants; If results).</summary>
    public sealed class CopyStep : Step
    {
        public CopyStep(Value from, Value to) { From = from; To = to; }
        public Value From { get; }
        public Value To { get; }
    }

    /// <summary>
    /// The compiled model, ready for emission: steps in execution order, the storage of every value, and the
    /// workspace size. Buffers are reused by liveness (first fit over lifetimes measured in step order).
    /// </summary>
    public sealed class InferencePlan
    {
        public InferencePlan(Model model) { Model = model; }
        public Model Model { get; }
        public List<Step> Steps { get; } = new List<Step>();
        public List<Value> Inputs { get; } = new List<Value>();
        public List<Value> Outputs { get; } = new List<Value>();
        public Dictionary<Value, Storage> Storage { get; } = new Dictionary<Value, Storage>();
        public long WorkspaceBytes { get; set; }
        /// <summary>Total size of all workspace values if nothing were reused (for the report).</summary>
        public long UnsharedBytes { get; set; }
        /// <summary>Bytes of the model's own initializers (float32 weights at 4 bytes each), before any pass.</summary>
        public long ModelConstantBytes { get; set; }
        /// <summary>The quantization decisions (null for a float32 build).</summary>
        public Quantization.QuantizationDecisions? Quantization { get; set; }
        /// <summary>The measured quantization error on the calibration data (null when there is none).</summary>
        public Quantization.ErrorMeasurements? Errors { get; set; }
        /// <summary>What the MaxError search did (null without a budget).</summary>
        public Quantization.BudgetSearch? Budget { get; set; }
        /// <summary>Build time Optimize spent tuning weights (null without Optimize).</summary>
        public double? TuneSeconds { get; set; }
        /// <summary>Options the quantization was decided with.</summary>
        public Quantization.QuantizationOptions? QuantizationOptions { get; set; }

        public Storage StorageOf(Value v) =>
            Storage.TryGetValue(v, out var s) ? s : throw new InvalidOperationException($"no storage planned for '{v.Name}'");
    }

    public static partial class Planner
    {
        public const int Alignment = 64;

        public static InferencePlan Plan(Model model, IOpRegistry ops)
        {
            var g = model.Graph;
            var plan = new InferencePlan(model);
            plan.Inputs.AddRange(g.Inputs);
            plan.Outputs.AddRange(g.Outputs);

            // Storage of inputs and outputs.
            for (int i = 0; i < g.Inputs.Count; i++)
                plan.Storage[g.Inputs[i]] = new Storage { Kind = StorageKind.Input, Index = i, Root = g.Inputs[i] };

            var steps = new List<Step>();
            var viewOf = new Dictionary<Value, Value>();
            BuildSteps(g, ops, steps, viewOf);

            var outputCopies = new List<CopyStep>();
            for (int i = 0; i < g.Outputs.Count; i++)
            {
                var v = g.Outputs[i];
                bool direct = v.Producer != null && !viewOf.ContainsKey(v) && !plan.Storage.ContainsKey(v);
                if (direct)
                    plan.Storage[v] = new Storage { Kind = StorageKind.Output, Index = i, Root = v };
                else
                {
                    var slot = new Value($"__output{i}") { Type = v.Type, Shape = v.Shape };
                    plan.Storage[slot] = new Storage { Kind = StorageKind.Output, Index = i, Root = slot };
                    outputCopies.Add(new CopyStep(v, slot));
                }
            }
            steps.AddRange(outputCopies);
            plan.Steps.AddRange(steps);

            // Lifetimes over a linear timeline (nested branch steps get consecutive times).
            var def = new Dictionary<Value, int>();
            var last = new Dictionary<Value, int>();
            var scratch = new List<(NodeStep Step, int Time)>();
            int time = 0;
            void Use(Value v, int t) { var r = Root(v, viewOf); last[r] = Math.Max(last.TryGetValue(r, out var l) ? l : t, t); }
            void Def(Value v, int t) { if (viewOf.ContainsKey(v)) return; if (!def.ContainsKey(v)) def[v] = t; Use(v, t); }
            void Walk(List<Step> list)
            {
                foreach (var s in list)
                {
                    int t = time++;
                    switch (s)
                    {
                        case NodeStep ns:
                            foreach (var v in OnnxImporter.DependenciesOf(ns.Node)) Use(v, t);
                            foreach (var o in ns.Node.Outputs) Def(o, t);
                            if (ns.ScratchBytes > 0) scratch.Add((ns, t));
                            break;
                        case CopyStep cs:
                            Use(cs.From, t); Def(cs.To, t);
                            break;
                        case LoopStep ls:
                            // Node outputs, body inputs and staging buffers live through every iteration, and so does
                            // everything the body reads from outside and every body output (copied at the iteration's end).
                            foreach (var v in ls.Defined) Def(v, t);
                            Walk(ls.Body);
                            foreach (var v in OnnxImporter.DependenciesOf(ls.Node).Concat(ls.Defined).Concat(ls.BodyGraph.Outputs)) Use(v, time);
                            time++;
                            break;
                        case IfStep ifs:
                            Use(ifs.Node.Inputs[0]!, t);
                            foreach (var o in ifs.Node.Outputs) Def(o, t);
                            Walk(ifs.Then);
                            Walk(ifs.Else);
                            foreach (var v in OnnxImporter.DependenciesOf(ifs.Node)) Use(v, time);
                            foreach (var o in ifs.Node.Outputs) Use(o, time);
                            time++;
                            break;
                    }
                }
            }
            Walk(plan.Steps);
            // Graph outputs stay live to the end.
            foreach (var o in g.Outputs) Use(o, time);

            // Assign workspace offsets: first fit, in order of definition.
            var blocks = new List<(long Offset, long Bytes, int From, int To)>();
            long Place(long bytes, int from, int to)
            {
                bytes = (bytes + Alignment - 1) / Alignment * Alignment;
                var overlapping = blocks.Where(b => b.From <= to && from <= b.To).OrderBy(b => b.Offset).ToList();
                long offset = 0;
                foreach (var b in overlapping)
                {
                    if (offset + bytes <= b.Offset) break;
                    offset = Math.Max(offset, b.Offset + b.Bytes);
                }
                blocks.Add((offset, bytes, from, to));
                plan.WorkspaceBytes = Math.Max(plan.WorkspaceBytes, offset + bytes);
                plan.UnsharedBytes += bytes;
                return offset;
            }
            var items = new List<(int Time, int Order, Action Place)>();
            int order = 0;
            foreach (var kv in def.OrderBy(k => k.Value))
            {
                var v = kv.Key;
                if (plan.Storage.ContainsKey(v) || v.IsConstant) continue;
                if (v.Shape == null) continue; // unused optional outputs
                long bytes = (long)Shapes.Size(v.Shape) * DataTypes.SizeOf(v.Type);
                int from = kv.Value, to = last.TryGetValue(v, out var l) ? l : from;
                items.Add((from, order++, () => plan.Storage[v] = new Storage { Kind = StorageKind.Workspace, Offset = Place(bytes, from, to), Bytes = bytes, Root = v }));
            }
            foreach (var (step, t) in scratch)
                items.Add((t, order++, () => step.ScratchOffset = Place(step.ScratchBytes, t, t)));
            foreach (var it in items.OrderBy(i => i.Time).ThenBy(i => i.Order)) it.Place();

            // Views share their root's storage; constants are static data.
            foreach (var kv in viewOf)
            {
                var r = Root(kv.Key, viewOf);
                if (r.IsConstant) plan.Storage[kv.Key] = new Storage { Kind = StorageKind.Constant, Root = r };
                else plan.Storage[kv.Key] = plan.StorageOf(r);
            }
            if (plan.WorkspaceBytes > MaxWorkspaceBytes)
                throw new QgException(DiagnosticIds.InvalidModel,
                    $"the model needs {plan.WorkspaceBytes} bytes of workspace for its intermediate tensors, beyond the limit of {MaxWorkspaceBytes} (the largest .NET byte array)");
            return plan;
        }

        /// <summary>The largest workspace a plan may need: one byte array (Array.MaxLength), which the generated code allocates.</summary>
        public const long MaxWorkspaceBytes = 0x7FFFFFC7;

        private static Value Root(Value v, Dictionary<Value, Value> viewOf)
        {
            while (viewOf.TryGetValue(v, out var src)) v = src;
            return v;
        }

        private static void BuildSteps(Graph g, IOpRegistry ops, List<Step> steps, Dictionary<Value, Value> viewOf)
        {
            foreach (var n in g.Nodes)
            {
                if (n.OpType == "If" && n.Domain.Length == 0)
                {
                    var s = new IfStep(n);
                    var thenG = n.Attributes["then_branch"].G!;
                    var elseG = n.Attributes["else_branch"].G!;
                    BuildSteps(thenG, ops, s.Then, viewOf);
                    BuildSteps(elseG, ops, s.Else, viewOf);
                    for (int i = 0; i < n.Outputs.Count; i++)
                    {
                        s.Then.Add(new CopyStep(thenG.Outputs[i], n.Outputs[i]));
                        s.Else.Add(new CopyStep(elseG.Outputs[i], n.Outputs[i]));
                    }
                    steps.Add(s);
                    continue;
                }
                if (IsLoop(n))
                {
                    steps.Add(BuildLoopStep(n, ops, viewOf));
                    continue;
                }
                var op = ops.Find(n) ?? throw new InvalidOperationException($"no op for {n.Describe()}");
                var step = new NodeStep(n, op) { IsView = op.IsView(n), ScratchBytes = op.ScratchBytes(n) };
                if (step.IsView) viewOf[n.Outputs[0]] = n.Inputs[0]!;
                steps.Add(step);
            }
        }
    }
}
