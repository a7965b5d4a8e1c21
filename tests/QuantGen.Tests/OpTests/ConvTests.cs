using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Tests.Infrastructure;
using static QuantGen.Tests.OpTests.H;

namespace QuantGen.Tests.OpTests
{
    /// <summary>Conv 1-D/2-D against ONNX Runtime: group and depthwise, strides, dilations, explicit/asymmetric pads, auto_pad, bias, runtime weights.</summary>
    public class ConvTests
    {
        private sealed record Spec(string Name, int N, int Cin, int[] Spatial, int Cout, int[] Kernel, int Group = 1, int[]? Strides = null,
            int[]? Dilations = null, int[]? Pads = null, string? AutoPad = null, bool Bias = true, bool RuntimeWeight = false, bool KernelShapeAttr = false);

        private static IEnumerable<Spec> Specs()
        {
            // 2-D
            yield return new("2d_3x3_nopad_bias", 1, 3, S(7, 8), 4, S(3, 3));
            yield return new("2d_3x3_nobias", 2, 3, S(6, 6), 5, S(3, 3), Bias: false);
            yield return new("2d_1x1_pointwise", 2, 8, S(5, 4), 6, S(1, 1));
            yield return new("2d_1x1_stride2", 1, 4, S(7, 7), 3, S(1, 1), Strides: S(2, 2));
            yield return new("2d_3x3_pad1", 1, 3, S(8, 8), 4, S(3, 3), Pads: S(1, 1, 1, 1), KernelShapeAttr: true);
            yield return new("2d_3x3_asymmetric_pads", 1, 2, S(7, 9), 3, S(3, 3), Pads: S(0, 1, 2, 1));
            yield return new("2d_3x2_kernel_stride2x1_pads", 2, 3, S(9, 8), 4, S(3, 2), Strides: S(2, 1), Pads: S(1, 0, 1, 1));
            yield return new("2d_3x3_stride2_pad1", 1, 4, S(9, 9), 8, S(3, 3), Strides: S(2, 2), Pads: S(1, 1, 1, 1));
            yield return new("2d_3x3_stride3", 1, 2, S(10, 11), 3, S(3, 3), Strides: S(3, 3));
            yield return new("2d_3x3_dilation2", 1, 3, S(9, 9), 4, S(3, 3), Dilations: S(2, 2));
            yield return new("2d_3x3_dilation2x1_pad2", 1, 3, S(8, 8), 2, S(3, 3), Dilations: S(2, 1), Pads: S(2, 1, 2, 1));
            yield return new("2d_group2", 1, 4, S(6, 6), 6, S(3, 3), Group: 2, Pads: S(1, 1, 1, 1));
            yield return new("2d_group3_stride2", 2, 6, S(7, 7), 9, S(3, 3), Group: 3, Strides: S(2, 2));
            yield return new("2d_depthwise", 1, 8, S(7, 7), 8, S(3, 3), Group: 8, Pads: S(1, 1, 1, 1));
            yield return new("2d_depthwise_multiplier2_stride2", 1, 4, S(8, 8), 8, S(3, 3), Group: 4, Strides: S(2, 2), Pads: S(1, 1, 1, 1));
            yield return new("2d_depthwise_nobias_dilation2", 2, 3, S(9, 9), 3, S(3, 3), Group: 3, Dilations: S(2, 2), Bias: false);
            yield return new("2d_same_upper", 1, 3, S(7, 7), 4, S(3, 3), AutoPad: "SAME_UPPER");
            yield return new("2d_same_upper_stride2_even", 1, 3, S(8, 8), 4, S(4, 4), Strides: S(2, 2), AutoPad: "SAME_UPPER");
            yield return new("2d_same_lower_stride2", 1, 3, S(8, 7), 4, S(4, 3), Strides: S(2, 2), AutoPad: "SAME_LOWER");
            yield return new("2d_same_lower_2x2", 1, 2, S(5, 5), 2, S(2, 2), AutoPad: "SAME_LOWER");
            yield return new("2d_valid_stride2", 1, 3, S(9, 8), 4, S(3, 3), Strides: S(2, 2), AutoPad: "VALID");
            yield return new("2d_runtime_weight", 1, 3, S(6, 6), 4, S(3, 3), Pads: S(1, 1, 1, 1), RuntimeWeight: true);
            yield return new("2d_kernel_equals_input", 1, 3, S(4, 4), 5, S(4, 4));
            yield return new("2d_wide_channels", 1, 17, S(5, 5), 33, S(3, 3), Pads: S(1, 1, 1, 1));
            // 1-D
            yield return new("1d_k3_bias", 2, 3, S(10), 4, S(3));
            yield return new("1d_k3_pads_asymmetric", 1, 2, S(9), 3, S(3), Pads: S(2, 0));
            yield return new("1d_k5_stride2_dilation2", 1, 4, S(20), 6, S(5), Strides: S(2), Dilations: S(2), Pads: S(2, 2));
            yield return new("1d_group2", 1, 4, S(12), 4, S(3), Group: 2);
            yield return new("1d_depthwise_nobias", 1, 5, S(11), 5, S(3), Group: 5, Bias: false);
            yield return new("1d_same_upper_stride2", 1, 3, S(11), 2, S(4), Strides: S(2), AutoPad: "SAME_UPPER");
            yield return new("1d_same_lower", 1, 3, S(10), 2, S(4), AutoPad: "SAME_LOWER");
            yield return new("1d_valid", 1, 3, S(10), 2, S(4), AutoPad: "VALID");
        }

        private static OpCase Make(Spec s)
        {
            var name = "conv" + s.Name;
            var r = Rng(name);
            var xShape = new[] { s.N, s.Cin }.Concat(s.Spatial).ToArray();
            var wShape = new[] { s.Cout, s.Cin / s.Group }.Concat(s.Kernel).ToArray();
            var b = new OnnxBuilder(13).Input("X", F, xShape);
            if (s.RuntimeWeight) b.Input("W", F, wShape);
            else b.Initializer("W", Floats(r, wShape), wShape);
            var inputs = new List<string> { "X", "W" };
            if (s.Bias) { b.Initializer("B", Floats(r, S(s.Cout)), s.Cout); inputs.Add("B"); }
            b.Node("Conv", inputs.ToArray(), new[] { "Y" }, a =>
            {
                if (s.Group != 1) a.Int("group", s.Group);
                if (s.Strides != null) a.Ints("strides", s.Strides.Select(v => (long)v).ToArray());
                if (s.Dilations != null) a.Ints("dilations", s.Dilations.Select(v => (long)v).ToArray());
                if (s.Pads != null) a.Ints("pads", s.Pads.Select(v => (long)v).ToArray());
                if (s.AutoPad != null) a.String("auto_pad", s.AutoPad);
                if (s.KernelShapeAttr) a.Ints("kernel_shape", s.Kernel.Select(v => (long)v).ToArray());
            });
            b.Output("Y", F);
            return new OpCase(name, b);
        }

        public static IReadOnlyList<OpCase> Cases() => Specs().Select(Make).ToList();

        public static TheoryData<string> CaseNames => Names(Cases());

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void Conv_matches_onnxruntime(string @case) => OpSuite.Check(typeof(ConvTests), Cases, @case);
    }
}
