using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Tests.Infrastructure;
using static QuantGen.Tests.OpTests.H;

namespace QuantGen.Tests.OpTests
{
    /// <summary>
    /// The less common ops of Ops/MiscOps.cs against ONNX Runtime: trigonometric/hyperbolic functions, Celu, Shrink,
    /// bitwise ops and BitShift, Hardmax (opset 11 and 13 semantics), EyeLike, LRN, MeanVarianceNormalization, LpPool,
    /// GlobalLpPool, ReverseSequence, Det, Compress, Col2Im, CenterCropPad and the window functions.
    /// </summary>
    public class MiscOpTests
    {
        private static OpCase Unary(string op, int[] shape, double lo, double hi, Action<AttributeList>? attrs = null, int opset = 13, string suffix = "")
        {
            var name = $"{op.ToLowerInvariant()}{suffix}_{Shape(shape)}_opset{opset}";
            return new OpCase(name, One(opset, op, new[] { ("X", F, shape) }, F, attrs), (r, d) => d["X"] = RandomData.Floats(r, Prod(shape), lo, hi));
        }

        private static OpCase Shrink(DataType t, float bias, float lambd)
        {
            var name = $"shrink_{DataTypes.OnnxName(t)}_bias{bias}_lambd{lambd}";
            return new OpCase(name, One(9, "Shrink", new[] { ("X", t, S(3, 7)) }, t, a => { a.Float("bias", bias); a.Float("lambd", lambd); }));
        }

        private static OpCase Bitwise(string op, DataType t, int[] a, int[] b)
        {
            var name = $"{op.ToLowerInvariant()}_{DataTypes.OnnxName(t)}_{Shape(a)}_{Shape(b)}";
            return new OpCase(name, One(18, op, new[] { ("A", t, a), ("B", t, b) }, t));
        }

        private static OpCase BitShift(string direction, int[] a, int[] b)
        {
            var name = $"bitshift_{direction.ToLowerInvariant()}_{Shape(a)}_{Shape(b)}";
            return new OpCase(name, One(11, "BitShift", new[] { ("A", U8, a), ("B", U8, b) }, U8, at => at.String("direction", direction)), (r, d) =>
            {
                d["A"] = Enumerable.Range(0, Prod(a)).Select(_ => (byte)r.Next(256)).ToArray();
                d["B"] = Enumerable.Range(0, Prod(b)).Select(_ => (byte)r.Next(0, 10)).ToArray(); // 8 and 9 shift everything out
            });
        }

        private static OpCase Hardmax(int[] shape, int? axis, int opset, bool ties = false)
        {
            var name = $"hardmax_{Shape(shape)}_axis{(axis?.ToString() ?? "default")}_opset{opset}{(ties ? "_ties" : "")}";
            return new OpCase(name, One(opset, "Hardmax", new[] { ("X", F, shape) }, F, a => { if (axis != null) a.Int("axis", axis.Value); }), (r, d) =>
            {
                var v = RandomData.Floats(r, Prod(shape));
                if (ties) for (int i = 0; i < v.Length; i++) v[i] = r.Next(3);
                d["X"] = v;
            });
        }

        private static OpCase Lrn(int[] shape, int size, float? alpha = null, float? beta = null, float? bias = null, int opset = 13)
        {
            var name = $"lrn_{Shape(shape)}_size{size}{(alpha != null ? "_a" + alpha : "")}{(beta != null ? "_b" + beta : "")}{(bias != null ? "_bias" + bias : "")}_opset{opset}";
            return new OpCase(name, One(opset, "LRN", new[] { ("X", F, shape) }, F, a =>
            {
                a.Int("size", size);
                if (alpha != null) a.Float("alpha", alpha.Value);
                if (beta != null) a.Float("beta", beta.Value);
                if (bias != null) a.Float("bias", bias.Value);
            }));
        }

