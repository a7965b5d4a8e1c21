// quantgen-kernel-uses: GemmF32, Activation
using System;

namespace QuantGen.Kernels
{
    /// <summary>
    /// Float32 transposed convolution in NC(D)HW (1-D and 2-D are 3-D with D = 1, H = 1). Per image and group, the GEMM
    /// columns = Wt [Mg*kd*kh*kw, Cg] x X [Cg, D*H*W] gives every input pixel's contribution to each kernel tap; col2im then
    /// adds each column into the output at (i*stride - pad + k*dilation) per axis. Wt is the weight [C, M/group, k...]
    /// transposed per group at build time to [group][M/group*k..., C/group]. Pads may be negative (output_shape
    /// larger than the natural output); output pixels no tap reaches hold the bias.
    /// </summary>
    internal static class ConvTransposeF32
    {
        public static void Run(ReadOnlySpan<float> x, ReadOnlySpan<float> wt, ReadOnlySpan<float> bias, Span<float> y, Span<float> cols,
            int batch, int cin, int cout, int group, ReadOnlySpan<int> inDims, ReadOnlySpan<int> outDims, ReadOnlySpan<int> kernel,
            ReadOnlySpan<int> strides, ReadOnlySpan<int> dilations, ReadOnlySpan<int> padBegin)
        {
            int cinG = cin / group, coutG = cout / group;
            int id = inDims[0], ih = inDims[1], iw = inDims[2], od = outDims[0], oh = outDims[1], ow = outDims[2];
            int kd = kernel[0], kh = kernel[1], kw = kernel[2];
            int n = id * ih * iw, taps = kd * kh * kw, m = coutG * taps, outPlane = od * oh * ow;
            if (x.Length < (long)batch * cin * n || y.Length < (long)batch * cout * outPlane || wt.Length < (long)group * m * cinG || cols.Length < (long)m * n)
                throw new ArgumentException("ConvTranspose operand too small");
            for (int b = 0; b < batch; b++)
            {
                for (int g = 0; g < group; g++)
                {
                    GemmF32.Run(m, n, cinG, wt.Slice(g * m * cinG), cinG, x.Slice((b * cin + g * cinG) * n), n, cols, n,
                        ReadOnlySpan<float>.Empty, GemmF32.BiasNone, Activation.None, 0f, 0f);
                    for (int oc = 0; oc < coutG; oc++)
                    {
                        int c = g * coutG + oc;
                        var plane = y.Slice((b * cout + c) * outPlane, outPlane);
                        plane.Fill(bias.IsEmpty ? 0f : bias[c]);
                        for (int t = 0; t < taps; t++)
                        {
                            int a = t / (kh * kw), i = t / kw % kh, j = t % kw;
                            var col = cols.Slice((oc * taps + t) * n, n);
                            // Output column ox = ix*sw + x0 for input columns ix in [lo, hi).
                            int x0 = j * dilations[2] - padBegin[2];
                            int lo = Math.Max(0, CeilDiv(-x0, strides[2])), hi = Math.Min(iw, CeilDiv(ow - x0, strides[2]));
                            if (hi <= lo) continue;
                            for (int zd = 0; zd < id; zd++)
                            {
                                int pz = zd * strides[0] + a * dilations[0] - padBegin[0];
                                if ((uint)pz >= (uint)od) continue;
                                for (int zh = 0; zh < ih; zh++)
                                {
                                    int py = zh * strides[1] + i * dilations[1] - padBegin[1];
                                    if ((uint)py >= (uint)oh) continue;
                                    var src = col.Slice((zd * ih + zh) * iw, iw);
                                    var dst = plane.Slice((pz * oh + py) * ow, ow);
                                    int sw = strides[2];
                                    if (sw == 1)
                                        for (int ix = lo; ix < hi; ix++) dst[ix + x0] += src[ix];
                                    else
                                        for (int ix = lo; ix < hi; ix++) dst[ix * sw + x0] += src[ix];
                                }
                            }
                        }
                    }
                }
            }
        }

        /// <summary>
        /// Run-time weights: W [group * cinG, m] (m = M/group * taps) into wt [group][m, cinG], the layout
        /// <see cref="Run"/> reads (constant weights are packed this way at build time).
        /// </summary>
        public static void PackWeights(ReadOnlySpan<float> w, Span<float> wt, int group, int cinG, int m)
        {
            if (w.Length < (long)group * cinG * m || wt.Length < (long)group * cinG * m) throw new ArgumentException("ConvTranspose weights too small");
            for (int g = 0; g < group; g++)
                for (int c = 0; c < cinG; c++)
                {
                    var src = w.Slice((g * cinG + c) * m, m);
                    var dst = wt.Slice(g * m * cinG);
                    for (int r = 0; r < m; r++) dst[r * cinG + c] = src[r];
                }
        }

        /// <summary>ceil(a / b) for b &gt; 0 and any sign of a.</summary>
        private static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -(-a / b);
    }
}
