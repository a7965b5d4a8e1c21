using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Tests.Infrastructure;
using static QuantGen.Tests.OpTests.H;

namespace QuantGen.Tests.OpTests
{
    /// <summary>Reduce* with contiguous and non-contiguous axes, keepdims, noop_with_empty_axes, attribute (opset 13) and input (opset 18) axes; Softmax/LogSoftmax opset 11 vs 13.</summary>
    public class ReduceSoftmaxTests
    {
        private static readonly string[] Ops =
            { "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceSumSquare", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp" };

        private static OpCase Reduce(string op, int opset, int[] shape, long[]? axes, bool keep, bool noop = false)
        {
            var name = $"{op.ToLowerInvariant()}_opset{opset}_{Shape(shape)}_axes{(axes == null ? "none" : string.Join("_", axes))}_keep{(keep ? 1 : 0)}{(noop ? "_noop" : "")}";
            bool axesInput = opset >= 18 || (op == "ReduceSum" && opset >= 13);
            var b = new OnnxBuilder(opset).Input("X", F, shape);
            var ins = new List<string> { "X" };
            if (axesInput && axes != null) { b.Initializer("axes", axes, axes.Length); ins.Add("axes"); }
            b.Node(op, ins.ToArray(), new[] { "Y" }, a =>
            {
                if (!axesInput && axes != null) a.Ints("axes", axes);
                if (!keep) a.Int("keepdims", 0);
                if (noop) a.Int("noop_with_empty_axes", 1);
            }).Output("Y", F);
            // Positive inputs keep LogSum defined and Prod moderate.
            return new OpCase(name, b, (r, d) => d["X"] = RandomData.Floats(r, Prod(shape), op is "ReduceLogSum" or "ReduceProd" ? 0.5 : -2, op is "ReduceLogSum" or "ReduceProd" ? 1.5 : 2));
        }

        private static OpCase Softmax(string op, int opset, int[] shape, long? axis)
        {
            var name = $"{op.ToLowerInvariant()}_opset{opset}_{Shape(shape)}_axis{(axis?.ToString() ?? "default")}";
            return new OpCase(name, One(opset, op, new[] { ("X", F, shape) }, F, a => { if (axis != null) a.Int("axis", axis.Value); }),
                (r, d) => d["X"] = RandomData.Floats(r, Prod(shape), -5, 5));
        }

        public static IReadOnlyList<OpCase> Cases()
        {
            var list = new List<OpCase>();
            var shape = S(2, 3, 4, 5);
            long[]?[] axesSets = { L(1), L(-1), L(1, 2), L(0, 2), L(1, 3), L(0, 2, 3), L(3, 0), null };
            foreach (var op in Ops)
                foreach (var opset in new[] { 13, 18 })
                    foreach (var axes in axesSets)
                        foreach (var keep in new[] { true, false })
                        {
                            if (axes != null && axes.Length > 1 && !keep && opset == 13 && op != "ReduceSum") continue; // keep the count reasonable
                            list.Add(Reduce(op, opset, shape, axes, keep));
                        }
            foreach (var op in new[] { "ReduceSum", "ReduceMean", "ReduceMax" })
            {
                list.Add(Reduce(op, 18, shape, null, true, noop: true));
                list.Add(Reduce(op, 18, S(7), L(0), false));
                list.Add(Reduce(op, 18, S(3, 1, 4), L(1), false));
            }
            list.Add(Reduce("ReduceSum", 13, shape, null, false, noop: true));
            list.Add(Reduce("ReduceMean", 11, shape, L(-2, 1), true));

            foreach (var op in new[] { "Softmax", "LogSoftmax" })
            {
                foreach (var axis in new long?[] { null, 0, 1, 2, -1, -3 })
                {
                    list.Add(Softmax(op, 11, S(2, 3, 4), axis));
                    list.Add(Softmax(op, 13, S(2, 3, 4), axis));
                }
                list.Add(Softmax(op, 13, S(10), null));
                list.Add(Softmax(op, 11, S(3, 17), null));
                list.Add(Softmax(op, 13, S(2, 3, 1, 5), 2));
            }
            return list;
        }

        public static TheoryData<string> CaseNames => Names(Cases());

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void Reduce_and_softmax_match_onnxruntime(string @case) => OpSuite.Check(typeof(ReduceSoftmaxTests), Cases, @case);
    }
}
