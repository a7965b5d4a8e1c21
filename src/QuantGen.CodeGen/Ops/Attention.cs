using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// Attention (opset 23, 24) on float32: 3-D ([batch, seq, heads * head_size], q_num_heads/kv_num_heads required) or
    /// 4-D ([batch, heads, seq, head_size]) Q/K/V; grouped-query attention (q heads a multiple of kv heads); attn_mask
    /// bool (false = masked) or float (added), broadcast to [batch, q_heads, q_seq, total_seq] and padded with masked
    /// columns when its last axis is shorter; is_causal (bottom-right aligned: offset by the past length, or per batch by
    /// nonpad_kv_seqlen - q_seq when there is no past); scale (default 1/sqrt(head_size)); softcap (applied before the mask);
    /// past_key/past_value concatenated ahead of K/V into present_key/present_value; nonpad_kv_seqlen (opset 24);
    /// qk_matmul_output_mode 0 (scaled QK^T), 1 (after softcap), 2 (after softcap and mask), 3 (after softmax).
    /// softmax_precision is accepted only as FLOAT (a no-op for float32 inputs).
    /// </summary>
    internal sealed class Attention : Operator
    {
        public override string OpType => "Attention";

        internal sealed class Plan
        {
            public bool ThreeD;
            public int B, Hq, Hkv, Sq, Skv, P, D, Dv;
            public int T => P + Skv;
            public float Scale, Softcap;
            public bool Causal;
            public int Mode;
            public int MaskKind; // 0 none, 1 float, 2 bool
            public int[] MaskInfo = new int[5]; // last-axis length, strides for b, h, i, j
            public bool HasPast, HasNonpad;
            public int[] YShape = Array.Empty<int>();
        }

        private static bool Used(Node n, int i) => i < n.Outputs.Count && !n.Outputs[i].Name.Contains("__unused");

        internal static Plan Resolve(Node n)
        {
            if (n.Opset < 23) throw new QgException(DiagnosticIds.UnsupportedOp, $"{n.Describe()}: Attention exists from opset 23");
            for (int i = 0; i < 3; i++) RequireTypes(n, i, DataType.Float);
            var q = ShapeOf(n, 0); var k = ShapeOf(n, 1); var v = ShapeOf(n, 2);
            if (q.Length != k.Length || q.Length != v.Length || (q.Length != 3 && q.Length != 4))
                throw Invalid(n, $"Q {Shapes.Format(q)}, K {Shapes.Format(k)} and V {Shapes.Format(v)} must all be 3-D or all 4-D");
            var p = new Plan { ThreeD = q.Length == 3, B = q[0] };
            long qHeads = n.GetInt("q_num_heads", 0), kvHeads = n.GetInt("kv_num_heads", 0);
            if (p.ThreeD)
            {
                if (qHeads <= 0 || kvHeads <= 0) throw Unsupported(n, "3-D inputs need positive q_num_heads and kv_num_heads attributes");
                if (qHeads > q[2] || kvHeads > k[2] || q[2] % qHeads != 0 || k[2] % kvHeads != 0 || v[2] % kvHeads != 0)
                    throw Invalid(n, $"hidden sizes Q {q[2]}, K {k[2]}, V {v[2]} are not multiples of q_num_heads {qHeads} / kv_num_heads {kvHeads}");
                p.Hq = (int)qHeads; p.Hkv = (int)kvHeads; p.Sq = q[1]; p.Skv = k[1];
                p.D = q[2] / p.Hq; p.Dv = v[2] / p.Hkv;
                if (k[2] / p.Hkv != p.D) throw Invalid(n, $"K head size {k[2] / p.Hkv} differs from Q head size {p.D}");
                if (v[1] != p.Skv) throw Invalid(n, $"K and V sequence lengths differ ({p.Skv} vs {v[1]})");
            }
            else
            {
                p.Hq = q[1]; p.Hkv = k[1]; p.Sq = q[2]; p.Skv = k[2]; p.D = q[3]; p.Dv = v[3];
                if (k[3] != p.D) throw Invalid(n, $"K head size {k[3]} differs from Q head size {p.D}");
                if (v[1] != p.Hkv || v[2] != p.Skv) throw Invalid(n, $"V {Shapes.Format(v)} does not match K {Shapes.Format(k)} in heads and sequence length");
                if ((n.Has("q_num_heads") && qHeads != p.Hq) || (n.Has("kv_num_heads") && kvHeads != p.Hkv))
                    throw Invalid(n, $"q_num_heads {qHeads} / kv_num_heads {kvHeads} disagree with the 4-D inputs ({p.Hq} / {p.Hkv} heads)");
            }
            if (k[0] != p.B || v[0] != p.B) throw Invalid(n, "Q, K and V have different batch sizes");
            if (p.Hkv <= 0 || p.Hq % p.Hkv != 0) throw Invalid(n, $"q heads {p.Hq} is not a multiple of kv heads {p.Hkv}");

            var pastK = n.Input(4); var pastV = n.Input(5);
            if ((pastK == null) != (pastV == null)) throw Unsupported(n, "past_key and past_value must be given together");
            if (pastK != null)
            {
                RequireTypes(n, 4, DataType.Float); RequireTypes(n, 5, DataType.Float);
                var pk = ShapeOf(n, 4); var pv = ShapeOf(n, 5);
                if (pk.Length != 4 || pk[0] != p.B || pk[1] != p.Hkv || pk[3] != p.D)
                    throw Invalid(n, $"past_key {Shapes.Format(pk)} must be [{p.B}, {p.Hkv}, past, {p.D}]");
                if (pv.Length != 4 || pv[0] != p.B || pv[1] != p.Hkv || pv[2] != pk[2] || pv[3] != p.Dv)
                    throw Invalid(n, $"past_value {Shapes.Format(pv)} must be [{p.B}, {p.Hkv}, {pk[2]}, {p.Dv}]");
                p.HasPast = true; p.P = pk[2];
            }
            if (n.Input(6) != null)
            {
                if (n.Opset < 24) throw Invalid(n, "nonpad_kv_seqlen is an input from opset 24");
                RequireTypes(n, 6, DataType.Int64);
                var np = ShapeOf(n, 6);
                if (np.Length != 1 || np[0] != p.B) throw Invalid(n, $"nonpad_kv_seqlen {Shapes.Format(np)} must be [{p.B}]");
                p.HasNonpad = true;
            }
            if (n.Inputs.Count > 7) throw Invalid(n, $"Attention has at most 7 inputs ({n.Inputs.Count} given)");

            if (n.Input(3) != null)
            {
                RequireTypes(n, 3, DataType.Float, DataType.Bool);
                p.MaskKind = In(n, 3).Type == DataType.Bool ? 2 : 1;
                var m = ShapeOf(n, 3);
                if (m.Length < 1 || m.Length > 4) throw Invalid(n, $"attn_mask {Shapes.Format(m)} must have rank 1 to 4");
                var full = new int[4];
                for (int i = 0; i < 4; i++) full[i] = i < 4 - m.Length ? 1 : m[i - (4 - m.Length)];
                var target = new[] { p.B, p.Hq, p.Sq, p.T };
                if (full[3] > p.T) throw Invalid(n, $"attn_mask {Shapes.Format(m)} has more columns than the total sequence length {p.T}");
                for (int i = 0; i < 3; i++)
                    if (full[i] != 1 && full[i] != target[i])
                        throw Invalid(n, $"attn_mask {Shapes.Format(m)} does not broadcast to [{string.Join(", ", target)}]");
                var strides = Shapes.Strides(full);
                p.MaskInfo = new[] { full[3], full[0] == 1 ? 0 : strides[0], full[1] == 1 ? 0 : strides[1], full[2] == 1 ? 0 : strides[2], 1 };
            }

            p.Causal = n.GetInt("is_causal", 0) != 0;
            p.Mode = (int)n.GetInt("qk_matmul_output_mode", 0);
            if (p.Mode < 0 || p.Mode > 3) throw Unsupported(n, $"qk_matmul_output_mode {p.Mode} is not one of 0, 1, 2, 3");
            if (n.Has("softmax_precision") && n.GetInt("softmax_precision", 1) != (long)DataType.Float)
                throw Unsupported(n, $"softmax_precision {n.GetInt("softmax_precision", 1)} is not supported (only 1, FLOAT, which is the input precision)");
            p.Scale = n.Has("scale") ? n.GetFloat("scale", 0f) : (float)(1.0 / Math.Sqrt(p.D));
            p.Softcap = n.GetFloat("softcap", 0f);
            p.YShape = p.ThreeD ? new[] { p.B, p.Sq, p.Hq * p.Dv } : new[] { p.B, p.Hq, p.Sq, p.Dv };
            return p;
        }

        public override void Infer(Node n)
        {
            var p = Resolve(n);
            if (n.Outputs.Count > 4) throw Invalid(n, $"Attention has at most 4 outputs ({n.Outputs.Count} given)");
            SetOutput(n, 0, DataType.Float, p.YShape);
            if (Used(n, 1)) SetOutput(n, 1, DataType.Float, new[] { p.B, p.Hkv, p.T, p.D });
            if (Used(n, 2)) SetOutput(n, 2, DataType.Float, new[] { p.B, p.Hkv, p.T, p.Dv });
            if (Used(n, 3)) SetOutput(n, 3, DataType.Float, new[] { p.B, p.Hq, p.Sq, p.T });
        }

        public override long ScratchBytes(Node n) => 4L * Resolve(n).T;

        public override string Describe(Node n)
        {
            var p = Resolve(n);
            return $"{p.Hq}/{p.Hkv} heads, q {p.Sq} x kv {p.T}, head {p.D}/{p.Dv}{(p.Causal ? ", causal" : "")}";
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var p = Resolve(n);
            string Opt(int i) => ctx.HasInput(i) ? ctx.In(i) : "ReadOnlySpan<float>.Empty";
            string OptOut(int i) => Used(n, i) ? ctx.Out(i) : "Span<float>.Empty";
            string maskF = p.MaskKind == 1 ? ctx.In(3) : "ReadOnlySpan<float>.Empty";
            string maskB = p.MaskKind == 2 ? ctx.In(3) : "ReadOnlySpan<bool>.Empty";
            string nonpad = p.HasNonpad ? ctx.In(6) : "ReadOnlySpan<long>.Empty";
            var dims = new[] { p.B, p.Hq, p.Hkv, p.Sq, p.Skv, p.P, p.D, p.Dv, p.ThreeD ? 1 : 0, p.Causal ? 1 : 0, p.Mode, p.MaskKind, p.HasNonpad ? 1 : 0 };
            ctx.W.Line($"{ctx.Kernel("Attention")}.Run({ctx.In(0)}, {ctx.In(1)}, {ctx.In(2)}, {Opt(4)}, {Opt(5)}, {maskF}, {maskB}, {nonpad},");
            ctx.W.Line($"    {ctx.Out(0)}, {OptOut(1)}, {OptOut(2)}, {OptOut(3)}, {ctx.Scratch("float")}, {CodeWriter.Ints(dims)}, {CodeWriter.Ints(p.MaskInfo)}, {CodeWriter.Float(p.Scale)}, {CodeWriter.Float(p.Softcap)});");
        }
    }
}
