using System;
using QuantGen.Kernels;

namespace QuantGen.Kernels.Tests
{
    /// <summary>Rows of an int8 embedding table: every path (Vector256 by 8, scalar tail; chosen by the ISA matrix runs) equals q * scale.</summary>
    public class GatherRowsQ8Tests
    {
        [Fact]
        public void Rows_equal_each_int8_value_times_its_row_scale_at_every_width()
        {
            var rng = new Random(9);
            foreach (int cols in new[] { 1, 7, 8, 9, 16, 31, 33, 384 })
            {
                const int rows = 13;
                var table = new sbyte[rows * cols];
                for (int i = 0; i < table.Length; i++) table[i] = (sbyte)rng.Next(-127, 128);
                var scales = new float[rows];
                for (int r = 0; r < rows; r++) scales[r] = (float)(rng.NextDouble() * 0.1);
                long[] ids = { 0, 12, -1, -13, 5, 5, 7 };
                var y = new float[ids.Length * cols + 3];
                Array.Fill(y, 42f);
                Tensor.GatherRowsQ8(table, scales, ids, y.AsSpan(0, ids.Length * cols), rows, cols);
                for (int j = 0; j < ids.Length; j++)
                {
                    int r = (int)(ids[j] < 0 ? ids[j] + rows : ids[j]);
                    for (int c = 0; c < cols; c++)
                        Assert.True(BitConverter.SingleToInt32Bits(table[r * cols + c] * scales[r]) == BitConverter.SingleToInt32Bits(y[j * cols + c]),
                            $"cols {cols}: row {r} col {c}: {y[j * cols + c]} != {table[r * cols + c] * scales[r]}");
                }
                for (int i = ids.Length * cols; i < y.Length; i++) Assert.Equal(42f, y[i]);
                var y32 = new float[ids.Length * cols];
                Tensor.GatherRowsQ8(table, scales, Array.ConvertAll(ids, i => (int)i), y32, rows, cols);
                Assert.Equal(y.AsSpan(0, y32.Length).ToArray(), y32);
            }
        }

        [Fact]
        public void Out_of_range_indices_throw()
        {
            var table = new sbyte[4 * 8];
            var scales = new float[4];
            Assert.Throws<ArgumentException>(() => Tensor.GatherRowsQ8(table, scales, new long[] { 4 }, new float[8], 4, 8));
            Assert.Throws<ArgumentException>(() => Tensor.GatherRowsQ8(table, scales, new int[] { -5 }, new float[8], 4, 8));
        }
    }
}
