using System;
using System.Linq;

namespace QuantGen.Graph
{
    /// <summary>
    /// A constant tensor known at build time. Floating values are held as double (exact for float32,
    /// float16 and float64 sources); integer and bool values as long. Shapes are small int arrays.
    /// </summary>
    public sealed class TensorData
    {
        public DataType Type { get; }
        public int[] Shape { get; }
        /// <summary>Values of a floating tensor, or null.</summary>
        public float[]? Floats { get; }
        public double[]? Doubles { get; }
        /// <summary>Values of an integer or bool tensor, or null.</summary>
        public long[]? Longs { get; }

        public TensorData(DataType type, int[] shape, float[] values)
        {
            Type = type; Shape = shape; Floats = values;
            Check(values.Length);
        }

        public TensorData(DataType type, int[] shape, double[] values)
        {
            Type = type; Shape = shape; Doubles = values;
            Check(values.Length);
        }

        public TensorData(DataType type, int[] shape, long[] values)
        {
            Type = type; Shape = shape; Longs = values;
            Check(values.Length);
        }

        private void Check(int length)
        {
            if (length != Shapes.Size(Shape))
                throw new ArgumentException($"tensor has {length} values for shape {Shapes.Format(Shape)}");
        }

        public int Length => Shapes.Size(Shape);
        public bool IsFloating => Floats != null || Doubles != null;

        public double GetDouble(int i) => Floats != null ? Floats[i] : Doubles != null ? Doubles[i] : Longs![i];
        public long GetLong(int i) => Longs != null ? Longs[i] : Floats != null ? (long)Floats[i] : (long)Doubles![i];

        public long[] ToLongs() => Longs != null ? (long[])Longs.Clone() : Enumerable.Range(0, Length).Select(GetLong).ToArray();
        public float[] ToFloats() => Floats != null ? (float[])Floats.Clone() : Enumerable.Range(0, Length).Select(i => (float)GetDouble(i)).ToArray();

        /// <summary>Builds a tensor of <paramref name="type"/> from doubles, rounding to the element type as ONNX Cast does.</summary>
        public static TensorData FromDoubles(DataType type, int[] shape, double[] values)
        {
            switch (type)
            {
                case DataType.Float:
                case DataType.Float16:
                    return new TensorData(type, shape, values.Select(v => (float)v).ToArray());
                case DataType.Double:
                    return new TensorData(type, shape, values);
                case DataType.Bool:
                    return new TensorData(type, shape, values.Select(v => v != 0 ? 1L : 0L).ToArray());
                default:
                    return new TensorData(type, shape, values.Select(v => WrapInteger(type, double.IsNaN(v) ? 0 : (long)Math.Truncate(v))).ToArray());
            }
        }

        public static TensorData FromLongs(DataType type, int[] shape, long[] values)
        {
            if (type == DataType.Float || type == DataType.Float16)
                return new TensorData(type, shape, values.Select(v => (float)v).ToArray());
            if (type == DataType.Double)
                return new TensorData(type, shape, values.Select(v => (double)v).ToArray());
            if (type == DataType.Bool)
                return new TensorData(type, shape, values.Select(v => v != 0 ? 1L : 0L).ToArray());
            return new TensorData(type, shape, values.Select(v => WrapInteger(type, v)).ToArray());
        }

        /// <summary>Converts an element to <paramref name="type"/> with two's-complement wrap, as a C cast does.</summary>
        public static long WrapInteger(DataType type, long v) => type switch
        {
            DataType.Int8 => (sbyte)v,
            DataType.UInt8 => (byte)v,
            DataType.Int16 => (short)v,
            DataType.UInt16 => (ushort)v,
            DataType.Int32 => (int)v,
            DataType.UInt32 => (uint)v,
            _ => v,
        };

        public TensorData Reshaped(int[] shape)
        {
            if (Floats != null) return new TensorData(Type, shape, Floats);
            if (Doubles != null) return new TensorData(Type, shape, Doubles);
            return new TensorData(Type, shape, Longs!);
        }

        /// <summary>Casts every element to <paramref name="to"/> following ONNX Cast semantics.</summary>
        public TensorData CastTo(DataType to)
        {
            if (IsFloating)
                return FromDoubles(to, Shape, Enumerable.Range(0, Length).Select(GetDouble).ToArray());
            return FromLongs(to, Shape, Longs!);
        }

        public static TensorData Scalar(DataType type, double value) => FromDoubles(type, Array.Empty<int>(), new[] { value });

        /// <summary>Gathers elements by flat index into a new tensor of the same type.</summary>
        public TensorData Select(int[] shape, int[] flatIndices)
        {
            if (Floats != null) return new TensorData(Type, shape, flatIndices.Select(i => Floats[i]).ToArray());
            if (Doubles != null) return new TensorData(Type, shape, flatIndices.Select(i => Doubles[i]).ToArray());
            return new TensorData(Type, shape, flatIndices.Select(i => Longs![i]).ToArray());
        }

        /// <summary>Content hash used to deduplicate identical constants.</summary>
        public bool ContentEquals(TensorData other)
        {
            if (Type != other.Type || !Shape.SequenceEqual(other.Shape)) return false;
            if (Floats != null) return other.Floats != null && Floats.SequenceEqual(other.Floats);
            if (Doubles != null) return other.Doubles != null && Doubles.SequenceEqual(other.Doubles);
            return other.Longs != null && Longs!.SequenceEqual(other.Longs);
        }
    }
}
