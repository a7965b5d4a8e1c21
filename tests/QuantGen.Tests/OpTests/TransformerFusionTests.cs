using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Tests.Infrastructure;
using static QuantGen.Tests.OpTests.H;

namespace QuantGen.Tests.OpTests
{
    /// <summary>
    /// The decomposed LayerNormalization and GELU that exporters write (TransformerFusion): the fused graphs match ONNX
    /// Runtime running the decomposed ones, the plans show the fused op, and near-misses (an intermediate also read
    /// elsewhere, a wrong constant, a run-time epsilon, a reduction over a non-trailing axis) are left alone.
    /// </summary>
    public class TransformerFusionTests
    {
        private static OpCase Case(string name, Func<string, OnnxBuilder> build) => new OpCase(name, build(name));

        /// <summary>ReduceMean over the given axes: attribute before opset 18, constant input from 18.</summary>
        private static OnnxBuilder Mean(OnnxBuilder b, string input, string output, long[] axes)
        {
            if (b.Opset >= 18)
            {
                var name = output + "_axes";
                return b.Initializer(name, axes, axes.Length).Node("ReduceMean", new[] { input, name }, new[] { output });
            }
            return b.Node("ReduceMean", new[] { input }, new[] { output }, a => a.Ints("axes", axes));
        }

        /// <summary>x -> (x - mean) / sqrt(var + eps) [* gamma] [+ beta] over `axes`, PyTorch's pre-opset-17 export.</summary>
        private static OnnxBuilder LayerNorm(string name, int opset, int[] shape, long[] axes, bool mulSquare = false, int[]? gamma = null, int[]? beta = null,
            bool deviationAlsoOutput = false, bool runtimeEps = false)
        {
            var r = Rng(name);
            var b = new OnnxBuilder(opset).Input("X", F, shape);
            Mean(b, "X", "mean", axes).Node("Sub", new[] { "X", "mean" }, new[] { "d" });
            if (mulSquare) b.Node("Mul", new[] { "d", "d" }, new[] { "sq" });
            else b.Initializer("two", new[] { 2f }).Node("Pow", new[] { "d", "two" }, new[] { "sq" });
            Mean(b, "sq", "var", axes);
            if (runtimeEps) b.Input("eps", F, S(1));
            else b.Initializer("eps", new[] { 1e-5f });
            b.Node("Add", new[] { "var", "eps" }, new[] { "ve" }).Node("Sqrt", "ve", "std").Node("Div", new[] { "d", "std" }, new[] { "n" });
            string last = "n";
            if (gamma != null)
            {
                b.Initializer("gamma", Floats(r, gamma, 0.5, 1.5), gamma).Node("Mul", new[] { last, "gamma" }, new[] { "g" });
                last = "g";
            }
            if (beta != null)
            {
                b.Initializer("beta", Floats(r, beta), beta).Node("Add", new[] { "beta", last }, new[] { "bb" });
                last = "bb";
            }
            b.Node("Identity", last, "Y").Output("Y", F);
            if (deviationAlsoOutput) b.Output("d", F);
            return b;
        }

