using System;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using QuantGen.Onnx;
using QuantGen.Onnx.Proto;

namespace QuantGen.Graph
{
    /// <summary>
    /// Turns a parsed <see cref="ModelProto"/> into the compiler's graph: decodes initializers (raw_data and typed
    /// fields, external data by relative path), turns Constant nodes into constants, binds symbolic dimensions,
    /// resolves names (including outer-scope names in subgraphs) and orders nodes topologically.
    /// </summary>
    public sealed class OnnxImporter
    {
        private readonly string _file;
        private readonly ExternalDataResolver? _resolver;
        private readonly IReadOnlyDictionary<string, int> _dims;
        private readonly Dictionary<string, int> _opsets = new Dictionary<string, int>(StringComparer.Ordinal);
        private readonly List<QgDiagnostic> _diagnostics;
        private int _anonymous;

        private OnnxImporter(string file, ExternalDataResolver? resolver, IReadOnlyDictionary<string, int> dims, List<QgDiagnostic> diagnostics)
        {
            _file = file; _resolver = resolver; _dims = dims; _diagnostics = diagnostics;
        }

        /// <param name="dims">Values for symbolic dimensions (dim_param); an unbound one is taken as 1 with an info diagnostic.</param>
        public static Model Import(ModelProto proto, string fileName, ExternalDataResolver? resolver,
            IReadOnlyDictionary<string, int> dims, List<QgDiagnostic> diagnostics)
        {
            var importer = new OnnxImporter(fileName, resolver, dims, diagnostics);
            foreach (var os in proto.OpsetImport)
            {
                var domain = os.Domain == "ai.onnx" ? "" : os.Domain;
                if (os.Version <= 0 || os.Version > 1000)
                    throw importer.Invalid($"opset import '{domain}' has version {os.Version}");
                importer._opsets[domain] = (int)os.Version;
            }
            if (!importer._opsets.ContainsKey("")) importer._opsets[""] = 1;
            var graph = importer.ImportGraph(proto.Graph, null, isMain: true);
            return new Model(fileName, graph, importer._opsets) { Producer = proto.ProducerName, IrVersion = proto.IrVersion };
        }

        private QgException Invalid(string message) => new QgException(DiagnosticIds.InvalidModel, $"{_file}: {message}");

