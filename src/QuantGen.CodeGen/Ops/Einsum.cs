using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// Einsum (opset 12) on float32, int32 and int64: explicit ("ij,jk->ik") and implicit ("ij,jk") outputs, ellipsis
    /// (broadcast), repeated labels within a term (diagonals, traces) and any number of operands. At build time the
    /// equation becomes a chain of pairwise contractions (left to right; intermediates keep only the labels needed later),
    /// each a loop nest over labels with per-operand strides (Kernels/Einsum.cs).
    /// </summary>
    internal sealed class Einsum : Operator
    {
        public override string OpType => "Einsum";

        /// <summary>Label ids: letters are their char code, ellipsis axes EllipsisBase + position (right-aligned).</summary>
        private const int EllipsisBase = 1000;

        internal sealed class Step
        {
            public int A = -1, B = -1;           // operand indices, or -(intermediate + 2) for intermediates
            public int[] Dims = Array.Empty<int>(), AStrides = Array.Empty<int>(), BStrides = Array.Empty<int>();
            public int OutRank;
            public int OutSize;
            public int ScratchOffset;             // elements; -1 when the step writes the node output
        }

        internal sealed class Plan
        {
            public int[] OutShape = Array.Empty<int>();
            public List<Step> Steps = new List<Step>();
            public int ScratchElements;
        }

        private static List<int> ParseTerm(Node n, string term, out bool hasEllipsis)
        {
            var labels = new List<int>();
            hasEllipsis = false;
            for (int i = 0; i < term.Length; i++)
            {
                char c = term[i];
                if (c == '.')
                {
                    if (hasEllipsis || i + 2 >= term.Length || term[i + 1] != '.' || term[i + 2] != '.')
                        throw Unsupported(n, $"invalid ellipsis in equation term '{term}'");
                    hasEllipsis = true;
                    labels.Add(-1);
                    i += 2;
                }
                else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) labels.Add(c);
                else throw Unsupported(n, $"invalid character '{c}' in equation term '{term}'");
            }
            return labels;
        }

        internal static Plan Resolve(Node n)
        {
            if (!n.Has("equation")) throw Invalid(n, "the equation attribute is required");
            var eq = new string(n.GetString("equation", "").Where(c => !char.IsWhiteSpace(c)).ToArray());
            int arrow = eq.IndexOf("->", StringComparison.Ordinal);
            var lhs = arrow >= 0 ? eq.Substring(0, arrow) : eq;
            string? rhs = arrow >= 0 ? eq.Substring(arrow + 2) : null;
            var terms = lhs.Split(',');
            int count = n.Inputs.Count;
            if (terms.Length != count) throw Invalid(n, $"the equation '{eq}' has {terms.Length} input terms for {count} inputs");

            // Labels of every operand axis, with ellipsis axes right-aligned across operands.
            var parsed = new List<int>[count];
            var ellRank = new int[count];
            for (int k = 0; k < count; k++)
            {
                parsed[k] = ParseTerm(n, terms[k], out bool ell);
                int r = ShapeOf(n, k).Length, letters = parsed[k].Count(l => l >= 0);
                ellRank[k] = ell ? r - letters : 0;
                if (ellRank[k] < 0 || (!ell && letters != r))
                    throw Invalid(n, $"term '{terms[k]}' does not match input {k} of rank {r}");
            }
            int e = ellRank.Length == 0 ? 0 : ellRank.Max();
            var axisLabels = new int[count][];
            var sizes = new Dictionary<int, int>();
            for (int k = 0; k < count; k++)
            {
                var shape = ShapeOf(n, k);
                var list = new List<int>();
                foreach (var l in parsed[k])
                {
                    if (l >= 0) list.Add(l);
                    else for (int t = 0; t < ellRank[k]; t++) list.Add(EllipsisBase + e - ellRank[k] + t);
                }
                axisLabels[k] = list.ToArray();
                for (int a = 0; a < shape.Length; a++)
                {
                    int l = list[a], s = shape[a];
                    // Ellipsis axes broadcast (a size 1 stretches); letters must agree.
                    if (!sizes.TryGetValue(l, out var d)) sizes[l] = s;
                    else if (d == s || (l >= EllipsisBase && s == 1)) { }
                    else if (l >= EllipsisBase && d == 1) sizes[l] = s;
                    else throw Invalid(n, $"label '{Name(l)}' has sizes {d} and {s}");
                }
            }

            // Output labels.
            var outLabels = new List<int>();
            if (rhs != null)
            {
                var o = ParseTerm(n, rhs, out _);
                foreach (var l in o)
                {
                    if (l >= 0)
                    {
                        if (!sizes.ContainsKey(l)) throw Invalid(n, $"output label '{(char)l}' does not appear in the inputs");
                        if (outLabels.Contains(l)) throw Invalid(n, $"output label '{(char)l}' repeats");
                        outLabels.Add(l);
                    }
                    else for (int t = 0; t < e; t++) outLabels.Add(EllipsisBase + t);
                }
            }
            else
            {
                for (int t = 0; t < e; t++) outLabels.Add(EllipsisBase + t);
                var counts = axisLabels.SelectMany(a => a).Where(l => l < EllipsisBase).GroupBy(l => l).Where(g => g.Count() == 1).Select(g => g.Key).OrderBy(l => l);
                outLabels.AddRange(counts);
            }

            var strideMaps = new List<Dictionary<int, int>>();
            for (int k = 0; k < count; k++)
            {
                var shape = ShapeOf(n, k);
                var st = Shapes.Strides(shape);
                var m = new Dictionary<int, int>();
                for (int a = 0; a < shape.Length; a++)
                {
                    int l = axisLabels[k][a];
                    int s = shape[a] == 1 && sizes[l] != 1 ? 0 : st[a];
                    m[l] = m.TryGetValue(l, out var prev) ? prev + s : s;
                }
                strideMaps.Add(m);
            }

            var plan = new Plan { OutShape = outLabels.Select(l => sizes[l]).ToArray() };
            Shapes.Size(plan.OutShape);
            int[] Strides(Dictionary<int, int> m, IEnumerable<int> labels) => labels.Select(l => m.TryGetValue(l, out var s) ? s : 0).ToArray();

            if (count == 1)
            {
                var summed = strideMaps[0].Keys.Where(l => !outLabels.Contains(l)).ToList();
                var all = outLabels.Concat(summed).ToList();
                plan.Steps.Add(new Step { A = 0, Dims = all.Select(l => sizes[l]).ToArray(), AStrides = Strides(strideMaps[0], all), OutRank = outLabels.Count, OutSize = Shapes.Size(plan.OutShape), ScratchOffset = -1 });
                return plan;
            }

            var cur = strideMaps[0];
            var curLabels = axisLabels[0].Distinct().ToList();
            int curRef = 0;
            for (int k = 1; k < count; k++)
            {
                var union = curLabels.Concat(axisLabels[k].Distinct()).Distinct().ToList();
                List<int> keep;
                if (k == count - 1) keep = outLabels;
                else
                {
                    var needed = new HashSet<int>(outLabels);
                    for (int j = k + 1; j < count; j++) needed.UnionWith(axisLabels[j]);
                    keep = union.Where(needed.Contains).ToList();
                }
                var summed = union.Where(l => !keep.Contains(l)).ToList();
                var all = keep.Concat(summed).ToList();
                var keepShape = keep.Select(l => sizes[l]).ToArray();
                var step = new Step
                {
                    A = curRef, B = k, Dims = all.Select(l => sizes[l]).ToArray(),
                    AStrides = Strides(cur, all), BStrides = Strides(strideMaps[k], all), OutRank = keep.Count, OutSize = Shapes.Size(keepShape),
                };
                if (k == count - 1) step.ScratchOffset = -1;
                else
                {
                    step.ScratchOffset = plan.ScratchElements;
                    plan.ScratchElements = checked(plan.ScratchElements + step.OutSize);
                    var ks = Shapes.Strides(keepShape);
                    cur = keep.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => keepShape[p.i] == 1 ? 0 : ks[p.i]);
                    curLabels = keep;
                    curRef = -(plan.Steps.Count + 2);
                }
                plan.Steps.Add(step);
            }
            return plan;
        }

        private static string Name(int label) => label >= EllipsisBase ? $"...[{label - EllipsisBase}]" : ((char)label).ToString();

        public override void Infer(Node n)
        {
            if (n.Inputs.Count == 0 || n.Inputs.Any(v => v == null)) throw Invalid(n, "Einsum needs one or more inputs");
            RequireTypes(n, 0, DataType.Float, DataType.Int32, DataType.Int64);
            for (int i = 1; i < n.Inputs.Count; i++)
                if (In(n, i).Type != In(n, 0).Type) throw new QgException(DiagnosticIds.UnsupportedType, $"{n.Describe()}: input {i} has another element type than input 0");
            SetOutput(n, 0, In(n, 0).Type, Resolve(n).OutShape);
        }

        public override long ScratchBytes(Node n) => (long)Resolve(n).ScratchElements * DataTypes.SizeOf(In(n, 0).Type);

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var plan = Resolve(n);
            var t = ctx.Elem(ctx.InValue(0).Type);
            var k = ctx.Kernel("Einsum");
            string? scratch = null;
            if (plan.ScratchElements > 0)
            {
                scratch = ctx.Local("einsumTmp");
                ctx.W.Line($"var {scratch} = {ctx.Scratch(t)};");
            }
            string Operand(int r)
            {
                if (r >= 0) return ctx.In(r);
                var s = plan.Steps[-r - 2];
                return $"{scratch}.Slice({s.ScratchOffset}, {s.OutSize})";
            }
            foreach (var s in plan.Steps)
            {
                var dst = s.ScratchOffset < 0 ? ctx.Out(0) : $"{scratch}.Slice({s.ScratchOffset}, {s.OutSize})";
                if (s.B < 0) ctx.W.Line($"{k}.Reduce<{t}>({Operand(s.A)}, {dst}, {CodeWriter.Ints(s.Dims)}, {CodeWriter.Ints(s.AStrides)}, {s.OutRank});");
                else ctx.W.Line($"{k}.Contract<{t}>({Operand(s.A)}, {Operand(s.B)}, {dst}, {CodeWriter.Ints(s.Dims)}, {CodeWriter.Ints(s.AStrides)}, {CodeWriter.Ints(s.BStrides)}, {s.OutRank});");
            }
        }

        public override string Describe(Node n) => CodeWriter.LineComment(n.GetString("equation", ""));
    }
}
