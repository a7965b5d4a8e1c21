using System;
using System.IO;
using System.Text;
using QuantGen.Kernels;

namespace QuantGen.Kernels.Tests
{
    /// <summary>
    /// A generated model's static data: literals decode in order into one array; a corrupt literal throws instead of leaving
    /// garbage; the embedded resource is read whole and checked against the length and checksum in the code, so a missing,
    /// short, long or foreign resource throws instead of running with wrong weights.
    /// </summary>
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
    

        private static byte[] Data(int length, int seed)
        {
            var data = new byte[length];
            new Random(seed).NextBytes(data);
            return data;
        }

        /// <summary>A stream that hands out at most 1,000 bytes per Read, like a resource stream may.</summary>
        private sealed class TrickleStream(byte[] data) : MemoryStream(data)
        {
            public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 1000));
        }

        [Fact]
        public void The_resource_is_read_whole_and_checked()
        {
            var data = Data(64 * 1000 + 13, 5);
            var sum = StaticDataChecksum.Compute(data);
            var bytes = StaticData.Load(new TrickleStream(data), "r", data.Length, sum);
            Assert.Equal(data, bytes);
        }

        [Fact]
        public void A_missing_short_long_or_foreign_resource_throws()
        {
            var data = Data(4099, 6);
            var sum = StaticDataChecksum.Compute(data);
            var missing = Assert.Throws<InvalidOperationException>(() => StaticData.Load(null, "QuantGen.StaticData.x", data.Length, sum));
            Assert.Contains("QuantGen.StaticData.x", missing.Message);
            Assert.Throws<InvalidOperationException>(() => StaticData.Load(new MemoryStream(data, 0, 4098), "r", data.Length, sum));
            Assert.Throws<InvalidOperationException>(() => StaticData.Load(new TrickleStream(data[..4098]), "r", data.Length, sum));
            Assert.Throws<InvalidOperationException>(() => StaticData.Load(new TrickleStream([.. data, 0]), "r", data.Length, sum));
            var foreign = (byte[])data.Clone();
            foreign[4000] ^= 1;
            Assert.Throws<InvalidOperationException>(() => StaticData.Load(new MemoryStream(foreign), "r", data.Length, sum));
        }

        [Fact]
        public void The_checksum_sees_every_byte_position_and_the_length()
        {
            var data = Data(37, 7);
            var sum = StaticDataChecksum.Compute(data);
            for (int i = 0; i < data.Length; i++)
            {
                var changed = (byte[])data.Clone();
                changed[i] ^= 0x80;
                Assert.NotEqual(sum, StaticDataChecksum.Compute(changed));
            }
            Assert.NotEqual(StaticDataChecksum.Compute(new byte[8]), StaticDataChecksum.Compute(new byte[9]));
        }
    }
}
