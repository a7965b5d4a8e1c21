using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Cli;
using QuantGen.Graph;
using QuantGen.Tests.Infrastructure;
using static QuantGen.Tests.OpTests.H;

namespace QuantGen.Tests.OpTests
{
    /// <summary>
    /// Index ops against ONNX Runtime: ArgMax/ArgMin (opsets 1-13, axes, keepdims, select_last_index, ties on integer data),
    /// TopK (opsets 1/10/11, largest/smallest, ties, negative axis, sorted=0 through an order-free sum), CumSum (constant and
    /// run-time axis, exclusive, reverse), GatherElements, GatherND (batch_dims), ScatterElements/Scatter and ScatterND (every
    /// reduction, duplicates, negative indices) and Einsum (matmul, batch, diagonal, trace, ellipsis broadcast, implicit
    /// output, three operands, integer types). Index values outside the range and NaN handling are checked without ORT.
    /// </summary>
    public class IndexingTests
    {
        private static string T(DataType t) => DataTypes.OnnxName(t);

        private static OpCase Arg(string op, int opset, DataType t, int[] x, long? axis, long? keepdims, long? last)
        {
            var name = $"{op.ToLowerInvariant()}_opset{opset}_{T(t)}_{Shape(x)}_axis{axis?.ToString() ?? "default"}_keep{keepdims?.ToString() ?? "default"}_last{last?.ToString() ?? "default"}";
            return new OpCase(name, One(opset, op, new[] { ("X", t, x) }, I64, a =>
            {
                if (axis != null) a.Int("axis", axis.Value);
                if (keepdims != null) a.Int("keepdims", keepdims.Value);
                if (last != null) a.Int("select_last_index", last.Value);
            }), (r, d) =>
            {
                // Integer data from a narrow range has many ties (first vs last index matters).
                int n = Prod(x);
                if (t == I64) d["X"] = Enumerable.Range(0, n).Select(_ => (long)r.Next(-3, 4)).ToArray();
                else if (t == I32) d["X"] = Enumerable.Range(0, n).Select(_ => r.Next(-3, 4)).ToArray();
                else if (t == U8) d["X"] = Enumerable.Range(0, n).Select(_ => (byte)r.Next(0, 4)).ToArray();
                else if (t == I8) d["X"] = Enumerable.Range(0, n).Select(_ => (sbyte)r.Next(-2, 2)).ToArray();
                else d["X"] = Enumerable.Range(0, n).Select(_ => (float)r.Next(-3, 4) * 0.5f).ToArray();
            });
        }

        private static OpCase TopK(int opset, DataType t, int[] x, long k, long? axis, long? largest, bool ties, long? sorted = null)
        {
            var name = $"topk_opset{opset}_{T(t)}_{Shape(x)}_k{k}_axis{axis?.ToString() ?? "default"}_largest{largest?.ToString() ?? "default"}{(ties ? "_ties" : "")}{(sorted != null ? "_sorted" + sorted : "")}";
            var b = new OnnxBuilder(opset).Input("X", t, x);
            var ins = new List<string> { "X" };
            if (opset >= 10) { b.Initializer("K", L(k), 1); ins.Add("K"); }
            b.Node("TopK", ins.ToArray(), new[] { "V", "I" }, a =>
            {
                if (opset < 10) a.Int("k", k);
                if (axis != null) a.Int("axis", axis.Value);
                if (largest != null) a.Int("largest", largest.Value);
                if (sorted != null) a.Int("sorted", sorted.Value);
            });
            if (sorted == 0)
            {
                // The order is undefined with sorted=0: compare the order-free sum of the selected values.
                int ax = (int)(axis ?? -1) < 0 ? x.Length + (int)(axis ?? -1) : (int)axis!.Value;
                b.Node("ReduceSum", new[] { "V" }, new[] { "Y" }, a => a.Ints("axes", ax)).Output("Y", t);
            }
            else b.Output("V", t).Output("I", I64);
            return new OpCase(name, b, (r, d) =>
            {
                int n = Prod(x);
                if (t == F) d["X"] = ties ? Enumerable.Range(0, n).Select(_ => (float)r.Next(-2, 3)).ToArray() : RandomData.Floats(r, n);
                else if (t == I64) d["X"] = Enumerable.Range(0, n).Select(_ => (long)r.Next(ties ? -2 : -1000, ties ? 3 : 1000)).ToArray();
                else if (t == I32) d["X"] = Enumerable.Range(0, n).Select(_ => r.Next(ties ? -2 : -1000, ties ? 3 : 1000)).ToArray();
            });
        }

