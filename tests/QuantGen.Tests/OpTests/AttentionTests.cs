using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Tests.Infrastructure;
using static QuantGen.Tests.OpTests.H;

namespace QuantGen.Tests.OpTests
{
    /// <summary>
    /// Attention (opset 23/24: 3-D and 4-D, grouped-query heads, float and bool masks with broadcasting and short masks,
    /// is_causal, scale, softcap, past/present, nonpad_kv_seqlen, every qk_matmul_output_mode), RotaryEmbedding (opset 23:
    /// halves and interleaved, partial rotary dimension, 3-D and 4-D, with and without position_ids) and GridSample
    /// (opset 16 and 20: every mode, padding mode and align_corners; 1-D to 3-D spatial in opset 20) against ONNX Runtime.
    /// </summary>
    public class AttentionTests
    {
        private sealed class Att
        {
            public int[] Q = S(2, 3, 4, 8), K = S(2, 3, 6, 8), V = S(2, 3, 6, 8);
            public int[]? Mask, Past;
            public int PastDv;
            public DataType MaskType = F;
            public bool Causal, Present, Nonpad;
            public int QHeads, KvHeads;
            public float? Scale, Softcap;
            public int? Mode;
            public bool SoftmaxPrecision;
            public int Opset = 23;
        }

        private static OpCase Attention(string name, Att a)
        {
            name = "attention_" + name + "_opset" + a.Opset;
            var b = new OnnxBuilder(a.Opset);
            b.Input("Q", F, a.Q).Input("K", F, a.K).Input("V", F, a.V);
            var ins = new List<string> { "Q", "K", "V" };
            if (a.Mask != null) { b.Input("M", a.MaskType, a.Mask); ins.Add("M"); }
            if (a.Past != null)
            {
                while (ins.Count < 4) ins.Add("");
                var pv = a.Past.ToArray(); pv[3] = a.PastDv;
                b.Input("PK", F, a.Past).Input("PV", F, pv); ins.Add("PK"); ins.Add("PV");
            }
            if (a.Nonpad)
            {
                while (ins.Count < 6) ins.Add("");
                b.Input("NP", I64, a.Q[0]); ins.Add("NP");
            }
            var outs = new List<string> { "Y" };
            if (a.Present || a.Past != null) { outs.Add("PresentK"); outs.Add("PresentV"); }
            if (a.Mode != null) { while (outs.Count < 3) outs.Add(""); outs.Add("QK"); }
            b.Node("Attention", ins.ToArray(), outs.ToArray(), at =>
            {
                if (a.Causal) at.Int("is_causal", 1);
                if (a.QHeads > 0) at.Int("q_num_heads", a.QHeads);
                if (a.KvHeads > 0) at.Int("kv_num_heads", a.KvHeads);
                if (a.Scale != null) at.Float("scale", a.Scale.Value);
                if (a.Softcap != null) at.Float("softcap", a.Softcap.Value);
                if (a.Mode != null && a.Mode.Value != 0) at.Int("qk_matmul_output_mode", a.Mode.Value);
                if (a.SoftmaxPrecision) at.Int("softmax_precision", 1);
            });
            foreach (var o in outs.Where(o => o.Length > 0)) b.Output(o, F);
            int total = (a.Past?[2] ?? 0) + (a.Q.Length == 3 ? a.K[1] : a.K[2]);
            return new OpCase(name, b, (r, d) =>
            {
                foreach (var (n, s) in new[] { ("Q", a.Q), ("K", a.K), ("V", a.V) }) d[n] = Floats(r, s, -2, 2);
                if (a.Mask != null)
                {
                    int cols = a.Mask[a.Mask.Length - 1], count = Prod(a.Mask);
                    if (a.MaskType == B)
                        d["M"] = Enumerable.Range(0, count).Select(i => i % cols == 0 || r.Next(3) != 0).ToArray(); // column 0 always attends
                    else
                        d["M"] = Enumerable.Range(0, count).Select(i => i % cols != 0 && r.Next(4) == 0 ? float.NegativeInfinity : (float)(r.NextDouble() * 2 - 1)).ToArray();
                }
                if (a.Nonpad) d["NP"] = Enumerable.Range(0, a.Q[0]).Select(i => (long)(total - i % 3)).ToArray();
            });
        }