        private Graph ImportGraph(GraphProto gp, Graph? parent, bool isMain)
        {
            var g = new Graph(gp.Name, parent);
            foreach (var init in gp.Initializer)
            {
                if (string.IsNullOrEmpty(init.Name)) throw Invalid("an initializer has no name");
                var data = DecodeTensor(init);
                g.Values[init.Name] = new Value(init.Name) { Type = data.Type, Shape = data.Shape, Constant = data };
            }
            if (gp.SparseInitializer.Count > 0)
                throw new QgException(DiagnosticIds.UnsupportedType, $"{_file}: sparse initializers are not supported");
            foreach (var vi in gp.Input)
            {
                if (g.Values.TryGetValue(vi.Name, out var existing) && existing.IsConstant) continue; // IR < 4: initializers listed as inputs
                var v = ValueFromInfo(vi, isMain);
                if (g.Values.ContainsKey(vi.Name)) throw Invalid($"graph input '{vi.Name}' is defined twice");
                g.Values[vi.Name] = v;
                g.Inputs.Add(v);
            }
            var declared = new Dictionary<string, ValueInfoProto>(StringComparer.Ordinal);
            foreach (var vi in gp.ValueInfo) declared[vi.Name] = vi;

            var nodes = new List<Node>();
            foreach (var np in gp.Node)
            {
                var domain = np.Domain == "ai.onnx" ? "" : np.Domain;
                var name = string.IsNullOrEmpty(np.Name) ? $"{np.OpType}_{_anonymous++}" : np.Name;
                var node = new Node(name, np.OpType, domain);
                node.Opset = _opsets.TryGetValue(domain, out var ver) ? ver : 0;
                foreach (var ap in np.Attribute) node.Attributes[ap.Name] = ImportAttribute(ap, g, node);
                foreach (var outName in np.Output)
                {
                    if (string.IsNullOrEmpty(outName)) { node.Outputs.Add(new Value($"{name}__unused{node.Outputs.Count}") { Producer = node }); continue; }
                    if (g.Values.ContainsKey(outName)) throw Invalid($"value '{outName}' is produced twice (second time by node '{name}')");
                    var v = new Value(outName) { Producer = node };
                    g.Values[outName] = v;
                    node.Outputs.Add(v);
                }
                nodes.Add(node);
            }
            // Resolve inputs once every producer is known (nodes may be listed out of order).
            for (int i = 0; i < nodes.Count; i++)
            {
                foreach (var inName in gp.Node[i].Input)
                {
                    if (string.IsNullOrEmpty(inName)) { nodes[i].Inputs.Add(null); continue; }
                    var v = g.Lookup(inName) ?? throw Invalid($"node '{nodes[i].Name}' ({nodes[i].OpType}) reads '{inName}', which no node, input or initializer defines");
                    nodes[i].Inputs.Add(v);
                }
            }
            // Constant nodes become constants.
            foreach (var n in nodes)
            {
                if (n.OpType == "Constant" && n.Domain.Length == 0)
                {
                    var c = ConstantNodeValue(n);
                    n.Outputs[0].Constant = c;
                    n.Outputs[0].Type = c.Type;
                    n.Outputs[0].Shape = c.Shape;
                    n.Outputs[0].Producer = null;
                }
            }
            g.Nodes = TopologicalOrder(nodes.Where(n => !(n.OpType == "Constant" && n.Domain.Length == 0)).ToList());
            foreach (var vi in gp.Output)
            {
                var v = g.Lookup(vi.Name) ?? throw Invalid($"graph output '{vi.Name}' is not produced by any node");
                var info = ValueFromInfo(vi, isMain);
                if (v.Type == DataType.Undefined) v.Type = info.Type;
                if (isMain) v.SymbolicDims = info.SymbolicDims;
                g.Outputs.Add(v);
            }
            if (g.Outputs.Count == 0) throw Invalid($"graph '{gp.Name}' has no outputs");
            return g;
        }

        private Value ValueFromInfo(ValueInfoProto vi, bool isMain)
        {
            if (string.IsNullOrEmpty(vi.Name)) throw Invalid("a graph input or output has no name");
            var v = new Value(vi.Name);
            var tt = vi.Type?.TensorType;
            if (vi.Type != null && vi.Type.ValueCase != TypeProto.ValueOneofCase.TensorType && vi.Type.ValueCase != TypeProto.ValueOneofCase.None)
                throw new QgException(DiagnosticIds.UnsupportedType, $"{_file}: '{vi.Name}' is a {vi.Type.ValueCase}, only tensors are supported");
            if (tt == null) return v;
            v.Type = (DataType)tt.ElemType;
            if (tt.Shape != null)
            {
                var shape = new int[tt.Shape.Dim.Count];
                var sym = new string?[shape.Length];
                bool known = true;
                for (int i = 0; i < shape.Length; i++)
                {
                    var d = tt.Shape.Dim[i];
                    if (d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue)
                    {
                        if (d.DimValue < 0 || d.DimValue > Shapes.MaxElements)
                            throw Invalid($"'{vi.Name}' has dimension {d.DimValue} (negative or too large)");
                        shape[i] = (int)d.DimValue;
                    }
                    else
                    {
                        var p = d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam ? d.DimParam : "";
                        sym[i] = p.Length == 0 ? $"{vi.Name}_dim{i}" : p;
                        if (_dims.TryGetValue(sym[i]!, out var bound)) shape[i] = bound;
                        else if (isMain)
                        {
                            shape[i] = 1;
                            if (!_reportedDims.Contains(sym[i]!))
                            {
                                _reportedDims.Add(sym[i]!);
                                _diagnostics.Add(new QgDiagnostic(DiagnosticIds.ShapeInference, QgSeverity.Info,
                                    $"{_file}: symbolic dimension '{sym[i]}' of '{vi.Name}' is bound to 1 (set it with Dimensions=\"{sym[i]}=N\")"));
                            }
                        }
                        else known = false;
                    }
                }
                v.Shape = known ? shape : null;
                v.SymbolicDims = sym;
            }
            return v;
        }