        public static IReadOnlyList<OpCase> Cases()
        {
            var list = new List<OpCase>
            {
                Case("layernorm_opset13_pow_gamma_beta", n => LayerNorm(n, 13, S(2, 5, 32), L(-1), gamma: S(32), beta: S(32))),
                Case("layernorm_opset18_axes_input_mul_square_gamma_only", n => LayerNorm(n, 18, S(3, 16), L(1), mulSquare: true, gamma: S(16))),
                Case("layernorm_last_two_axes_no_affine", n => LayerNorm(n, 13, S(2, 3, 4, 5), L(2, 3))),
                Case("layernorm_gamma_1x1xC_beta_C", n => LayerNorm(n, 13, S(2, 4, 8), L(-1), gamma: S(1, 1, 8), beta: S(8))),
                Case("layernorm_deviation_also_output_not_fused", n => LayerNorm(n, 13, S(2, 8), L(-1), gamma: S(8), deviationAlsoOutput: true)),
                new OpCase("layernorm_runtime_eps_not_fused", LayerNorm("layernorm_runtime_eps_not_fused", 13, S(2, 8), L(-1), runtimeEps: true),
                    (r, d) => d["eps"] = new[] { 1e-5f }),
                Case("layernorm_middle_axis_not_fused", n => LayerNorm(n, 13, S(2, 6, 3), L(1))),
                Case("gelu_div_erf_mul_x_mul_half", n => new OnnxBuilder(13).Input("X", F, S(2, 3, 40)).Initializer("sqrt2", new[] { 1.4142135f })
                    .Initializer("one", new[] { 1f }).Initializer("half", new[] { 0.5f })
                    .Node("Div", new[] { "X", "sqrt2" }, new[] { "s" }).Node("Erf", "s", "e").Node("Add", new[] { "e", "one" }, new[] { "t" })
                    .Node("Mul", new[] { "X", "t" }, new[] { "m" }).Node("Mul", new[] { "m", "half" }, new[] { "Y" }).Output("Y", F)),
                Case("gelu_half_first", n => new OnnxBuilder(13).Input("X", F, S(7, 9)).Initializer("rs2", new[] { 0.70710677f })
                    .Initializer("one", new[] { 1f }).Initializer("half", new[] { 0.5f })
                    .Node("Mul", new[] { "X", "half" }, new[] { "h" }).Node("Mul", new[] { "rs2", "X" }, new[] { "s" }).Node("Erf", "s", "e")
                    .Node("Add", new[] { "one", "e" }, new[] { "t" }).Node("Mul", new[] { "h", "t" }, new[] { "Y" }).Output("Y", F)),
                Case("gelu_half_on_sum", n => new OnnxBuilder(13).Input("X", F, S(4, 33)).Initializer("sqrt2", new[] { 1.4142135f })
                    .Initializer("one", new[] { 1f }).Initializer("half", new[] { 0.5f })
                    .Node("Div", new[] { "X", "sqrt2" }, new[] { "s" }).Node("Erf", "s", "e").Node("Add", new[] { "e", "one" }, new[] { "t" })
                    .Node("Mul", new[] { "t", "half" }, new[] { "m" }).Node("Mul", new[] { "m", "X" }, new[] { "Y" }).Output("Y", F)),
                Case("gelu_wrong_constant_not_fused", n => new OnnxBuilder(13).Input("X", F, S(4, 8)).Initializer("two", new[] { 2f })
                    .Initializer("one", new[] { 1f }).Initializer("half", new[] { 0.5f })
                    .Node("Div", new[] { "X", "two" }, new[] { "s" }).Node("Erf", "s", "e").Node("Add", new[] { "e", "one" }, new[] { "t" })
                    .Node("Mul", new[] { "X", "t" }, new[] { "m" }).Node("Mul", new[] { "m", "half" }, new[] { "Y" }).Output("Y", F)),
                Case("gelu_erf_also_output_not_fused", n => new OnnxBuilder(13).Input("X", F, S(4, 8)).Initializer("sqrt2", new[] { 1.4142135f })
                    .Initializer("one", new[] { 1f }).Initializer("half", new[] { 0.5f })
                    .Node("Div", new[] { "X", "sqrt2" }, new[] { "s" }).Node("Erf", "s", "e").Node("Add", new[] { "e", "one" }, new[] { "t" })
                    .Node("Mul", new[] { "X", "t" }, new[] { "m" }).Node("Mul", new[] { "m", "half" }, new[] { "Y" }).Output("Y", F).Output("e", F)),
            };
            return list;
        }

        public static TheoryData<string> CaseNames => Names(Cases());

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void Fused_and_unfused_graphs_match_onnxruntime(string @case) => OpSuite.Check(typeof(TransformerFusionTests), Cases, @case);

        [Theory]
        [InlineData("layernorm_opset13_pow_gamma_beta", "LayerNormalization,Identity")]
        [InlineData("layernorm_opset18_axes_input_mul_square_gamma_only", "LayerNormalization,Identity")]
        [InlineData("layernorm_last_two_axes_no_affine", "LayerNormalization,Identity")]
        [InlineData("layernorm_gamma_1x1xC_beta_C", "LayerNormalization,Identity")]
        [InlineData("layernorm_deviation_also_output_not_fused", "ReduceMean,Sub,Pow,ReduceMean,Add,Sqrt,Div,Mul,Identity")]
        [InlineData("layernorm_runtime_eps_not_fused", "ReduceMean,Sub,Pow,ReduceMean,Add,Sqrt,Div,Identity")]
        [InlineData("layernorm_middle_axis_not_fused", "ReduceMean,Sub,Pow,ReduceMean,Add,Sqrt,Div,Identity")]
        [InlineData("gelu_div_erf_mul_x_mul_half", "Gelu")]
        [InlineData("gelu_half_first", "Gelu")]
        [InlineData("gelu_half_on_sum", "Gelu")]
        [InlineData("gelu_wrong_constant_not_fused", "Div,Erf,Add,Mul,Mul")]
        [InlineData("gelu_erf_also_output_not_fused", "Div,Erf,Add,Mul,Mul")]
        public void Transformer_fusion_rewrites_the_plan_as_expected(string @case, string expectedSteps)
        {
            var plan = OpSuite.Entry(typeof(TransformerFusionTests), Cases, @case).Plan;
            Assert.NotNull(plan);
            var steps = plan!.Steps.OfType<NodeStep>().Select(s => s.Node.OpType);
            Assert.Equal(expectedSteps, string.Join(",", steps));
        }
    }
}
