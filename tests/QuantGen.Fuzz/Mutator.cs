using System;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using QuantGen.Onnx.Proto;

namespace QuantGen.Fuzz
{
    /// <summary>
    /// Semantic mutations of an ONNX model, the kinds a careless exporter or a hostile file produces: dimensions set to 0, -1 or
    /// 2^40, attribute values, list lengths and types changed, ops swapped, inputs rewired (into cycles, to values of another
    /// type, to names that do not exist), initializer types, dims and byte lengths changed, external-data entries malformed,
    /// opset imports changed, nodes dropped, names duplicated, graph outputs that are graph inputs. Each mutation returns a
    /// one-line description, or null when the model has nothing it applies to.
    /// </summary>
    public static class Mutator
    {
        public delegate string? Mutation(ModelProto m, Random rng);

        public static readonly IReadOnlyList<(string Kind, Mutation Apply)> All = new (string, Mutation)[]
        {
            ("dim", ValueDim), ("initializer-dims", InitializerDims), ("initializer-type", InitializerType),
            ("initializer-bytes", InitializerBytes), ("initializer-recast", InitializerRecast), ("attribute-value", AttributeValue), ("attribute-list", AttributeList),
            ("attribute-type", AttributeType), ("attribute-remove", AttributeRemove), ("op-swap", OpSwap), ("rewire", Rewire),
            ("input-drop", InputDrop), ("opset", Opset), ("node-drop", NodeDrop), ("duplicate-name", DuplicateName),
            ("external-data", ExternalData), ("output-is-input", OutputIsInput), ("output-twice", OutputTwice), ("elem-type", ElemType), ("huge-shape-input", HugeShapeInput),
        };

        private static readonly long[] Dims = { 0, -1, -7, 1, 2, 3, 1L << 31, 1L << 40, int.MaxValue };
        private static readonly long[] Ints = { 0, 1, -1, 2, -2, 3, 7, 100, -100, int.MaxValue, int.MinValue, 1L << 40, long.MinValue };
        private static readonly int[] Types = { 1, 2, 3, 5, 6, 7, 9, 10, 11, 12, 13, 16, 0, 99 };
        private static readonly string[] Ops =
        {
            "Relu", "Add", "Mul", "Sub", "Div", "Conv", "MatMul", "Gemm", "Reshape", "Transpose", "Concat", "Gather", "Slice", "Softmax",
            "MaxPool", "AveragePool", "GlobalAveragePool", "Sigmoid", "Tanh", "Cast", "Identity", "Flatten", "Squeeze", "Unsqueeze",
            "QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "ReduceMean", "ReduceSum", "Clip", "Pad", "Expand",
            "Tile", "Where", "Split", "Resize", "BatchNormalization", "LayerNormalization", "ConvTranspose", "If", "Loop", "NoSuchOp",
        };

        private static T Pick<T>(IReadOnlyList<T> list, Random rng) => list[rng.Next(list.Count)];

        private static IEnumerable<ValueInfoProto> ValueInfos(GraphProto g) => g.Input.Concat(g.Output).Concat(g.ValueInfo);

        private static string? ValueDim(ModelProto m, Random rng)
        {
            var infos = ValueInfos(m.Graph).Where(v => v.Type?.TensorType?.Shape?.Dim.Count > 0).ToList();
            if (infos.Count == 0) return null;
            var v = Pick(infos, rng);
            var dims = v.Type.TensorType.Shape.Dim;
            int i = rng.Next(dims.Count);
            if (rng.Next(5) == 0) { dims[i] = new TensorShapeProto.Types.Dimension { DimParam = "fuzz_dim" }; return $"'{v.Name}' dim {i} -> symbolic 'fuzz_dim'"; }
            long d = Pick(Dims, rng);
            dims[i] = new TensorShapeProto.Types.Dimension { DimValue = d };
            return $"'{v.Name}' dim {i} -> {d}";
        }

        private static TensorProto? Initializer(ModelProto m, Random rng) =>
            m.Graph.Initializer.Count == 0 ? null : m.Graph.Initializer[rng.Next(m.Graph.Initializer.Count)];

        private static string? InitializerDims(ModelProto m, Random rng)
        {
            var t = Initializer(m, rng);
            if (t == null) return null;
            switch (rng.Next(3))
            {
                case 0 when t.Dims.Count > 0:
                    int i = rng.Next(t.Dims.Count);
                    long d = rng.Next(2) == 0 ? Pick(Dims, rng) : t.Dims[i] + 1;
                    t.Dims[i] = d;
                    return $"initializer '{t.Name}' dim {i} -> {d}";
                case 1:
                    t.Dims.Add(1);
                    return $"initializer '{t.Name}' gains a dim of 1";
                default:
                    if (t.Dims.Count == 0) return null;
                    t.Dims.RemoveAt(t.Dims.Count - 1);
                    return $"initializer '{t.Name}' loses its last dim";
            }
        }

