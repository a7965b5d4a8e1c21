using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// If: both branches are inferred, optimized and planned like the main graph; the generated code branches on the
    /// run-time condition. Both branches must give each output the same element type and shape.
    /// </summary>
    internal sealed class If : Operator
    {
        public override string OpType => "If";

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Bool);
            if (Shapes.Size(ShapeOf(n, 0)) != 1) throw Invalid(n, "the condition must hold one element");
            var then = n.Attributes.TryGetValue("then_branch", out var t) ? t.G : null;
            var els = n.Attributes.TryGetValue("else_branch", out var e) ? e.G : null;
            if (then == null || els == null) throw Invalid(n, "then_branch and else_branch are required");
            var diagnostics = new System.Collections.Generic.List<QgDiagnostic>();
            foreach (var g in new[] { then, els })
            {
                Passes.InferAndFold(g, OperatorRegistry.Default, diagnostics, n.Name);
                Passes.RemoveDeadNodes(g);
                if (g.Outputs.Count != n.Outputs.Count) throw Invalid(n, $"a branch has {g.Outputs.Count} outputs, the node has {n.Outputs.Count}");
            }
            for (int i = 0; i < n.Outputs.Count; i++)
            {
                var a = then.Outputs[i]; var b = els.Outputs[i];
                if (a.Type != b.Type || !Shapes.Same(a.Shape, b.Shape))
                    throw Unsupported(n, $"output {i} differs between branches ({a} vs {b}); branches must agree on type and shape");
                SetOutput(n, i, a.Type, a.Shape!);
            }
        }

        public override void Emit(EmitContext ctx) => throw new InvalidOperationException("If is emitted by the model emitter");
    }
}
