using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Tests.Infrastructure;
using static QuantGen.Tests.OpTests.H;

namespace QuantGen.Tests.OpTests
{
    /// <summary>
    /// Data movement and shape ops: Slice (negative/out-of-range starts and ends, negative steps, axes, opset 9 vs 13),
    /// Gather (negative indices, axes, scalar/2-D/runtime indices), Transpose, Concat, Squeeze/Unsqueeze (opset 11 vs 13),
    /// Reshape (0, -1, allowzero), Flatten, Expand, Shape/Size/ConstantOfShape, Identity and Dropout.
    /// </summary>
    public class ShapeOpTests
    {
        private static OpCase Slice13(int[] x, long[] starts, long[] ends, long[]? axes = null, long[]? steps = null, DataType t = DataType.Float)
        {
            string F2(long[]? v) => v == null ? "none" : string.Join("_", v.Select(e => e == long.MaxValue ? "max" : e == long.MinValue ? "min" : e.ToString()));
            var name = $"slice13_{DataTypes.OnnxName(t)}_{Shape(x)}_s{F2(starts)}_e{F2(ends)}_a{F2(axes)}_st{F2(steps)}";
            var b = new OnnxBuilder(13).Input("X", t, x).Initializer("starts", starts, starts.Length).Initializer("ends", ends, ends.Length);
            var ins = new List<string> { "X", "starts", "ends" };
            if (axes != null || steps != null)
            {
                if (axes != null) { b.Initializer("axes", axes, axes.Length); ins.Add("axes"); } else ins.Add("");
            }
            if (steps != null) { b.Initializer("steps", steps, steps.Length); ins.Add("steps"); }
            b.Node("Slice", ins.ToArray(), new[] { "Y" }).Output("Y", t);
            return new OpCase(name, b);
        }

        private static OpCase Slice9(int[] x, long[] starts, long[] ends, long[]? axes = null)
        {
            var name = $"slice9_{Shape(x)}_s{string.Join("_", starts)}_e{string.Join("_", ends)}_a{(axes == null ? "none" : string.Join("_", axes))}";
            return new OpCase(name, One(9, "Slice", new[] { ("X", F, x) }, F, a =>
            {
                a.Ints("starts", starts).Ints("ends", ends);
                if (axes != null) a.Ints("axes", axes);
            }));
        }

        private static OpCase Gather(int[] x, int[] idxShape, long[] idx, long axis, bool constIdx, DataType it = DataType.Int64, DataType t = DataType.Float)
        {
            var name = $"gather_{DataTypes.OnnxName(t)}_{Shape(x)}_axis{axis}_idx{Shape(idxShape)}_{string.Join("_", idx)}_{DataTypes.OnnxName(it)}_{(constIdx ? "const" : "runtime")}";
            var b = new OnnxBuilder(13).Input("X", t, x);
            Array idxData = it == DataType.Int64 ? idx : idx.Select(v => (int)v).ToArray();
            if (constIdx) b.Initializer("I", it, idxShape, idxData); else b.Input("I", it, idxShape);
            b.Node("Gather", new[] { "X", "I" }, new[] { "Y" }, a => a.Int("axis", axis)).Output("Y", t);
            return new OpCase(name, b, (r, d) => d["I"] = idxData);
        }

        private static OpCase Reshape(int[] x, long[] shape, bool allowZero = false, int opset = 14)
        {
            var name = $"reshape_opset{opset}_{Shape(x)}_to_{string.Join("_", shape)}{(allowZero ? "_allowzero" : "")}";
            var b = new OnnxBuilder(opset).Input("X", F, x).Initializer("shape", shape, shape.Length);
            b.Node("Reshape", new[] { "X", "shape" }, new[] { "Y" }, a => { if (allowZero) a.Int("allowzero", 1); }).Output("Y", F);
            return new OpCase(name, b);
        }

        private static OpCase Axes(string op, int opset, int[] x, long[]? axes, DataType t = DataType.Float)
        {
            var name = $"{op.ToLowerInvariant()}_opset{opset}_{DataTypes.OnnxName(t)}_{Shape(x)}_axes{(axes == null ? "none" : string.Join("_", axes))}";
            var b = new OnnxBuilder(opset).Input("X", t, x);
            var ins = new List<string> { "X" };
            if (opset >= 13 && axes != null) { b.Initializer("axes", axes, axes.Length); ins.Add("axes"); }
            b.Node(op, ins.ToArray(), new[] { "Y" }, a => { if (opset < 13 && axes != null) a.Ints("axes", axes); });
            // A Relu (or Neg) after the view makes the output a computed value, not just an alias of the input.
            b.Output("Y", t);
            return new OpCase(name, b);
        }

