using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen
{
    /// <summary>
    /// Static data of the generated model. Identical tensors are stored once. Tensors of up to 16 elements are readable
    /// collection literals (RVA data, zero-copy). Larger ones share one blob: the little-endian bytes of each tensor at a
    /// 64-byte-aligned offset, read once, on first use, into one pinned array that every later call reads without copying.
    /// The blob lives in one of two places:
    /// <list type="bullet">
    /// <item>an embedded resource (<see cref="CompileOptions.StaticDataResource"/>; the default of &lt;QuantModel&gt; items): the
    /// generator writes the file, build/QuantGen.targets embeds it, and the source holds only its length and checksum, so the
    /// compiler never binds the weights and an edit of the consumer's own code rebuilds in seconds;</item>
    /// <item>base64 UTF-8 literals in the source (<c>"..."u8</c>, RVA data): self-contained source (the CLI, in-memory
    /// compiles), several-fold cheaper for the compiler than the former one <c>ulong</c> literal per 8 bytes, but bound on
    /// every build.</item>
    /// </list>
    /// Figures for both are in notes/build-figures.md. The price is one read (or decode) on first use and the weights held
    /// once in the managed heap. Every supported target (x64, arm64) is little-endian.
    /// </summary>
    public sealed class ConstantPool
    {
        private const int InlineLimit = 16;
        /// <summary>
        /// Bytes per base64 literal: a multiple of 3, so every literal but the last decodes without padding. 768 KiB measured best
        /// (notes/build-figures.md): 48 KiB literals made ~1,000 methods to JIT on first use (twice the decode time), 3 MiB raised
        /// the compiler's peak memory by a quarter.
        /// </summary>
        private const int ChunkBytes = 786432;
        private const int Alignment = 64;
        /// <summary>The nested class holding the blob; its name cannot clash with generated members (they start with C or are PascalCase ONNX names plus a kind).</summary>
        public const string BlobClass = "QuantGenStaticData";

        private readonly List<(string Name, string Label, TensorData Data)> _items = new List<(string, string, TensorData)>();
        private readonly Dictionary<string, List<int>> _byHash = new Dictionary<string, List<int>>(StringComparer.Ordinal);

        public int Count => _items.Count;

        /// <summary>
        /// After <see cref="Emit"/> with a resource name: the resource's bytes, every tensor above 16 elements aligned (empty when
        /// there is none); null when the blob went into the source as literals.
        /// </summary>
        public byte[]? ResourceBlob { get; private set; }
        public long TotalBytes => _items.Sum(i => (long)i.Data.Length * DataTypes.SizeOf(RuntimeType(i.Data.Type)));

        private static DataType RuntimeType(DataType t) => t == DataType.Float16 ? DataType.Float : t;

        /// <summary>Adds a tensor (deduplicated) and returns a ReadOnlySpan&lt;T&gt; expression for it.</summary>
        public string Add(TensorData data, string label)
        {
            if (!DataTypes.IsRuntimeSupported(RuntimeType(data.Type)))
                throw new QgException(DiagnosticIds.UnsupportedType, $"constant '{label}' has element type {DataTypes.OnnxName(data.Type)}, which is not supported at run time");
            var key = Hash(data);
            if (_byHash.TryGetValue(key, out var candidates))
                foreach (var i in candidates)
                    if (_items[i].Data.ContentEquals(data)) return _items[i].Name;
            var name = "C" + _items.Count.ToString(CultureInfo.InvariantCulture);
            _items.Add((name, label, data));
            if (!_byHash.TryGetValue(key, out candidates)) _byHash[key] = candidates = new List<int>();
            candidates.Add(_items.Count - 1);
            return name;
        }

        private static string Hash(TensorData d)
        {
            unchecked
            {
                long h = (long)d.Type * 31 + d.Length;
                int step = Math.Max(1, d.Length / 64);
                for (int i = 0; i < d.Length; i += step) h = h * 1000003 + BitConverter.DoubleToInt64Bits(d.GetDouble(i));
                return h.ToString(CultureInfo.InvariantCulture) + "/" + string.Join(",", d.Shape);
            }
        }

        /// <param name="useKernel">Marks a kernel file as used (StaticData, when there is a blob).</param>
        /// <param name="resource">The logical name of the manifest resource holding the blob; empty: base64 literals.</param>
        public void Emit(CodeWriter w, Action<string> useKernel, string resource)
        {
            var blob = new MemoryStream();
            foreach (var (name, label, data) in _items)
            {
                var t = RuntimeType(data.Type);
                var cs = DataTypes.CSharpName(t);
                w.Line($"// {CodeWriter.LineComment(label)}: {DataTypes.OnnxName(data.Type)}{Shapes.Format(data.Shape)}");
                if (data.Length <= InlineLimit)
                {
                    w.Line($"private static ReadOnlySpan<{cs}> {name} => [{string.Join(", ", Enumerable.Range(0, data.Length).Select(i => Literal(t, data, i)))}];");
                    continue;
                }
                var bytes = ToBytes(t, data);
                long offset = (blob.Length + Alignment - 1) / Alignment * Alignment;
                if (offset + bytes.Length > int.MaxValue)
                    throw new QgException(DiagnosticIds.StaticData, $"the model's static data exceeds 2 GB at constant '{label}'");
                blob.SetLength(offset); // zero padding up to the alignment
                blob.Position = offset;
                blob.Write(bytes, 0, bytes.Length);
                w.Line($"private static ReadOnlySpan<{cs}> {name} => MemoryMarshal.Cast<byte, {cs}>(new ReadOnlySpan<byte>({BlobClass}.Bytes, {offset}, {bytes.Length}));");
            }
            if (resource.Length > 0) ResourceBlob = blob.ToArray();
            if (blob.Length == 0) return;
            useKernel("StaticData");
            if (ResourceBlob != null) EmitResourceBlob(w, resource, ResourceBlob);
            else EmitLiteralBlob(w, blob.GetBuffer(), (int)blob.Length);
        }

        /// <summary>The nested class that reads the blob from the embedded resource on first use (its static constructor runs once, thread-safely).</summary>
        private static void EmitResourceBlob(CodeWriter w, string resource, byte[] blob)
        {
            var name = CodeWriter.Str(resource);
            w.Line();
            w.Line($"/// <summary>The static data of tensors above {InlineLimit} elements: {blob.Length} bytes, read once from the embedded resource {CodeWriter.LineComment(resource)}.</summary>");
            w.Open($"private static class {BlobClass}");
            w.Line($"internal static readonly byte[] Bytes = global::QuantGen.Kernels.StaticData.Load(typeof({BlobClass}).Assembly.GetManifestResourceStream({name}), {name}, {blob.Length}, 0x{QuantGen.Kernels.StaticDataChecksum.Compute(blob):X16}UL);");
            w.Close();
        }

        /// <summary>The nested class that decodes the blob from literals on first use (its static constructor runs once, thread-safely).</summary>
        private static void EmitLiteralBlob(CodeWriter w, byte[] blob, int length)
        {
            w.Line();
            w.Line($"/// <summary>The static data of tensors above {InlineLimit} elements: {length} bytes, decoded once from base64 literals.</summary>");
            w.Open($"private static class {BlobClass}");
            w.Line("internal static readonly byte[] Bytes = Decode();");
            w.Line();
            w.Open("private static byte[] Decode()");
            w.Line($"var bytes = global::QuantGen.Kernels.StaticData.Allocate({length});");
            w.Line("int at = 0;");
            var chunks = new List<string>();
            for (int start = 0; start < length; start += ChunkBytes)
                chunks.Add(Convert.ToBase64String(blob, start, Math.Min(ChunkBytes, length - start)));
            for (int i = 0; i < chunks.Count; i++) w.Line($"at = global::QuantGen.Kernels.StaticData.Append(bytes, at, D{i});");
            w.Line("return bytes;");
            w.Close();
            w.Line();
            // One property per literal: the compiler lowers a UTF-8 literal into one constant per byte, and frees them
            // after each method, so many small methods keep its memory small where one method would hold them all.
            for (int i = 0; i < chunks.Count; i++) w.Line($"private static ReadOnlySpan<byte> D{i} => \"{chunks[i]}\"u8;");
            w.Close();
        }

        private static string Literal(DataType t, TensorData d, int i) => t switch
        {
            DataType.Float => CodeWriter.Float((float)d.GetDouble(i)),
            DataType.Int64 => CodeWriter.Long(d.GetLong(i)),
            DataType.Bool => d.GetLong(i) != 0 ? "true" : "false",
            _ => d.GetLong(i).ToString(CultureInfo.InvariantCulture),
        };

        /// <summary>Little-endian bytes of the tensor in its runtime element type.</summary>
        public static byte[] ToBytes(DataType t, TensorData d)
        {
            int n = d.Length, size = DataTypes.SizeOf(t);
            var bytes = new byte[(long)n * size];
            for (int i = 0; i < n; i++)
            {
                switch (t)
                {
                    case DataType.Float:
                    {
                        var bits = BitConverter.ToInt32(BitConverter.GetBytes((float)d.GetDouble(i)), 0);
                        Write(bytes, i * 4, (uint)bits, 4);
                        break;
                    }
                    case DataType.Int64: Write(bytes, i * 8, (ulong)d.GetLong(i), 8); break;
                    case DataType.Int32: Write(bytes, i * 4, (uint)(int)d.GetLong(i), 4); break;
                    default: bytes[i] = (byte)d.GetLong(i); break;
                }
            }
            return bytes;
        }

        private static void Write(byte[] b, int at, ulong v, int size)
        {
            for (int k = 0; k < size; k++) b[at + k] = (byte)(v >> (8 * k));
        }
    }
}
