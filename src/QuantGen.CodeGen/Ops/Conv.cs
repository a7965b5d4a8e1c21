using System.Linq;
using QuantGen.Graph;
using QuantGen.Graph.Quantization;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// ONNX Conv (opset 1+), 1-D and 2-D: group and depthwise, strides, dilations, explicit and asymmetric pads,
    /// auto_pad SAME_UPPER/SAME_LOWER/VALID. Runs as im2col + float GEMM with bias and activation in the epilogue.
    /// </summary>
    internal sealed class Conv : Operator
    {
        public override string OpType => "Conv";

        internal sealed class Geometry
        {
            public int Batch, Cin, H, W, Cout, OH, OW, KH, KW, SH, SW, DH, DW, PadTop, PadLeft, PadBottom, PadRight, Group;
            public bool Is1D;
            public bool Pointwise => KH == 1 && KW == 1 && SH == 1 && SW == 1 && PadTop == 0 && PadLeft == 0 && OH == H && OW == W;
        }

        internal static Geometry Resolve(Node n, int weightInput = 1)
        {
            var x = ShapeOf(n, 0);
            var w = ShapeOf(n, weightInput);
            int spatial = x.Length - 2;
            if (spatial < 1 || spatial > 2)
                throw Unsupported(n, $"{spatial}-D convolution is not supported (input {Shapes.Format(x)}); supported: 1-D and 2-D");
            if (w.Length != x.Length) throw Invalid(n, $"weight rank {w.Length} does not match input rank {x.Length}");
            int group = (int)n.GetInt("group", 1);
            if (group <= 0 || x[1] % group != 0 || w[0] % group != 0)
                throw Invalid(n, $"group {group} does not divide input channels {x[1]} and output channels {w[0]}");
            if (w[1] * group != x[1]) throw Invalid(n, $"weight {Shapes.Format(w)} expects {w[1] * group} input channels, input has {x[1]}");
            var kernel = n.GetInts("kernel_shape");
            if (kernel != null && kernel.Length > 0 && !kernel.Select(k => (int)k).SequenceEqual(w.Skip(2)))
                throw Invalid(n, $"kernel_shape [{string.Join(",", kernel)}] disagrees with the weight shape {Shapes.Format(w)}");
            var strides = OpUtil.Ints(n, "strides", spatial, 1);
            var dil = OpUtil.Ints(n, "dilations", spatial, 1);
            var pads = OpUtil.Ints(n, "pads", 2 * spatial, 0);
            var autoPad = n.GetString("auto_pad", "NOTSET");
            var g = new Geometry { Batch = x[0], Cin = x[1], Cout = w[0], Group = group, Is1D = spatial == 1 };
            if (spatial == 1)
            {
                g.H = 1; g.KH = 1; g.SH = 1; g.DH = 1; g.OH = 1;
                g.W = x[2]; g.KW = w[2]; g.SW = strides[0]; g.DW = dil[0];
                (g.OW, g.PadLeft, g.PadRight) = OpUtil.Window(n, autoPad, g.W, g.KW, g.SW, g.DW, pads[0], pads[1], false);
            }
            else
            {
                g.H = x[2]; g.W = x[3]; g.KH = w[2]; g.KW = w[3]; g.SH = strides[0]; g.SW = strides[1]; g.DH = dil[0]; g.DW = dil[1];
                (g.OH, g.PadTop, g.PadBottom) = OpUtil.Window(n, autoPad, g.H, g.KH, g.SH, g.DH, pads[0], pads[2], false);
                (g.OW, g.PadLeft, g.PadRight) = OpUtil.Window(n, autoPad, g.W, g.KW, g.SW, g.DW, pads[1], pads[3], false);
            }
            return g;
        }

        /// <summary>Conv and ConvTranspose: float32 X and W, and an optional float32 bias.</summary>
        internal static void RequireFloatInputs(Node n)
        {
            RequireTypes(n, 0, DataType.Float);
            RequireTypes(n, 1, DataType.Float);
            if (n.Input(2) != null) RequireTypes(n, 2, DataType.Float);
        }

        /// <summary>Conv and ConvTranspose: the optional bias has one value per output channel.</summary>
        internal static void CheckBias(Node n, int cout)
        {
            if (n.Input(2) is Value b && (b.Shape!.Length != 1 || b.Shape[0] != cout))
                throw Invalid(n, $"bias shape {Shapes.Format(b.Shape)} does not match {cout} output channels");
        }

        public override void Infer(Node n)
        {
            RequireFloatInputs(n);
            var g = Resolve(n);
            CheckBias(n, g.Cout);
            SetOutput(n, 0, DataType.Float, g.Is1D ? new[] { g.Batch, g.Cout, g.OW } : new[] { g.Batch, g.Cout, g.OH, g.OW });
        }

        public override TensorData[]? Fold(Node n)
        {
            var g = Resolve(n);
            var y = Reference.Conv(In(n, 0).Constant!.ToFloats(), In(n, 1).Constant!.ToFloats(), n.Input(2)?.Constant?.ToFloats(), g, n.FusedActivation);
            return new[] { Reference.Float(n.Outputs[0].Shape!, y) };
        }

        public override long ScratchBytes(Node n)
        {
            var g = Resolve(n);
            if (n.Quantization?.Precision == Precision.Int8)
                return In(n, 0).Type == DataType.UInt8
                    ? global::QuantGen.Kernels.Int8Layout.ConvU8ScratchBytes(g.Batch, g.Cin, g.H, g.W, g.OH, g.OW, g.KH, g.KW, g.Group,
                        n.Quantization.Requantized != null ? g.Cout / g.Group : 0)
                    : global::QuantGen.Kernels.Int8Layout.ConvScratchBytes(g.Batch, g.Cin, g.H, g.W, g.OH, g.OW, g.KH, g.KW, g.Group);
            return g.Pointwise ? 0 : 4L * (g.Cin / g.Group) * g.KH * g.KW * g.OH * g.OW;
        }

        public override bool AcceptsActivation(Node node) => true;

        public override string Describe(Node n)
        {
            var g = Resolve(n);
            return $"{g.Cout}x{g.Cin / g.Group}x{(g.Is1D ? "" : g.KH + "x")}{g.KW}, stride {g.SW}{(g.Group > 1 ? ", group " + g.Group : "")}, pads [{g.PadTop},{g.PadLeft},{g.PadBottom},{g.PadRight}]";
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var g = Resolve(n);
            if (n.Quantization?.Precision == Precision.Int8)
            {
                var (packed, sums) = QuantizedWeights.PackConv(n.Quantization.Weights!, g.Group);
                Int8.Emit(ctx, n.Quantization, packed, sums, ctx.HasInput(2) ? ctx.In(2) : "ReadOnlySpan<float>.Empty", ctx.Kernel("ConvQ8"), "Conv2D",
                    $"{g.Batch}, {g.Cin}, {g.H}, {g.W}, {g.Cout}, {g.OH}, {g.OW}, {g.KH}, {g.KW}, {g.SH}, {g.SW}, {g.DH}, {g.DW}, {g.PadTop}, {g.PadLeft}, {g.Group}", convGroups: g.Group);
                return;
            }
            var bias = ctx.HasInput(2) ? ctx.In(2) : "ReadOnlySpan<float>.Empty";
            ctx.W.Line($"{ctx.Kernel("ConvF32")}.Conv2D({ctx.In(0)}, {ctx.In(1)}, {bias}, {ctx.Out(0)}, {ctx.Scratch("float")},");
            ctx.W.Line($"    {g.Batch}, {g.Cin}, {g.H}, {g.W}, {g.Cout}, {g.OH}, {g.OW}, {g.KH}, {g.KW}, {g.SH}, {g.SW}, {g.DH}, {g.DW}, {g.PadTop}, {g.PadLeft}, {g.Group}, {ctx.ActivationArgs()});");
        }
    }
}
