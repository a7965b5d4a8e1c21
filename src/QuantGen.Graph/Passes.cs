using System;
using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Graph
{
    /// <summary>
    /// Graph passes, in the order the compiler runs them: inference with constant folding, fusion
    /// (BatchNormalization into Conv/Gemm, bias Adds into Conv/Gemm/MatMul, activations into producers) and
    /// dead-node removal. Each pass is a function of the graph; none of them emits code.
    /// </summary>
    public static class Passes
    {
        /// <summary>Largest constant (elements) folding may create; bigger results are computed at run time.</summary>
        public const int MaxFoldedElements = 1 << 22;

        /// <summary>Infers every value's type and shape in topological order, folding nodes whose inputs are all constant.</summary>
        public static void InferAndFold(Graph g, IOpRegistry ops, List<QgDiagnostic> diagnostics, string file)
        {
            var kept = new List<Node>(g.Nodes.Count);
            foreach (var n in g.Nodes)
            {
                var def = ops.Find(n) ?? throw new QgException(DiagnosticIds.UnsupportedOp,
                    $"{file}: {n.Describe()} is not supported (op '{(n.Domain.Length == 0 ? "" : n.Domain + ":")}{n.OpType}', opset {n.Opset})");
                try
                {
                    foreach (var v in n.Inputs)
                        if (v != null && v.Shape == null)
                            throw new QgException(DiagnosticIds.ShapeInference, $"{n.Describe()}: the shape of input '{v.Name}' is unknown");
                    def.Infer(n);
                    if (n.Outputs.All(o => o.IsConstant || o.Name.Contains("__unused")))
                        continue; // fully known at build time (e.g. Shape)
                    foreach (var o in n.Outputs)
                        if (o.Shape == null && !o.Name.Contains("__unused"))
                            throw new QgException(DiagnosticIds.ShapeInference, $"{n.Describe()}: cannot infer the shape of output '{o.Name}'");
                    if (n.Inputs.Count > 0 && n.Inputs.All(v => v == null || v.IsConstant)
                        && n.Outputs.All(o => o.Shape == null || Shapes.Size(o.Shape) <= MaxFoldedElements))
                    {
                        var folded = def.Fold(n);
                        if (folded != null)
                        {
                            for (int i = 0; i < n.Outputs.Count && i < folded.Length; i++)
                            {
                                n.Outputs[i].Constant = folded[i];
                                n.Outputs[i].Type = folded[i].Type;
                                n.Outputs[i].Shape = folded[i].Shape;
                                n.Outputs[i].Producer = null;
                            }
                            continue;
                        }
                    }
                }
                catch (QgException e) when (!e.Message.StartsWith(file, StringComparison.Ordinal))
                {
                    throw new QgException(e.Id, $"{file}: {e.Message}");
                }
                catch (ShapeException e)
                {
                    throw new QgException(DiagnosticIds.ShapeInference, $"{file}: {n.Describe()}: {e.Message}");
                }
                kept.Add(n);
            }
            g.Nodes = kept;
            foreach (var o in g.Outputs)
            {
                if (o.Shape == null) throw new QgException(DiagnosticIds.ShapeInference, $"{file}: cannot infer the shape of graph output '{o.Name}'");
                if (!DataTypes.IsRuntimeSupported(o.Type) && g.Parent == null)
                    throw new QgException(DiagnosticIds.UnsupportedType, $"{file}: graph output '{o.Name}' has element type {DataTypes.OnnxName(o.Type)}, which is not supported");
            }
        }

        /// <summary>Checks declared output shapes against the inferred ones; a mismatch is a warning (the inferred shape wins).</summary>
        public static void CheckDeclaredOutputs(Graph g, List<QgDiagnostic> diagnostics, string file)
        {
            foreach (var o in g.Outputs)
            {
                if (o.SymbolicDims == null || o.Shape == null) continue;
                if (o.SymbolicDims.Length != o.Shape.Length)
                {
                    diagnostics.Add(new QgDiagnostic(DiagnosticIds.DeclaredShapeMismatch, QgSeverity.Warning,
                        $"{file}: output '{o.Name}' is declared with rank {o.SymbolicDims.Length} but has shape {Shapes.Format(o.Shape)}; the inferred shape is used"));
                }
            }
        }

        /// <summary>Removes nodes none of whose outputs reach a graph output.</summary>
        public static void RemoveDeadNodes(Graph g)
        {
            var live = new HashSet<Value>(g.Outputs);
            var kept = new List<Node>();
            for (int i = g.Nodes.Count - 1; i >= 0; i--)
            {
                var n = g.Nodes[i];
                if (!n.Outputs.Any(live.Contains)) continue;
                kept.Add(n);
                foreach (var v in OnnxImporter.DependenciesOf(n)) live.Add(v);
                foreach (var a in n.Attributes.Values) if (a.G != null) RemoveDeadNodes(a.G);
            }
            kept.Reverse();
            g.Nodes = kept;
        }

        /// <summary>Counts the consumers of each value (graph outputs count as consumers).</summary>
        public static Dictionary<Value, int> UseCounts(Graph root)
        {
            var uses = new Dictionary<Value, int>();
            void Visit(Graph g)
            {
                foreach (var n in g.Nodes)
                {
                    foreach (var v in n.Inputs) if (v != null) uses[v] = uses.TryGetValue(v, out var c) ? c + 1 : 1;
                    foreach (var a in n.Attributes.Values) if (a.G != null) Visit(a.G);
                }
                foreach (var o in g.Outputs) uses[o] = uses.TryGetValue(o, out var c) ? c + 1 : 1;
            }
            Visit(root);
            return uses;
        }
    }
}