        private readonly HashSet<string> _reportedDims = new HashSet<string>(StringComparer.Ordinal);

        private NodeAttribute ImportAttribute(AttributeProto ap, Graph scope, Node node)
        {
            QgException Missing(string type, string what) => new QgException(DiagnosticIds.UnsupportedAttribute,
                $"{_file}: {node.Describe()}: attribute '{ap.Name}' is declared {type} but holds no {what}");
            if (!string.IsNullOrEmpty(ap.RefAttrName))
                throw new QgException(DiagnosticIds.UnsupportedAttribute, $"{_file}: {node.Describe()}: attribute references (functions) are not supported");
            switch (ap.Type)
            {
                case AttributeProto.Types.AttributeType.Float: return new NodeAttribute(ap.Name, AttributeKind.Float) { F = ap.F };
                case AttributeProto.Types.AttributeType.Int: return new NodeAttribute(ap.Name, AttributeKind.Int) { I = ap.I };
                case AttributeProto.Types.AttributeType.String: return new NodeAttribute(ap.Name, AttributeKind.String) { S = ap.S.ToStringUtf8() };
                case AttributeProto.Types.AttributeType.Floats: return new NodeAttribute(ap.Name, AttributeKind.Floats) { Floats = ap.Floats.ToArray() };
                case AttributeProto.Types.AttributeType.Ints: return new NodeAttribute(ap.Name, AttributeKind.Ints) { Ints = ap.Ints.ToArray() };
                case AttributeProto.Types.AttributeType.Strings: return new NodeAttribute(ap.Name, AttributeKind.Strings) { Strings = ap.Strings.Select(s => s.ToStringUtf8()).ToArray() };
                case AttributeProto.Types.AttributeType.Tensor:
                    return new NodeAttribute(ap.Name, AttributeKind.Tensor) { T = DecodeTensor(ap.T ?? throw Missing("TENSOR", "tensor")) };
                case AttributeProto.Types.AttributeType.Graph:
                    return new NodeAttribute(ap.Name, AttributeKind.Graph) { G = ImportGraph(ap.G ?? throw Missing("GRAPH", "graph"), scope, isMain: false) };
                case AttributeProto.Types.AttributeType.Undefined:
                    // Some exporters omit the type: infer it from the populated field.
                    if (ap.G != null) return new NodeAttribute(ap.Name, AttributeKind.Graph) { G = ImportGraph(ap.G, scope, isMain: false) };
                    if (ap.T != null) return new NodeAttribute(ap.Name, AttributeKind.Tensor) { T = DecodeTensor(ap.T) };
                    if (ap.Ints.Count > 0) return new NodeAttribute(ap.Name, AttributeKind.Ints) { Ints = ap.Ints.ToArray() };
                    if (ap.Floats.Count > 0) return new NodeAttribute(ap.Name, AttributeKind.Floats) { Floats = ap.Floats.ToArray() };
                    if (!ap.S.IsEmpty) return new NodeAttribute(ap.Name, AttributeKind.String) { S = ap.S.ToStringUtf8() };
                    if (ap.F != 0) return new NodeAttribute(ap.Name, AttributeKind.Float) { F = ap.F };
                    return new NodeAttribute(ap.Name, AttributeKind.Int) { I = ap.I };
                default:
                    return new NodeAttribute(ap.Name, AttributeKind.Other);
            }
        }

        private TensorData ConstantNodeValue(Node n)
        {
            if (n.Attributes.Count != 1)
                throw Invalid($"{n.Describe()} must have exactly one value attribute");
            var a = n.Attributes.Values.First();
            switch (a.Name)
            {
                case "value": return a.T ?? throw Invalid($"{n.Describe()}: 'value' is not a tensor");
                case "value_float": return TensorData.Scalar(DataType.Float, a.F);
                case "value_floats": return new TensorData(DataType.Float, new[] { a.Floats.Length }, a.Floats);
                case "value_int": return new TensorData(DataType.Int64, Array.Empty<int>(), new[] { a.I });
                case "value_ints": return new TensorData(DataType.Int64, new[] { a.Ints.Length }, a.Ints);
                default:
                    throw new QgException(DiagnosticIds.UnsupportedAttribute, $"{_file}: {n.Describe()}: constant attribute '{a.Name}' is not supported");
            }
        }

