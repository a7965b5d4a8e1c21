using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>Window geometry shared by MaxPool and AveragePool (1-D, 2-D and 3-D; ceil_mode; auto_pad; dilations).</summary>
    internal abstract class PoolBase : Operator
    {
        internal sealed class Geometry
        {
            public int Planes, H, W, OH, OW, KH, KW, SH, SW, DH, DW, PadTop, PadLeft, PadBottom, PadRight;
            /// <summary>Depth axis of 3-D pooling (1 and no padding for 1-D and 2-D).</summary>
            public int D = 1, OD = 1, KD = 1, SD = 1, DD = 1, PadFront, PadBack;
            public bool Is3D;
            public int[] OutShape = Array.Empty<int>();
        }

        internal static Geometry Resolve(Node n)
        {
            var x = ShapeOf(n, 0);
            int spatial = x.Length - 2;
            if (spatial < 1 || spatial > 3) throw Unsupported(n, $"{spatial}-D pooling is not supported (input {Shapes.Format(x)}); supported: 1-D, 2-D and 3-D");
            var kernel = n.GetInts("kernel_shape") ?? throw Invalid(n, "kernel_shape is required");
            if (kernel.Length != spatial) throw Invalid(n, $"kernel_shape has {kernel.Length} values for {spatial} spatial axes");
            if (kernel.Any(k => k <= 0 || k > OpUtil.MaxWindowExtent))
                throw Unsupported(n, $"kernel_shape [{string.Join(", ", kernel)}] must be in [1, {OpUtil.MaxWindowExtent}] per axis");
            var strides = OpUtil.Ints(n, "strides", spatial, 1);
            var dil = OpUtil.Ints(n, "dilations", spatial, 1);
            var pads = OpUtil.Ints(n, "pads", 2 * spatial, 0);
            bool ceil = n.GetInt("ceil_mode", 0) != 0;
            var autoPad = n.GetString("auto_pad", "NOTSET");
            var g = new Geometry { Planes = x[0] * x[1] };
            if (spatial == 1)
            {
                g.H = 1; g.KH = 1; g.SH = 1; g.DH = 1; g.OH = 1;
                g.W = x[2]; g.KW = (int)kernel[0]; g.SW = strides[0]; g.DW = dil[0];
                (g.OW, g.PadLeft, g.PadRight) = OpUtil.Window(n, autoPad, g.W, g.KW, g.SW, g.DW, pads[0], pads[1], ceil);
                g.OutShape = new[] { x[0], x[1], g.OW };
            }
            else if (spatial == 3)
            {
                g.Is3D = true;
                g.D = x[2]; g.H = x[3]; g.W = x[4]; g.KD = (int)kernel[0]; g.KH = (int)kernel[1]; g.KW = (int)kernel[2];
                g.SD = strides[0]; g.SH = strides[1]; g.SW = strides[2]; g.DD = dil[0]; g.DH = dil[1]; g.DW = dil[2];
                (g.OD, g.PadFront, g.PadBack) = OpUtil.Window(n, autoPad, g.D, g.KD, g.SD, g.DD, pads[0], pads[3], ceil);
                (g.OH, g.PadTop, g.PadBottom) = OpUtil.Window(n, autoPad, g.H, g.KH, g.SH, g.DH, pads[1], pads[4], ceil);
                (g.OW, g.PadLeft, g.PadRight) = OpUtil.Window(n, autoPad, g.W, g.KW, g.SW, g.DW, pads[2], pads[5], ceil);
                g.OutShape = new[] { x[0], x[1], g.OD, g.OH, g.OW };
            }
            else
            {
                g.H = x[2]; g.W = x[3]; g.KH = (int)kernel[0]; g.KW = (int)kernel[1];
                g.SH = strides[0]; g.SW = strides[1]; g.DH = dil[0]; g.DW = dil[1];
                (g.OH, g.PadTop, g.PadBottom) = OpUtil.Window(n, autoPad, g.H, g.KH, g.SH, g.DH, pads[0], pads[2], ceil);
                (g.OW, g.PadLeft, g.PadRight) = OpUtil.Window(n, autoPad, g.W, g.KW, g.SW, g.DW, pads[1], pads[3], ceil);
                g.OutShape = new[] { x[0], x[1], g.OH, g.OW };
            }
            return g;
        }

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Float);
            var g = Resolve(n);
            SetOutput(n, 0, DataType.Float, g.OutShape);
        }

        public override string Describe(Node n)
        {
            var g = Resolve(n);
            return g.Is3D ? $"{g.KD}x{g.KH}x{g.KW}, stride {g.SD}x{g.SH}x{g.SW}" : $"{g.KH}x{g.KW}, stride {g.SH}x{g.SW}";
        }
    }

    internal sealed class MaxPool : PoolBase
    {
        public override string OpType => "MaxPool";

        /// <summary>float32, or uint8 (ONNX allows it from opset 12; int8 chains run MaxPool on uint8, 2-D).</summary>
        public override void Infer(Node n)
        {
            if (n.Outputs.Count > 1 && !n.Outputs[1].Name.Contains("__unused"))
                throw Unsupported(n, "the Indices output of MaxPool is not supported");
            RequireTypes(n, 0, DataType.Float, DataType.UInt8);
            var g = Resolve(n);
            if (In(n, 0).Type == DataType.UInt8 && g.Is3D) throw Unsupported(n, "3-D MaxPool on uint8 is not supported");
            SetOutput(n, 0, In(n, 0).Type, g.OutShape);
        }

        public override TensorData[]? Fold(Node n) => In(n, 0).Type != DataType.Float ? null :
            new[] { Reference.Float(n.Outputs[0].Shape!, Reference.Pool(In(n, 0).Constant!.ToFloats(), Resolve(n), true, false)) };

        public override void Emit(EmitContext ctx)
        {
            var g = Resolve(ctx.Node);
            if (ctx.InValue(0).Type == DataType.UInt8)
            {
                ctx.W.Line($"{ctx.Kernel("Pool")}.Max2DU8({ctx.In(0)}, {ctx.Out(0)}, {g.Planes}, {g.H}, {g.W}, {g.OH}, {g.OW}, {g.KH}, {g.KW}, {g.SH}, {g.SW}, {g.DH}, {g.DW}, {g.PadTop}, {g.PadLeft});");
                return;
            }
            if (g.Is3D)
            {
                ctx.W.Line($"{ctx.Kernel("Pool")}.Max3D({ctx.In(0)}, {ctx.Out(0)}, {g.Planes}, {g.D}, {g.H}, {g.W}, {g.OD}, {g.OH}, {g.OW}, {g.KD}, {g.KH}, {g.KW}, {g.SD}, {g.SH}, {g.SW}, {g.DD}, {g.DH}, {g.DW}, {g.PadFront}, {g.PadTop}, {g.PadLeft});");
                return;
            }
            ctx.W.Line($"{ctx.Kernel("Pool")}.Max2D({ctx.In(0)}, {ctx.Out(0)}, {g.Planes}, {g.H}, {g.W}, {g.OH}, {g.OW}, {g.KH}, {g.KW}, {g.SH}, {g.SW}, {g.DH}, {g.DW}, {g.PadTop}, {g.PadLeft});");
        }
    }

    internal sealed class AveragePool : PoolBase
    {
        public override string OpType => "AveragePool";

        public override TensorData[]? Fold(Node n) =>
            new[] { Reference.Float(n.Outputs[0].Shape!, Reference.Pool(In(n, 0).Constant!.ToFloats(), Resolve(n), false, n.GetInt("count_include_pad", 0) != 0)) };

        public override void Emit(EmitContext ctx)
        {
            var g = Resolve(ctx.Node);
            bool include = ctx.Node.GetInt("count_include_pad", 0) != 0;
            if (g.Is3D)
            {
                ctx.W.Line($"{ctx.Kernel("Pool")}.Average3D({ctx.In(0)}, {ctx.Out(0)}, {g.Planes}, {g.D}, {g.H}, {g.W}, {g.OD}, {g.OH}, {g.OW}, {g.KD}, {g.KH}, {g.KW}, {g.SD}, {g.SH}, {g.SW}, {g.DD}, {g.DH}, {g.DW},");
                ctx.W.Line($"    {g.PadFront}, {g.PadTop}, {g.PadLeft}, {g.PadBack}, {g.PadBottom}, {g.PadRight}, {(include ? "true" : "false")});");
                return;
            }
            ctx.W.Line($"{ctx.Kernel("Pool")}.Average2D({ctx.In(0)}, {ctx.Out(0)}, {g.Planes}, {g.H}, {g.W}, {g.OH}, {g.OW}, {g.KH}, {g.KW}, {g.SH}, {g.SW}, {g.DH}, {g.DW}, {g.PadTop}, {g.PadLeft}, {g.PadBottom}, {g.PadRight}, {(include ? "true" : "false")});");
        }
    }

    /// <summary>GlobalAveragePool and GlobalMaxPool over every spatial axis.</summary>
    internal sealed class GlobalPool : Operator
    {
        private readonly bool _max;
        public GlobalPool(bool max) { _max = max; }
        public override string OpType => _max ? "GlobalMaxPool" : "GlobalAveragePool";

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Float);
            var x = ShapeOf(n, 0);
            if (x.Length < 3) throw Invalid(n, $"input {Shapes.Format(x)} needs rank >= 3");
            SetOutput(n, 0, DataType.Float, x.Select((d, i) => i < 2 ? d : 1).ToArray());
        }

        public override TensorData[]? Fold(Node n)
        {
            var x = ShapeOf(n, 0);
            var y = Reference.Reduce(In(n, 0).Constant!.ToFloats(), x[0] * x[1], OpUtil.Prod(x.Skip(2)), 1, _max ? 2 : 1);
            return new[] { Reference.Float(n.Outputs[0].Shape!, y) };
        }

        public override void Emit(EmitContext ctx)
        {
            var x = ShapeOf(ctx.Node, 0);
            ctx.W.Line($"{ctx.Kernel("Pool")}.{(_max ? "GlobalMax" : "GlobalAverage")}({ctx.In(0)}, {ctx.Out(0)}, {x[0] * x[1]}, {OpUtil.Prod(x.Skip(2))});");
        }
    }
}
