using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Tests.Infrastructure;
using static QuantGen.Tests.OpTests.H;

namespace QuantGen.Tests.OpTests
{
    /// <summary>
    /// Graphs that QuantGen rewrites (Conv+BatchNormalization, Conv/Gemm/MatMul+Add bias, activations fused into
    /// Conv/Gemm/MatMul/Add) and the same patterns where the rewrite must not apply; standalone BatchNormalization; If
    /// with a run-time condition.
    /// </summary>
    public class FusionTests
    {
        private static OnnxBuilder ConvBase(string name, int opset, bool bias, int cin = 3, int cout = 4, int hw = 6)
        {
            var r = Rng(name);
            var b = new OnnxBuilder(opset).Input("X", F, S(2, cin, hw, hw)).Initializer("W", Floats(r, S(cout, cin, 3, 3)), cout, cin, 3, 3);
            if (bias) b.Initializer("B", Floats(r, S(cout)), cout);
            b.Node("Conv", bias ? new[] { "X", "W", "B" } : new[] { "X", "W" }, new[] { "c" }, a => a.Ints("pads", 1, 1, 1, 1));
            return b;
        }

        private static OnnxBuilder BatchNorm(OnnxBuilder b, string name, string input, string output, int c, float eps = 1e-5f)
        {
            var r = Rng(name + "bn");
            b.Initializer("scale", Floats(r, S(c), 0.5, 1.5), c).Initializer("beta", Floats(r, S(c)), c)
             .Initializer("mean", Floats(r, S(c)), c).Initializer("var", Floats(r, S(c), 0.1, 2), c);
            return b.Node("BatchNormalization", new[] { input, "scale", "beta", "mean", "var" }, new[] { output }, a => a.Float("epsilon", eps));
        }

        private static OpCase Case(string name, Func<string, OnnxBuilder> build) => new OpCase(name, build(name));