        private static OpCase CumSum(int opset, DataType t, int[] x, long axis, DataType axisType, bool runtimeAxis, long? exclusive, long? reverse)
        {
            var name = $"cumsum_opset{opset}_{T(t)}_{Shape(x)}_axis{axis}_{T(axisType)}_{(runtimeAxis ? "runtime" : "const")}_excl{exclusive?.ToString() ?? "default"}_rev{reverse?.ToString() ?? "default"}";
            var b = new OnnxBuilder(opset).Input("X", t, x);
            Array axisData = axisType == I64 ? new[] { axis } : new[] { (int)axis };
            if (runtimeAxis) b.Input("A", axisType); else b.Initializer("A", axisType, S(), axisData);
            b.Node("CumSum", new[] { "X", "A" }, new[] { "Y" }, a =>
            {
                if (exclusive != null) a.Int("exclusive", exclusive.Value);
                if (reverse != null) a.Int("reverse", reverse.Value);
            }).Output("Y", t);
            return new OpCase(name, b, (r, d) => d["A"] = axisData);
        }

        private static Array Idx(DataType it, long[] v) => it == I64 ? v : v.Select(e => (int)e).ToArray();

        private static OpCase GatherElements(DataType t, int[] x, int[] idxShape, long[] idx, long? axis, DataType it, bool constIdx, int opset = 13)
        {
            var name = $"gatherelements_opset{opset}_{T(t)}_{Shape(x)}_axis{axis?.ToString() ?? "default"}_idx{Shape(idxShape)}_{string.Join("_", idx)}_{T(it)}_{(constIdx ? "const" : "runtime")}";
            var b = new OnnxBuilder(opset).Input("X", t, x);
            var data = Idx(it, idx);
            if (constIdx) b.Initializer("I", it, idxShape, data); else b.Input("I", it, idxShape);
            b.Node("GatherElements", new[] { "X", "I" }, new[] { "Y" }, a => { if (axis != null) a.Int("axis", axis.Value); }).Output("Y", t);
            return new OpCase(name, b, (r, d) => d["I"] = data);
        }

        private static OpCase GatherND(DataType t, int[] x, int[] idxShape, long[] idx, long? batchDims, int opset = 13)
        {
            var name = $"gathernd_opset{opset}_{T(t)}_{Shape(x)}_batch{batchDims?.ToString() ?? "default"}_idx{Shape(idxShape)}_{string.Join("_", idx)}";
            var b = new OnnxBuilder(opset).Input("X", t, x).Input("I", I64, idxShape);
            b.Node("GatherND", new[] { "X", "I" }, new[] { "Y" }, a => { if (batchDims != null) a.Int("batch_dims", batchDims.Value); }).Output("Y", t);
            return new OpCase(name, b, (r, d) => d["I"] = idx);
        }

        private static OpCase Scatter(string op, int opset, DataType t, int[] x, int[] idxShape, long[] idx, long? axis, string? reduction, DataType it = DataType.Int64)
        {
            var name = $"{op.ToLowerInvariant()}_opset{opset}_{T(t)}_{Shape(x)}_axis{axis?.ToString() ?? "default"}_{reduction ?? "noreduction"}_idx{Shape(idxShape)}_{string.Join("_", idx)}_{T(it)}";
            var b = new OnnxBuilder(opset).Input("X", t, x).Input("I", it, idxShape).Input("U", t, idxShape);
            b.Node(op, new[] { "X", "I", "U" }, new[] { "Y" }, a =>
            {
                if (axis != null) a.Int("axis", axis.Value);
                if (reduction != null) a.String("reduction", reduction);
            }).Output("Y", t);
            return new OpCase(name, b, (r, d) => d["I"] = Idx(it, idx));
        }

