using System;
using System.Text;
using QuantGen.Kernels;

namespace QuantGen.Kernels.Tests
{
    /// <summary>A generated model's static data: literals decode in order into one array; a corrupt literal throws instead of leaving garbage.</summary>
    public class StaticDataTests
    {
        [Fact]
        public void Literals_decode_in_order_into_one_array()
        {
            var rng = new Random(4);
            var data = new byte[3 * 1000 + 7];
            rng.NextBytes(data);
            var bytes = StaticData.Allocate(data.Length);
            int at = StaticData.Append(bytes, 0, Encoding.ASCII.GetBytes(Convert.ToBase64String(data, 0, 3000)));
            Assert.Equal(3000, at);
            at = StaticData.Append(bytes, at, Encoding.ASCII.GetBytes(Convert.ToBase64String(data, 3000, 7)));
            Assert.Equal(data.Length, at);
            Assert.Equal(data, bytes);
        }

        [Fact]
        public void A_corrupt_or_too_long_literal_throws()
        {
            var bytes = StaticData.Allocate(6);
            Assert.Throws<InvalidOperationException>(() => StaticData.Append(bytes, 0, "AAA*"u8));
            Assert.Throws<InvalidOperationException>(() => StaticData.Append(bytes, 3, "AAAAAAAA"u8));
        }
    }
}