        public static IReadOnlyList<OpCase> Cases()
        {
            var list = new List<OpCase>
            {
                Case("conv_bn", n => BatchNorm(ConvBase(n, 13, true), n, "c", "Y", 4).Output("Y", F)),
                Case("conv_nobias_bn_eps1e-3", n => BatchNorm(ConvBase(n, 13, false), n, "c", "Y", 4, 1e-3f).Output("Y", F)),
                Case("conv_bn_relu", n => BatchNorm(ConvBase(n, 13, true), n, "c", "bn", 4).Node("Relu", "bn", "Y").Output("Y", F)),
                Case("conv_bn_output_also_used_is_not_folded", n => BatchNorm(ConvBase(n, 13, true), n, "c", "Y", 4).Output("Y", F).Output("c", F)),
                Case("conv_add_per_channel_1xCx1x1", n => ConvBase(n, 13, true).Initializer("k", Floats(Rng(n + "k"), S(1, 4, 1, 1)), 1, 4, 1, 1).Node("Add", new[] { "c", "k" }, new[] { "Y" }).Output("Y", F)),
                Case("conv_nobias_add_Cx1x1", n => ConvBase(n, 13, false).Initializer("k", Floats(Rng(n + "k"), S(4, 1, 1)), 4, 1, 1).Node("Add", new[] { "k", "c" }, new[] { "Y" }).Output("Y", F)),
                Case("conv_add_scalar", n => ConvBase(n, 13, true).Initializer("k", new[] { 0.75f }).Node("Add", new[] { "c", "k" }, new[] { "Y" }).Output("Y", F)),
                Case("conv_add_spatial_constant_not_per_channel", n => ConvBase(n, 13, true).Initializer("k", Floats(Rng(n + "k"), S(1, 1, 6, 6)), 1, 1, 6, 6).Node("Add", new[] { "c", "k" }, new[] { "Y" }).Output("Y", F)),
                Case("conv_add_runtime_tensor", n => ConvBase(n, 13, true).Input("Z", F, S(2, 4, 6, 6)).Node("Add", new[] { "c", "Z" }, new[] { "Y" }).Output("Y", F)),
                Case("conv_relu", n => ConvBase(n, 13, true).Node("Relu", "c", "Y").Output("Y", F)),
                Case("conv_leakyrelu_alpha0.2", n => ConvBase(n, 13, true).Node("LeakyRelu", "c", "Y", a => a.Float("alpha", 0.2f)).Output("Y", F)),
                Case("conv_clip_opset13_constant_bounds", n => ConvBase(n, 13, true).Initializer("lo", new[] { -0.5f }).Initializer("hi", new[] { 0.6f })
                    .Node("Clip", new[] { "c", "lo", "hi" }, new[] { "Y" }).Output("Y", F)),
                Case("conv_clip_opset13_max_only", n => ConvBase(n, 13, true).Initializer("hi", new[] { 0.3f }).Node("Clip", new[] { "c", "", "hi" }, new[] { "Y" }).Output("Y", F)),
                Case("conv_clip_opset6_relu6", n => ConvBase(n, 6, true).Node("Clip", "c", "Y", a => a.Float("min", 0f).Float("max", 0.5f)).Output("Y", F)),
                Case("conv_clip_runtime_bounds_not_fused", n => ConvBase(n, 13, true).Input("lo", F).Input("hi", F).Node("Clip", new[] { "c", "lo", "hi" }, new[] { "Y" }).Output("Y", F)),
                Case("conv_relu_conv_output_also_used", n => ConvBase(n, 13, true).Node("Relu", "c", "Y").Output("Y", F).Output("c", F)),
                Case("conv_add_relu_bias_chain", n => ConvBase(n, 13, false).Initializer("k", Floats(Rng(n + "k"), S(4, 1, 1)), 4, 1, 1)
                    .Node("Add", new[] { "c", "k" }, new[] { "a" }).Node("Relu", "a", "Y").Output("Y", F)),
                Case("depthwise_conv_bn_clip", n =>
                {
                    var r = Rng(n);
                    var b = new OnnxBuilder(13).Input("X", F, S(1, 4, 7, 7)).Initializer("W", Floats(r, S(4, 1, 3, 3)), 4, 1, 3, 3)
                        .Node("Conv", new[] { "X", "W" }, new[] { "c" }, a => a.Int("group", 4).Ints("strides", 2, 2).Ints("pads", 1, 1, 1, 1));
                    return BatchNorm(b, n, "c", "bn", 4).Initializer("lo", new[] { 0f }).Initializer("hi", new[] { 6f })
                        .Node("Clip", new[] { "bn", "lo", "hi" }, new[] { "Y" }).Output("Y", F);
                }),
                Case("gemm_add_bias", n => new OnnxBuilder(13).Input("A", F, S(3, 5)).Initializer("B", Floats(Rng(n), S(4, 5)), 4, 5).Initializer("k", Floats(Rng(n + "k"), S(4)), 4)
                    .Node("Gemm", new[] { "A", "B" }, new[] { "g" }, a => a.Int("transB", 1)).Node("Add", new[] { "g", "k" }, new[] { "Y" }).Output("Y", F)),
                Case("gemm_with_C_beta_add_bias_relu", n => new OnnxBuilder(13).Input("A", F, S(3, 5)).Initializer("B", Floats(Rng(n), S(5, 4)), 5, 4)
                    .Initializer("C", Floats(Rng(n + "c"), S(1, 4)), 1, 4).Initializer("k", Floats(Rng(n + "k"), S(1, 4)), 1, 4)
                    .Node("Gemm", new[] { "A", "B", "C" }, new[] { "g" }, a => a.Float("beta", 0.5f).Float("alpha", 2f))
                    .Node("Add", new[] { "k", "g" }, new[] { "a" }).Node("Relu", "a", "Y").Output("Y", F)),
                Case("gemm_runtime_C_add_not_folded", n => new OnnxBuilder(13).Input("A", F, S(3, 5)).Input("C", F, S(3, 4)).Initializer("B", Floats(Rng(n), S(5, 4)), 5, 4)
                    .Initializer("k", Floats(Rng(n + "k"), S(4)), 4)
                    .Node("Gemm", new[] { "A", "B", "C" }, new[] { "g" }).Node("Add", new[] { "g", "k" }, new[] { "Y" }).Output("Y", F)),
                Case("gemm_leakyrelu", n => new OnnxBuilder(13).Input("A", F, S(3, 5)).Initializer("B", Floats(Rng(n), S(5, 9)), 5, 9)
                    .Node("Gemm", new[] { "A", "B" }, new[] { "g" }).Node("LeakyRelu", "g", "Y").Output("Y", F)),
                Case("matmul_add_bias", n => new OnnxBuilder(13).Input("A", F, S(3, 5)).Initializer("B", Floats(Rng(n), S(5, 7)), 5, 7).Initializer("k", Floats(Rng(n + "k"), S(7)), 7)
                    .Node("MatMul", new[] { "A", "B" }, new[] { "m" }).Node("Add", new[] { "m", "k" }, new[] { "Y" }).Output("Y", F)),
                Case("matmul_batched_add_bias_relu", n => new OnnxBuilder(13).Input("A", F, S(2, 3, 5)).Initializer("B", Floats(Rng(n), S(5, 17)), 5, 17).Initializer("k", Floats(Rng(n + "k"), S(17)), 17)
                    .Node("MatMul", new[] { "A", "B" }, new[] { "m" }).Node("Add", new[] { "k", "m" }, new[] { "a" }).Node("Relu", "a", "Y").Output("Y", F)),
                Case("matmul_add_full_matrix_not_folded", n => new OnnxBuilder(13).Input("A", F, S(3, 5)).Initializer("B", Floats(Rng(n), S(5, 4)), 5, 4).Initializer("k", Floats(Rng(n + "k"), S(3, 4)), 3, 4)
                    .Node("MatMul", new[] { "A", "B" }, new[] { "m" }).Node("Add", new[] { "m", "k" }, new[] { "Y" }).Output("Y", F)),
                Case("matmul_runtime_weights_add", n => new OnnxBuilder(13).Input("A", F, S(3, 5)).Input("B", F, S(5, 4)).Initializer("k", Floats(Rng(n + "k"), S(4)), 4)
                    .Node("MatMul", new[] { "A", "B" }, new[] { "m" }).Node("Add", new[] { "m", "k" }, new[] { "Y" }).Output("Y", F)),
                Case("matmul_add_bias_output_also_used", n => new OnnxBuilder(13).Input("A", F, S(3, 5)).Initializer("B", Floats(Rng(n), S(5, 7)), 5, 7).Initializer("k", Floats(Rng(n + "k"), S(7)), 7)
                    .Node("MatMul", new[] { "A", "B" }, new[] { "m" }).Node("Add", new[] { "m", "k" }, new[] { "Y" }).Output("Y", F).Output("m", F)),
                Case("add_relu_runtime_broadcast", n => new OnnxBuilder(13).Input("A", F, S(2, 3, 4)).Input("B", F, S(3, 1))
                    .Node("Add", new[] { "A", "B" }, new[] { "s" }).Node("Relu", "s", "Y").Output("Y", F)),
                Case("sub_leakyrelu", n => new OnnxBuilder(13).Input("A", F, S(4, 9)).Input("B", F, S(4, 9))
                    .Node("Sub", new[] { "A", "B" }, new[] { "s" }).Node("LeakyRelu", "s", "Y", a => a.Float("alpha", 0.1f)).Output("Y", F)),
                Case("mul_clip", n => new OnnxBuilder(13).Input("A", F, S(4, 9)).Input("B", F, S(9)).Initializer("lo", new[] { -1f }).Initializer("hi", new[] { 1f })
                    .Node("Mul", new[] { "A", "B" }, new[] { "s" }).Node("Clip", new[] { "s", "lo", "hi" }, new[] { "Y" }).Output("Y", F)),
                Case("add_relu_sum_also_output", n => new OnnxBuilder(13).Input("A", F, S(2, 5)).Input("B", F, S(2, 5))
                    .Node("Add", new[] { "A", "B" }, new[] { "s" }).Node("Relu", "s", "Y").Output("Y", F).Output("s", F)),
                Case("add_relu_int64_not_fused", n => new OnnxBuilder(13).Input("A", I64, S(2, 5)).Input("B", I64, S(5))
                    .Node("Add", new[] { "A", "B" }, new[] { "s" }).Node("Abs", "s", "Y").Output("Y", I64)),
            };
            foreach (var (shape, opset) in new[] { (S(2, 3, 4, 5), 15), (S(4, 3), 15), (S(2, 3, 7), 15), (S(1, 3, 2, 2), 9) })
                list.Add(Case($"batchnormalization_opset{opset}_{Shape(shape)}", n => BatchNorm(new OnnxBuilder(opset).Input("X", F, shape), n, "X", "Y", 3).Output("Y", F)));

            foreach (var cond in new[] { true, false })
            {
                var then = new SubgraphBuilder("then").Initializer("one", new[] { 1f })
                    .Node("Add", new[] { "X", "one" }, new[] { "t" }).Node("Relu", "t", "tr").Output("tr", F);
                var els = new SubgraphBuilder("else").Node("Mul", new[] { "X", "X" }, new[] { "e" }).Node("Neg", "e", "en").Output("en", F);
                var b = new OnnxBuilder(13).Input("X", F, S(3, 4)).Input("cond", B, S())
                    .Node("If", new[] { "cond" }, new[] { "r" }, a => a.Graph("then_branch", then.Build()).Graph("else_branch", els.Build()))
                    .Node("Sigmoid", "r", "Y").Output("Y", F);
                list.Add(new OpCase($"if_runtime_condition_{(cond ? "true" : "false")}", b, (r, d) => d["cond"] = new[] { cond }));
            }
            foreach (var cond in new[] { true, false })
            {
                // The condition is computed in the graph; each branch has two outputs and reads outer-scope values.
                var then = new SubgraphBuilder("then").Node("Transpose", "A", "at", a => a.Ints("perm", 1, 0)).Node("Identity", "A", "ai").Output("at", F).Output("ai", F);
                var els = new SubgraphBuilder("else").Node("Neg", "A", "an").Node("Transpose", "an", "ant", a => a.Ints("perm", 1, 0)).Node("Abs", "A", "aa").Output("ant", F).Output("aa", F);
                var b = new OnnxBuilder(13).Input("A", F, S(3, 3)).Input("s", F, S(1))
                    .Initializer("zero", new[] { 0f })
                    .Node("Greater", new[] { "s", "zero" }, new[] { "cond" })
                    .Node("If", new[] { "cond" }, new[] { "Y0", "Y1" }, a => a.Graph("then_branch", then.Build()).Graph("else_branch", els.Build()))
                    .Output("Y0", F).Output("Y1", F);
                list.Add(new OpCase($"if_computed_condition_{(cond ? "true" : "false")}_two_outputs", b, (r, d) => d["s"] = new[] { cond ? 1f : -1f }));
            }
            return list;
        }

