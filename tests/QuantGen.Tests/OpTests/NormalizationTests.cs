using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Tests.Infrastructure;
using static QuantGen.Tests.OpTests.H;

namespace QuantGen.Tests.OpTests
{
    /// <summary>
    /// LayerNormalization (axes, epsilon, broadcast scale/bias, constant or run-time, Mean/InvStdDev outputs),
    /// InstanceNormalization, GroupNormalization (opset 18 per-group affine), LpNormalization (p 1/2, axes) against
    /// ONNX Runtime; and the element-wise Mish, Selu, ThresholdedRelu, PRelu (broadcast slopes), IsNaN, IsInf, Not.
    /// </summary>
    public class NormalizationTests
    {
        private static OpCase LayerNorm(int[] x, int axis, int[] scale, int[]? bias, bool constant = false, float? eps = null, int outputs = 1)
        {
            var name = $"layernorm_{Shape(x)}_axis{axis}_scale{Shape(scale)}_bias{(bias == null ? "none" : Shape(bias))}{(constant ? "_const" : "")}{(eps != null ? "_eps" : "")}_out{outputs}";
            var r = Rng(name);
            var b = new OnnxBuilder(17).Input("X", F, x);
            var ins = new List<string> { "X", "S" };
            if (constant) b.Initializer("S", Floats(r, scale), scale); else b.Input("S", F, scale);
            if (bias != null)
            {
                if (constant) b.Initializer("B", Floats(r, bias), bias); else b.Input("B", F, bias);
                ins.Add("B");
            }
            var outs = new[] { "Y", "Mean", "InvStd" }.Take(outputs).ToArray();
            b.Node("LayerNormalization", ins.ToArray(), outs, a =>
            {
                a.Int("axis", axis);
                if (eps != null) a.Float("epsilon", eps.Value);
            });
            foreach (var o in outs) b.Output(o, F);
            return new OpCase(name, b);
        }

        private static OpCase Simple(string name, int opset, string op, (string, DataType, int[])[] inputs, DataType outType,
            Action<AttributeList>? attrs = null, Action<Random, Dictionary<string, Array>>? data = null, (string Name, int[] Shape)[]? consts = null)
        {
            var r = Rng(name);
            var b = new OnnxBuilder(opset);
            foreach (var (n, t, s) in inputs) b.Input(n, t, s);
            foreach (var (n, s) in consts ?? Array.Empty<(string, int[])>()) b.Initializer(n, Floats(r, s, 0.5, 1.5), s);
            b.Node(op, inputs.Select(i => i.Item1).Concat((consts ?? Array.Empty<(string, int[])>()).Select(c => c.Name)).ToArray(), new[] { "Y" }, attrs);
            b.Output("Y", outType);
            return new OpCase(name, b, data);
        }

        /// <summary>All inputs constant: the node is evaluated at build time (Fold), then added to a run-time input.</summary>
        private static OpCase Folded(string name, int opset, string op, int[] x, int[][] consts, Action<AttributeList>? attrs = null)
        {
            var r = Rng(name);
            var b = new OnnxBuilder(opset).Input("Z", F, x).Initializer("X", Floats(r, x, -2, 2), x);
            for (int i = 0; i < consts.Length; i++) b.Initializer("C" + i, Floats(r, consts[i], 0.5, 1.5), consts[i]);
            b.Node(op, new[] { "X" }.Concat(consts.Select((_, i) => "C" + i)).ToArray(), new[] { "T" }, attrs);
            b.Node("Add", new[] { "T", "Z" }, new[] { "Y" }).Output("Y", F);
            return new OpCase(name, b);
        }

