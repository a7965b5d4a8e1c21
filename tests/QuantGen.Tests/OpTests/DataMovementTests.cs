using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Tests.Infrastructure;
using static QuantGen.Tests.OpTests.H;

namespace QuantGen.Tests.OpTests
{
    /// <summary>
    /// Data movement ops against ONNX Runtime: Pad (modes constant/reflect/edge/wrap, attribute pads at opset 2, input
    /// pads at 11+, axes at 18+, negative pads, run-time constant_value, every run-time type), Split (attribute, input,
    /// equal parts, num_outputs with an uneven last chunk, negative axis), Tile, Range (folded), CastLike,
    /// DepthToSpace (DCR, CRD), SpaceToDepth, Trilu (upper/lower, constant and run-time k) and OneHot.
    /// </summary>
    public class DataMovementTests
    {
        private static string N(long[]? v) => v == null ? "none" : string.Join("_", v).Replace("-", "m");

        private static OpCase Pad(int opset, string mode, int[] x, long[] pads, long[]? axes = null, DataType t = DataType.Float,
            double? value = null, bool runtimeValue = false)
        {
            var name = $"pad{opset}_{mode}_{DataTypes.OnnxName(t)}_{Shape(x)}_p{N(pads)}_a{N(axes)}_v{(runtimeValue ? "runtime" : value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none")}";
            var b = new OnnxBuilder(opset).Input("X", t, x);
            var ins = new List<string> { "X" };
            Array? valueData = null;
            if (opset >= 11)
            {
                b.Initializer("pads", pads, pads.Length); ins.Add("pads");
                if (value != null || runtimeValue)
                {
                    double v = value ?? 0;
                    valueData = t switch
                    {
                        DataType.Float => new[] { (float)v }, DataType.Int64 => new[] { (long)v }, DataType.Int32 => new[] { (int)v },
                        DataType.Int8 => new[] { (sbyte)v }, DataType.UInt8 => new[] { (byte)v }, _ => new[] { v != 0 },
                    };
                    if (runtimeValue) b.Input("V", t, S()); else b.Initializer("V", t, S(), valueData);
                    ins.Add("V");
                }
                if (axes != null)
                {
                    if (ins.Count == 2) ins.Add("");
                    b.Initializer("axes", axes, axes.Length); ins.Add("axes");
                }
            }
            b.Node("Pad", ins.ToArray(), new[] { "Y" }, a =>
            {
                a.String("mode", mode);
                if (opset < 11) { a.Ints("pads", pads); if (value != null) a.Float("value", (float)value.Value); }
            }).Output("Y", t);
            return new OpCase(name, b, runtimeValue ? (r, d) => d["V"] = RandomData.Make(r, t, 1) : null);
        }

        private static OpCase Split(int opset, int[] x, long? axis, long[]? split, int outputs, long? numOutputs = null, DataType t = DataType.Float)
        {
            var name = $"split{opset}_{DataTypes.OnnxName(t)}_{Shape(x)}_axis{(axis?.ToString() ?? "default").Replace("-", "m")}_s{N(split)}_out{outputs}{(numOutputs != null ? "_num" : "")}";
            var b = new OnnxBuilder(opset).Input("X", t, x);
            var ins = new List<string> { "X" };
            if (opset >= 13 && split != null) { b.Initializer("split", split, split.Length); ins.Add("split"); }
            var outs = Enumerable.Range(0, outputs).Select(i => "Y" + i).ToArray();
            b.Node("Split", ins.ToArray(), outs, a =>
            {
                if (axis != null) a.Int("axis", axis.Value);
                if (opset < 13 && split != null) a.Ints("split", split);
                if (numOutputs != null) a.Int("num_outputs", numOutputs.Value);
            });
            foreach (var o in outs) b.Output(o, t);
            return new OpCase(name, b);
        }

        private static OpCase WithConst(string name, int opset, string op, DataType t, int[] x, (string Name, DataType Type, int[] Shape, Array Data)[] consts,
            Action<AttributeList>? attrs = null, DataType? outType = null)
        {
            var b = new OnnxBuilder(opset).Input("X", t, x);
            foreach (var c in consts) b.Initializer(c.Name, c.Type, c.Shape, c.Data);
            b.Node(op, new[] { "X" }.Concat(consts.Select(c => c.Name)).ToArray(), new[] { "Y" }, attrs).Output("Y", outType ?? t);
            return new OpCase(name, b);
        }

        private static OpCase Trilu(int[] x, bool? upper, long? k, bool runtimeK, DataType t = DataType.Float)
        {
            var name = $"trilu_{DataTypes.OnnxName(t)}_{Shape(x)}_{(upper == null ? "default" : upper.Value ? "upper" : "lower")}_k{(runtimeK ? "runtime" : k?.ToString() ?? "none").Replace("-", "m")}";
            var b = new OnnxBuilder(14).Input("X", t, x);
            var ins = new List<string> { "X" };
            if (runtimeK) { b.Input("K", I64, S()); ins.Add("K"); }
            else if (k != null) { b.Initializer("K", I64, S(), new[] { k.Value }); ins.Add("K"); }
            b.Node("Trilu", ins.ToArray(), new[] { "Y" }, a => { if (upper != null) a.Int("upper", upper.Value ? 1 : 0); }).Output("Y", t);
            return new OpCase(name, b, runtimeK ? (r, d) => d["K"] = new[] { k ?? 0 } : null);
        }

        private static OpCase OneHot(int opset, int[] idxShape, Array indices, DataType it, DataType vt, DataType dt, double depth, long? axis, bool runtimeValues)
        {
            var name = $"onehot{opset}_{DataTypes.OnnxName(it)}_{DataTypes.OnnxName(vt)}_{DataTypes.OnnxName(dt)}_{Shape(idxShape)}_d{depth}_axis{(axis?.ToString() ?? "default").Replace("-", "m")}{(runtimeValues ? "_runtime_values" : "")}";
            Array depthData = dt switch { DataType.Float => new[] { (float)depth }, DataType.Int32 => new[] { (int)depth }, _ => new[] { (long)depth } };
            Array values = vt switch { DataType.Float => new[] { -0.5f, 2f }, DataType.Int32 => new[] { 3, 7 }, _ => new[] { 0L, 9L } };
            var b = new OnnxBuilder(opset).Input("I", it, idxShape).Initializer("depth", dt, S(1), depthData);
            if (runtimeValues) b.Input("V", vt, S(2)); else b.Initializer("V", vt, S(2), values);
            b.Node("OneHot", new[] { "I", "depth", "V" }, new[] { "Y" }, a => { if (axis != null) a.Int("axis", axis.Value); }).Output("Y", vt);
            return new OpCase(name, b, (r, d) => d["I"] = indices);
        }

        public static IReadOnlyList<OpCase> Cases()
        {
            var list = new List<OpCase>();

            // Pad: opset 2 attributes.
            list.Add(Pad(2, "constant", S(2, 3, 4), L(0, 1, 2, 0, 1, 0), value: 1.5));
            list.Add(Pad(2, "constant", S(2, 3), L(1, 0, 0, 2)));
            list.Add(Pad(2, "reflect", S(1, 3, 4), L(0, 2, 1, 0, 1, 3)));
            list.Add(Pad(2, "edge", S(1, 3, 4), L(0, 2, 3, 0, 1, 0)));
            // Opset 11/13: constant inputs, run-time constant_value, negative pads.
            list.Add(Pad(11, "constant", S(2, 3, 4), L(0, 1, 1, 1, 0, 2), value: -2));
            list.Add(Pad(11, "constant", S(2, 3, 4), L(0, 1, 1, 1, 0, 2), runtimeValue: true));
            list.Add(Pad(11, "constant", S(3, 4), L(1, 1, 1, 1)));
            list.Add(Pad(11, "reflect", S(3, 4), L(2, 3, 2, 3)));
            list.Add(Pad(11, "edge", S(3, 4), L(3, 0, 0, 5)));
            list.Add(Pad(13, "constant", S(4, 5), L(-1, 2, 1, -2), value: 3));
            list.Add(Pad(13, "constant", S(4, 5), L(-1, -2, -1, -1)));
            list.Add(Pad(13, "edge", S(4, 5), L(-2, 1, 2, -3)));
            list.Add(Pad(13, "reflect", S(4, 5), L(1, -1, -2, 2)));
            list.Add(Pad(13, "reflect", S(3, 5), L(0, 2, 0, -2)));
            list.Add(Pad(19, "wrap", S(3, 4), L(0, 2, 0, -1)));
            list.Add(Pad(13, "edge", S(3, 4), L(-1, -1, 2, 2)));
            list.Add(Pad(13, "constant", S(2, 1, 3, 3), L(0, 0, 1, 1, 0, 0, 1, 1)));
            foreach (var t in new[] { I64, I32, I8, U8 })
            {
                list.Add(Pad(13, "constant", S(2, 3), L(1, 0, 0, 2), t: t, value: 5));
                list.Add(Pad(13, "constant", S(2, 3), L(1, 1, 1, 1), t: t, runtimeValue: true));
                list.Add(Pad(13, "reflect", S(2, 3), L(1, 2, 1, 2), t: t));
                list.Add(Pad(13, "edge", S(2, 3), L(0, 2, 1, 1), t: t));
            }
            list.Add(Pad(13, "constant", S(2, 3), L(1, 0, 0, 2), t: B, value: 1));
            list.Add(Pad(13, "constant", S(2, 3), L(1, 1, 0, 1), t: B));
            // Opset 18 axes (negative allowed), opset 19 wrap, opset 21.
            list.Add(Pad(18, "constant", S(2, 3, 4), L(1, 2, 0, 1), axes: L(1, 2), value: 0.5));
            list.Add(Pad(18, "reflect", S(2, 3, 4), L(1, 2, 2, 1), axes: L(-1, 1)));
            list.Add(Pad(18, "edge", S(2, 3, 4), L(2, 1), axes: L(0)));
            list.Add(Pad(19, "wrap", S(3, 4), L(2, 3, 1, 4)));
            list.Add(Pad(19, "wrap", S(2, 3, 4), L(1, 1, 0, 2), axes: L(0, -1)));
            list.Add(Pad(19, "wrap", S(4, 5), L(-1, 2, 2, -2)));
            list.Add(Pad(21, "constant", S(2, 3), L(0, 1, 2, 0), t: I64, value: -7));
            list.Add(Pad(21, "edge", S(2, 3, 2), L(1, 0, 0, 0, 2, 1)));

            // Split.
            list.Add(Split(2, S(6, 4), null, L(2, 4), 2));
            list.Add(Split(2, S(6, 4), 1, null, 2));
            list.Add(Split(11, S(3, 6), -1, L(1, 2, 3), 3));
            list.Add(Split(11, S(6), null, null, 3, t: I64));
            list.Add(Split(13, S(2, 7), 1, L(3, 0, 4), 3));
            list.Add(Split(13, S(2, 6), -1, null, 3, t: I32));
            list.Add(Split(13, S(4, 2, 3), 0, L(1, 3), 2, t: B));
            list.Add(Split(18, S(7, 3), 0, null, 3, numOutputs: 3));
            list.Add(Split(18, S(2, 5), -1, null, 2, numOutputs: 2, t: U8));
            list.Add(Split(18, S(2, 6, 2), 1, L(2, 4), 2, t: I8));
            list.Add(Split(18, S(8), null, null, 4, numOutputs: 4, t: I64));

            // Tile.
            foreach (var t in new[] { F, I64, B })
                list.Add(WithConst($"tile13_{DataTypes.OnnxName(t)}_2x3_r2_3", 13, "Tile", t, S(2, 3), new[] { ("R", I64, S(2), (Array)L(2, 3)) }));
            list.Add(WithConst("tile13_float_2x1x3_r1_4_2", 13, "Tile", F, S(2, 1, 3), new[] { ("R", I64, S(3), (Array)L(1, 4, 2)) }));
            list.Add(WithConst("tile6_int32_4_r3", 6, "Tile", I32, S(4), new[] { ("R", I64, S(1), (Array)L(3)) }));
            list.Add(WithConst("tile13_uint8_2x2_r1_1", 13, "Tile", U8, S(2, 2), new[] { ("R", I64, S(2), (Array)L(1, 1)) }));

            // Range: folded at build time; the result is used with a run-time input.
            foreach (var (t, start, limit, delta) in new[] { (F, 1.0, 4.0, 0.5), (F, 5.0, 1.0, -1.5), (I64, 10.0, -3.0, -4.0), (I32, 2.0, 9.0, 3.0), (I64, 3.0, 3.0, 1.0) })
            {
                Array Sc(double v) => t == F ? new[] { (float)v } : t == I64 ? new[] { (long)v } : new[] { (int)v };
                int count = (int)Math.Max(0, Math.Ceiling((limit - start) / delta));
                var b = new OnnxBuilder(11).Input("X", t, S(count))
                    .Initializer("start", t, S(), Sc(start)).Initializer("limit", t, S(), Sc(limit)).Initializer("delta", t, S(), Sc(delta));
                b.Node("Range", new[] { "start", "limit", "delta" }, new[] { "r" }).Node("Add", new[] { "X", "r" }, new[] { "Y" }).Output("Y", t).Output("r", t);
                list.Add(new OpCase($"range11_{DataTypes.OnnxName(t)}_{start}_{limit}_{delta}".Replace("-", "m"), b));
            }

            // CastLike.
            foreach (var (from, to, opset) in new[] { (F, I64, 15), (F, I32, 15), (I32, F, 15), (F, B, 15), (B, F, 19), (I64, I8, 19), (U8, I32, 21), (I8, U8, 21), (I64, I64, 21) })
            {
                var b = new OnnxBuilder(opset).Input("X", from, S(2, 5)).Initializer("T", to, S(1), RandomData.Make(new Random(1), to, 1));
                b.Node("CastLike", new[] { "X", "T" }, new[] { "Y" }).Output("Y", to);
                list.Add(new OpCase($"castlike{opset}_{DataTypes.OnnxName(from)}_to_{DataTypes.OnnxName(to)}", b,
                    from == I64 ? (r, d) => d["X"] = Enumerable.Range(0, 10).Select(i => (long)(i * 97 - 400)).ToArray() : null));
            }

            // DepthToSpace / SpaceToDepth.
            list.Add(new OpCase("depthtospace1_2x8x3x2_b2", One(1, "DepthToSpace", new[] { ("X", F, S(2, 8, 3, 2)) }, F, a => a.Int("blocksize", 2))));
            list.Add(new OpCase("depthtospace11_dcr_1x9x2x3_b3", One(11, "DepthToSpace", new[] { ("X", F, S(1, 9, 2, 3)) }, F, a => a.Int("blocksize", 3).String("mode", "DCR"))));
            list.Add(new OpCase("depthtospace13_crd_2x8x3x2_b2", One(13, "DepthToSpace", new[] { ("X", F, S(2, 8, 3, 2)) }, F, a => a.Int("blocksize", 2).String("mode", "CRD"))));
            list.Add(new OpCase("depthtospace13_default_1x12x2x2_b2", One(13, "DepthToSpace", new[] { ("X", F, S(1, 12, 2, 2)) }, F, a => a.Int("blocksize", 2))));
            list.Add(new OpCase("spacetodepth1_2x3x4x6_b2", One(1, "SpaceToDepth", new[] { ("X", F, S(2, 3, 4, 6)) }, F, a => a.Int("blocksize", 2))));
            list.Add(new OpCase("spacetodepth13_1x2x6x3_b3", One(13, "SpaceToDepth", new[] { ("X", F, S(1, 2, 6, 3)) }, F, a => a.Int("blocksize", 3))));

            // Trilu.
            foreach (var (shape, upper, k, rt) in new (int[], bool?, long?, bool)[] { (S(4, 5), null, null, false), (S(4, 5), false, null, false), (S(5, 3), true, 1, false),
                (S(5, 3), false, -1, false), (S(2, 3, 4), true, -2, false), (S(2, 3, 4), false, 2, false), (S(3, 3), true, 7, false), (S(3, 3), false, -7, false),
                (S(4, 5), true, -1, true), (S(2, 4, 3), false, 1, true), (S(1, 5), true, 0, false) })
                list.Add(Trilu(shape, upper, k, rt));
            list.Add(Trilu(S(3, 4), true, 1, false, I64));
            list.Add(Trilu(S(2, 3, 3), false, 0, true, I64));

            // OneHot: negative and out-of-range indices, axes, index/value/depth types.
            list.Add(OneHot(11, S(2, 3), L(0, 3, -1, -4, 4, 2), I64, F, I64, 4, null, false));
            list.Add(OneHot(11, S(2, 3), L(0, 3, -1, -4, 5, 2), I64, F, I64, 4, 0, false));
            list.Add(OneHot(11, S(2, 3), L(1, 0, -2, 2, 1, -3), I64, F, I64, 3, 1, true));
            list.Add(OneHot(11, S(2, 3), L(1, 0, -2, 2, 1, -3), I64, F, I64, 3, -2, false));
            list.Add(OneHot(9, S(5), new[] { 1.7f, -1.2f, 0f, 2.9f, -1f }, F, F, F, 3, null, false));
            list.Add(OneHot(11, S(5), new[] { 0, 4, -5, 2, 6 }, I32, F, I32, 5, -1, false));
            list.Add(OneHot(11, S(2, 2), L(2, 0, -1, 1), I64, I64, I64, 3, 0, true));
            list.Add(OneHot(11, S(4), new[] { 2.2f, -0.5f, 1f, 3f }, F, I64, I64, 4, null, false));
            return list;
        }

        public static TheoryData<string> CaseNames => Names(Cases());

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void Data_movement_ops_match_onnxruntime(string @case) => OpSuite.Check(typeof(DataMovementTests), Cases, @case);
    }
}