        public static TheoryData<string> CaseNames => Names(Cases());

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void Fused_and_unfused_graphs_match_onnxruntime(string @case) => OpSuite.Check(typeof(FusionTests), Cases, @case);

        /// <summary>The ORT comparisons above only prove something about fusion if the fused paths are taken: check the plans.</summary>
        [Theory]
        [InlineData("conv_bn", "Conv")]
        [InlineData("conv_bn_relu", "Conv+Relu")]
        [InlineData("conv_bn_output_also_used_is_not_folded", "Conv,BatchNormalization")]
        [InlineData("conv_add_per_channel_1xCx1x1", "Conv")]
        [InlineData("conv_add_spatial_constant_not_per_channel", "Conv,Add")]
        [InlineData("conv_relu", "Conv+Relu")]
        [InlineData("conv_leakyrelu_alpha0.2", "Conv+LeakyRelu")]
        [InlineData("conv_clip_opset13_constant_bounds", "Conv+Clip")]
        [InlineData("conv_clip_opset6_relu6", "Conv+Clip")]
        [InlineData("conv_clip_runtime_bounds_not_fused", "Conv,Clip")]
        [InlineData("conv_relu_conv_output_also_used", "Conv,Relu")]
        [InlineData("conv_add_relu_bias_chain", "Conv+Relu")]
        [InlineData("depthwise_conv_bn_clip", "Conv+Clip")]
        [InlineData("gemm_add_bias", "Gemm")]
        [InlineData("gemm_with_C_beta_add_bias_relu", "Gemm+Relu")]
        [InlineData("matmul_add_bias", "MatMul")]
        [InlineData("matmul_batched_add_bias_relu", "MatMul+Relu")]
        [InlineData("matmul_add_full_matrix_not_folded", "MatMul,Add")]
        [InlineData("add_relu_runtime_broadcast", "Add+Relu")]
        [InlineData("sub_leakyrelu", "Sub+LeakyRelu")]
        [InlineData("mul_clip", "Mul+Clip")]
        [InlineData("add_relu_sum_also_output", "Add,Relu")]
        public void Fusion_pass_rewrites_the_plan_as_expected(string @case, string expectedSteps)
        {
            var plan = OpSuite.Entry(typeof(FusionTests), Cases, @case).Plan;
            Assert.NotNull(plan);
            var steps = plan!.Steps.OfType<QuantGen.Graph.NodeStep>()
                .Select(s => s.Node.OpType + (s.Node.FusedActivation != null ? "+" + s.Node.FusedActivation.OpType : ""));
            Assert.Equal(expectedSteps, string.Join(",", steps));
        }
    }
}
