using System;
using QuantGen.Kernels;

namespace QuantGen.Kernels.Tests
{
    /// <summary>The uint8 lookup table: every path (AVX-512 VBMI, 8-byte scalar, bytewise tail; chosen by the ISA matrix runs) equals y = table[x].</summary>
    public class LutTests
    {
        [Fact]
        public void Lookup_equals_table_of_x_at_every_length_and_leaves_the_rest_alone()
        {
            var rng = new Random(5);
            var table = new byte[256];
            rng.NextBytes(table);
            foreach (int len in new[] { 0, 1, 7, 8, 9, 15, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 1000, 4099 })
            {
                var x = new byte[len];
                rng.NextBytes(x);
                for (int i = 0; i < Math.Min(len, 256); i++) x[i] = (byte)i; // every index at least once where it fits
                var y = new byte[len + 9];
                Array.Fill(y, (byte)0xC3);
                Lut.Run(x, y.AsSpan(0, len), table);
                for (int i = 0; i < len; i++) Assert.True(table[x[i]] == y[i], $"len {len}: y[{i}] = {y[i]}, table[{x[i]}] = {table[x[i]]}");
                for (int i = len; i < y.Length; i++) Assert.Equal(0xC3, y[i]);
            }
        }

        [Fact]
        public void Lookup_rejects_a_short_table_or_output()
        {
            Assert.Throws<ArgumentException>(() => Lut.Run(new byte[4], new byte[4], new byte[255]));
            Assert.Throws<ArgumentException>(() => Lut.Run(new byte[4], new byte[3], new byte[256]));
        }
    }
}
