using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>Shared checks of the ONNX quantization operators (QuantizeLinear family).</summary>
    internal static class QuantOpUtil
    {
        public static bool IsQuantType(DataType t) => t == DataType.UInt8 || t == DataType.Int8;

        public static (int Qmin, int Qmax) Range(DataType t) => t == DataType.UInt8 ? (0, 255) : (-128, 127);

        /// <summary>[outer, channels, inner] for per-tensor (scale with one element) or per-axis parameters.</summary>
        public static (int Outer, int Channels, int Inner) Layout(Node n, int[] x, int[] scale)
        {
            int count = Shapes.Size(scale);
            if (scale.Length == 0 || count == 1 && scale.Length <= 1) return (Shapes.Size(x), 1, 1);
            if (scale.Length != 1) throw new QgException(DiagnosticIds.UnsupportedAttribute, $"{n.Describe()}: blocked quantization (scale {Shapes.Format(scale)}) is not supported");
            if (n.GetInt("block_size", 0) != 0) throw new QgException(DiagnosticIds.UnsupportedAttribute, $"{n.Describe()}: block_size is not supported");
            int axis = Shapes.Axis(n.GetInt("axis", 1), x.Length);
            if (x[axis] != count) throw new QgException(DiagnosticIds.InvalidModel, $"{n.Describe()}: {count} scales for axis {axis} of size {x[axis]}");
            return (OpUtil.Prod(x.Take(axis)), count, OpUtil.Prod(x.Skip(axis + 1)));
        }

        /// <summary>
        /// Checks one (scale, zero point) pair at build time, so the generated code never indexes past a parameter: the scale
        /// has one element or <paramref name="perAxis"/> (its per-axis count), and the zero point, when present (or required),
        /// has the quantized operand's element type and as many elements as the scale (ONNX: the same shape).
        /// </summary>
        public static void CheckParameters(Node n, int scale, int zeroPoint, DataType quantized, string what, int perAxis = 1, bool zeroPointRequired = false)
        {
            var s = n.Input(scale) ?? throw new QgException(DiagnosticIds.InvalidModel, $"{n.Describe()}: {what}_scale (input {scale}) is required");
            int count = Shapes.Size(s.Shape ?? throw new QgException(DiagnosticIds.ShapeInference, $"{n.Describe()}: the shape of {what}_scale is unknown"));
            if (count != 1 && count != perAxis)
                throw new QgException(DiagnosticIds.InvalidModel, $"{n.Describe()}: {what}_scale has {count} elements; expected 1{(perAxis != 1 ? $" or {perAxis}" : "")}");
            var zp = n.Input(zeroPoint);
            if (zp == null)
            {
                if (zeroPointRequired) throw new QgException(DiagnosticIds.InvalidModel, $"{n.Describe()}: {what}_zero_point (input {zeroPoint}) is required");
                return;
            }
            if (zp.Type != quantized)
                throw new QgException(DiagnosticIds.InvalidModel, $"{n.Describe()}: {what}_zero_point is {DataTypes.OnnxName(zp.Type)} but {what} is {DataTypes.OnnxName(quantized)}");
            int zc = Shapes.Size(zp.Shape ?? throw new QgException(DiagnosticIds.ShapeInference, $"{n.Describe()}: the shape of {what}_zero_point is unknown"));
            if (zc != count)
                throw new QgException(DiagnosticIds.InvalidModel, $"{n.Describe()}: {what}_zero_point has {zc} elements but {what}_scale has {count}");
        }

        public static string ZeroPointOrEmpty(EmitContext ctx, int input, DataType t) =>
            ctx.HasInput(input) ? ctx.In(input) : $"ReadOnlySpan<{DataTypes.CSharpName(t)}>.Empty";
    }

    /// <summary>QuantizeLinear (opset 10+): y = saturate(round-half-even(x / scale) + zero_point), per tensor or per axis; uint8 or int8.</summary>
    internal sealed class QuantizeLinear : Operator
    {
        public override string OpType => "QuantizeLinear";

        private static DataType OutType(Node n)
        {
            if (n.Input(2) is Value zp) return zp.Type;
            var dt = (DataType)n.GetInt("output_dtype", 0);
            return dt == DataType.Undefined ? DataType.UInt8 : dt;
        }

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Float);
            RequireTypes(n, 1, DataType.Float);
            var t = OutType(n);
            if (!QuantOpUtil.IsQuantType(t)) throw new QgException(DiagnosticIds.UnsupportedType, $"{n.Describe()}: output type {DataTypes.OnnxName(t)} is not supported (uint8, int8)");
            var (_, channels, _) = QuantOpUtil.Layout(n, ShapeOf(n, 0), ShapeOf(n, 1));
            QuantOpUtil.CheckParameters(n, 1, 2, t, "y", channels);
            SetOutput(n, 0, t, ShapeOf(n, 0));
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var t = OutType(n);
            var (outer, ch, inner) = QuantOpUtil.Layout(n, ShapeOf(n, 0), ShapeOf(n, 1));
            if (t == DataType.UInt8 && ch == 1)
            {
                // One scale and zero point to uint8 (what Int8Boundaries inserts): the vectorized rule, same bytes.
                ctx.W.Line($"{ctx.Kernel("QuantizeDynamic")}.Quantize({ctx.In(0)}, {ctx.Out(0)}, {ctx.In(1)}[0], {(ctx.HasInput(2) ? ctx.In(2) + "[0]" : "0")});");
                return;
            }
            ctx.W.Line($"{ctx.Kernel("QLinear")}.Quantize<{ctx.Elem(t)}>({ctx.In(0)}, {ctx.Out(0)}, {ctx.In(1)}, {QuantOpUtil.ZeroPointOrEmpty(ctx, 2, t)}, {outer}, {ch}, {inner});");
        }
    }

    /// <summary>DequantizeLinear (opset 10+): y = (x - zero_point) * scale, per tensor or per axis; x uint8, int8 or int32.</summary>
    internal sealed class DequantizeLinear : Operator
    {
        public override string OpType => "DequantizeLinear";

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.UInt8, DataType.Int8, DataType.Int32);
            RequireTypes(n, 1, DataType.Float);
            var (_, channels, _) = QuantOpUtil.Layout(n, ShapeOf(n, 0), ShapeOf(n, 1));
            QuantOpUtil.CheckParameters(n, 1, 2, In(n, 0).Type, "x", channels);
            SetOutput(n, 0, DataType.Float, ShapeOf(n, 0));
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var t = ctx.InValue(0).Type;
            var (outer, ch, inner) = QuantOpUtil.Layout(n, ShapeOf(n, 0), ShapeOf(n, 1));
            if (t == DataType.UInt8 && ch == 1)
            {
                ctx.W.Line($"{ctx.Kernel("QuantizeDynamic")}.Dequantize({ctx.In(0)}, {ctx.Out(0)}, {ctx.In(1)}[0], {(ctx.HasInput(2) ? ctx.In(2) + "[0]" : "0")});");
                return;
            }
            ctx.W.Line($"{ctx.Kernel("QLinear")}.Dequantize<{ctx.Elem(t)}>({ctx.In(0)}, {ctx.Out(0)}, {ctx.In(1)}, {QuantOpUtil.ZeroPointOrEmpty(ctx, 2, t)}, {outer}, {ch}, {inner});");
        }
    }

    /// <summary>DynamicQuantizeLinear (opset 11): uint8 output with the scale and zero point measured from x.</summary>
    internal sealed class DynamicQuantizeLinear : Operator
    {
        public override string OpType => "DynamicQuantizeLinear";

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Float);
            SetOutput(n, 0, DataType.UInt8, ShapeOf(n, 0));
            SetOutput(n, 1, DataType.Float, Array.Empty<int>());
            SetOutput(n, 2, DataType.UInt8, Array.Empty<int>());
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            string Out(int i) => i < n.Outputs.Count && n.Outputs[i].Shape != null ? ctx.Out(i) : (i == 1 ? "stackalloc float[1]" : "stackalloc byte[1]");
            ctx.W.Line($"{ctx.Kernel("QLinear")}.DynamicQuantize({ctx.In(0)}, {ctx.Out(0)}, {Out(1)}, {Out(2)});");
        }
    }

    /// <summary>MatMulInteger (opset 10): int32 = (A - a_zero_point) x (B - b_zero_point), numpy batching; zero points per tensor, per row of A or per column of B.</summary>
    internal sealed class MatMulInteger : Operator
    {
        public override string OpType => "MatMulInteger";

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.UInt8, DataType.Int8);
            RequireTypes(n, 1, DataType.UInt8, DataType.Int8);
            var d = MatMul.Resolve(n);
            CheckZero(n, 2, d.M, "a");
            CheckZero(n, 3, d.N, "b");
            SetOutput(n, 0, DataType.Int32, d.OutShape);
        }

        internal static void CheckZero(Node n, int i, int perLength, string what)
        {
            if (!(n.Input(i) is Value z)) return;
            if (z.Type != In(n, i == 2 ? 0 : 1).Type) throw Invalid(n, $"{what}_zero_point type differs from {what}");
            int count = Shapes.Size(z.Shape!);
            if (count != 1 && (count != perLength || z.Shape!.Length != 1))
                throw Unsupported(n, $"{what}_zero_point of shape {Shapes.Format(z.Shape)} is not supported (scalar or 1-D of {perLength})");
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var d = MatMul.Resolve(n);
            var ta = ctx.Elem(ctx.InValue(0).Type);
            var tb = ctx.Elem(ctx.InValue(1).Type);
            ctx.W.Line($"{ctx.Kernel("QLinear")}.MatMulInteger<{ta}, {tb}>({ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, {CodeWriter.Ints(d.AOffsets)}, {CodeWriter.Ints(d.BOffsets)}, {d.M}, {d.N}, {d.K}, {QuantOpUtil.ZeroPointOrEmpty(ctx, 2, ctx.InValue(0).Type)}, {QuantOpUtil.ZeroPointOrEmpty(ctx, 3, ctx.InValue(1).Type)});");
        }
    }

    /// <summary>QLinearMatMul (opset 10/21): uint8/int8 inputs and output with their scales and zero points; per-column b parameters.</summary>
    internal sealed class QLinearMatMul : Operator
    {
        public override string OpType => "QLinearMatMul";

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.UInt8, DataType.Int8);
            RequireTypes(n, 3, DataType.UInt8, DataType.Int8);
            foreach (var i in new[] { 1, 4, 6 }) RequireTypes(n, i, DataType.Float);
            RequireTypes(n, 7, DataType.UInt8, DataType.Int8);
            var d = MatMul.Resolve(n, 3);
            if (Shapes.Size(ShapeOf(n, 1)) != 1 || Shapes.Size(ShapeOf(n, 6)) != 1)
                throw Unsupported(n, "per-row a_scale or per-element y_scale is not supported");
            int bs = Shapes.Size(ShapeOf(n, 4));
            if (bs != 1 && bs != d.N) throw Unsupported(n, $"b_scale of shape {Shapes.Format(ShapeOf(n, 4))} is not supported");
            QuantOpUtil.CheckParameters(n, 1, 2, In(n, 0).Type, "a", zeroPointRequired: true);
            QuantOpUtil.CheckParameters(n, 4, 5, In(n, 3).Type, "b", d.N, zeroPointRequired: true);
            QuantOpUtil.CheckParameters(n, 6, 7, In(n, 7).Type, "y", zeroPointRequired: true);
            SetOutput(n, 0, In(n, 7).Type, d.OutShape);
        }

        public override long ScratchBytes(Node n) => 4L * Shapes.Size(n.Outputs[0].Shape!);

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var d = MatMul.Resolve(n, 3);
            var yt = n.Outputs[0].Type;
            var (qmin, qmax) = QuantOpUtil.Range(yt);
            var k = ctx.Kernel("QLinear");
            var acc = ctx.Local("acc");
            ctx.W.Line($"var {acc} = {ctx.Scratch("int")};");
            ctx.W.Line($"{k}.MatMulInteger<{ctx.Elem(ctx.InValue(0).Type)}, {ctx.Elem(ctx.InValue(3).Type)}>({ctx.In(0)}, {ctx.In(3)}, {acc}, {CodeWriter.Ints(d.AOffsets)}, {CodeWriter.Ints(d.BOffsets)}, {d.M}, {d.N}, {d.K}, {ctx.In(2)}, {ctx.In(5)});");
            int rows = Shapes.Size(n.Outputs[0].Shape!) / d.N;
            ctx.W.Line($"{k}.Requantize<{ctx.Elem(yt)}>({acc}, {ctx.Out(0)}, {ctx.In(1)}[0], {ctx.In(4)}, {ctx.In(6)}[0], ReadOnlySpan<int>.Empty, {ctx.In(7)}[0], {rows}, {d.N}, 1, {qmin}, {qmax});");
        }
    }

    /// <summary>ConvInteger (opset 10): int32 convolution of (x - x_zero_point) and (w - w_zero_point), with Conv's attributes.</summary>
    internal sealed class ConvInteger : Operator
    {
        public override string OpType => "ConvInteger";

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.UInt8, DataType.Int8);
            RequireTypes(n, 1, DataType.UInt8, DataType.Int8);
            var g = Conv.Resolve(n);
            if (n.Input(2) is Value zx && (zx.Type != In(n, 0).Type || Shapes.Size(zx.Shape!) != 1)) throw Invalid(n, "x_zero_point must be one value of x's type");
            if (n.Input(3) is Value zw && (zw.Type != In(n, 1).Type || Shapes.Size(zw.Shape!) != 1 && Shapes.Size(zw.Shape!) != g.Cout))
                throw Invalid(n, "w_zero_point must be one value, or one per output channel, of w's type");
            SetOutput(n, 0, DataType.Int32, g.Is1D ? new[] { g.Batch, g.Cout, g.OW } : new[] { g.Batch, g.Cout, g.OH, g.OW });
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var g = Conv.Resolve(n);
            var tx = ctx.Elem(ctx.InValue(0).Type);
            var tw = ctx.Elem(ctx.InValue(1).Type);
            var zx = ctx.HasInput(2) ? $"{ctx.In(2)}[0]" : $"({tx})0";
            ctx.W.Line($"{ctx.Kernel("QLinear")}.ConvInteger<{tx}, {tw}>({ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, {zx}, {QuantOpUtil.ZeroPointOrEmpty(ctx, 3, ctx.InValue(1).Type)},");
            ctx.W.Line($"    {g.Batch}, {g.Cin}, {g.H}, {g.W}, {g.Cout}, {g.OH}, {g.OW}, {g.KH}, {g.KW}, {g.SH}, {g.SW}, {g.DH}, {g.DW}, {g.PadTop}, {g.PadLeft}, {g.Group});");
        }
    }

    /// <summary>QLinearConv (opset 10): quantized input, weights (per tensor or per output channel) and output; int32 bias.</summary>
    internal sealed class QLinearConv : Operator
    {
        public override string OpType => "QLinearConv";

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.UInt8, DataType.Int8);
            RequireTypes(n, 3, DataType.UInt8, DataType.Int8);
            foreach (var i in new[] { 1, 4, 6 }) RequireTypes(n, i, DataType.Float);
            RequireTypes(n, 7, DataType.UInt8, DataType.Int8);
            var g = Conv.Resolve(n, 3);
            QuantOpUtil.CheckParameters(n, 1, 2, In(n, 0).Type, "x", zeroPointRequired: true);
            QuantOpUtil.CheckParameters(n, 4, 5, In(n, 3).Type, "w", g.Cout, zeroPointRequired: true);
            QuantOpUtil.CheckParameters(n, 6, 7, In(n, 7).Type, "y", zeroPointRequired: true);
            if (n.Input(8) is Value b)
            {
                RequireTypes(n, 8, DataType.Int32);
                if (Shapes.Size(b.Shape!) != g.Cout) throw Invalid(n, "bias must have one value per output channel");
            }
            SetOutput(n, 0, In(n, 7).Type, g.Is1D ? new[] { g.Batch, g.Cout, g.OW } : new[] { g.Batch, g.Cout, g.OH, g.OW });
        }

        public override long ScratchBytes(Node n) => 4L * Shapes.Size(n.Outputs[0].Shape!);

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var g = Conv.Resolve(n, 3);
            var tx = ctx.Elem(ctx.InValue(0).Type);
            var tw = ctx.Elem(ctx.InValue(3).Type);
            var yt = n.Outputs[0].Type;
            var (qmin, qmax) = QuantOpUtil.Range(yt);
            var k = ctx.Kernel("QLinear");
            var acc = ctx.Local("acc");
            ctx.W.Line($"var {acc} = {ctx.Scratch("int")};");
            ctx.W.Line($"{k}.ConvInteger<{tx}, {tw}>({ctx.In(0)}, {ctx.In(3)}, {acc}, {ctx.In(2)}[0], {ctx.In(5)},");
            ctx.W.Line($"    {g.Batch}, {g.Cin}, {g.H}, {g.W}, {g.Cout}, {g.OH}, {g.OW}, {g.KH}, {g.KW}, {g.SH}, {g.SW}, {g.DH}, {g.DW}, {g.PadTop}, {g.PadLeft}, {g.Group});");
            var bias = ctx.HasInput(8) ? ctx.In(8) : "ReadOnlySpan<int>.Empty";
            ctx.W.Line($"{k}.Requantize<{ctx.Elem(yt)}>({acc}, {ctx.Out(0)}, {ctx.In(1)}[0], {ctx.In(4)}, {ctx.In(6)}[0], {bias}, {ctx.In(7)}[0], {g.Batch}, {g.Cout}, {g.OH * g.OW}, {qmin}, {qmax});");
        }
    }
}
