using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Tests.Infrastructure;
using static QuantGen.Tests.OpTests.H;

namespace QuantGen.Tests.OpTests
{
    /// <summary>
    /// ConvTranspose 1-D/2-D/3-D against ONNX Runtime: group, strides, dilations, pads, output_padding, output_shape,
    /// auto_pad (odd padding splits at opsets 1 and 11), bias, run-time weights.
    /// </summary>
    public class ConvTransposeTests
    {
        private sealed record Spec(string Name, int N, int Cin, int[] Spatial, int Cout, int[] Kernel, int Group = 1, int[]? Strides = null,
            int[]? Dilations = null, int[]? Pads = null, int[]? OutputPadding = null, int[]? OutputShape = null, string? AutoPad = null,
            bool Bias = true, bool RuntimeWeight = false, int Opset = 11);

        private static IEnumerable<Spec> Specs()
        {
            // 2-D
            yield return new("2d_3x3_bias", 1, 3, S(5, 6), 4, S(3, 3));
            yield return new("2d_3x3_nobias_batch2", 2, 2, S(4, 4), 3, S(3, 3), Bias: false);
            yield return new("2d_stride2", 1, 3, S(5, 5), 2, S(3, 3), Strides: S(2, 2));
            yield return new("2d_stride2x3_pads", 1, 2, S(4, 5), 3, S(3, 4), Strides: S(2, 3), Pads: S(1, 0, 1, 2));
            yield return new("2d_stride2_pad1_outpad1", 1, 4, S(6, 6), 4, S(3, 3), Strides: S(2, 2), Pads: S(1, 1, 1, 1), OutputPadding: S(1, 1));
            yield return new("2d_dilation2", 1, 2, S(5, 4), 3, S(3, 3), Dilations: S(2, 2));
            yield return new("2d_dilation2_stride2", 1, 2, S(4, 4), 2, S(2, 3), Strides: S(2, 2), Dilations: S(2, 1), Pads: S(0, 1, 1, 0));
            yield return new("2d_1x1", 1, 5, S(4, 3), 6, S(1, 1));
            yield return new("2d_1x1_stride2", 1, 3, S(3, 3), 2, S(1, 1), Strides: S(2, 2));
            yield return new("2d_4x4_stride2_pad1_upsample", 2, 8, S(7, 7), 4, S(4, 4), Strides: S(2, 2), Pads: S(1, 1, 1, 1));
            yield return new("2d_group2", 1, 4, S(5, 5), 6, S(3, 3), Group: 2);
            yield return new("2d_group3_stride2", 2, 6, S(4, 5), 3, S(3, 3), Group: 3, Strides: S(2, 2), Pads: S(1, 1, 0, 0));
            yield return new("2d_depthwise", 1, 4, S(5, 5), 4, S(3, 3), Group: 4, Strides: S(2, 2));
            yield return new("2d_runtime_weight", 1, 3, S(4, 5), 2, S(3, 3), Strides: S(2, 1), RuntimeWeight: true);
            yield return new("2d_runtime_weight_group2", 1, 4, S(4, 4), 4, S(2, 2), Group: 2, Strides: S(2, 2), RuntimeWeight: true);
            yield return new("2d_valid_stride2", 1, 2, S(4, 4), 3, S(3, 3), Strides: S(2, 2), AutoPad: "VALID");
            yield return new("2d_same_upper_even", 1, 2, S(4, 5), 3, S(4, 4), Strides: S(2, 2), AutoPad: "SAME_UPPER");
            yield return new("2d_same_lower_even", 1, 2, S(4, 5), 3, S(3, 3), AutoPad: "SAME_LOWER");
            yield return new("2d_same_upper_odd", 1, 2, S(4, 5), 3, S(3, 3), Strides: S(2, 2), AutoPad: "SAME_UPPER");
            yield return new("2d_same_lower_odd", 1, 2, S(4, 5), 3, S(3, 3), Strides: S(2, 2), AutoPad: "SAME_LOWER");
            yield return new("2d_same_upper_odd_opset1", 1, 2, S(4, 5), 3, S(3, 3), Strides: S(2, 2), AutoPad: "SAME_UPPER", Opset: 1);
            yield return new("2d_same_lower_odd_opset1", 1, 2, S(4, 5), 3, S(3, 3), Strides: S(2, 2), AutoPad: "SAME_LOWER", Opset: 1);
            yield return new("2d_output_shape_larger", 1, 2, S(3, 3), 2, S(3, 3), Strides: S(3, 2), OutputShape: S(10, 8));
            yield return new("2d_output_shape_even_total", 1, 2, S(4, 4), 3, S(3, 3), Strides: S(2, 2), OutputShape: S(7, 7));
            yield return new("2d_output_shape_odd_total", 1, 2, S(4, 4), 3, S(3, 3), Strides: S(2, 2), OutputShape: S(8, 8));
            yield return new("2d_output_shape_odd_total_opset1", 1, 2, S(4, 4), 3, S(3, 3), Strides: S(2, 2), OutputShape: S(8, 8), Opset: 1);
            yield return new("2d_output_shape_with_output_padding", 1, 2, S(3, 3), 2, S(3, 3), Strides: S(2, 2), OutputPadding: S(1, 1), OutputShape: S(7, 8));
            yield return new("2d_wide_channels", 1, 17, S(6, 5), 9, S(3, 3), Strides: S(2, 2), Pads: S(1, 1, 1, 1), OutputPadding: S(1, 0));
            // 1-D
            yield return new("1d_k3", 2, 3, S(7), 4, S(3));
            yield return new("1d_stride3_pads", 1, 2, S(6), 3, S(4), Strides: S(3), Pads: S(1, 2));
            yield return new("1d_dilation2_outpad", 1, 3, S(5), 2, S(3), Strides: S(2), Dilations: S(2), OutputPadding: S(1));
            yield return new("1d_group2_nobias", 1, 4, S(6), 4, S(2), Group: 2, Bias: false);
            yield return new("1d_same_upper_even", 1, 2, S(6), 2, S(4), Strides: S(2), AutoPad: "SAME_UPPER");
            // 3-D
            yield return new("3d_k3", 1, 2, S(3, 4, 3), 3, S(3, 3, 3));
            yield return new("3d_stride2_pads_group2", 1, 4, S(3, 3, 2), 4, S(2, 3, 2), Group: 2, Strides: S(2, 2, 1), Pads: S(0, 1, 0, 1, 0, 1));
        }

