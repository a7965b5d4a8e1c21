using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using QuantGen.Graph;

namespace QuantGen.CodeGen
{
    /// <summary>
    /// Static data of the generated model. Identical tensors are stored once. Small tensors are readable literals;
    /// larger ones are little-endian <c>ulong[]</c> literals (8 bytes each) reinterpreted with MemoryMarshal.Cast:
    /// the compiler stores them as RVA data (0 bytes allocated, no copy), and ulong literals cost about 8x less
    /// build time and memory than float/sbyte literals. Every supported target (x64, arm64) is little-endian.
    /// </summary>
    public sealed class ConstantPool
    {
        private const int InlineLimit = 16;
        private readonly List<(string Name, string Label, TensorData Data)> _items = new List<(string, string, TensorData)>();
        private readonly Dictionary<string, List<int>> _byHash = new Dictionary<string, List<int>>(StringComparer.Ordinal);

        public int Count => _items.Count;
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

        public void Emit(CodeWriter w)
        {
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
                int words = (bytes.Length + 7) / 8;
                string slice = words * 8 / DataTypes.SizeOf(t) == data.Length ? "" : $".Slice(0, {data.Length})";
                w.Line($"private static ReadOnlySpan<{cs}> {name} => MemoryMarshal.Cast<ulong, {cs}>({name}_Data){slice};");
                w.Line($"private static ReadOnlySpan<ulong> {name}_Data => new ulong[]");
                w.Line("{");
                var sb = new StringBuilder();
                for (int i = 0; i < words; i++)
                {
                    ulong word = 0;
                    for (int b = 0; b < 8; b++)
                    {
                        int idx = i * 8 + b;
                        if (idx < bytes.Length) word |= (ulong)bytes[idx] << (8 * b);
                    }
                    if (i % 8 == 0) sb.Append("    ");
                    sb.Append("0x").Append(word.ToString("X16", CultureInfo.InvariantCulture)).Append(',');
                    if (i % 8 == 7 || i == words - 1) { w.Line(sb.ToString()); sb.Clear(); }
                    else sb.Append(' ');
                }
                w.Line("};");
            }
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