namespace QuantGen.Tests.OpTests
{
    using System.IO;
    using Google.Protobuf;
    using QuantGen.Cli;
    using QuantGen.Onnx;
    using QuantGen.Onnx.Proto;
    using QuantGen.Tests.NodeTests;

    /// <summary>
    /// The ONNX backend node tests of these ops that feed pads, split sizes, repeats, depth or Range's inputs as graph
    /// inputs (which BackendNodeTests rejects, the output shape depending on them): here those inputs become initializers
    /// holding the test set's values, and the outputs must equal the ONNX reference outputs.
    /// </summary>
    public class DataMovementNodeTests
    {
        /// <summary>Test folder and the graph input indices bound as constants.</summary>
        private static readonly (string Test, int[] Bound)[] s_tests =
        {
            ("test_constant_pad", new[] { 1 }), ("test_constant_pad_axes", new[] { 1, 3 }), ("test_constant_pad_negative_axes", new[] { 1, 3 }),
            ("test_edge_pad", new[] { 1 }), ("test_reflect_pad", new[] { 1 }), ("test_wrap_pad", new[] { 1 }),
            ("test_onehot_negative_indices", new[] { 1 }), ("test_onehot_with_axis", new[] { 1 }), ("test_onehot_with_negative_axis", new[] { 1 }),
            ("test_onehot_without_axis", new[] { 1 }), ("test_range_float_type_positive_delta", new[] { 0, 1, 2 }),
            ("test_range_int32_type_negative_delta", new[] { 0, 1, 2 }), ("test_split_variable_parts_1d_opset13", new[] { 1 }),
            ("test_split_variable_parts_1d_opset18", new[] { 1 }), ("test_split_variable_parts_2d_opset13", new[] { 1 }),
            ("test_split_variable_parts_2d_opset18", new[] { 1 }), ("test_split_variable_parts_default_axis_opset13", new[] { 1 }),
            ("test_split_variable_parts_default_axis_opset18", new[] { 1 }), ("test_split_zero_size_splits_opset13", new[] { 1 }),
            ("test_split_zero_size_splits_opset18", new[] { 1 }), ("test_tile", new[] { 1 }), ("test_tile_precomputed", new[] { 1 }),
        };

