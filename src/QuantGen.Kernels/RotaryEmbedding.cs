using System;

namespace QuantGen.Kernels
{
    /// <summary>ONNX RotaryEmbedding (opset 23) on float32; the layout and rotary dimension are decided at build time.</summary>
    internal static class RotaryEmbedding
    {
        /// <param name="dims">batch, heads, seq, head_size, rotary_dim, 3-D (0/1), interleaved (0/1), position_ids given (0/1),
        /// cache positions (with position_ids).</param>
        public static void Run(ReadOnlySpan<float> x, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, ReadOnlySpan<long> pos,
            Span<float> y, ReadOnlySpan<int> dims)
        {
            int nb = dims[0], nh = dims[1], ns = dims[2], d = dims[3], rot = dims[4];
            bool threeD = dims[5] != 0, interleaved = dims[6] != 0, hasPos = dims[7] != 0;
            int maxPos = dims[8], half = rot / 2;
            long size = (long)nb * nh * ns * d;
            if (x.Length < size || y.Length < size || (hasPos && (pos.Length < (long)nb * ns || cos.Length < (long)maxPos * half || sin.Length < (long)maxPos * half))
                || (!hasPos && (cos.Length < (long)nb * ns * half || sin.Length < (long)nb * ns * half)))
                throw new ArgumentException("rotary embedding operand too small");
            for (int b = 0; b < nb; b++)
                for (int s = 0; s < ns; s++)
                {
                    int cacheRow;
                    if (hasPos)
                    {
                        long p = pos[b * ns + s];
                        if (p < 0 || p >= maxPos) throw new ArgumentException($"RotaryEmbedding: position id {p} is outside the cache of {maxPos} positions");
                        cacheRow = (int)p * half;
                    }
                    else cacheRow = (b * ns + s) * half;
                    var c = cos.Slice(cacheRow, half);
                    var sn = sin.Slice(cacheRow, half);
                    for (int h = 0; h < nh; h++)
                    {
                        int off = threeD ? ((b * ns + s) * nh + h) * d : ((b * nh + h) * ns + s) * d;
                        var xi = x.Slice(off, d);
                        var yi = y.Slice(off, d);
                        for (int k = 0; k < half; k++)
                        {
                            int i1 = interleaved ? 2 * k : k, i2 = interleaved ? 2 * k + 1 : k + half;
                            float x1 = xi[i1], x2 = xi[i2];
                            yi[i1] = c[k] * x1 - sn[k] * x2;
                            yi[i2] = sn[k] * x1 + c[k] * x2;
                        }
                        for (int k = rot; k < d; k++) yi[k] = xi[k];
                    }
                }
        }
    }
}
