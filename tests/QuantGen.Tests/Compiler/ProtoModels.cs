using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using QuantGen.Onnx.Proto;

namespace QuantGen.Tests.Compiler
{
    /// <summary>Small hand-written ONNX models for parser and diagnostics tests.</summary>
    internal static class ProtoModels
    {
        public static ValueInfoProto Tensor(string name, int elemType, params long[] dims)
        {
            var shape = new TensorShapeProto();
            foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
            return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elemType, Shape = shape } } };
        }

        public static NodeProto Node(string op, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, params AttributeProto[] attrs)
        {
            var n = new NodeProto { OpType = op, Name = name };
            n.Input.AddRange(inputs);
            n.Output.AddRange(outputs);
            n.Attribute.AddRange(attrs);
            return n;
        }

        public static ModelProto Model(IEnumerable<NodeProto> nodes, IEnumerable<ValueInfoProto> inputs, IEnumerable<ValueInfoProto> outputs,
            IEnumerable<TensorProto>? initializers = null, int opset = 13)
        {
            var g = new GraphProto { Name = "g" };
            g.Node.AddRange(nodes);
            g.Input.AddRange(inputs);
            g.Output.AddRange(outputs);
            if (initializers != null) g.Initializer.AddRange(initializers);
            var m = new ModelProto { IrVersion = 8, Graph = g, ProducerName = "quantgen-tests" };
            m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
            return m;
        }

        public static TensorProto FloatRaw(string name, float[] values, params long[] dims)
        {
            var bytes = new byte[values.Length * 4];
            System.Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            var t = new TensorProto { Name = name, DataType = 1, RawData = ByteString.CopyFrom(bytes) };
            t.Dims.AddRange(dims);
            return t;
        }

        public static TensorProto FloatTyped(string name, float[] values, params long[] dims)
        {
            var t = new TensorProto { Name = name, DataType = 1 };
            t.Dims.AddRange(dims);
            t.FloatData.AddRange(values);
            return t;
        }

        /// <summary>y = x + c with c an initializer of the same shape.</summary>
        public static ModelProto AddConstant(TensorProto c, params long[] dims) =>
            Model(new[] { Node("Add", "add0", new[] { "x", c.Name }, new[] { "y" }) },
                new[] { Tensor("x", 1, dims) }, new[] { Tensor("y", 1, dims) }, new[] { c });

        public static byte[] Bytes(this ModelProto m) => m.ToByteArray();
    }
}