        public static TheoryData<string> Names()
        {
            var d = new TheoryData<string>();
            foreach (var t in s_tests) d.Add(t.Test);
            return d;
        }

        [Theory]
        [MemberData(nameof(Names))]
        public void Node_test_with_shape_inputs_bound_as_constants_matches_the_reference(string test)
        {
            var bound = s_tests.Single(t => t.Test == test).Bound;
            var dir = Path.Combine(BackendNodeTests.NodeRoot, test);
            var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "model.onnx")));
            var setDir = Directory.GetDirectories(dir, "test_data_set_*").OrderBy(s => s, StringComparer.Ordinal).First();
            var set = TestSet.ReadAll(dir).First();
            var inputs = model.Graph.Input.ToList();
            var kept = new List<HostTensor>();
            for (int i = 0; i < inputs.Count; i++)
            {
                if (!bound.Contains(i)) { kept.Add(set.Inputs[i]); continue; }
                var t = TensorProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(setDir, $"input_{i}.pb")));
                t.Name = inputs[i].Name;
                model.Graph.Input.Remove(inputs[i]);
                model.Graph.Initializer.Add(t);
            }
            var bytes = model.ToByteArray();
            var entry = new ModelBatch.Entry(test, bytes, Checker.BindDims(bytes, test, kept));
            ModelBatch.Compile(new[] { entry });
            var failure = BackendNodeTests.Evaluate(entry, new TestSet(set.Name, kept, set.Outputs));
            Assert.True(failure == null, failure);
        }
    }
}
