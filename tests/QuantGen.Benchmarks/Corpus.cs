using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;

namespace QuantGen.Benchmarks
{
    /// <summary>Model and test-data locations, baked into the models assembly by its project file (AssemblyMetadata), with a TensorProto reader.</summary>
    internal static class Corpus
    {
        private static string Metadata(string key) =>
            typeof(QuantGen.Benchmarks.Models.MnistF32).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value
            ?? throw new InvalidOperationException($"assembly metadata {key} missing");

        /// <summary>../shared/corpus next to the repository (QUANTGEN_CORPUS overrides it).</summary>
        public static string Root
        {
            get
            {
                var env = Environment.GetEnvironmentVariable("QUANTGEN_CORPUS");
                return !string.IsNullOrEmpty(env) ? env : Metadata("QuantGenCorpus");
            }
        }

        /// <summary>ResNet18.onnx in the NuGet package folder (restored by the PackageDownload in tests/Directory.Build.props).</summary>
        public static string ResNet18Model => Metadata("ResNet18Model");

        public static string Path(params string[] parts) => System.IO.Path.Combine(Root, System.IO.Path.Combine(parts));

        /// <summary>The first <paramref name="count"/> floats of a float32 TensorProto file (test_data_set_*/input_0.pb).</summary>
        public static float[] ReadFloats(string file, int count)
        {
            var (dims, data) = ReadTensor(File.ReadAllBytes(file));
            if (data.Length < count) throw new InvalidDataException($"{file}: {data.Length} floats (dims [{string.Join(",", dims)}]), {count} needed");
            return data.AsSpan(0, count).ToArray();
        }

        // A minimal protobuf reader for onnx.TensorProto: dims = 1 (int64, packed or not), data_type = 2 (1 = FLOAT),
        // float_data = 4 (packed or not), raw_data = 9 (little-endian float32). Field numbers are those of onnx.proto.
        private static (long[] Dims, float[] Data) ReadTensor(byte[] b)
        {
            var dims = new List<long>();
            var floats = new List<float>();
            float[]? raw = null;
            int type = 0, pos = 0;
            while (pos < b.Length)
            {
                ulong key = Varint(b, ref pos);
                int field = (int)(key >> 3), wire = (int)(key & 7);
                switch (wire)
                {
                    case 0:
                        {
                            ulong v = Varint(b, ref pos);
                            if (field == 1) dims.Add((long)v);
                            else if (field == 2) type = (int)v;
                            break;
                        }
                    case 1: pos += 8; break;
                    case 5:
                        if (field == 4) floats.Add(BitConverter.ToSingle(b, pos));
                        pos += 4;
                        break;
                    case 2:
                        {
                            int len = checked((int)Varint(b, ref pos));
                            int end = pos + len;
                            if (field == 1) { while (pos < end) dims.Add((long)Varint(b, ref pos)); }
                            else if (field == 4) { for (; pos < end; pos += 4) floats.Add(BitConverter.ToSingle(b, pos)); }
                            else if (field == 9) { raw = new float[len / 4]; Buffer.BlockCopy(b, pos, raw, 0, len / 4 * 4); }
                            pos = end;
                            break;
                        }
                    default: throw new InvalidDataException($"TensorProto: unsupported wire type {wire}");
                }
            }
            if (type != 1) throw new InvalidDataException($"TensorProto: data_type {type}, expected 1 (FLOAT)");
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("raw_data is little-endian");
            return (dims.ToArray(), raw ?? floats.ToArray());
        }

        private static ulong Varint(byte[] b, ref int pos)
        {
            ulong v = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte x = b[pos++];
                v |= (ulong)(x & 0x7F) << shift;
                if (x < 0x80) return v;
            }
        }
    }
}
