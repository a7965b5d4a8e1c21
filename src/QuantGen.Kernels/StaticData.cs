using System;
using System.Buffers;
using System.Buffers.Text;

namespace QuantGen.Kernels
{
    /// <summary>
    /// A generated model's static data: base64 UTF-8 literals (written by the generator's ConstantPool) decoded once, in order,
    /// into one pinned array that the model's constants are spans of.
    /// </summary>
    internal static class StaticData
    {
        public static byte[] Allocate(int length) => GC.AllocateUninitializedArray<byte>(length, pinned: true);

        /// <summary>Decodes one literal into <paramref name="bytes"/> at <paramref name="at"/>; returns the position after it.</summary>
        public static int Append(byte[] bytes, int at, ReadOnlySpan<byte> base64)
        {
            var status = Base64.DecodeFromUtf8(base64, bytes.AsSpan(at), out int read, out int written);
            if (status != OperationStatus.Done || read != base64.Length)
                throw new InvalidOperationException($"QuantGen: corrupt static data at byte {at} ({status})");
            return at + written;
        }
    }
}