        private static OpCase ScatterND(int opset, DataType t, int[] x, int[] idxShape, long[] idx, string? reduction)
        {
            var updShape = idxShape.Take(idxShape.Length - 1).Concat(x.Skip(idxShape[^1])).ToArray();
            var name = $"scatternd_opset{opset}_{T(t)}_{Shape(x)}_{reduction ?? "noreduction"}_idx{Shape(idxShape)}_{string.Join("_", idx)}";
            var b = new OnnxBuilder(opset).Input("X", t, x).Input("I", I64, idxShape).Input("U", t, updShape);
            b.Node("ScatterND", new[] { "X", "I", "U" }, new[] { "Y" }, a => { if (reduction != null) a.String("reduction", reduction); }).Output("Y", t);
            return new OpCase(name, b, (r, d) => d["I"] = idx);
        }

        private static OpCase Einsum(string equation, DataType t, params int[][] shapes)
        {
            var name = $"einsum_{T(t)}_{equation.Replace("->", "_to_").Replace(",", "_").Replace("...", "ell").Replace(" ", "")}_{string.Join("_", shapes.Select(Shape))}";
            var ins = shapes.Select((s, i) => ("X" + i, t, s)).ToArray();
            return new OpCase(name, One(12, "Einsum", ins, t, a => a.String("equation", equation)));
        }


        /// <summary>
        /// The op on constant inputs only (folded at build time), each output then added to a run-time input so the graph
        /// computes something: checks the build-time evaluation against ORT.
        /// </summary>
        private static OpCase Folded(string name, int opset, string op, (string Name, DataType Type, int[] Shape, Array Data)[] consts,
            (DataType Type, int[] Shape)[] outs, Action<AttributeList> attrs)
        {
            var b = new OnnxBuilder(opset);
            foreach (var c in consts) b.Initializer(c.Name, c.Type, c.Shape, c.Data);
            var cn = outs.Select((_, i) => "C" + i).ToArray();
            b.Node(op, consts.Select(c => c.Name).ToArray(), cn, attrs);
            for (int i = 0; i < outs.Length; i++)
                b.Input("X" + i, outs[i].Type, outs[i].Shape).Node("Add", new[] { cn[i], "X" + i }, new[] { "Y" + i }).Output("Y" + i, outs[i].Type);
            return new OpCase("folded_" + name, b);
        }