        private static OpCase Mvn(int[] shape, long[]? axes, int opset = 13)
        {
            var name = $"mvn_{Shape(shape)}_axes{(axes == null ? "default" : string.Join("", axes.Select(v => v.ToString().Replace("-", "m"))))}_opset{opset}";
            return new OpCase(name, One(opset, "MeanVarianceNormalization", new[] { ("X", F, shape) }, F, a => { if (axes != null) a.Ints("axes", axes); }));
        }

        private static OpCase LpPool(int[] x, int[] kernel, int p = 2, int[]? strides = null, int[]? pads = null, string? autoPad = null,
            int[]? dilations = null, bool ceil = false, int opset = 18)
        {
            string Ints(int[]? v) => v == null ? "" : string.Join("", v);
            var name = $"lppool_{Shape(x)}_k{Ints(kernel)}_p{p}{(strides != null ? "_s" + Ints(strides) : "")}{(pads != null ? "_pad" + Ints(pads) : "")}"
                + $"{(autoPad != null ? "_" + autoPad : "")}{(dilations != null ? "_d" + Ints(dilations) : "")}{(ceil ? "_ceil" : "")}_opset{opset}";
            return new OpCase(name, One(opset, "LpPool", new[] { ("X", F, x) }, F, a =>
            {
                a.Ints("kernel_shape", kernel.Select(v => (long)v).ToArray());
                a.Int("p", p);
                if (strides != null) a.Ints("strides", strides.Select(v => (long)v).ToArray());
                if (pads != null) a.Ints("pads", pads.Select(v => (long)v).ToArray());
                if (autoPad != null) a.String("auto_pad", autoPad);
                if (dilations != null) a.Ints("dilations", dilations.Select(v => (long)v).ToArray());
                if (ceil) a.Int("ceil_mode", 1);
            }));
        }

        private static OpCase ReverseSequence(DataType t, int[] shape, int batchAxis, int timeAxis, long[] lens)
        {
            var name = $"reversesequence_{DataTypes.OnnxName(t)}_{Shape(shape)}_b{batchAxis}_t{timeAxis}_{string.Join("", lens)}";
            var m = One(10, "ReverseSequence", new[] { ("X", t, shape), ("L", I64, S(lens.Length)) }, t, a => { a.Int("batch_axis", batchAxis); a.Int("time_axis", timeAxis); });
            return new OpCase(name, m, (r, d) => d["L"] = lens);
        }

        private static OpCase Compress(DataType t, int[] shape, bool[] cond, int? axis)
        {
            var name = $"compress_{DataTypes.OnnxName(t)}_{Shape(shape)}_{string.Join("", cond.Select(c => c ? 1 : 0))}_axis{(axis?.ToString().Replace("-", "m") ?? "none")}";
            var m = new OnnxBuilder(11).Input("X", t, shape).Initializer("C", B, S(cond.Length), cond)
                .Node("Compress", new[] { "X", "C" }, new[] { "Y" }, a => { if (axis != null) a.Int("axis", axis.Value); }).Output("Y", t);
            return new OpCase(name, m);
        }

        private static OpCase Col2Im(int[] image, int[] block, int channels, int[]? strides = null, int[]? pads = null, int[]? dilations = null)
        {
            int r = image.Length;
            var st = strides ?? Enumerable.Repeat(1, r).ToArray();
            var dl = dilations ?? Enumerable.Repeat(1, r).ToArray();
            var pd = pads ?? new int[2 * r];
            int blocks = 1;
            for (int d = 0; d < r; d++) blocks *= (image[d] + pd[d] + pd[d + r] - (dl[d] * (block[d] - 1) + 1)) / st[d] + 1;
            var x = S(2, channels * Prod(block), blocks);
            string Ints(int[]? v) => v == null ? "" : string.Join("", v);
            var name = $"col2im_{Ints(image)}_block{Ints(block)}_c{channels}{(strides != null ? "_s" + Ints(strides) : "")}{(pads != null ? "_p" + Ints(pads) : "")}{(dilations != null ? "_d" + Ints(dilations) : "")}";
            var m = new OnnxBuilder(18).Input("X", F, x)
                .Initializer("image", image.Select(v => (long)v).ToArray(), r).Initializer("block", block.Select(v => (long)v).ToArray(), r)
                .Node("Col2Im", new[] { "X", "image", "block" }, new[] { "Y" }, a =>
                {
                    if (strides != null) a.Ints("strides", strides.Select(v => (long)v).ToArray());
                    if (pads != null) a.Ints("pads", pads.Select(v => (long)v).ToArray());
                    if (dilations != null) a.Ints("dilations", dilations.Select(v => (long)v).ToArray());
                }).Output("Y", F);
            return new OpCase(name, m);
        }

