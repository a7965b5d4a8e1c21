using System;

namespace QuantGen.Graph
{
    /// <summary>ONNX tensor element types (values are the TensorProto.DataType numbers).</summary>
    public enum DataType
    {
        Undefined = 0, Float = 1, UInt8 = 2, Int8 = 3, UInt16 = 4, Int16 = 5, Int32 = 6, Int64 = 7,
        String = 8, Bool = 9, Float16 = 10, Double = 11, UInt32 = 12, UInt64 = 13,
    }

    public static class DataTypes
    {
        /// <summary>Element types the generated code can hold at run time.</summary>
        public static bool IsRuntimeSupported(DataType t) =>
            t == DataType.Float || t == DataType.Int64 || t == DataType.Int32 || t == DataType.Bool
            || t == DataType.UInt8 || t == DataType.Int8;

        /// <summary>Element types a constant may have at build time (wider: folded away or converted).</summary>
        public static bool IsConstantSupported(DataType t) =>
            IsRuntimeSupported(t) || t == DataType.Double || t == DataType.Float16 || t == DataType.Int16
            || t == DataType.UInt16 || t == DataType.UInt32 || t == DataType.UInt64;

        public static bool IsFloating(DataType t) => t == DataType.Float || t == DataType.Double || t == DataType.Float16;

        public static bool IsInteger(DataType t) => t switch
        {
            DataType.UInt8 or DataType.Int8 or DataType.UInt16 or DataType.Int16 or DataType.Int32
                or DataType.Int64 or DataType.UInt32 or DataType.UInt64 => true,
            _ => false,
        };

        public static int SizeOf(DataType t) => t switch
        {
            DataType.Float => 4, DataType.Int64 => 8, DataType.Int32 => 4, DataType.Bool => 1,
            DataType.UInt8 => 1, DataType.Int8 => 1, DataType.Double => 8, DataType.Float16 => 2,
            DataType.Int16 => 2, DataType.UInt16 => 2, DataType.UInt32 => 4, DataType.UInt64 => 8,
            _ => throw new ArgumentOutOfRangeException(nameof(t), t, null),
        };

        /// <summary>The C# element type used for a runtime tensor of this type.</summary>
        public static string CSharpName(DataType t) => t switch
        {
            DataType.Float => "float", DataType.Int64 => "long", DataType.Int32 => "int", DataType.Bool => "bool",
            DataType.UInt8 => "byte", DataType.Int8 => "sbyte", DataType.Double => "double",
            _ => throw new ArgumentOutOfRangeException(nameof(t), t, null),
        };

        public static string OnnxName(DataType t) => t switch
        {
            DataType.Float => "float32", DataType.Double => "float64", DataType.Float16 => "float16",
            DataType.Bool => "bool", DataType.String => "string",
            _ => t.ToString().ToLowerInvariant(),
        };
    }
}