        private static IEnumerable<OpCase> FoldedCases()
        {
            var r = new Random(5);
            float[] Ties(int n) => Enumerable.Range(0, n).Select(_ => (float)r.Next(-2, 3)).ToArray();
            yield return Folded("argmax_last", 13, "ArgMax", new[] { ("A", F, S(3, 4), (Array)Ties(12)) }, new[] { (I64, S(3)) },
                a => a.Int("axis", 1).Int("keepdims", 0).Int("select_last_index", 1));
            yield return Folded("argmin_axis0", 13, "ArgMin", new[] { ("A", I64, S(3, 4), (Array)Enumerable.Range(0, 12).Select(_ => (long)r.Next(-2, 3)).ToArray()) },
                new[] { (I64, S(1, 4)) }, a => a.Int("axis", 0));
            yield return Folded("topk_smallest", 11, "TopK", new[] { ("A", F, S(3, 4), (Array)Ties(12)), ("K", I64, S(1), (Array)L(2)) },
                new[] { (F, S(3, 2)), (I64, S(3, 2)) }, a => a.Int("largest", 0));
            yield return Folded("topk_axis0", 11, "TopK", new[] { ("A", I64, S(3, 4), (Array)Enumerable.Range(0, 12).Select(_ => (long)r.Next(-2, 3)).ToArray()), ("K", I64, S(1), (Array)L(2)) },
                new[] { (I64, S(2, 4)), (I64, S(2, 4)) }, a => a.Int("axis", 0));
            yield return Folded("cumsum_exclusive_reverse", 14, "CumSum", new[] { ("A", F, S(3, 4), (Array)Ties(12)), ("X", I32, S(), (Array)new[] { -1 }) },
                new[] { (F, S(3, 4)) }, a => a.Int("exclusive", 1).Int("reverse", 1));
            yield return Folded("cumsum_int32", 14, "CumSum", new[] { ("A", I32, S(3, 4), (Array)Enumerable.Range(0, 12).Select(i => i * 7 - 30).ToArray()), ("X", I64, S(), (Array)L(0)) },
                new[] { (I32, S(3, 4)) }, a => { });
            yield return Folded("gatherelements", 13, "GatherElements", new[] { ("A", F, S(3, 4), (Array)Ties(12)), ("I", I64, S(2, 4), (Array)L(0, -1, 2, 1, 2, 2, -3, 0)) },
                new[] { (F, S(2, 4)) }, a => a.Int("axis", 0));
            yield return Folded("gathernd_batch1", 13, "GatherND", new[] { ("A", F, S(2, 3, 4), (Array)Ties(24)), ("I", I64, S(2, 2), (Array)L(1, -1, 2, 0)) },
                new[] { (F, S(2)) }, a => a.Int("batch_dims", 1));
            yield return Folded("scatterelements_mul", 18, "ScatterElements",
                new[] { ("A", F, S(3, 4), (Array)Ties(12)), ("I", I64, S(2, 3), (Array)L(1, 1, -1, 0, 3, 0)), ("U", F, S(2, 3), (Array)Ties(6)) },
                new[] { (F, S(3, 4)) }, a => a.Int("axis", 1).String("reduction", "mul"));
            yield return Folded("scatterelements_max_int64", 18, "ScatterElements",
                new[] { ("A", I64, S(3, 4), (Array)Enumerable.Range(0, 12).Select(i => (long)i - 5).ToArray()), ("I", I64, S(2, 2), (Array)L(0, 0, 2, 2)), ("U", I64, S(2, 2), (Array)L(7, -9, 3, 100)) },
                new[] { (I64, S(3, 4)) }, a => a.String("reduction", "max"));
            yield return Folded("scatternd_add", 18, "ScatterND",
                new[] { ("A", F, S(4, 3), (Array)Ties(12)), ("I", I64, S(3, 1), (Array)L(1, -1, 1)), ("U", F, S(3, 3), (Array)Ties(9)) },
                new[] { (F, S(4, 3)) }, a => a.String("reduction", "add"));
        }