        private static OpCase CenterCropPad(DataType t, int[] shape, long[] target, long[]? axes)
        {
            var name = $"centercroppad_{DataTypes.OnnxName(t)}_{Shape(shape)}_to{string.Join("x", target)}_axes{(axes == null ? "all" : string.Join("", axes.Select(v => v.ToString().Replace("-", "m"))))}";
            var m = new OnnxBuilder(18).Input("X", t, shape).Initializer("shape", target, target.Length)
                .Node("CenterCropPad", new[] { "X", "shape" }, new[] { "Y" }, a => { if (axes != null) a.Ints("axes", axes); }).Output("Y", t);
            return new OpCase(name, m);
        }

        private static OpCase Window(string op, long size, bool periodic, DataType outType)
        {
            var name = $"{op.ToLowerInvariant()}_{size}_{(periodic ? "periodic" : "symmetric")}_{DataTypes.OnnxName(outType)}";
            // The window feeds an Add with a run-time input so that the model has a run-time input and the folded constant is used.
            var m = new OnnxBuilder(17).Input("X", outType, S((int)size)).Initializer("size", new[] { size })
                .Node(op, new[] { "size" }, new[] { "W" }, a => { a.Int("periodic", periodic ? 1 : 0); a.Int("output_datatype", (int)outType); })
                .Node("Add", new[] { "W", "X" }, new[] { "Y" }).Output("Y", outType);
            return new OpCase(name, m);
        }

        /// <summary>The op on a constant input (folded at build time by the op's reference), added to a run-time input R.</summary>
        private static OpCase Folded(string op, int opset, int[] x, int[] y, Action<AttributeList>? attrs = null, string suffix = "")
        {
            var name = $"folded_{op.ToLowerInvariant()}{suffix}_{Shape(x)}";
            var m = new OnnxBuilder(opset).Input("R", F, y).Initializer("X", RandomData.Floats(Rng(name), Prod(x), -2, 2), x)
                .Node(op, new[] { "X" }, new[] { "T" }, attrs).Node("Add", new[] { "T", "R" }, new[] { "Y" }).Output("Y", F);
            return new OpCase(name, m);
        }

