using System;
using System.Buffers.Binary;

namespace QuantGen.Kernels
{
    /// <summary>
    /// The checksum of a generated model's static data, defined once for build time and run time: this plain C# file is
    /// compiled into the kernels and linked into QuantGen.CodeGen. The generator writes the checksum of the blob it emitted
    /// into the code; <see cref="StaticData"/> recomputes it over the embedded resource at first use, so a resource from
    /// another build (a stale or foreign file) is an error instead of wrong weights. It detects, it does not authenticate:
    /// a 64-bit multiply-xorshift mix over 8-byte little-endian words, then the tail bytes and the length.
    /// </summary>
    internal static class StaticDataChecksum
    {
        private const ulong Prime = 0x9E3779B97F4A7C15UL;

        public static ulong Compute(ReadOnlySpan<byte> data)
        {
            ulong h = 0x243F6A8885A308D3UL;
            int words = data.Length / 8;
            for (int i = 0; i < words; i++)
            {
                h = Mix(h ^ BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(i * 8, 8)));
            }
            for (int i = words * 8; i < data.Length; i++) h = Mix(h ^ data[i]);
            return Mix(h ^ (ulong)data.Length);
        }

        private static ulong Mix(ulong h)
        {
            h *= Prime;
            return h ^ (h >> 29);
        }
    }
}