        public static IReadOnlyList<OpCase> Cases()
        {
            var list = new List<OpCase>();
            var x = S(3, 4, 5);

            // ArgMax / ArgMin.
            foreach (var op in new[] { "ArgMax", "ArgMin" })
            {
                foreach (var axis in new long?[] { null, 0, 1, 2 })
                    foreach (var keep in new long?[] { null, 0 })
                        list.Add(Arg(op, 1, F, x, axis, keep, null));
                foreach (var axis in new long?[] { -1, -3, 1 })
                    list.Add(Arg(op, 11, F, x, axis, 0, null));
                foreach (var last in new long?[] { 0, 1 })
                    foreach (var axis in new long?[] { 0, -1 })
                    {
                        list.Add(Arg(op, 12, F, x, axis, 1, last));
                        list.Add(Arg(op, 13, I64, x, axis, 0, last));
                        list.Add(Arg(op, 13, I32, x, axis, 1, last));
                        list.Add(Arg(op, 13, U8, x, axis, null, last));
                        list.Add(Arg(op, 13, F, S(7), axis, 0, last));
                    }
                list.Add(Arg(op, 13, I8, x, 1, 0, 1));
                list.Add(Arg(op, 13, F, S(2, 1, 3), 1, 0, 1));
            }

            // TopK.
            list.Add(TopK(1, F, x, 2, null, null, false));
            list.Add(TopK(1, F, x, 3, 1, null, false));
            list.Add(TopK(10, F, x, 3, 0, null, false));
            list.Add(TopK(10, F, x, 5, -1, null, true));
            foreach (var largest in new long?[] { null, 0, 1 })
                foreach (var (axis, k) in new[] { (-1L, 3L), (0L, 1L), (1L, 4L), (-2L, 2L) })
                {
                    list.Add(TopK(11, F, x, k, axis, largest, false));
                    list.Add(TopK(11, F, x, k, axis, largest, true));
                    list.Add(TopK(11, I64, x, k, axis, largest, true));
                }
            list.Add(TopK(11, I32, x, 3, 2, 0, true));
            list.Add(TopK(11, I32, x, 2, 0, 1, false));
            list.Add(TopK(11, F, S(40), 7, null, 1, false));
            list.Add(TopK(11, F, S(40), 40, null, 0, true));
            list.Add(TopK(11, F, S(6, 9), 4, 1, 1, false, sorted: 0));
            list.Add(TopK(11, F, S(6, 9), 3, 0, 0, false, sorted: 0));

            // CumSum.
            foreach (var (t, opset) in new[] { (F, 11), (F, 14), (I32, 14), (I64, 14) })
                foreach (var (ex, rev) in new[] { ((long?)null, (long?)null), (1L, null), (null, 1L), (1L, 1L), (0L, 0L) })
                    list.Add(CumSum(opset, t, x, 1, I64, false, ex, rev));
            foreach (var axis in new long[] { 0, 2, -1, -3 })
            {
                list.Add(CumSum(14, F, x, axis, I32, true, null, null));
                list.Add(CumSum(14, I64, x, axis, I64, true, 1, 1));
                list.Add(CumSum(14, F, x, axis, I32, false, 1, null));
            }
            list.Add(CumSum(14, F, S(9), 0, I64, true, null, 1));

            // GatherElements.
            var g = S(3, 4);
            list.Add(GatherElements(F, g, S(2, 4), L(0, 1, 2, 0, -1, -2, -3, 2), 0, I64, false));
            list.Add(GatherElements(F, g, S(3, 2), L(3, 0, -1, 1, 2, -4), 1, I64, false));
            list.Add(GatherElements(F, g, S(3, 5), L(0, 1, 2, 3, 0, 3, 3, 2, 1, 0, -1, -2, -3, -4, 0), -1, I32, false));
            list.Add(GatherElements(F, g, S(2, 3), L(1, 0, 2, 2, 1, 0), null, I64, true));
            list.Add(GatherElements(I64, g, S(1, 4), L(2, 1, 0, -1), 0, I32, true));
            list.Add(GatherElements(B, g, S(3, 1), L(0, -1, 2), 1, I64, false));
            list.Add(GatherElements(I32, S(2, 3, 4), S(2, 2, 4), L(0, 1, 2, 0, 1, 2, 0, 1, 2, 2, 1, 0, -1, -2, -3, 0), 1, I64, false, opset: 11));
            list.Add(GatherElements(F, S(6), S(4), L(5, 0, -6, 3), 0, I64, false));

            // GatherND.
            list.Add(GatherND(F, S(2, 2), S(2, 2), L(0, 0, 1, 1), null, 11));
            list.Add(GatherND(F, S(2, 2), S(2, 1), L(1, 0), null));
            list.Add(GatherND(I32, S(2, 2, 2), S(2, 2), L(0, 1, 1, 0), null));
            list.Add(GatherND(I64, S(2, 2, 2), S(2, 1, 2), L(0, 1, 1, 0), null));
            list.Add(GatherND(F, S(2, 2, 2), S(2, 1), L(1, 0), 1, 12));
            list.Add(GatherND(F, S(2, 3, 4), S(2, 2, 2), L(0, 1, 2, 3, -1, -1, 1, 0), 1));
            list.Add(GatherND(F, S(2, 3, 4), S(2, 3, 1), L(0, 1, 2, 3, -1, 0), 2));
            list.Add(GatherND(F, S(3, 4, 5), S(4, 3), L(0, 0, 0, 2, 3, 4, -1, -1, -1, 1, 2, 3), null));

            // ScatterElements and Scatter.
            var se = S(3, 4);
            foreach (var t in new[] { F, I64, I32 })
                list.Add(Scatter("ScatterElements", 11, t, se, S(2, 4), L(0, 1, 2, 0, 2, 0, 1, 1), 0, null));
            list.Add(Scatter("ScatterElements", 13, F, se, S(3, 2), L(3, 0, -1, 1, 0, -4), 1, null, I32));
            list.Add(Scatter("ScatterElements", 13, B, se, S(3, 2), L(3, 0, -1, 1, 0, -4), -1, null));
            foreach (var red in new[] { "none", "add", "mul" })
                list.Add(Scatter("ScatterElements", 16, F, se, S(2, 4), L(0, 0, 2, 2, 0, 0, -1, 1), 0, red));
            foreach (var red in new[] { "add", "mul", "max", "min" })
                foreach (var t in new[] { F, I64 })
                    list.Add(Scatter("ScatterElements", 18, t, se, S(3, 3), L(1, 1, 3, 0, 0, 0, -1, 2, 3), 1, red));
            list.Add(Scatter("Scatter", 9, F, se, S(2, 4), L(0, 1, 2, 0, 2, 0, 1, 1), null, null));
            list.Add(Scatter("Scatter", 10, F, se, S(3, 2), L(3, 0, 2, 1, 0, 1), 1, null));
            list.Add(Scatter("Scatter", 10, I64, se, S(3, 2), L(-1, 0, 2, -2, 0, 1), 1, null, I32));

            // ScatterND.
            var nd = S(4, 4, 4);
            list.Add(ScatterND(11, F, nd, S(2, 1), L(0, 2), null));
            list.Add(ScatterND(13, I64, nd, S(2, 2), L(0, 1, -1, 3), null));
            list.Add(ScatterND(13, F, nd, S(3, 3), L(0, 1, 2, 3, 3, 3, -4, 0, 1), null));
            list.Add(ScatterND(13, I32, S(8), S(4, 1), L(4, 3, 1, 7), null));
            list.Add(ScatterND(13, B, S(2, 3), S(2, 2), L(0, 1, 1, 2), null));
            foreach (var red in new[] { "add", "mul" })
                list.Add(ScatterND(16, F, nd, S(3, 1), L(0, 2, 0), red));
            foreach (var red in new[] { "add", "mul", "max", "min" })
                foreach (var t in new[] { F, I64 })
                    list.Add(ScatterND(18, t, nd, S(2, 2, 2), L(0, 1, 0, 1, -1, 2, 3, 2), red));

            // Einsum.
            list.Add(Einsum("ij,jk->ik", F, S(3, 4), S(4, 5)));
            list.Add(Einsum("ij,jk", F, S(3, 4), S(4, 5)));
            list.Add(Einsum("bij,bjk->bik", F, S(2, 3, 4), S(2, 4, 5)));
            list.Add(Einsum("i,i", F, S(7), S(7)));
            list.Add(Einsum("i,i->", F, S(7), S(7)));
            list.Add(Einsum("ij->ji", F, S(3, 4)));
            list.Add(Einsum("ba", F, S(3, 4)));
            list.Add(Einsum("ii->i", F, S(4, 4)));
            list.Add(Einsum("ii", F, S(4, 4)));
            list.Add(Einsum("ij->", F, S(3, 4)));
            list.Add(Einsum("ij->i", F, S(3, 4)));
            list.Add(Einsum("bii->bi", F, S(3, 5, 5)));
            list.Add(Einsum("i,j->ij", F, S(3), S(4)));
            list.Add(Einsum("ij,ij->ij", F, S(3, 4), S(3, 4)));
            list.Add(Einsum("ij,jk,kl->il", F, S(2, 3), S(3, 4), S(4, 5)));
            list.Add(Einsum("ab,bc,cd,da->", F, S(2, 3), S(3, 4), S(4, 2), S(2, 2)));
            list.Add(Einsum("...ij,...jk->...ik", F, S(2, 3, 4), S(2, 4, 5)));
            list.Add(Einsum("...ij,...jk->...ik", F, S(2, 1, 3, 4), S(1, 3, 4, 2)));
            list.Add(Einsum("...ii->...i", F, S(2, 3, 3)));
            list.Add(Einsum("i...->...", F, S(3, 2, 4)));
            list.Add(Einsum("bhqd,bhkd->bhqk", F, S(1, 2, 3, 4), S(1, 2, 5, 4)));
            list.Add(Einsum("bsh,hd->bsd", F, S(2, 3, 8), S(8, 6)));
            list.Add(Einsum("ij,jk->ik", I64, S(3, 4), S(4, 2)));
            list.Add(Einsum("ij,kj->ik", I32, S(3, 4), S(2, 4)));
            list.Add(Einsum(" i j , j -> i ", F, S(3, 4), S(4)));

            list.AddRange(FoldedCases());
            return list;
        }