        private static IEnumerable<OpCase> All()
        {
            yield return Folded("folded_layernorm", 17, "LayerNormalization", S(2, 3, 4), new[] { S(3, 4), S(4) }, a => a.Int("axis", 1));
            yield return Folded("folded_rmsnorm", 23, "RMSNormalization", S(2, 3, 4), new[] { S(4) });
            yield return Folded("folded_instancenorm", 7, "InstanceNormalization", S(2, 3, 5), new[] { S(3), S(3) });
            yield return Folded("folded_groupnorm18", 18, "GroupNormalization", S(2, 4, 3), new[] { S(2), S(2) }, a => a.Int("num_groups", 2));
            yield return Folded("folded_groupnorm21", 21, "GroupNormalization", S(2, 4, 3), new[] { S(4), S(4) }, a => a.Int("num_groups", 2));
            yield return Folded("folded_lpnorm_p1_axis0", 7, "LpNormalization", S(3, 4), Array.Empty<int[]>(), a => { a.Int("p", 1); a.Int("axis", 0); });
            yield return Folded("folded_prelu", 16, "PRelu", S(2, 3, 4), new[] { S(3, 1) });
            yield return Folded("folded_selu", 7, "Selu", S(2, 5), Array.Empty<int[]>(), a => a.Float("alpha", 1.5f));
            yield return Folded("folded_mish", 18, "Mish", S(2, 5), Array.Empty<int[]>());
            // LayerNormalization
            yield return LayerNorm(S(2, 3, 8), -1, S(8), S(8));
            yield return LayerNorm(S(2, 3, 8), 1, S(3, 8), S(3, 8), outputs: 3);
            yield return LayerNorm(S(4, 5), 0, S(4, 5), S(4, 5), outputs: 3);
            yield return LayerNorm(S(2, 3, 4, 5), 2, S(4, 5), null, eps: 0.1f);
            yield return LayerNorm(S(2, 3, 4, 5), -3, S(3, 4, 5), S(3, 4, 5), constant: true, outputs: 2);
            yield return LayerNorm(S(2, 3, 16), -1, S(16), S(16), constant: true);
            yield return LayerNorm(S(2, 3, 6), -1, S(1), S(6));
            yield return LayerNorm(S(2, 3, 6), -2, S(1, 6), S(3, 1), outputs: 3);
            yield return LayerNorm(S(2, 3, 6), -1, S(2, 3, 6), S(3, 6));
            yield return LayerNorm(S(37, 64), -1, S(64), S(64), constant: true, eps: 1e-6f);
            // InstanceNormalization
            yield return Simple("instancenorm_2x3x4x5", 6, "InstanceNormalization", new[] { ("X", F, S(2, 3, 4, 5)), ("S", F, S(3)), ("B", F, S(3)) }, F);
            yield return Simple("instancenorm_1d_eps", 6, "InstanceNormalization", new[] { ("X", F, S(3, 2, 7)) }, F, a => a.Float("epsilon", 0.01f),
                consts: new[] { ("S", S(2)), ("B", S(2)) });
            yield return Simple("instancenorm_3d", 6, "InstanceNormalization", new[] { ("X", F, S(1, 4, 2, 3, 3)), ("S", F, S(4)), ("B", F, S(4)) }, F);
            // GroupNormalization (opset 18: one scale and bias per group)
            yield return Simple("groupnorm18_g2", 18, "GroupNormalization", new[] { ("X", F, S(2, 4, 3, 3)), ("S", F, S(2)), ("B", F, S(2)) }, F, a => a.Int("num_groups", 2));
            yield return Simple("groupnorm18_g1_eps", 18, "GroupNormalization", new[] { ("X", F, S(2, 6, 5)) }, F, a => { a.Int("num_groups", 1); a.Float("epsilon", 0.01f); },
                consts: new[] { ("S", S(1)), ("B", S(1)) });
            yield return Simple("groupnorm18_g_eq_c", 18, "GroupNormalization", new[] { ("X", F, S(1, 3, 4, 4)), ("S", F, S(3)), ("B", F, S(3)) }, F, a => a.Int("num_groups", 3));
            // GroupNormalization (opset 21: one scale and bias per channel)
            yield return Simple("groupnorm21_g2", 21, "GroupNormalization", new[] { ("X", F, S(2, 4, 3, 3)), ("S", F, S(4)), ("B", F, S(4)) }, F, a => a.Int("num_groups", 2));
            yield return Simple("groupnorm21_g3_const", 21, "GroupNormalization", new[] { ("X", F, S(1, 6, 5)) }, F, a => a.Int("num_groups", 3),
                consts: new[] { ("S", S(6)), ("B", S(6)) });
            // RMSNormalization (opset 23)
            yield return Simple("rmsnorm_axis_last", 23, "RMSNormalization", new[] { ("X", F, S(2, 3, 8)), ("S", F, S(8)) }, F);
            yield return Simple("rmsnorm_axis1_eps", 23, "RMSNormalization", new[] { ("X", F, S(2, 3, 4)), ("S", F, S(3, 4)) }, F, a => { a.Int("axis", 1); a.Float("epsilon", 0.1f); });
            // LpNormalization
            foreach (var (p, axis) in new[] { (2, -1), (1, -1), (2, 0), (1, 1), (2, 1) })
                yield return Simple($"lpnorm_p{p}_axis{axis}", 1, "LpNormalization", new[] { ("X", F, S(3, 4, 5)) }, F, a => { a.Int("p", p); a.Int("axis", axis); });
            yield return Simple("lpnorm_default", 1, "LpNormalization", new[] { ("X", F, S(2, 7)) }, F);
            // Element-wise activations
            yield return Simple("mish", 18, "Mish", new[] { ("X", F, S(3, 50)) }, F, data: (r, d) => d["X"] = RandomData.Floats(r, 150, -30, 30));
            yield return Simple("selu_default", 6, "Selu", new[] { ("X", F, S(4, 5)) }, F);
            yield return Simple("selu_alpha_gamma", 6, "Selu", new[] { ("X", F, S(4, 5)) }, F, a => { a.Float("alpha", 2f); a.Float("gamma", 3f); });
            yield return Simple("thresholdedrelu_default", 10, "ThresholdedRelu", new[] { ("X", F, S(4, 5)) }, F, data: (r, d) => d["X"] = RandomData.Floats(r, 20, -3, 3));
            yield return Simple("thresholdedrelu_alpha", 10, "ThresholdedRelu", new[] { ("X", F, S(4, 5)) }, F, a => a.Float("alpha", -0.5f));
            // PRelu
            foreach (var (x, s, opset) in new[] { (S(2, 3, 4), S(2, 3, 4), 9), (S(2, 3, 4), S(4), 9), (S(2, 3, 4, 5), S(3, 1, 1), 16), (S(3, 4), S(1), 7), (S(2, 5), S(5), 16) })
                yield return Simple($"prelu_{Shape(x)}_{Shape(s)}_opset{opset}", opset, "PRelu", new[] { ("X", F, x), ("Slope", F, s) }, F);
            yield return Simple("prelu_int32_opset16", 16, "PRelu", new[] { ("X", I32, S(3, 4)), ("Slope", I32, S(4)) }, I32);
            yield return Simple("prelu_int64_opset16", 16, "PRelu", new[] { ("X", I64, S(2, 3)), ("Slope", I64, S(1)) }, I64);
            yield return Simple("prelu_const_slope", 9, "PRelu", new[] { ("X", F, S(1, 3, 2, 2)) }, F, consts: new[] { ("Slope", S(3, 1, 1)) });
            // IsNaN / IsInf / Not
            Action<Random, Dictionary<string, Array>> special = (r, d) =>
            {
                var v = RandomData.Floats(r, 24, -2, 2);
                v[1] = float.NaN; v[5] = float.PositiveInfinity; v[7] = float.NegativeInfinity; v[11] = float.NaN; v[13] = float.PositiveInfinity; v[20] = float.MaxValue;
                d["X"] = v;
            };
            yield return Simple("isnan", 13, "IsNaN", new[] { ("X", F, S(4, 6)) }, B, data: special);
            yield return Simple("isinf", 10, "IsInf", new[] { ("X", F, S(4, 6)) }, B, data: special);
            yield return Simple("isinf_positive", 10, "IsInf", new[] { ("X", F, S(4, 6)) }, B, a => a.Int("detect_negative", 0), special);
            yield return Simple("isinf_negative", 10, "IsInf", new[] { ("X", F, S(4, 6)) }, B, a => a.Int("detect_positive", 0), special);
            yield return Simple("isinf_none", 10, "IsInf", new[] { ("X", F, S(4, 6)) }, B, a => { a.Int("detect_positive", 0); a.Int("detect_negative", 0); }, special);
            yield return Simple("not", 1, "Not", new[] { ("X", B, S(3, 4, 5)) }, B);
        }

        public static IReadOnlyList<OpCase> Cases() => All().ToList();

        public static TheoryData<string> CaseNames => Names(Cases());

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void Normalization_and_activation_ops_match_onnxruntime(string @case) => OpSuite.Check(typeof(NormalizationTests), Cases, @case);
    }
}