        private static OpCase Rotary(string name, int[] x, int heads = 0, int rot = 0, bool interleaved = false, bool positions = true, int maxPos = 12)
        {
            name = "rotary_" + name;
            bool three = x.Length == 3;
            int bsz = x[0], seq = three ? x[1] : x[2], d = three ? x[2] / heads : x[3];
            int half = (rot == 0 ? d : rot) / 2;
            var cache = positions ? S(maxPos, half) : S(bsz, seq, half);
            var b = new OnnxBuilder(23);
            b.Input("X", F, x).Input("C", F, cache).Input("Sn", F, cache);
            var ins = new List<string> { "X", "C", "Sn" };
            if (positions) { b.Input("P", I64, bsz, seq); ins.Add("P"); }
            b.Node("RotaryEmbedding", ins.ToArray(), new[] { "Y" }, at =>
            {
                if (heads > 0) at.Int("num_heads", heads);
                if (rot > 0) at.Int("rotary_embedding_dim", rot);
                if (interleaved) at.Int("interleaved", 1);
            }).Output("Y", F);
            return new OpCase(name, b, (r, dd) =>
            {
                if (positions) dd["P"] = Enumerable.Range(0, bsz * seq).Select(_ => (long)r.Next(maxPos)).ToArray();
            });
        }

        private static OpCase Grid(int opset, int[] x, int[] grid, string mode, string padding, bool align)
        {
            var name = $"gridsample_{Shape(x)}_{Shape(grid)}_{mode}_{padding}{(align ? "_align" : "")}_opset{opset}";
            var b = One(opset, "GridSample", new[] { ("X", F, x), ("G", F, grid) }, F, at =>
            {
                at.String("mode", mode);
                at.String("padding_mode", padding);
                if (align) at.Int("align_corners", 1);
            });
            return new OpCase(name, b, (r, d) => d["G"] = Floats(r, grid, -1.4, 1.4));
        }