        private static long[] L(int[] v) => v.Select(x => (long)x).ToArray();

        private static OpCase Make(Spec s)
        {
            var name = "convtranspose" + s.Name;
            var r = Rng(name);
            var xShape = new[] { s.N, s.Cin }.Concat(s.Spatial).ToArray();
            var wShape = new[] { s.Cin, s.Cout / s.Group }.Concat(s.Kernel).ToArray();
            var b = new OnnxBuilder(s.Opset).Input("X", F, xShape);
            if (s.RuntimeWeight) b.Input("W", F, wShape);
            else b.Initializer("W", Floats(r, wShape), wShape);
            var inputs = new List<string> { "X", "W" };
            if (s.Bias) { b.Initializer("B", Floats(r, S(s.Cout)), s.Cout); inputs.Add("B"); }
            b.Node("ConvTranspose", inputs.ToArray(), new[] { "Y" }, a =>
            {
                if (s.Group != 1) a.Int("group", s.Group);
                if (s.Strides != null) a.Ints("strides", L(s.Strides));
                if (s.Dilations != null) a.Ints("dilations", L(s.Dilations));
                if (s.Pads != null) a.Ints("pads", L(s.Pads));
                if (s.OutputPadding != null) a.Ints("output_padding", L(s.OutputPadding));
                if (s.OutputShape != null) a.Ints("output_shape", L(s.OutputShape));
                if (s.AutoPad != null) a.String("auto_pad", s.AutoPad);
            });
            b.Output("Y", F);
            return new OpCase(name, b);
        }

        /// <summary>All inputs constant: the node is evaluated at build time (Fold), then added to a run-time input.</summary>
        private static OpCase Folded(string name, int[] x, int[] w, int group, long[] strides, long[] pads, long[] outPad)
        {
            var r = Rng(name);
            int cout = w[1] * group;
            var yShape = new[] { x[0], cout }.Concat(x.Skip(2).Select((d, i) => (int)(strides[i] * (d - 1) + outPad[i] + w[i + 2] - pads[i] - pads[i + strides.Length]))).ToArray();
            var b = new OnnxBuilder(11).Input("Z", F, yShape)
                .Initializer("X", Floats(r, x), x).Initializer("W", Floats(r, w), w).Initializer("B", Floats(r, S(cout)), cout);
            b.Node("ConvTranspose", new[] { "X", "W", "B" }, new[] { "T" }, a =>
            {
                a.Int("group", group); a.Ints("strides", strides); a.Ints("pads", pads); a.Ints("output_padding", outPad);
            });
            b.Node("Add", new[] { "T", "Z" }, new[] { "Y" }).Output("Y", F);
            return new OpCase(name, b);
        }

        public static IReadOnlyList<OpCase> Cases() => Specs().Select(Make)
            .Append(Folded("convtranspose_folded_2d_group2", S(1, 4, 3, 4), S(4, 2, 3, 2), 2, new long[] { 2, 1 }, new long[] { 1, 0, 0, 1 }, new long[] { 1, 0 }))
            .Append(Folded("convtranspose_folded_3d", S(1, 2, 2, 3, 2), S(2, 3, 2, 2, 3), 1, new long[] { 1, 2, 1 }, new long[] { 0, 1, 0, 0, 0, 1 }, new long[] { 0, 1, 0 }))
            .ToList();

        public static TheoryData<string> CaseNames => Names(Cases());

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void ConvTranspose_matches_onnxruntime(string @case) => OpSuite.Check(typeof(ConvTransposeTests), Cases, @case);
    }
}