        public static TheoryData<string> CaseNames => Names(Cases());

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void Index_ops_match_onnxruntime(string @case) => OpSuite.Check(typeof(IndexingTests), Cases, @case);

        [Fact]
        public void ArgMax_and_ArgMin_pick_NaN_as_the_extreme_like_the_onnx_reference()
        {
            var b = new OnnxBuilder(13).Input("X", F, 2, 5);
            foreach (var op in new[] { "ArgMax", "ArgMin" })
                foreach (var last in new[] { 0L, 1L })
                {
                    var y = $"{op}{last}";
                    b.Node(op, new[] { "X" }, new[] { y }, a => a.Int("axis", 1).Int("keepdims", 0).Int("select_last_index", last)).Output(y, I64);
                }
            var model = new Checker(b.ToBytes(), "argnan.onnx", null).Compile(new Dictionary<string, int>());
            float nan = float.NaN;
            var outs = model.Run(new Array[] { new[] { 1f, nan, 5f, nan, -2f, 3f, 3f, -1f, -1f, 0f } });
            Assert.Equal(new long[] { 1, 0 }, (long[])outs[0]);  // ArgMax: the first NaN; ties: the first 3
            Assert.Equal(new long[] { 3, 1 }, (long[])outs[1]);  // ArgMax, last: the last NaN; ties: the last 3
            Assert.Equal(new long[] { 1, 2 }, (long[])outs[2]);  // ArgMin: the first NaN; ties: the first -1
            Assert.Equal(new long[] { 3, 3 }, (long[])outs[3]);  // ArgMin, last: the last NaN; ties: the last -1
        }

