// quantgen-kernel-uses: StaticDataChecksum
using System;
using System.Buffers;
using System.Buffers.Text;
using System.IO;

namespace QuantGen.Kernels
{
    /// <summary>
    /// A generated model's static data, read once into one pinned array that the model's constants are spans of: either
    /// from the manifest resource the build embeds (<see cref="Load"/>) or from base64 UTF-8 literals in the source
    /// (<see cref="Append"/>, in order), both written by the generator's ConstantPool.
    /// </summary>
    internal static class StaticData
    {
        public static byte[] Allocate(int length) => GC.AllocateUninitializedArray<byte>(length, pinned: true);

        /// <summary>
        /// Reads the embedded resource <paramref name="name"/> (the stream the assembly returned for it, null when missing) and
        /// checks it against the length and checksum the generator wrote into the code beside it.
        /// </summary>
        public static byte[] Load(Stream? resource, string name, int length, ulong checksum)
        {
            if (resource is null)
                throw new InvalidOperationException($"QuantGen: the static data resource '{name}' is missing from the assembly (is build/QuantGen.targets imported?)");
            using (resource)
            {
                if (resource.CanSeek && resource.Length != length)
                    throw Mismatch(name, $"{resource.Length} bytes, the code expects {length}");
                var bytes = Allocate(length);
                int read = 0;
                while (read < length)
                {
                    int n = resource.Read(bytes, read, length - read);
                    if (n == 0) throw Mismatch(name, $"{read} bytes, the code expects {length}");
                    read += n;
                }
                if (resource.ReadByte() >= 0) throw Mismatch(name, $"more than {length} bytes");
                if (StaticDataChecksum.Compute(bytes) != checksum) throw Mismatch(name, "a different checksum");
                return bytes;
            }
        }

        private static InvalidOperationException Mismatch(string name, string what) =>
            new InvalidOperationException($"QuantGen: the static data resource '{name}' has {what}: it was written by another build of the model; rebuild the project");

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