        /// <summary>Decodes a standalone TensorProto (a test-data .pb file); external data is refused.</summary>
        public static TensorData DecodeStandalone(TensorProto t, string fileName) =>
            new OnnxImporter(fileName, null, new Dictionary<string, int>(), new List<QgDiagnostic>()).DecodeTensor(t);

        /// <summary>Decodes a TensorProto (raw_data, typed fields or external data) into build-time data.</summary>
        public TensorData DecodeTensor(TensorProto t)
        {
            var type = (DataType)t.DataType;
            if (!DataTypes.IsConstantSupported(type))
                throw new QgException(DiagnosticIds.UnsupportedType, $"{_file}: tensor '{t.Name}' has element type {type}, which is not supported");
            var shape = new int[t.Dims.Count];
            long count = 1;
            for (int i = 0; i < shape.Length; i++)
            {
                if (t.Dims[i] < 0) throw Invalid($"tensor '{t.Name}' has negative dimension {t.Dims[i]}");
                count *= t.Dims[i];
                if (count > Shapes.MaxElements) throw Invalid($"tensor '{t.Name}' has {count}+ elements (over the limit)");
                shape[i] = (int)t.Dims[i];
            }
            int n = (int)count;
            if (t.Segment != null) throw Invalid($"tensor '{t.Name}' is segmented; not supported");

            byte[]? raw = null;
            if (t.DataLocation == TensorProto.Types.DataLocation.External)
            {
                try { raw = OnnxModelReader.ReadExternal(t, _resolver); }
                catch (QgException e) { throw new QgException(e.Id, $"{_file}: {e.Message}"); }
                catch (System.IO.IOException e) { throw new QgException(DiagnosticIds.ExternalData, $"{_file}: tensor '{t.Name}': cannot read external data ({e.Message})"); }
                catch (UnauthorizedAccessException e) { throw new QgException(DiagnosticIds.ExternalData, $"{_file}: tensor '{t.Name}': cannot read external data ({e.Message})"); }
            }
            else if (!t.RawData.IsEmpty) raw = t.RawData.ToByteArray();

            if (raw != null)
            {
                int size = DataTypes.SizeOf(type);
                if ((long)raw.Length != (long)n * size)
                    throw Invalid($"tensor '{t.Name}' has {raw.Length} bytes of data, expected {(long)n * size} for shape {Shapes.Format(shape)}");
                return FromRaw(type, shape, raw, n);
            }

            switch (type)
            {
                case DataType.Float:
                    Expect(t, t.FloatData.Count, n);
                    return new TensorData(type, shape, t.FloatData.ToArray());
                case DataType.Double:
                    Expect(t, t.DoubleData.Count, n);
                    return new TensorData(type, shape, t.DoubleData.ToArray());
                case DataType.Int64:
                    Expect(t, t.Int64Data.Count, n);
                    return new TensorData(type, shape, t.Int64Data.ToArray());
                case DataType.UInt32:
                case DataType.UInt64:
                    Expect(t, t.Uint64Data.Count, n);
                    return new TensorData(type, shape, t.Uint64Data.Select(v => (long)v).ToArray());
                case DataType.Float16:
                    Expect(t, t.Int32Data.Count, n);
                    return new TensorData(type, shape, t.Int32Data.Select(v => HalfToFloat((ushort)v)).ToArray());
                default:
                    Expect(t, t.Int32Data.Count, n);
                    return TensorData.FromLongs(type, shape, t.Int32Data.Select(v => (long)v).ToArray());
            }
        }

        private void Expect(TensorProto t, int have, int want)
        {
            if (have != want) throw Invalid($"tensor '{t.Name}' holds {have} values, its shape needs {want}");
        }