        public static IReadOnlyList<OpCase> Cases()
        {
            var list = new List<OpCase>();
            var x = S(3, 4, 5);
            list.Add(Slice13(x, L(1), L(3)));
            list.Add(Slice13(x, L(0, 1), L(2, 4), L(1, 2)));
            list.Add(Slice13(x, L(-3), L(-1), L(-1)));
            list.Add(Slice13(x, L(-100), L(100), L(1)));
            list.Add(Slice13(x, L(2), L(long.MaxValue), L(2)));
            list.Add(Slice13(x, L(10), L(20), L(2)));
            list.Add(Slice13(x, L(0, 1), L(3, 5), L(0, 2), L(2, 3)));
            list.Add(Slice13(x, L(-1), L(long.MinValue), L(2), L(-1)));
            list.Add(Slice13(x, L(4), L(0), L(2), L(-2)));
            list.Add(Slice13(x, L(100), L(-100), L(1), L(-1)));
            list.Add(Slice13(x, L(-1, -2), L(-4, -6), L(0, 2), L(-1, -3)));
            list.Add(Slice13(x, L(1), L(3), L(0), L(5)));
            list.Add(Slice13(x, L(0, 0, 0), L(3, 4, 5)));
            list.Add(Slice13(S(6), L(1), L(5), null, L(2), DataType.Int64));
            list.Add(Slice13(S(2, 6), L(5), L(-7), L(1), L(-2), DataType.Int32));
            list.Add(Slice9(x, L(1), L(3)));
            list.Add(Slice9(x, L(0, -3), L(2, 100), L(0, 2)));
            list.Add(Slice9(x, L(-2), L(long.MaxValue), L(1)));

            var g = S(5, 4, 3);
            list.Add(Gather(g, S(3), L(0, 4, 2), 0, true));
            list.Add(Gather(g, S(3), L(-1, 0, -5), 0, true));
            list.Add(Gather(g, S(2, 2), L(3, -4, 1, 1), 1, true));
            list.Add(Gather(g, S(), L(-1), 2, true));
            list.Add(Gather(g, S(), L(2), 0, false));
            list.Add(Gather(g, S(4), L(-1, 0, 2, -3), -1, false));
            list.Add(Gather(g, S(2, 3), L(1, -1, 0, 2, -2, 3), 1, false));
            list.Add(Gather(g, S(3), L(0, -1, 1), 1, false, DataType.Int32));
            list.Add(Gather(g, S(3), L(4, -5, 1), 0, true, DataType.Int32));
            list.Add(Gather(S(6), S(4), L(5, -6, 0, 3), 0, false, DataType.Int64, DataType.Int64));

            foreach (var (shape, perm) in new[] { (S(3, 4), L(1, 0)), (S(2, 3, 4), L(0, 2, 1)), (S(2, 3, 4), L(2, 0, 1)), (S(2, 3, 4), L(1, 2, 0)),
                (S(2, 3, 4, 5), L(0, 2, 3, 1)), (S(2, 3, 4, 5), L(0, 3, 1, 2)), (S(2, 3, 4, 5), L(3, 2, 1, 0)), (S(1, 3, 1, 5), L(2, 0, 3, 1)), (S(2, 3, 4), null) })
                foreach (var t in new[] { F, I64 })
                    list.Add(new OpCase($"transpose_{DataTypes.OnnxName(t)}_{Shape(shape)}_perm{(perm == null ? "default" : string.Join("", perm))}",
                        One(13, "Transpose", new[] { ("X", t, shape) }, t, a => { if (perm != null) a.Ints("perm", perm); })));

            foreach (var (axis, shapes) in new[] { (0L, new[] { S(2, 3), S(1, 3), S(4, 3) }), (1L, new[] { S(2, 3), S(2, 1), S(2, 5) }), (-1L, new[] { S(2, 2, 3), S(2, 2, 1) }),
                (1L, new[] { S(2, 3, 4), S(2, 1, 4), S(2, 2, 4) }), (-3L, new[] { S(1, 2, 2), S(2, 2, 2) }) })
                foreach (var t in new[] { F, I64, I32 })
                {
                    var ins = shapes.Select((s, i) => ("X" + i, t, s)).ToArray();
                    list.Add(new OpCase($"concat_{DataTypes.OnnxName(t)}_axis{axis}_{string.Join("_", shapes.Select(Shape))}", One(13, "Concat", ins, t, a => a.Int("axis", axis))));
                }
            var cc = new OnnxBuilder(13).Input("X", F, S(2, 3)).Initializer("C", new[] { 1f, 2f, 3f }, 1, 3);
            cc.Node("Concat", new[] { "C", "X", "C" }, new[] { "Y" }, a => a.Int("axis", 0)).Output("Y", F);
            list.Add(new OpCase("concat_float32_axis0_with_constant_input", cc));

            list.Add(Axes("Squeeze", 11, S(1, 3, 1, 4), L(0)));
            list.Add(Axes("Squeeze", 11, S(1, 3, 1, 4), L(-2, 0)));
            list.Add(Axes("Squeeze", 11, S(1, 3, 1, 4), null));
            list.Add(Axes("Squeeze", 13, S(1, 3, 1, 4), L(2)));
            list.Add(Axes("Squeeze", 13, S(1, 3, 1, 4), L(0, -2), DataType.Int64));
            list.Add(Axes("Squeeze", 13, S(1, 3, 1, 4), null));
            list.Add(Axes("Unsqueeze", 11, S(3, 4), L(0)));
            list.Add(Axes("Unsqueeze", 11, S(3, 4), L(0, 3)));
            list.Add(Axes("Unsqueeze", 11, S(3, 4), L(-1)));
            list.Add(Axes("Unsqueeze", 13, S(3, 4), L(1)));
            list.Add(Axes("Unsqueeze", 13, S(3, 4), L(-1, 0), DataType.Int64));
            list.Add(Axes("Unsqueeze", 13, S(), L(0)));

            list.Add(Reshape(S(2, 3, 4), L(6, 4)));
            list.Add(Reshape(S(2, 3, 4), L(0, -1)));
            list.Add(Reshape(S(2, 3, 4), L(-1)));
            list.Add(Reshape(S(2, 3, 4), L(0, 0, 2, 2)));
            list.Add(Reshape(S(2, 3, 4), L(4, 0, -1)));
            list.Add(Reshape(S(2, 3, 4), L(2, 12), allowZero: true));
            list.Add(Reshape(S(2, 3, 4), L(-1, 2), allowZero: true));
            list.Add(Reshape(S(2, 3, 4), L(0, 12), opset: 13));
            list.Add(Reshape(S(6), L(1, 2, 1, 3)));

            foreach (var axis in new long?[] { null, 0, 1, 2, 3, -1, -3 })
                list.Add(new OpCase($"flatten_2x3x4x5_axis{(axis?.ToString() ?? "default")}", One(13, "Flatten", new[] { ("X", F, S(2, 3, 4, 5)) }, F, a => { if (axis != null) a.Int("axis", axis.Value); })));

            foreach (var (from, to) in new[] { (S(3, 1), L(3, 4)), (S(1, 4), L(2, 3, 4)), (S(4), L(2, 1, 4)), (S(2, 1, 3), L(1, 4, 1)), (S(), L(2, 2)) })
                foreach (var t in new[] { F, I64 })
                {
                    var b = new OnnxBuilder(13).Input("X", t, from).Initializer("shape", to, to.Length);
                    b.Node("Expand", new[] { "X", "shape" }, new[] { "Y" }).Output("Y", t);
                    list.Add(new OpCase($"expand_{DataTypes.OnnxName(t)}_{Shape(from)}_to_{string.Join("x", to)}", b));
                }

            // Shape, Size and ConstantOfShape fold at build time; the graph still has to compute with them.
            var sh = new OnnxBuilder(15).Input("X", F, S(2, 3, 4));
            sh.Node("Shape", new[] { "X" }, new[] { "s" }, a => a.Int("start", 1))
              .Node("ConstantOfShape", new[] { "s" }, new[] { "c" }, a => a.Tensor("value", OnnxBuilder.Tensor("v", DataType.Float, S(1), new[] { 1.5f })))
              .Node("Add", new[] { "X", "c" }, new[] { "Y" })
              .Node("Size", new[] { "X" }, new[] { "n" })
              .Node("Shape", new[] { "X" }, new[] { "full" })
              .Node("Cast", new[] { "n" }, new[] { "nf" }, a => a.Int("to", 1))
              .Node("Mul", new[] { "Y", "nf" }, new[] { "Y2" })
              .Output("Y2", F).Output("full", I64);
            list.Add(new OpCase("shape_size_constantofshape_chain", sh));
            var cos = new OnnxBuilder(13).Input("X", I64, S(2, 3)).Initializer("shape", L(2, 3), 2);
            cos.Node("ConstantOfShape", new[] { "shape" }, new[] { "c" }, a => a.Tensor("value", OnnxBuilder.Tensor("v", DataType.Int64, S(1), L(7))))
               .Node("Sub", new[] { "X", "c" }, new[] { "Y" }).Output("Y", I64);
            list.Add(new OpCase("constantofshape_int64_value", cos));

            var id = new OnnxBuilder(13).Input("X", F, S(2, 3));
            id.Node("Identity", "X", "a").Node("Dropout", new[] { "a" }, new[] { "b", "mask" }).Node("Relu", "b", "Y").Output("Y", F).Output("mask", B);
            list.Add(new OpCase("identity_dropout_with_mask_inference", id));
            var dr = new OnnxBuilder(13).Input("X", F, S(2, 3)).Initializer("ratio", new[] { 0.3f }).Initializer("training", B, S(), new[] { false });
            dr.Node("Dropout", new[] { "X", "ratio", "training" }, new[] { "Y" }).Output("Y", F);
            list.Add(new OpCase("dropout_ratio_training_false_is_identity", dr));
            var idOut = new OnnxBuilder(13).Input("X", I64, S(4));
            idOut.Node("Identity", "X", "Y").Output("Y", I64);
            list.Add(new OpCase("identity_int64_input_to_output", idOut));
            return list;
        }

        public static TheoryData<string> CaseNames => Names(Cases());

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void Shape_and_data_movement_ops_match_onnxruntime(string @case) => OpSuite.Check(typeof(ShapeOpTests), Cases, @case);
    }
}