        public static IReadOnlyList<OpCase> Cases()
        {
            var list = new List<OpCase>();
            // Trigonometric and hyperbolic functions, each over its domain.
            foreach (var (op, lo, hi, opset) in new[]
            {
                ("Tan", -1.5, 1.5, 7), ("Asin", -1.0, 1.0, 7), ("Acos", -1.0, 1.0, 7), ("Atan", -10.0, 10.0, 7),
                ("Sinh", -5.0, 5.0, 9), ("Cosh", -5.0, 5.0, 9), ("Asinh", -10.0, 10.0, 9), ("Acosh", 1.0, 10.0, 9), ("Atanh", -0.99, 0.99, 9),
            })
            {
                list.Add(Unary(op, S(3, 4, 5), lo, hi, opset: opset));
                list.Add(Unary(op, S(37), lo, hi));
            }
            list.Add(Unary("Swish", S(3, 4, 5), -8, 8, opset: 24));
            list.Add(Unary("Swish", S(17), -8, 8, a => a.Float("alpha", 0.5f), opset: 24, suffix: "_alpha0.5"));
            list.Add(Unary("Celu", S(2, 3, 4), -5, 5, opset: 12));
            list.Add(Unary("Celu", S(2, 3, 4), -5, 5, a => a.Float("alpha", 2.5f), opset: 12, suffix: "_alpha2.5"));
            list.Add(Unary("Celu", S(17), -5, 5, a => a.Float("alpha", 0.3f), opset: 12, suffix: "_alpha0.3"));

            foreach (var t in new[] { F, I64, I32, I8, U8 })
            {
                list.Add(Shrink(t, 0f, 0.5f));
                list.Add(Shrink(t, 1.5f, 1.5f));
            }
            list.Add(Shrink(F, 0.25f, 2f));

            foreach (var op in new[] { "BitwiseAnd", "BitwiseOr", "BitwiseXor" })
                foreach (var t in new[] { I8, U8, I32, I64 })
                {
                    list.Add(Bitwise(op, t, S(3, 4), S(3, 4)));
                    list.Add(Bitwise(op, t, S(2, 3, 4), S(4)));
                }
            list.Add(Bitwise("BitwiseAnd", I32, S(2, 1, 4), S(3, 1)));
            foreach (var t in new[] { I8, U8, I32, I64 })
                list.Add(new OpCase($"bitwisenot_{DataTypes.OnnxName(t)}_3x5", One(18, "BitwiseNot", new[] { ("X", t, S(3, 5)) }, t)));
            foreach (var dir in new[] { "LEFT", "RIGHT" })
            {
                list.Add(BitShift(dir, S(4, 5), S(4, 5)));
                list.Add(BitShift(dir, S(2, 3, 4), S(1)));
            }

            foreach (var opset in new[] { 11, 13 })
            {
                list.Add(Hardmax(S(3, 4, 5), null, opset));
                list.Add(Hardmax(S(3, 4, 5), 0, opset));
                list.Add(Hardmax(S(3, 4, 5), 1, opset));
                list.Add(Hardmax(S(3, 4, 5), 2, opset));
                list.Add(Hardmax(S(3, 4, 5), -2, opset, ties: true));
            }
            list.Add(Hardmax(S(3, 4, 5), null, 1, ties: true));
            list.Add(Hardmax(S(6, 7), -1, 13, ties: true));

            // EyeLike: the output depends only on the shape; added to a run-time input so the model has one.
            foreach (var (shape, k, dtype) in new[] { (S(4, 4), 0L, (DataType?)null), (S(3, 5), 2L, F), (S(5, 3), -1L, I64), (S(4, 6), 7L, I32), (S(4, 4), -2L, (DataType?)null) })
            {
                var t = dtype ?? F;
                var name = $"eyelike_{Shape(shape)}_k{k.ToString().Replace("-", "m")}_{(dtype == null ? "nodtype" : DataTypes.OnnxName(t))}";
                var m = new OnnxBuilder(9).Input("X", t, shape)
                    .Node("EyeLike", new[] { "X" }, new[] { "E" }, a => { a.Int("k", k); if (dtype != null) a.Int("dtype", (int)dtype.Value); })
                    .Node("Add", new[] { "E", "X" }, new[] { "Y" }).Output("Y", t);
                list.Add(new OpCase(name, m));
            }

            list.Add(Lrn(S(2, 5, 4, 4), 3));
            list.Add(Lrn(S(1, 7, 3, 5), 5, 0.001f, 0.5f, 2f)); // ONNX Runtime takes odd sizes and 4-D inputs only
            list.Add(Lrn(S(1, 9, 2, 3), 7, 0.01f, 0.9f, 0.5f));
            list.Add(Lrn(S(1, 6, 5, 5), 5, 0.0002f, 0.75f, 1f, opset: 1));
            list.Add(Lrn(S(2, 4, 3, 3), 1, 0.1f, 1f, 0.5f));

            list.Add(Mvn(S(2, 3, 4, 5), null));
            list.Add(Mvn(S(2, 3, 4, 5), null, opset: 9));
            list.Add(Mvn(S(2, 3, 4, 5), new long[] { 1 }));
            list.Add(Mvn(S(2, 3, 4, 5), new long[] { 2, 3 }));
            list.Add(Mvn(S(2, 3, 4, 5), new long[] { 0, -1 }));
            list.Add(Mvn(S(3, 6), new long[] { 1 }));

            list.Add(LpPool(S(1, 3, 8, 8), S(2, 2), strides: S(2, 2)));
            list.Add(LpPool(S(1, 2, 7, 7), S(3, 3), p: 1, strides: S(2, 2), pads: S(1, 1, 1, 1)));
            list.Add(LpPool(S(1, 2, 7, 7), S(3, 3), p: 3, strides: S(2, 2), opset: 11));
            list.Add(LpPool(S(2, 2, 8, 8), S(3, 3), strides: S(2, 2), autoPad: "SAME_UPPER"));
            list.Add(LpPool(S(1, 2, 8, 8), S(2, 2), strides: S(2, 2), autoPad: "SAME_LOWER", opset: 11));
            list.Add(LpPool(S(1, 2, 9, 9), S(3, 3), strides: S(1, 1), dilations: S(2, 2)));
            list.Add(LpPool(S(1, 2, 8, 8), S(3, 3), strides: S(2, 2), ceil: true));
            list.Add(LpPool(S(2, 3, 12), S(3), strides: S(2)));
            list.Add(LpPool(S(1, 2, 4, 5, 6), S(2, 2, 3), strides: S(1, 2, 2)));
            list.Add(LpPool(S(1, 2, 6, 6), S(2, 2), p: 2, opset: 2));
            foreach (var p in new[] { 1, 2, 3 })
                list.Add(new OpCase($"globallppool_p{p}_2x3x4x5", One(2, "GlobalLpPool", new[] { ("X", F, S(2, 3, 4, 5)) }, F, a => a.Int("p", p))));
            list.Add(new OpCase("globallppool_default_1x2x7", One(2, "GlobalLpPool", new[] { ("X", F, S(1, 2, 7)) }, F)));

            list.Add(ReverseSequence(F, S(4, 3, 2), 1, 0, new long[] { 4, 2, 0 }));
            list.Add(ReverseSequence(F, S(3, 4), 0, 1, new long[] { 1, 4, 3 }));
            list.Add(ReverseSequence(I64, S(5, 2, 3), 1, 0, new long[] { 5, 3 }));
            list.Add(ReverseSequence(U8, S(2, 6), 0, 1, new long[] { 6, 2 }));
            list.Add(ReverseSequence(I32, S(2, 4, 3), 0, 1, new long[] { 3, 4 }));

            foreach (var shape in new[] { S(2, 2), S(3, 3), S(4, 4), S(2, 3, 3), S(2, 2, 5, 5), S(1, 1) })
                list.Add(new OpCase($"det_{Shape(shape)}", One(11, "Det", new[] { ("X", F, shape) }, F)));
            var singular = new OnnxBuilder(11).Input("X", F, S(3, 3)).Node("Det", "X", "Y").Output("Y", F);
            list.Add(new OpCase("det_3x3_singular_rows", singular, (r, d) => d["X"] = new float[] { 1, 2, 3, 2, 4, 6, 0, 1, 5 }));

            list.Add(Compress(F, S(3, 2), new[] { false, true, true }, 0));
            list.Add(Compress(F, S(3, 2), new[] { false, true }, 1));
            list.Add(Compress(F, S(3, 2), new[] { false, true, true, false, true }, null));
            list.Add(Compress(I64, S(2, 3, 4), new[] { true, false, true }, -2));
            list.Add(Compress(U8, S(4, 5), new[] { true, false, true, true, false }, -1));
            list.Add(Compress(I32, S(3, 4), new[] { true, false }, 0));

            list.Add(Col2Im(S(5, 5), S(1, 5), 1));
            list.Add(Col2Im(S(5, 5), S(2, 2), 2, strides: S(2, 2)));
            list.Add(Col2Im(S(6, 6), S(2, 2), 1, pads: S(1, 0, 1, 2)));
            list.Add(Col2Im(S(6, 6), S(2, 2), 1, dilations: S(2, 2)));
            list.Add(Col2Im(S(3, 4, 5), S(2, 2, 2), 1));

            list.Add(CenterCropPad(F, S(20, 10, 3), new long[] { 10, 7, 3 }, null));
            list.Add(CenterCropPad(F, S(10, 7, 3), new long[] { 20, 10, 3 }, null));
            list.Add(CenterCropPad(F, S(20, 8, 3), new long[] { 10, 10, 3 }, null));
            list.Add(CenterCropPad(F, S(3, 20, 8), new long[] { 10, 9 }, new long[] { 1, 2 }));
            list.Add(CenterCropPad(I64, S(19, 9, 3), new long[] { 10, 10 }, new long[] { -3, -2 }));
            list.Add(CenterCropPad(U8, S(5, 6), new long[] { 8, 3 }, null));

            foreach (var op in new[] { "HannWindow", "HammingWindow", "BlackmanWindow" })
            {
                list.Add(Window(op, 10, true, F));
                list.Add(Window(op, 7, false, F));
            }
            list.Add(Window("HannWindow", 8, true, I64));

            // Build-time folding (the references used for constant folding and int8 calibration).
            list.Add(Folded("LRN", 13, S(1, 5, 3, 3), S(1, 5, 3, 3), a => { a.Int("size", 3); a.Float("alpha", 0.01f); }));
            list.Add(Folded("MeanVarianceNormalization", 13, S(2, 3, 2, 2), S(2, 3, 2, 2)));
            list.Add(Folded("LpPool", 18, S(1, 2, 5, 5), S(1, 2, 3, 3), a => { a.Ints("kernel_shape", 3, 3); a.Ints("pads", 1, 1, 1, 1); a.Ints("strides", 2, 2); a.Int("p", 3); }));
            list.Add(Folded("GlobalLpPool", 13, S(1, 3, 4, 4), S(1, 3, 1, 1), a => a.Int("p", 1)));
            list.Add(Folded("Det", 11, S(3, 4, 4), S(3)));
            list.Add(Folded("Hardmax", 13, S(3, 5), S(3, 5)));
            list.Add(Folded("Hardmax", 11, S(2, 3, 4), S(2, 3, 4), a => a.Int("axis", 1), "_opset11"));
            list.Add(Folded("Atanh", 9, S(6), S(6)));
            list.Add(Folded("Celu", 12, S(6), S(6), a => a.Float("alpha", 0.7f)));
            list.Add(Folded("Shrink", 9, S(6), S(6), a => a.Float("bias", 0.3f)));
            list.Add(CenterCropPadFolded());
            var col = new OnnxBuilder(18).Input("R", F, S(1, 1, 4, 4)).Initializer("X", RandomData.Floats(Rng("col2im_folded"), 36), 1, 4, 9)
                .Initializer("image", new long[] { 4, 4 }, 2).Initializer("block", new long[] { 2, 2 }, 2)
                .Node("Col2Im", new[] { "X", "image", "block" }, new[] { "T" }).Node("Add", new[] { "T", "R" }, new[] { "Y" }).Output("Y", F);
            list.Add(new OpCase("folded_col2im_1x4x9", col));
            return list;
        }

        private static OpCase CenterCropPadFolded()
        {
            var m = new OnnxBuilder(18).Input("R", F, S(4, 5)).Initializer("X", RandomData.Floats(Rng("ccp_folded"), 18), 6, 3)
                .Initializer("shape", new long[] { 4, 5 }, 2)
                .Node("CenterCropPad", new[] { "X", "shape" }, new[] { "T" }).Node("Add", new[] { "T", "R" }, new[] { "Y" }).Output("Y", F);
            return new OpCase("folded_centercroppad_6x3_to_4x5", m);
        }

        public static TheoryData<string> CaseNames => Names(Cases());

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void Misc_op_matches_onnxruntime(string @case) => OpSuite.Check(typeof(MiscOpTests), Cases, @case);
    }
}
