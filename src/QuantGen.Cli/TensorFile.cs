using System;
using System.IO;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Onnx.Proto;

namespace QuantGen.Cli
{
    /// <summary>A tensor read from a serialized TensorProto (.pb), held as a CLR array of its element type.</summary>
    public sealed class HostTensor
    {
        public HostTensor(string name, DataType type, int[] shape, Array data) { Name = name; Type = type; Shape = shape; Data = data; }
        public string Name { get; }
        public DataType Type { get; }
        public int[] Shape { get; }
        /// <summary>float[], long[], int[], bool[], byte[] or sbyte[].</summary>
        public Array Data { get; }

        public double Get(int i) => Data switch
        {
            float[] f => f[i], long[] l => l[i], int[] n => n[i], bool[] b => b[i] ? 1 : 0, sbyte[] s when s.GetType() == typeof(sbyte[]) => s[i], byte[] u => u[i], // the CLR lets sbyte[] and byte[] match each other's type test
            _ => throw new InvalidOperationException(),
        };

        public static HostTensor Read(string path)
        {
            var proto = TensorProto.Parser.ParseFrom(File.ReadAllBytes(path));
            return FromData(proto.Name, OnnxImporter.DecodeStandalone(proto, Path.GetFileName(path)));
        }

        public static HostTensor FromData(string name, TensorData data)
        {
            int n = data.Length;
            Array arr = data.Type switch
            {
                DataType.Float => data.ToFloats(),
                DataType.Double => data.ToFloats(),
                DataType.Float16 => data.ToFloats(),
                DataType.Int64 => data.ToLongs(),
                DataType.Int32 => data.ToLongs().Select(v => (int)v).ToArray(),
                DataType.Bool => data.ToLongs().Select(v => v != 0).ToArray(),
                DataType.UInt8 => data.ToLongs().Select(v => (byte)v).ToArray(),
                DataType.Int8 => data.ToLongs().Select(v => (sbyte)v).ToArray(),
                _ => throw new NotSupportedException($"tensor '{name}' has element type {data.Type}"),
            };
            var type = data.Type is DataType.Double or DataType.Float16 ? DataType.Float : data.Type;
            return new HostTensor(name, type, data.Shape, arr);
        }
    }
}
