using System;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using QuantGen.Graph;
using QuantGen.Onnx.Proto;

namespace QuantGen.Tests.Infrastructure
{
    /// <summary>Attributes of one node, written fluently: <c>a => a.Ints("strides", 2, 2).Int("group", 4)</c>.</summary>
    public sealed class AttributeList
    {
        internal readonly List<AttributeProto> Items = new List<AttributeProto>();

        private AttributeList Add(AttributeProto a) { Items.Add(a); return this; }

        public AttributeList Int(string name, long v) => Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v });
        public AttributeList Float(string name, float v) => Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = v });
        public AttributeList String(string name, string v) => Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(v) });
        public AttributeList Ints(string name, params long[] v)
        {
            var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
            a.Ints.AddRange(v);
            return Add(a);
        }
        public AttributeList Floats(string name, params float[] v)
        {
            var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
            a.Floats.AddRange(v);
            return Add(a);
        }
        public AttributeList Strings(string name, params string[] v)
        {
            var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
            a.Strings.AddRange(v.Select(ByteString.CopyFromUtf8));
            return Add(a);
        }
        public AttributeList Tensor(string name, TensorProto t) => Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = t });
        public AttributeList Graph(string name, GraphProto g) => Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = g });
    }

    /// <summary>A graph written fluently: inputs, initializers, nodes, outputs. Also used for If branches.</summary>
    public class GraphBuilder<TSelf> where TSelf : GraphBuilder<TSelf>
    {
        protected readonly GraphProto G;
        private int _nodes;

        protected GraphBuilder(string name) { G = new GraphProto { Name = name }; }

        private TSelf Self => (TSelf)this;

        /// <summary>The declared graph inputs (not initializers), in order.</summary>
        public List<(string Name, DataType Type, int[] Shape)> Inputs { get; } = new List<(string, DataType, int[])>();

        public TSelf Input(string name, DataType type, params int[] shape)
        {
            G.Input.Add(ValueInfo(name, type, shape));
            Inputs.Add((name, type, shape));
            return Self;
        }

        /// <summary>A graph output; <paramref name="shape"/> null leaves the shape undeclared.</summary>
        public TSelf Output(string name, DataType type, int[]? shape = null)
        {
            G.Output.Add(ValueInfo(name, type, shape));
            return Self;
        }

        public TSelf Initializer(string name, DataType type, int[] shape, Array values)
        {
            G.Initializer.Add(OnnxBuilder.Tensor(name, type, shape, values));
            return Self;
        }

        public TSelf Initializer(string name, float[] values, params int[] shape) => Initializer(name, DataType.Float, shape, values);
        public TSelf Initializer(string name, long[] values, params int[] shape) => Initializer(name, DataType.Int64, shape, values);

        /// <summary>A node; an empty input name is an omitted optional input.</summary>
        public TSelf Node(string opType, string[] inputs, string[] outputs, Action<AttributeList>? attributes = null, string domain = "")
        {
            var n = new NodeProto { OpType = opType, Name = $"{opType.ToLowerInvariant()}_{_nodes++}", Domain = domain };
            n.Input.AddRange(inputs);
            n.Output.AddRange(outputs);
            if (attributes != null)
            {
                var list = new AttributeList();
                attributes(list);
                n.Attribute.AddRange(list.Items);
            }
            G.Node.Add(n);
            return Self;
        }

        public TSelf Node(string opType, string input, string output, Action<AttributeList>? attributes = null) =>
            Node(opType, new[] { input }, new[] { output }, attributes);

        internal static ValueInfoProto ValueInfo(string name, DataType type, int[]? shape)
        {
            var tt = new TypeProto.Types.Tensor { ElemType = (int)type };
            if (shape != null)
            {
                tt.Shape = new TensorShapeProto();
                foreach (var d in shape) tt.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
            }
            return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tt } };
        }
    }

    /// <summary>A subgraph (If branch) without its own opset.</summary>
    public sealed class SubgraphBuilder : GraphBuilder<SubgraphBuilder>
    {
        public SubgraphBuilder(string name) : base(name) { }
        public GraphProto Build() => G.Clone();
    }

    /// <summary>
    /// Builds a small ONNX model for tests: <c>new OnnxBuilder(13).Input("X", DataType.Float, 2, 3).Node("Relu", "X", "Y").Output("Y", DataType.Float).ToBytes()</c>.
    /// </summary>
    public sealed class OnnxBuilder : GraphBuilder<OnnxBuilder>
    {
        private readonly int _opset;
        private readonly Dictionary<string, int> _extraOpsets = new Dictionary<string, int>(StringComparer.Ordinal);

        public OnnxBuilder(int opset, string graphName = "test") : base(graphName) { _opset = opset; }

        public int Opset => _opset;

        public OnnxBuilder Import(string domain, int version) { _extraOpsets[domain] = version; return this; }

        public ModelProto Build()
        {
            var m = new ModelProto { IrVersion = _opset >= 21 ? 10 : _opset >= 15 ? 8 : 7, ProducerName = "QuantGen.Tests", Graph = G.Clone() };
            m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = _opset });
            foreach (var kv in _extraOpsets) m.OpsetImport.Add(new OperatorSetIdProto { Domain = kv.Key, Version = kv.Value });
            return m;
        }

        public byte[] ToBytes() => Build().ToByteArray();

        /// <summary>A TensorProto from a CLR array (float[], long[], int[], bool[], byte[], sbyte[]) in raw_data.</summary>
        public static TensorProto Tensor(string name, DataType type, int[] shape, Array values)
        {
            var t = new TensorProto { Name = name, DataType = (int)type };
            t.Dims.AddRange(shape.Select(d => (long)d));
            if (values.Length != shape.Aggregate(1, (a, b) => a * b))
                throw new ArgumentException($"tensor '{name}' has {values.Length} values for shape [{string.Join(",", shape)}]");
            byte[] raw = values switch
            {
                bool[] b => b.Select(x => x ? (byte)1 : (byte)0).ToArray(),
                _ => ToRaw(values, type),
            };
            t.RawData = ByteString.CopyFrom(raw);
            return t;
        }

        private static byte[] ToRaw(Array values, DataType type)
        {
            int size = DataTypes.SizeOf(type);
            var expected = type switch
            {
                DataType.Float => typeof(float), DataType.Int64 => typeof(long), DataType.Int32 => typeof(int),
                DataType.UInt8 => typeof(byte), DataType.Int8 => typeof(sbyte), DataType.Double => typeof(double),
                _ => throw new ArgumentException($"unsupported initializer type {type}"),
            };
            if (values.GetType().GetElementType() != expected) throw new ArgumentException($"values are {values.GetType().Name}, type is {type}");
            var raw = new byte[values.Length * size];
            Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
            return raw;
        }
    }
}