        public static IReadOnlyList<OpCase> Cases()
        {
            var list = new List<OpCase>
            {
                Attention("4d", new Att()),
                Attention("4d_gqa_dv", new Att { Q = S(2, 6, 4, 8), K = S(2, 2, 5, 8), V = S(2, 2, 5, 6) }),
                Attention("3d", new Att { Q = S(2, 4, 24), K = S(2, 6, 24), V = S(2, 6, 30), QHeads = 3, KvHeads = 3 }),
                Attention("3d_gqa", new Att { Q = S(1, 3, 32), K = S(1, 5, 16), V = S(1, 5, 16), QHeads = 4, KvHeads = 2 }),
                Attention("mask2d", new Att { Mask = S(4, 6) }),
                Attention("mask3d", new Att { Mask = S(3, 4, 6) }),
                Attention("mask4d_b1", new Att { Mask = S(2, 1, 4, 6) }),
                Attention("mask_bool4d", new Att { Mask = S(2, 3, 4, 6), MaskType = B }),
                Attention("mask_bool2d_gqa", new Att { Q = S(2, 6, 4, 8), K = S(2, 3, 6, 8), V = S(2, 3, 6, 8), Mask = S(4, 6), MaskType = B }),
                Attention("mask_bool_3d_inputs", new Att { Q = S(2, 4, 24), K = S(2, 6, 24), V = S(2, 6, 24), QHeads = 3, KvHeads = 3, Mask = S(2, 1, 4, 6), MaskType = B }),
                Attention("causal_square", new Att { K = S(2, 3, 4, 8), V = S(2, 3, 4, 8), Causal = true }),
                Attention("causal_3d_gqa", new Att { Q = S(1, 4, 32), K = S(1, 4, 16), V = S(1, 4, 16), QHeads = 4, KvHeads = 2, Causal = true }),
                Attention("causal_mask", new Att { K = S(2, 3, 4, 8), V = S(2, 3, 4, 8), Causal = true, Mask = S(4, 4) }),
                Attention("scale", new Att { Scale = 0.1f }),
                Attention("softcap_mask", new Att { Softcap = 2f, Mask = S(4, 6) }),
                Attention("present_no_past", new Att { Present = true }),
                Attention("past", new Att { K = S(2, 3, 2, 8), V = S(2, 3, 2, 8), Past = S(2, 3, 5, 8), PastDv = 8 }),
                Attention("past_causal_gqa_dv", new Att { Q = S(1, 4, 3, 8), K = S(1, 2, 3, 8), V = S(1, 2, 3, 6), Past = S(1, 2, 4, 8), PastDv = 6, Causal = true }),
                Attention("past_3d_mask", new Att { Q = S(2, 2, 24), K = S(2, 2, 24), V = S(2, 2, 24), QHeads = 3, KvHeads = 3, Past = S(2, 3, 4, 8), PastDv = 8, Mask = S(2, 6) }),
                Attention("softmax_precision", new Att { SoftmaxPrecision = true }),
            };
            for (int mode = 0; mode <= 3; mode++)
            {
                list.Add(Attention($"qk_mode{mode}", new Att { Mode = mode, Mask = S(4, 6) }));
                // ORT writes float.MinValue where the causal or a bool mask masks a score in mode 2; the ONNX reference
                // (and QuantGen) write -infinity, so mode 2 is compared with float masks only (the node tests cover the rest).
                list.Add(Attention($"qk_mode{mode}_softcap_causal", new Att { Mode = mode, Softcap = 1.5f, Mask = S(2, 3, 4, 6), Causal = mode != 2, Scale = 0.5f }));
                list.Add(Attention($"qk_mode{mode}_past", new Att { Mode = mode, K = S(2, 3, 2, 8), V = S(2, 3, 2, 8), Past = S(2, 3, 3, 8), PastDv = 8, Mask = S(4, 5), MaskType = mode == 2 ? F : B }));
            }
            list.Add(Attention("nonpad", new Att { Nonpad = true, Opset = 24 }));
            list.Add(Attention("nonpad_causal", new Att { Nonpad = true, Causal = true, Q = S(2, 3, 3, 8), Opset = 24 }));
            list.Add(Attention("4d", new Att { Opset = 24 }));

            list.Add(Rotary("4d", S(2, 3, 4, 8)));
            list.Add(Rotary("4d_interleaved", S(2, 3, 4, 8), interleaved: true));
            list.Add(Rotary("4d_rot4", S(2, 3, 4, 8), rot: 4));
            list.Add(Rotary("4d_rot4_interleaved", S(2, 3, 4, 8), rot: 4, interleaved: true));
            list.Add(Rotary("3d", S(2, 4, 24), heads: 3));
            list.Add(Rotary("3d_interleaved_rot6", S(2, 4, 24), heads: 3, rot: 6, interleaved: true));
            list.Add(Rotary("4d_no_positions", S(2, 3, 4, 8), positions: false));
            list.Add(Rotary("3d_no_positions_rot4", S(1, 5, 16), heads: 2, rot: 4, positions: false));

            foreach (var (opset, modes) in new[] { (16, new[] { "bilinear", "nearest", "bicubic" }), (20, new[] { "linear", "nearest", "cubic" }) })
                foreach (var mode in modes)
                    foreach (var padding in new[] { "zeros", "border", "reflection" })
                        foreach (var align in new[] { false, true })
                            list.Add(Grid(opset, S(2, 2, 4, 5), S(2, 3, 6, 2), mode, padding, align));
            foreach (var mode in new[] { "linear", "nearest" })
                foreach (var padding in new[] { "zeros", "border", "reflection" })
                    foreach (var align in new[] { false, true })
                        list.Add(Grid(20, S(1, 2, 3, 4, 5), S(1, 2, 3, 4, 3), mode, padding, align));
            return list;
        }

        public static TheoryData<string> CaseNames => Names(Cases());

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void Attention_rotary_and_gridsample_match_onnxruntime(string @case) => OpSuite.Check(typeof(AttentionTests), Cases, @case);
    }
}