        private static string? InitializerType(ModelProto m, Random rng)
        {
            var t = Initializer(m, rng);
            if (t == null) return null;
            int ty = Pick(Types, rng);
            t.DataType = ty;
            return $"initializer '{t.Name}' retyped to {ty}";
        }

        /// <summary>An initializer stored again as another element type with the right byte length (a half-converted export).</summary>
        private static string? InitializerRecast(ModelProto m, Random rng)
        {
            var t = Initializer(m, rng);
            if (t == null) return null;
            long n = t.Dims.Aggregate(1L, (a, d) => a * Math.Max(d, 0));
            if (n > 1 << 20) return null;
            var (type, size) = Pick(new[] { (1, 4), (2, 1), (3, 1), (6, 4), (7, 8), (9, 1), (11, 8), (10, 2), (12, 4) }, rng);
            var bytes = new byte[n * size];
            for (long i = 0; i < n; i++) bytes[i * size] = (byte)(i % 3); // small values: 0, 1, 2 in the low byte
            t.DataType = type;
            t.RawData = ByteString.CopyFrom(bytes);
            t.FloatData.Clear(); t.Int64Data.Clear(); t.Int32Data.Clear(); t.DoubleData.Clear(); t.Uint64Data.Clear();
            return $"initializer '{t.Name}' stored as type {type}";
        }

        private static string? InitializerBytes(ModelProto m, Random rng)
        {
            var t = Initializer(m, rng);
            if (t == null) return null;
            if (!t.RawData.IsEmpty)
            {
                var b = t.RawData.ToByteArray();
                int cut = rng.Next(3) switch { 0 => 1, 1 => b.Length / 2, _ => -rng.Next(1, 9) };
                var nb = cut > 0 ? b.Take(Math.Max(0, b.Length - cut)).ToArray() : b.Concat(new byte[-cut]).ToArray();
                t.RawData = ByteString.CopyFrom(nb);
                return $"initializer '{t.Name}' raw data {b.Length} -> {nb.Length} bytes";
            }
            if (t.FloatData.Count > 0) { t.FloatData.RemoveAt(t.FloatData.Count - 1); return $"initializer '{t.Name}' loses a float"; }
            if (t.Int64Data.Count > 0) { t.Int64Data.Add(5); return $"initializer '{t.Name}' gains an int64"; }
            if (t.Int32Data.Count > 0) { t.Int32Data.Clear(); return $"initializer '{t.Name}' loses its int32 data"; }
            return null;
        }

        private static (NodeProto Node, AttributeProto Attr)? Attribute(ModelProto m, Random rng, Func<AttributeProto, bool> which)
        {
            var all = m.Graph.Node.SelectMany(n => n.Attribute.Where(which).Select(a => (n, a))).ToList();
            return all.Count == 0 ? null : Pick(all, rng);
        }

        private static string? AttributeValue(ModelProto m, Random rng)
        {
            var p = Attribute(m, rng, a => a.Type is AttributeProto.Types.AttributeType.Int or AttributeProto.Types.AttributeType.Float
                or AttributeProto.Types.AttributeType.String or AttributeProto.Types.AttributeType.Ints);
            if (p == null) return null;
            var (n, a) = p.Value;
            switch (a.Type)
            {
                case AttributeProto.Types.AttributeType.Int: a.I = Pick(Ints, rng); return $"node '{n.Name}' ({n.OpType}) {a.Name} = {a.I}";
                case AttributeProto.Types.AttributeType.Float:
                    a.F = Pick(new[] { 0f, -1f, float.NaN, float.PositiveInfinity, 1e30f, 1e-30f }, rng); return $"node '{n.Name}' ({n.OpType}) {a.Name} = {a.F}";
                case AttributeProto.Types.AttributeType.String:
                    a.S = ByteString.CopyFromUtf8(Pick(new[] { "", "FUZZ", "SAME_UPPER", "VALID", "NOTSET", "linear", "nearest", "\0" }, rng));
                    return $"node '{n.Name}' ({n.OpType}) {a.Name} = '{a.S.ToStringUtf8()}'";
                default:
                    if (a.Ints.Count == 0) return null;
                    int i = rng.Next(a.Ints.Count);
                    a.Ints[i] = Pick(Ints, rng);
                    return $"node '{n.Name}' ({n.OpType}) {a.Name}[{i}] = {a.Ints[i]}";
            }
        }