        private static TensorData FromRaw(DataType type, int[] shape, byte[] raw, int n)
        {
            // ONNX raw_data is little-endian; BitConverter reads host order, and every target QuantGen supports is little-endian.
            switch (type)
            {
                case DataType.Float:
                {
                    var f = new float[n];
                    Buffer.BlockCopy(raw, 0, f, 0, raw.Length);
                    return new TensorData(type, shape, f);
                }
                case DataType.Double:
                {
                    var d = new double[n];
                    Buffer.BlockCopy(raw, 0, d, 0, raw.Length);
                    return new TensorData(type, shape, d);
                }
                case DataType.Float16:
                {
                    var f = new float[n];
                    for (int i = 0; i < n; i++) f[i] = HalfToFloat(BitConverter.ToUInt16(raw, 2 * i));
                    return new TensorData(type, shape, f);
                }
                default:
                {
                    var l = new long[n];
                    for (int i = 0; i < n; i++)
                    {
                        l[i] = type switch
                        {
                            DataType.Int64 => BitConverter.ToInt64(raw, 8 * i),
                            DataType.UInt64 => (long)BitConverter.ToUInt64(raw, 8 * i),
                            DataType.Int32 => BitConverter.ToInt32(raw, 4 * i),
                            DataType.UInt32 => BitConverter.ToUInt32(raw, 4 * i),
                            DataType.Int16 => BitConverter.ToInt16(raw, 2 * i),
                            DataType.UInt16 => BitConverter.ToUInt16(raw, 2 * i),
                            DataType.Int8 => (sbyte)raw[i],
                            DataType.UInt8 => raw[i],
                            DataType.Bool => raw[i] != 0 ? 1 : 0,
                            _ => throw new InvalidOperationException(type.ToString()),
                        };
                    }
                    return new TensorData(type, shape, l);
                }
            }
        }

        /// <summary>IEEE 754 binary16 to binary32 (exact).</summary>
        public static float HalfToFloat(ushort h)
        {
            int sign = (h >> 15) & 1, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
            float v;
            if (exp == 0) v = (float)(mant * Math.Pow(2, -24));
            else if (exp == 31) v = mant == 0 ? float.PositiveInfinity : float.NaN;
            else v = (float)((1 + mant / 1024.0) * Math.Pow(2, exp - 15));
            return sign == 1 ? -v : v;
        }

        /// <summary>Kahn's algorithm; a cycle is an invalid model.</summary>
        private List<Node> TopologicalOrder(List<Node> nodes)
        {
            var producerIndex = new Dictionary<Value, int>();
            for (int i = 0; i < nodes.Count; i++)
                foreach (var o in nodes[i].Outputs) producerIndex[o] = i;
            var indegree = new int[nodes.Count];
            var consumers = new List<int>[nodes.Count];
            for (int i = 0; i < nodes.Count; i++) consumers[i] = new List<int>();
            for (int i = 0; i < nodes.Count; i++)
            {
                foreach (var v in DependenciesOf(nodes[i]))
                    if (producerIndex.TryGetValue(v, out var p)) { indegree[i]++; consumers[p].Add(i); }
            }
            var order = new List<Node>(nodes.Count);
            var ready = new Queue<int>();
            for (int i = 0; i < nodes.Count; i++) if (indegree[i] == 0) ready.Enqueue(i);
            while (ready.Count > 0)
            {
                int i = ready.Dequeue();
                order.Add(nodes[i]);
                foreach (var c in consumers[i]) if (--indegree[c] == 0) ready.Enqueue(c);
            }
            if (order.Count != nodes.Count)
            {
                var stuck = nodes.Where((n, i) => indegree[i] > 0).Select(n => n.Name).Take(5);
                throw Invalid($"the graph has a cycle through nodes {string.Join(", ", stuck)}");
            }
            return order;
        }

        /// <summary>Inputs of a node, including outer-scope values read by its subgraphs.</summary>
        public static IEnumerable<Value> DependenciesOf(Node n)
        {
            foreach (var v in n.Inputs) if (v != null) yield return v;
            foreach (var a in n.Attributes.Values)
                if (a.G != null)
                    foreach (var v in a.G.OuterReferences()) yield return v;
        }
    }
}