        [Fact]
        public void Indices_out_of_range_throw_ArgumentException_and_write_nothing_out_of_bounds()
        {
            var b = new OnnxBuilder(18).Input("X", F, 3, 4).Input("GE", I64, 3, 4).Input("ND", I64, 2, 2).Input("AX", I64);
            b.Node("GatherElements", new[] { "X", "GE" }, new[] { "Y0" }, a => a.Int("axis", 1)).Output("Y0", F)
             .Node("ScatterElements", new[] { "X", "GE", "X" }, new[] { "Y1" }, a => a.Int("axis", 1).String("reduction", "add")).Output("Y1", F)
             .Node("GatherND", new[] { "X", "ND" }, new[] { "Y2" }).Output("Y2", F)
             .Node("ScatterND", new[] { "X", "ND", "Y2" }, new[] { "Y3" }).Output("Y3", F)
             .Node("CumSum", new[] { "X", "AX" }, new[] { "Y4" }).Output("Y4", F);
            var model = new Checker(b.ToBytes(), "oob.onnx", null).Compile(new Dictionary<string, int>());
            var x = Enumerable.Range(0, 12).Select(i => (float)i).ToArray();
            var ge = Enumerable.Range(0, 12).Select(i => (long)(i % 4) - 4).ToArray();
            var nd = L(0, -4, 2, 3);
            var ok = model.Run(new Array[] { x, ge, nd, new[] { -2L } });
            Assert.Equal(x, (float[])ok[0]);
            Assert.Equal(new[] { 0f, 4f, 12f }, ((float[])ok[4]).Where((_, i) => i % 4 == 0).ToArray());

            foreach (var (what, geBad, ndBad, ax) in new[]
            {
                ("GatherElements/ScatterElements index 4", ge.Select((v, i) => i == 5 ? 4L : v).ToArray(), nd, -2L),
                ("GatherElements/ScatterElements index -5", ge.Select((v, i) => i == 11 ? -5L : v).ToArray(), nd, -2L),
                ("GatherND/ScatterND index 3 on an axis of 3", ge, L(0, 0, 3, 0), -2L),
                ("GatherND/ScatterND index -5 on an axis of 4", ge, L(0, -5, 1, 1), -2L),
                ("CumSum axis 2 of rank 2", ge, nd, 2L),
                ("CumSum axis -3 of rank 2", ge, nd, -3L),
            })
            {
                var e = Record.Exception(() => model.Run(new Array[] { x, geBad, ndBad, new[] { ax } }));
                Assert.True(e is ArgumentException, $"{what}: expected ArgumentException, got {e?.GetType().Name ?? "no exception"}");
            }
        }
    }
}