        private static string? AttributeList(ModelProto m, Random rng)
        {
            var p = Attribute(m, rng, a => a.Type is AttributeProto.Types.AttributeType.Ints or AttributeProto.Types.AttributeType.Floats);
            if (p == null) return null;
            var (n, a) = p.Value;
            bool grow = rng.Next(2) == 0;
            if (a.Type == AttributeProto.Types.AttributeType.Ints) { if (grow) a.Ints.Add(Pick(Ints, rng)); else if (a.Ints.Count > 0) a.Ints.RemoveAt(a.Ints.Count - 1); else a.Ints.Clear(); }
            else { if (grow) a.Floats.Add(1.5f); else if (a.Floats.Count > 0) a.Floats.RemoveAt(a.Floats.Count - 1); }
            return $"node '{n.Name}' ({n.OpType}) {a.Name} {(grow ? "gains" : "loses")} an element";
        }

        private static string? AttributeType(ModelProto m, Random rng)
        {
            var p = Attribute(m, rng, _ => true);
            if (p == null) return null;
            var (n, a) = p.Value;
            var types = new[] { AttributeProto.Types.AttributeType.Int, AttributeProto.Types.AttributeType.Float, AttributeProto.Types.AttributeType.String,
                AttributeProto.Types.AttributeType.Ints, AttributeProto.Types.AttributeType.Tensor, AttributeProto.Types.AttributeType.Graph, AttributeProto.Types.AttributeType.Undefined };
            var t = Pick(types, rng);
            a.Type = t;
            return $"node '{n.Name}' ({n.OpType}) attribute {a.Name} typed {t}";
        }

        private static string? AttributeRemove(ModelProto m, Random rng)
        {
            var p = Attribute(m, rng, _ => true);
            if (p == null)
            {
                if (m.Graph.Node.Count == 0) return null;
                var target = Pick(m.Graph.Node, rng);
                target.Attribute.Add(new AttributeProto { Name = "fuzz_unknown", Type = AttributeProto.Types.AttributeType.Int, I = 3 });
                return $"node '{target.Name}' ({target.OpType}) gains an unknown attribute";
            }
            var (n, a) = p.Value;
            n.Attribute.Remove(a);
            return $"node '{n.Name}' ({n.OpType}) loses attribute {a.Name}";
        }

        private static string? OpSwap(ModelProto m, Random rng)
        {
            if (m.Graph.Node.Count == 0) return null;
            var n = Pick(m.Graph.Node, rng);
            var old = n.OpType;
            n.OpType = Pick(Ops, rng);
            return $"node '{n.Name}' {old} -> {n.OpType}";
        }

        /// <summary>All value names of the graph: inputs, initializers and node outputs, in order.</summary>
        private static List<string> Values(GraphProto g) =>
            g.Input.Select(i => i.Name).Concat(g.Initializer.Select(i => i.Name)).Concat(g.Node.SelectMany(n => n.Output)).Where(s => s.Length > 0).Distinct().ToList();

        private static string? Rewire(ModelProto m, Random rng)
        {
            var nodes = m.Graph.Node.Where(n => n.Input.Count > 0).ToList();
            if (nodes.Count == 0) return null;
            var n = Pick(nodes, rng);
            int i = rng.Next(n.Input.Count);
            string target;
            switch (rng.Next(4))
            {
                case 0 when n.Output.Count > 0: target = n.Output[0]; break;                       // a self-loop
                case 1:                                                                           // a later node's output: a cycle
                    int at = m.Graph.Node.IndexOf(n);
                    var later = m.Graph.Node.Skip(at + 1).SelectMany(x => x.Output).ToList();
                    if (later.Count == 0) goto default;
                    target = Pick(later, rng); break;
                case 2: target = "fuzz_missing"; break;
                default:
                    var values = Values(m.Graph);
                    if (values.Count == 0) return null;
                    target = Pick(values, rng); break;
            }
            var old = n.Input[i];
            n.Input[i] = target;
            return $"node '{n.Name}' ({n.OpType}) input {i} '{old}' -> '{target}'";
        }

        private static string? InputDrop(ModelProto m, Random rng)
        {
            var nodes = m.Graph.Node.Where(n => n.Input.Count > 0).ToList();
            if (nodes.Count == 0) return null;
            var n = Pick(nodes, rng);
            if (rng.Next(2) == 0) { n.Input.RemoveAt(n.Input.Count - 1); return $"node '{n.Name}' ({n.OpType}) loses its last input"; }
            int i = rng.Next(n.Input.Count);
            n.Input[i] = "";
            return $"node '{n.Name}' ({n.OpType}) input {i} left empty";
        }

