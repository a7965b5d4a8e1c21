using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace DigitsSample
{
    /// <summary>
    /// A minimal reader of NumPy .npy files (format versions 1-3, C order, little-endian float32 or int64), optionally
    /// gzip-compressed (.npy.gz). The header is an ASCII Python dict: {'descr': '&lt;f4', 'fortran_order': False, 'shape': (1797, 1, 28, 28), }.
    /// </summary>
    public sealed class NpyArray
    {
        private NpyArray(string dtype, int[] shape, byte[] data) { DType = dtype; Shape = shape; _data = data; }

        private readonly byte[] _data;

        /// <summary>NumPy type string: "&lt;f4" (float32) or "&lt;i8" (int64).</summary>
        public string DType { get; }
        public int[] Shape { get; }
        public int Length => _data.Length / (DType == "<f4" ? 4 : 8);

        public float[] ToFloats()
        {
            if (DType != "<f4") throw new InvalidDataException($"array is {DType}, not <f4");
            var r = new float[Length];
            for (int i = 0; i < r.Length; i++) r[i] = BinaryPrimitives.ReadSingleLittleEndian(_data.AsSpan(i * 4));
            return r;
        }

        public long[] ToInt64s()
        {
            if (DType != "<i8") throw new InvalidDataException($"array is {DType}, not <i8");
            var r = new long[Length];
            for (int i = 0; i < r.Length; i++) r[i] = BinaryPrimitives.ReadInt64LittleEndian(_data.AsSpan(i * 8));
            return r;
        }

        public static NpyArray Read(string path)
        {
            using var file = File.OpenRead(path);
            using Stream s = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var all = new MemoryStream();
            s.CopyTo(all);
            return Parse(all.ToArray(), Path.GetFileName(path));
        }

        public static NpyArray Parse(byte[] bytes, string name)
        {
            ReadOnlySpan<byte> magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
            if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(magic)) throw new InvalidDataException($"{name}: not a .npy file");
            int major = bytes[6];
            int headerLength, headerStart;
            if (major == 1) { headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)); headerStart = 10; }
            else if (major is 2 or 3) { headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8))); headerStart = 12; }
            else throw new InvalidDataException($"{name}: .npy format version {major} is not supported");
            var header = Encoding.ASCII.GetString(bytes, headerStart, headerLength);

            var descr = Regex.Match(header, @"'descr':\s*'([^']*)'");
            var fortran = Regex.Match(header, @"'fortran_order':\s*(True|False)");
            var shape = Regex.Match(header, @"'shape':\s*\(([^)]*)\)");
            if (!descr.Success || !fortran.Success || !shape.Success) throw new InvalidDataException($"{name}: malformed header {header.Trim()}");
            var dtype = descr.Groups[1].Value;
            if (dtype is not ("<f4" or "<i8")) throw new InvalidDataException($"{name}: dtype {dtype} is not supported (<f4 or <i8)");
            if (fortran.Groups[1].Value == "True") throw new InvalidDataException($"{name}: Fortran order is not supported");
            var dims = Array.ConvertAll(shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), int.Parse);

            long count = 1;
            foreach (var d in dims) count *= d;
            int dataStart = headerStart + headerLength;
            long expected = count * (dtype == "<f4" ? 4 : 8);
            if (bytes.Length - dataStart != expected) throw new InvalidDataException($"{name}: {bytes.Length - dataStart} data bytes, expected {expected}");
            return new NpyArray(dtype, dims, bytes.AsSpan(dataStart).ToArray());
        }
    }
}
