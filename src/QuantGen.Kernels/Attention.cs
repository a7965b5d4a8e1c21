using System;

namespace QuantGen.Kernels
{
    /// <summary>
    /// ONNX Attention (opset 23/24) on float32, one query row at a time: scores = scale * q . k over the past keys then
    /// the new keys, softcap, mask (float added, bool false = -inf, columns beyond the mask's last axis masked), causal
    /// and nonpad_kv_seqlen masks, softmax, then the weighted sum of the values. The caller's scratch holds one row of
    /// scores (total_seq floats). Layouts, chosen at build time: 3-D [b, s, h * d] or 4-D [b, h, s, d] for Q, K, V and Y;
    /// past/present [b, kv_heads, s, d].
    /// </summary>
    internal static class Attention
    {
        /// <param name="dims">b, q_heads, kv_heads, q_seq, kv_seq, past_seq, head_size, v_head_size, 3-D (0/1), causal (0/1),
        /// qk_matmul_output_mode, mask kind (0 none, 1 float, 2 bool), nonpad given (0/1).</param>
        /// <param name="maskInfo">the mask's last-axis length, then its strides for batch, q head, query row and column
        /// (0 where broadcast).</param>
        public static void Run(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
            ReadOnlySpan<float> pastK, ReadOnlySpan<float> pastV, ReadOnlySpan<float> maskF, ReadOnlySpan<bool> maskB,
            ReadOnlySpan<long> nonpad, Span<float> y, Span<float> presentK, Span<float> presentV, Span<float> qkOut,
            Span<float> scores, ReadOnlySpan<int> dims, ReadOnlySpan<int> maskInfo, float scale, float softcap)
        {
            int nb = dims[0], hq = dims[1], hkv = dims[2], sq = dims[3], skv = dims[4], past = dims[5], d = dims[6], dv = dims[7];
            bool threeD = dims[8] != 0, causal = dims[9] != 0;
            int mode = dims[10], maskKind = dims[11];
            bool hasNonpad = dims[12] != 0;
            int t = past + skv;
            if (q.Length < (long)nb * hq * sq * d || k.Length < (long)nb * hkv * skv * d || v.Length < (long)nb * hkv * skv * dv
                || pastK.Length < (long)nb * hkv * past * d || pastV.Length < (long)nb * hkv * past * dv
                || y.Length < (long)nb * hq * sq * dv || scores.Length < t || (hasNonpad && nonpad.Length < nb))
                throw new ArgumentException("attention operand too small");
            int group = hq / hkv;

            if (!presentK.IsEmpty) Present(pastK, k, presentK, nb, hkv, skv, past, d, threeD);
            if (!presentV.IsEmpty) Present(pastV, v, presentV, nb, hkv, skv, past, dv, threeD);

            for (int b = 0; b < nb; b++)
            {
                long valid = hasNonpad ? nonpad[b] : t;
                // Causal frontier: query row i sees columns j <= i + offset.
                long offset = past > 0 || !hasNonpad ? past : nonpad[b] - sq;
                for (int h = 0; h < hq; h++)
                {
                    int g = h / group;
                    for (int i = 0; i < sq; i++)
                    {
                        var qrow = q.Slice(threeD ? ((b * sq + i) * hq + h) * d : ((b * hq + h) * sq + i) * d, d);
                        for (int j = 0; j < t; j++)
                        {
                            var krow = j < past ? pastK.Slice(((b * hkv + g) * past + j) * d, d) : Row(k, b, g, j - past, hkv, skv, d, threeD);
                            float s = 0f;
                            for (int c = 0; c < d; c++) s += qrow[c] * krow[c];
                            scores[j] = s * scale;
                        }
                        int qkRow = ((b * hq + h) * sq + i) * t;
                        if (mode == 0 && !qkOut.IsEmpty) scores.Slice(0, t).CopyTo(qkOut.Slice(qkRow, t));
                        if (softcap > 0f)
                            for (int j = 0; j < t; j++) scores[j] = softcap * MathF.Tanh(scores[j] / softcap);
                        if (mode == 1 && !qkOut.IsEmpty) scores.Slice(0, t).CopyTo(qkOut.Slice(qkRow, t));
                        if (maskKind != 0)
                        {
                            int mlen = maskInfo[0];
                            int mrow = b * maskInfo[1] + h * maskInfo[2] + i * maskInfo[3];
                            for (int j = 0; j < t; j++)
                            {
                                if (j >= mlen) scores[j] = float.NegativeInfinity;
                                else if (maskKind == 1) scores[j] += maskF[mrow + j * maskInfo[4]];
                                else if (!maskB[mrow + j * maskInfo[4]]) scores[j] += float.NegativeInfinity;
                            }
                        }
                        if (causal)
                            for (int j = 0; j < t; j++)
                                if (j > i + offset) scores[j] += float.NegativeInfinity;
                        if (hasNonpad)
                            for (int j = 0; j < t; j++)
                                if (j >= valid) scores[j] += float.NegativeInfinity;
                        if (mode == 2 && !qkOut.IsEmpty) scores.Slice(0, t).CopyTo(qkOut.Slice(qkRow, t));

                        float m = float.NegativeInfinity;
                        for (int j = 0; j < t; j++) m = MathF.Max(m, scores[j]);
                        float sum = 0f;
                        for (int j = 0; j < t; j++) { float e = MathF.Exp(scores[j] - m); scores[j] = e; sum += e; }
                        for (int j = 0; j < t; j++) scores[j] /= sum;
                        if (mode == 3 && !qkOut.IsEmpty) scores.Slice(0, t).CopyTo(qkOut.Slice(qkRow, t));

                        var yrow = y.Slice(threeD ? ((b * sq + i) * hq + h) * dv : ((b * hq + h) * sq + i) * dv, dv);
                        yrow.Clear();
                        for (int j = 0; j < t; j++)
                        {
                            var vrow = j < past ? pastV.Slice(((b * hkv + g) * past + j) * dv, dv) : Row(v, b, g, j - past, hkv, skv, dv, threeD);
                            float w = scores[j];
                            for (int c = 0; c < dv; c++) yrow[c] += w * vrow[c];
                        }
                    }
                }
            }
        }

        /// <summary>Row s of head g in batch b of a 3-D [b, s, h * d] or 4-D [b, h, s, d] tensor.</summary>
        private static ReadOnlySpan<float> Row(ReadOnlySpan<float> x, int b, int g, int s, int heads, int seq, int d, bool threeD) =>
            x.Slice(threeD ? ((b * seq + s) * heads + g) * d : ((b * heads + g) * seq + s) * d, d);

        /// <summary>present = concat(past, x) along the sequence axis, as [b, kv_heads, past + seq, d].</summary>
        private static void Present(ReadOnlySpan<float> past, ReadOnlySpan<float> x, Span<float> present, int nb, int heads, int seq, int pastLen, int d, bool threeD)
        {
            int t = pastLen + seq;
            if (present.Length < (long)nb * heads * t * d) throw new ArgumentException("attention present operand too small");
            for (int b = 0; b < nb; b++)
                for (int g = 0; g < heads; g++)
                {
                    int dst = (b * heads + g) * t * d;
                    if (pastLen > 0) past.Slice((b * heads + g) * pastLen * d, pastLen * d).CopyTo(present.Slice(dst, pastLen * d));
                    for (int s = 0; s < seq; s++) Row(x, b, g, s, heads, seq, d, threeD).CopyTo(present.Slice(dst + (pastLen + s) * d, d));
                }
        }
    }
}