        private static string? Opset(ModelProto m, Random rng)
        {
            var v = Pick(new long[] { 0, 1, 6, 7, 9, 10, 11, 13, 17, 21, 99, -1 }, rng);
            var def = m.OpsetImport.FirstOrDefault(o => o.Domain.Length == 0 || o.Domain == "ai.onnx");
            if (def == null || rng.Next(6) == 0) { m.OpsetImport.Clear(); return "opset imports removed"; }
            def.Version = v;
            return $"default opset -> {v}";
        }

        private static string? NodeDrop(ModelProto m, Random rng)
        {
            if (m.Graph.Node.Count == 0) return null;
            int i = rng.Next(m.Graph.Node.Count);
            var n = m.Graph.Node[i];
            m.Graph.Node.RemoveAt(i);
            return $"node '{n.Name}' ({n.OpType}) dropped";
        }

        private static string? DuplicateName(ModelProto m, Random rng)
        {
            var g = m.Graph;
            var outputs = g.Node.Where(n => n.Output.Count > 0).ToList();
            if (outputs.Count == 0) return null;
            var n = Pick(outputs, rng);
            var names = Values(g).Where(v => v != n.Output[0]).ToList();
            if (names.Count == 0) return null;
            var dup = Pick(names, rng);
            n.Output[0] = dup;
            return $"node '{n.Name}' ({n.OpType}) output named '{dup}', like another value";
        }

        private static string? ExternalData(ModelProto m, Random rng)
        {
            var t = Initializer(m, rng);
            if (t == null) return null;
            t.RawData = ByteString.Empty; t.FloatData.Clear(); t.Int64Data.Clear(); t.Int32Data.Clear(); t.DoubleData.Clear();
            t.DataLocation = TensorProto.Types.DataLocation.External;
            t.ExternalData.Clear();
            var location = Pick(new[] { "/etc/passwd", "../outside.bin", "weights.bin", "", "C:\\w.bin", "sub/../../x.bin", "model.onnx", null }, rng);
            if (location != null) t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
            if (rng.Next(2) == 0) t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = Pick(new[] { "abc", "", "0x10", "-1", "0", "8", "99999999999999999999" }, rng) });
            if (rng.Next(2) == 0) t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = Pick(new[] { "abc", "4", "9223372036854775807", "-3", "1e3" }, rng) });
            return $"initializer '{t.Name}' external: {string.Join(", ", t.ExternalData.Select(e => e.Key + "=" + e.Value))}";
        }

        private static string? OutputIsInput(ModelProto m, Random rng)
        {
            var g = m.Graph;
            if (g.Input.Count == 0) return null;
            var i = Pick(g.Input, rng);
            g.Output.Add(i.Clone());
            return $"graph input '{i.Name}' is also a graph output";
        }

        private static string? OutputTwice(ModelProto m, Random rng)
        {
            var g = m.Graph;
            if (g.Output.Count == 0) return null;
            var o = Pick(g.Output, rng);
            g.Output.Add(o.Clone());
            return $"graph output '{o.Name}' listed twice";
        }

        private static string? ElemType(ModelProto m, Random rng)
        {
            var infos = ValueInfos(m.Graph).Where(v => v.Type?.TensorType != null).ToList();
            if (infos.Count == 0) return null;
            var v = Pick(infos, rng);
            int t = Pick(Types, rng);
            v.Type.TensorType.ElemType = t;
            return $"'{v.Name}' element type -> {t}";
        }

        private static string? HugeShapeInput(ModelProto m, Random rng)
        {
            // A shape tensor that asks for billions of elements (Expand, Tile, Reshape, ConstantOfShape read it at build time).
            var shaped = m.Graph.Initializer.Where(t => t.DataType == 7 && t.Dims.Count == 1).ToList();
            if (shaped.Count == 0) return null;
            var t = Pick(shaped, rng);
            int n = (int)t.Dims[0];
            var values = Enumerable.Range(0, n).Select(_ => Pick(new long[] { 1L << 20, 1L << 31, 1L << 40, -5, 0 }, rng)).ToArray();
            t.RawData = ByteString.CopyFrom(values.SelectMany(BitConverter.GetBytes).ToArray());
            t.Int64Data.Clear();
            return $"int64 initializer '{t.Name}' -> [{string.Join(", ", values)}]";
        }
    }
}
