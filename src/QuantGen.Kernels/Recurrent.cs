// quantgen-kernel-uses: GemmF32
using System;

namespace QuantGen.Kernels
{
    /// <summary>
    /// ONNX RNN / GRU / LSTM (float32), one direction at a time. The input projection of every time step is one GEMM up
    /// front (X [seq*batch, I] x W^T [I, G*H] plus the summed biases), then each step is one GEMM H x R^T [H, G*H] and the
    /// gate arithmetic. Weights arrive transposed: wt [dirs, I, G*H], rt [dirs, H, G*H] with the ONNX gate order
    /// (RNN i; GRU z, r, h; LSTM i, o, f, c). bias is the ONNX B [dirs, 2*G*H] (Wb then Rb) or empty; seqLens [batch]
    /// or empty (every entry has seq steps); initH/initC [dirs, batch, H] ([batch, dirs, H] with layout 1) or empty
    /// (zeros); peep is the LSTM P [dirs, 3*H] (i, o, f) or empty. Y, Y_h, Y_c may be empty (not wanted).
    /// acts/alphas/betas hold 3 slots per direction (f, g, h); clip is +infinity when the node has no clip.
    /// </summary>
    internal static class Recurrent
    {
        public const int CellRnn = 0, CellGru = 1, CellLstm = 2;

        public const int Relu = 0, Tanh = 1, Sigmoid = 2, Affine = 3, LeakyRelu = 4, ThresholdedRelu = 5, ScaledTanh = 6,
            HardSigmoid = 7, Elu = 8, Softsign = 9, Softplus = 10;

        /// <summary>Number of gates of a cell kind.</summary>
        public static int Gates(int cell) => cell == CellRnn ? 1 : cell == CellGru ? 3 : 4;

        /// <summary>Floats of scratch <see cref="Run"/> needs.</summary>
        public static long ScratchFloats(int cell, int seq, int batch, int hidden)
        {
            long gh = (long)Gates(cell) * hidden;
            return (long)seq * batch * gh + batch * gh + 4L * batch * hidden + 2 * gh;
        }

        public static float Activate(float x, int kind, float a, float b)
        {
            switch (kind)
            {
                case Relu: return x > 0f ? x : 0f;
                case Tanh: return MathF.Tanh(x);
                case Sigmoid: return 1f / (1f + MathF.Exp(-x));
                case Affine: return a * x + b;
                case LeakyRelu: return x < 0f ? a * x : x;
                case ThresholdedRelu: return x > a ? x : 0f;
                case ScaledTanh: return a * MathF.Tanh(b * x);
                case HardSigmoid: return MathF.Max(0f, MathF.Min(1f, a * x + b));
                case Elu: return x < 0f ? a * (MathF.Exp(x) - 1f) : x;
                case Softsign: return x / (1f + MathF.Abs(x));
                case Softplus: return x > 20f ? x : MathF.Log(1f + MathF.Exp(x));
                default: throw new ArgumentOutOfRangeException(nameof(kind));
            }
        }

        private static float Clip(float x, float clip) => x < -clip ? -clip : x > clip ? clip : x;

