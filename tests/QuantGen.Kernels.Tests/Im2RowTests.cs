using System;
using QuantGen.Kernels;
using Xunit;

namespace QuantGen.Kernels.Tests
{
    /// <summary>ConvQ8.Im2RowNhwc against its definition, over channel counts that hit every branch of its small-run copy.</summary>
    public class Im2RowTests
    {
        [Fact]
        public void Im2RowNhwc_EqualsDefinition_ForRunsOfEveryLength()
        {
            var rng = new Random(5);
            int cases = 0;
            foreach (int cin in new[] { 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40, 63, 64, 65 })
                foreach (int group in new[] { 1, 2 })
                    foreach (var (kh, kw, s, d, pad) in new[] { (3, 3, 1, 1, 1), (1, 7, 2, 1, 3), (2, 5, 1, 1, 0), (3, 3, 2, 2, 2), (1, 1, 1, 1, 0) })
                    {
                        if (cin % group != 0) continue;
                        int cg = cin / group, h = 6, w = 9;
                        int oh = (h + 2 * pad - d * (kh - 1) - 1) / s + 1, ow = (w + 2 * pad - d * (kw - 1) - 1) / s + 1;
                        if (oh <= 0 || ow <= 0) continue;
                        var x = new byte[h * w * cin];
                        rng.NextBytes(x);
                        int k = kh * kw * cg;
                        for (int g = 0; g < group; g++)
                        {
                            var rows = new byte[oh * ow * k + 40];
                            Array.Fill(rows, (byte)0xEE);
                            ConvQ8.Im2RowNhwc(x, rows.AsSpan(0, oh * ow * k), cin, g * cg, cg, h, w, oh, ow, kh, kw, s, s, d, d, pad, pad, 77);
                            for (int oy = 0; oy < oh; oy++)
                                for (int ox = 0; ox < ow; ox++)
                                    for (int i = 0; i < kh; i++)
                                        for (int j = 0; j < kw; j++)
                                            for (int c = 0; c < cg; c++)
                                            {
                                                int iy = oy * s - pad + i * d, ix = ox * s - pad + j * d;
                                                byte expected = iy < 0 || iy >= h || ix < 0 || ix >= w ? (byte)77 : x[(iy * w + ix) * cin + g * cg + c];
                                                byte actual = rows[(oy * ow + ox) * k + (i * kw + j) * cg + c];
                                                if (actual != expected)
                                                    Assert.Fail($"cin={cin} group={group} k={kh}x{kw} s={s} d={d} pad={pad} at ({oy},{ox}) tap ({i},{j}) c={c}: {actual} vs {expected}");
                                            }
                            for (int t = oh * ow * k; t < rows.Length; t++) Assert.Equal(0xEE, rows[t]);
                            cases++;
                        }
                    }
            Assert.True(cases > 100);
        }
    }
}

namespace QuantGen.Kernels.Tests
{
    public class TransposeTests
    {
        [Fact]
        public void Byte_transpose_equals_definition_for_edges_and_blocks()
        {
            var rng = new System.Random(3);
            foreach (int rows in new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17, 64 })
                foreach (int cols in new[] { 1, 5, 8, 15, 16, 17, 23, 24, 33, 50, 100, 785 })
                {
                    var src = new byte[rows * cols];
                    rng.NextBytes(src);
                    var dst = new byte[rows * cols + 9];
                    System.Array.Fill(dst, (byte)0xEE);
                    ConvQ8.Transpose(src, dst.AsSpan(0, rows * cols), rows, cols);
                    for (int r = 0; r < rows; r++)
                        for (int c = 0; c < cols; c++)
                            Assert.True(dst[c * rows + r] == src[r * cols + c], $"{rows}x{cols} at ({r},{c})");
                    for (int t = rows * cols; t < dst.Length; t++) Assert.Equal(0xEE, dst[t]);
                }
        }
    }
}