        public static void Run(int cell, int seq, int batch, int inSize, int hidden, int dirs, bool reverseOnly, int layout,
            ReadOnlySpan<float> x, ReadOnlySpan<float> wt, ReadOnlySpan<float> rt, ReadOnlySpan<float> bias,
            ReadOnlySpan<int> seqLens, ReadOnlySpan<float> initH, ReadOnlySpan<float> initC, ReadOnlySpan<float> peep,
            Span<float> y, Span<float> yH, Span<float> yC,
            ReadOnlySpan<int> acts, ReadOnlySpan<float> alphas, ReadOnlySpan<float> betas, float clip,
            bool linearBeforeReset, bool inputForget, Span<float> scratch)
        {
            int g = Gates(cell), gh = g * hidden, h = hidden;
            if (scratch.Length < ScratchFloats(cell, seq, batch, hidden)) throw new ArgumentException("recurrent scratch too small");
            if (!seqLens.IsEmpty)
                for (int b = 0; b < batch; b++)
                    if (seqLens[b] < 0 || seqLens[b] > seq)
                        throw new ArgumentOutOfRangeException(nameof(seqLens), $"sequence_lens[{b}] = {seqLens[b]} is outside [0, {seq}]");
            var xw = scratch.Slice(0, seq * batch * gh);
            var hr = scratch.Slice(xw.Length, batch * gh);
            int at = xw.Length + hr.Length;
            var hs = scratch.Slice(at, batch * h); at += batch * h;
            var cs = scratch.Slice(at, batch * h); at += batch * h;
            var rh = scratch.Slice(at, batch * h); at += batch * h;   // GRU: r (.) H_{t-1}
            var rhr = scratch.Slice(at, batch * h); at += batch * h;  // GRU: (r (.) H_{t-1}) x Rh^T
            var bsum = scratch.Slice(at, gh); at += gh;
            var rbh = scratch.Slice(at, gh);
            if (!seqLens.IsEmpty && !y.IsEmpty) y.Clear();
            bool gruSplit = cell == CellGru && !linearBeforeReset;

            for (int d = 0; d < dirs; d++)
            {
                bool reverse = reverseOnly || d == 1;
                var w = wt.Slice(d * inSize * gh, inSize * gh);
                var r = rt.Slice(d * h * gh, h * gh);
                // Wb + Rb per gate, except the GRU h gate with linear_before_reset: there Rbh is applied inside r (.) (...).
                rbh.Clear();
                if (bias.IsEmpty) bsum.Clear();
                else
                {
                    var bd = bias.Slice(d * 2 * gh, 2 * gh);
                    for (int j = 0; j < gh; j++) bsum[j] = bd[j] + bd[gh + j];
                    if (cell == CellGru && linearBeforeReset)
                        for (int j = 0; j < h; j++) { bsum[2 * h + j] = bd[2 * h + j]; rbh[j] = bd[gh + 2 * h + j]; }
                }
                // All input projections at once; row t*batch+b (layout 0) or b*seq+t (layout 1), like X's rows.
                GemmF32.Run(seq * batch, gh, inSize, x, inSize, w, gh, xw, gh, bsum, GemmF32.BiasPerColumn, 0, 0f, 0f);

                for (int b = 0; b < batch; b++)
                {
                    int src = layout == 0 ? (d * batch + b) * h : (b * dirs + d) * h;
                    if (initH.IsEmpty) hs.Slice(b * h, h).Clear(); else initH.Slice(src, h).CopyTo(hs.Slice(b * h, h));
                    if (cell == CellLstm)
                    {
                        if (initC.IsEmpty) cs.Slice(b * h, h).Clear(); else initC.Slice(src, h).CopyTo(cs.Slice(b * h, h));
                    }
                }
                int fk = acts[d * 3], gk = acts[d * 3 + 1], hk = acts[d * 3 + 2];
                float fa = alphas[d * 3], fb = betas[d * 3], ga = alphas[d * 3 + 1], gb = betas[d * 3 + 1], ha = alphas[d * 3 + 2], hb = betas[d * 3 + 2];
                var pd = peep.IsEmpty ? ReadOnlySpan<float>.Empty : peep.Slice(d * 3 * h, 3 * h);

                for (int s = 0; s < seq; s++)
                {
                    // H_{t-1} x R^T for every batch entry (a finished entry's row is computed and ignored).
                    GemmF32.Run(batch, gruSplit ? 2 * h : gh, h, hs, h, r, gh, hr, gh, ReadOnlySpan<float>.Empty, GemmF32.BiasNone, 0, 0f, 0f);
                    if (gruSplit)
                    {
                        // r first, then (r (.) H_{t-1}) x Rh^T.
                        for (int b = 0; b < batch; b++)
                        {
                            int len = seqLens.IsEmpty ? seq : seqLens[b];
                            if (s >= len) { rh.Slice(b * h, h).Clear(); continue; }
                            int t = reverse ? len - 1 - s : s;
                            var xr = xw.Slice((layout == 0 ? t * batch + b : b * seq + t) * gh, gh);
                            for (int j = 0; j < h; j++)
                            {
                                float rg = Activate(Clip(xr[h + j] + hr[b * gh + h + j], clip), fk, fa, fb);
                                rh[b * h + j] = rg * hs[b * h + j];
                            }
                        }
                        GemmF32.Run(batch, h, h, rh, h, r.Slice(2 * h), gh, rhr, h, ReadOnlySpan<float>.Empty, GemmF32.BiasNone, 0, 0f, 0f);
                    }
                    for (int b = 0; b < batch; b++)
                    {
                        int len = seqLens.IsEmpty ? seq : seqLens[b];
                        if (s >= len) continue;
                        int t = reverse ? len - 1 - s : s;
                        var xr = xw.Slice((layout == 0 ? t * batch + b : b * seq + t) * gh, gh);
                        var hrow = hr.Slice(b * gh, gh);
                        var hb_ = hs.Slice(b * h, h);
                        switch (cell)
                        {
                            case CellRnn:
                                for (int j = 0; j < h; j++) hb_[j] = Activate(Clip(xr[j] + hrow[j], clip), fk, fa, fb);
                                break;
                            case CellGru:
                                for (int j = 0; j < h; j++)
                                {
                                    float z = Activate(Clip(xr[j] + hrow[j], clip), fk, fa, fb);
                                    float hh;
                                    if (linearBeforeReset)
                                    {
                                        float rg = Activate(Clip(xr[h + j] + hrow[h + j], clip), fk, fa, fb);
                                        hh = Activate(Clip(xr[2 * h + j] + rg * (hrow[2 * h + j] + rbh[j]), clip), gk, ga, gb);
                                    }
                                    else hh = Activate(Clip(xr[2 * h + j] + rhr[b * h + j], clip), gk, ga, gb);
                                    hb_[j] = (1f - z) * hh + z * hb_[j];
                                }
                                break;
                            default:
                            {
                                var cb = cs.Slice(b * h, h);
                                for (int j = 0; j < h; j++)
                                {
                                    float cPrev = cb[j];
                                    float pi = pd.IsEmpty ? 0f : pd[j], po = pd.IsEmpty ? 0f : pd[h + j], pf = pd.IsEmpty ? 0f : pd[2 * h + j];
                                    float ig = Activate(Clip(xr[j] + hrow[j] + pi * cPrev, clip), fk, fa, fb);
                                    float fg = inputForget ? 1f - ig : Activate(Clip(xr[2 * h + j] + hrow[2 * h + j] + pf * cPrev, clip), fk, fa, fb);
                                    float cg = Activate(Clip(xr[3 * h + j] + hrow[3 * h + j], clip), gk, ga, gb);
                                    float c = fg * cPrev + ig * cg;
                                    float og = Activate(Clip(xr[h + j] + hrow[h + j] + po * c, clip), fk, fa, fb);
                                    cb[j] = c;
                                    hb_[j] = og * Activate(c, hk, ha, hb);
                                }
                                break;
                            }
                        }
                        if (!y.IsEmpty)
                            hb_.CopyTo(y.Slice(layout == 0 ? ((t * dirs + d) * batch + b) * h : ((b * seq + t) * dirs + d) * h, h));
                    }
                }
                for (int b = 0; b < batch; b++)
                {
                    int dst = layout == 0 ? (d * batch + b) * h : (b * dirs + d) * h;
                    if (!yH.IsEmpty) hs.Slice(b * h, h).CopyTo(yH.Slice(dst, h));
                    if (!yC.IsEmpty) cs.Slice(b * h, h).CopyTo(yC.Slice(dst, h));
                }
            }
        }
    }
}
