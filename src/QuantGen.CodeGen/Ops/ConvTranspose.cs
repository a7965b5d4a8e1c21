using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// ONNX ConvTranspose (opsets 1, 11, 22), float32, 1-D/2-D/3-D: group, strides, dilations, pads, output_padding,
    /// output_shape, auto_pad NOTSET/SAME_UPPER/SAME_LOWER/VALID, bias. Weights are transposed per group for the GEMM + col2im
    /// kernel (src/QuantGen.Kernels/ConvTransposeF32.cs): constant weights at build time, run-time weights into the workspace.
    /// </summary>
    internal sealed class ConvTranspose : Operator
    {
        public override string OpType => "ConvTranspose";

        internal sealed class Geometry
        {
            public int Batch, Cin, Cout, Group, Spatial;
            public int[] In = Array.Empty<int>(), Out = Array.Empty<int>(), Kernel = Array.Empty<int>(), Strides = Array.Empty<int>(),
                Dilations = Array.Empty<int>(), PadBegin = Array.Empty<int>();
        }

        /// <summary>Per-axis arrays padded to 3-D (leading axes of size 1) for the kernel.</summary>
        private static int[] As3D(int[] v, int fill) => Enumerable.Repeat(fill, 3 - v.Length).Concat(v).ToArray();

        internal static Geometry Resolve(Node n)
        {
            var x = ShapeOf(n, 0);
            var w = ShapeOf(n, 1);
            int spatial = x.Length - 2;
            if (spatial < 1 || spatial > 3)
                throw Unsupported(n, $"{spatial}-D transposed convolution is not supported (input {Shapes.Format(x)}); supported: 1-D, 2-D and 3-D");
            if (w.Length != x.Length) throw Invalid(n, $"weight rank {w.Length} does not match input rank {x.Length}");
            int group = checked((int)n.GetInt("group", 1));
            if (group <= 0 || x[1] % group != 0) throw Invalid(n, $"group {group} does not divide the {x[1]} input channels");
            if (w[0] != x[1]) throw Invalid(n, $"weight {Shapes.Format(w)} expects {w[0]} input channels, input has {x[1]}");
            var kernel = w.Skip(2).ToArray();
            var ks = n.GetInts("kernel_shape");
            if (ks != null && ks.Length > 0 && !ks.Select(k => (int)k).SequenceEqual(kernel))
                throw Invalid(n, $"kernel_shape [{string.Join(",", ks)}] disagrees with the weight shape {Shapes.Format(w)}");
            var strides = OpUtil.Ints(n, "strides", spatial, 1);
            var dil = OpUtil.Ints(n, "dilations", spatial, 1);
            var pads = OpUtil.Ints(n, "pads", 2 * spatial, 0);
            var outPad = OpUtil.Ints(n, "output_padding", spatial, 0);
            var outShapeAttr = n.GetInts("output_shape");
            var autoPad = n.GetString("auto_pad", "NOTSET");
            if (autoPad is not ("NOTSET" or "SAME_UPPER" or "SAME_LOWER" or "VALID"))
                throw Unsupported(n, $"auto_pad '{autoPad}' is not supported");
            for (int i = 0; i < spatial; i++)
            {
                if (strides[i] <= 0 || dil[i] <= 0 || kernel[i] <= 0) throw Unsupported(n, "kernel, strides and dilations must be positive");
                if (outPad[i] < 0) throw Unsupported(n, "output_padding must not be negative");
                if ((long)(kernel[i] - 1) * dil[i] + 1 > OpUtil.MaxWindowExtent || Math.Abs((long)pads[i]) > OpUtil.MaxWindowExtent
                    || Math.Abs((long)pads[i + spatial]) > OpUtil.MaxWindowExtent || outPad[i] > OpUtil.MaxWindowExtent)
                    throw Unsupported(n, $"a window, pad or output_padding beyond {OpUtil.MaxWindowExtent} per axis is not supported");
            }
            int[]? target = null;
            if (outShapeAttr != null && outShapeAttr.Length > 0)
            {
                if (outShapeAttr.Length != spatial)
                    throw Unsupported(n, $"output_shape has {outShapeAttr.Length} values, expected {spatial} (one per spatial axis)");
                target = outShapeAttr.Select(v => checked((int)v)).ToArray();
            }
            else if (autoPad is "SAME_UPPER" or "SAME_LOWER")
                target = Enumerable.Range(0, spatial).Select(i => checked(x[i + 2] * strides[i])).ToArray();
            var g = new Geometry
            {
                Batch = x[0], Cin = x[1], Group = group, Cout = checked(w[1] * group), Spatial = spatial,
                In = x.Skip(2).ToArray(), Kernel = kernel, Strides = strides, Dilations = dil, PadBegin = new int[spatial], Out = new int[spatial],
            };
            for (int i = 0; i < spatial; i++)
            {
                long natural = (long)strides[i] * (x[i + 2] - 1) + outPad[i] + (long)(kernel[i] - 1) * dil[i] + 1;
                if (target != null)
                {
                    long total = natural - target[i];
                    long half = (long)Math.Floor(total / 2.0);
                    // SAME_UPPER puts an odd pixel of padding at the end, the other modes at the beginning, in every opset: the
                    // rule of the current ONNX text, its reference implementation and ONNX Runtime (the opset 1 text, which
                    // reads the other way round, is followed by neither). A negative total with NOTSET extends the end.
                    bool extraAtEnd = autoPad == "SAME_UPPER";
                    long begin = autoPad is "SAME_UPPER" or "SAME_LOWER" ? (extraAtEnd ? half : total - half) : total < 0 ? 0 : (extraAtEnd ? half : total - half);
                    g.PadBegin[i] = checked((int)begin);
                    g.Out[i] = target[i];
                }
                else if (autoPad == "VALID")
                {
                    g.Out[i] = checked((int)natural);
                }
                else
                {
                    if (pads[i] < 0 || pads[i + spatial] < 0) throw Unsupported(n, "pads must not be negative");
                    g.PadBegin[i] = pads[i];
                    g.Out[i] = checked((int)(natural - pads[i] - pads[i + spatial]));
                }
                if (g.Out[i] <= 0) throw new QgException(DiagnosticIds.ShapeInference, $"{n.Describe()}: output size {g.Out[i]} on spatial axis {i} is not positive");
            }
            return g;
        }

        public override void Infer(Node n)
        {
            Conv.RequireFloatInputs(n);
            var g = Resolve(n);
            Conv.CheckBias(n, g.Cout);
            SetOutput(n, 0, DataType.Float, new[] { g.Batch, g.Cout }.Concat(g.Out).ToArray());
        }

        /// <summary>Build-time evaluation (constant folding and the int8 calibration's reference run): a direct scatter-add.</summary>
        public override TensorData[]? Fold(Node n)
        {
            var g = Resolve(n);
            var x = In(n, 0).Constant!.ToFloats();
            var w = In(n, 1).Constant!.ToFloats();
            var bias = n.Input(2)?.Constant?.ToFloats();
            int[] ind = As3D(g.In, 1), outd = As3D(g.Out, 1), k = As3D(g.Kernel, 1), st = As3D(g.Strides, 1), dl = As3D(g.Dilations, 1), pb = As3D(g.PadBegin, 0);
            int cinG = g.Cin / g.Group, coutG = g.Cout / g.Group, inPlane = OpUtil.Prod(ind), outPlane = OpUtil.Prod(outd), taps = OpUtil.Prod(k);
            var y = new float[g.Batch * g.Cout * outPlane];
            for (int b = 0; b < g.Batch; b++)
                for (int oc = 0; oc < g.Cout; oc++)
                {
                    int grp = oc / coutG, m = oc % coutG;
                    for (int o = 0; o < outPlane; o++) y[(b * g.Cout + oc) * outPlane + o] = bias?[oc] ?? 0f;
                    for (int c = grp * cinG; c < (grp + 1) * cinG; c++)
                        for (int p = 0; p < inPlane; p++)
                        {
                            float xv = x[(b * g.Cin + c) * inPlane + p];
                            int pz = p / (ind[1] * ind[2]), py = p / ind[2] % ind[1], px = p % ind[2];
                            for (int t = 0; t < taps; t++)
                            {
                                int a = t / (k[1] * k[2]), i = t / k[2] % k[1], j = t % k[2];
                                int oz = pz * st[0] + a * dl[0] - pb[0], oy = py * st[1] + i * dl[1] - pb[1], ox = px * st[2] + j * dl[2] - pb[2];
                                if ((uint)oz >= (uint)outd[0] || (uint)oy >= (uint)outd[1] || (uint)ox >= (uint)outd[2]) continue;
                                y[(b * g.Cout + oc) * outPlane + (oz * outd[1] + oy) * outd[2] + ox] += xv * w[(c * coutG + m) * taps + t];
                            }
                        }
                }
            return new[] { Reference.Float(n.Outputs[0].Shape!, y) };
        }

        public override long ScratchBytes(Node n)
        {
            var g = Resolve(n);
            return 4L * ColsFloats(g) + (In(n, 1).Constant == null ? 4L * Shapes.Size(ShapeOf(n, 1)) : 0);
        }

        /// <summary>Floats of the GEMM columns for one image and group (weights packed at run time follow them).</summary>
        private static long ColsFloats(Geometry g) => (long)(g.Cout / g.Group) * OpUtil.Prod(g.Kernel) * OpUtil.Prod(g.In);

        public override string Describe(Node n)
        {
            var g = Resolve(n);
            return $"{g.Cin}->{g.Cout}, kernel {string.Join("x", g.Kernel)}, stride {string.Join("x", g.Strides)}{(g.Group > 1 ? ", group " + g.Group : "")}, " +
                $"pads begin [{string.Join(",", g.PadBegin)}], out {string.Join("x", g.Out)}";
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var g = Resolve(n);
            int cinG = g.Cin / g.Group, coutG = g.Cout / g.Group, taps = OpUtil.Prod(g.Kernel), m = coutG * taps;
            var k = ctx.Kernel("ConvTransposeF32");
            string wArg, cols = ctx.Scratch("float");
            if (In(n, 1).Constant is TensorData wc)
            {
                // W [Cin, Mg, taps] -> Wt [group][Mg * taps, Cin/group], as PackWeights does at run time.
                var w = wc.ToFloats();
                var wt = new float[w.Length];
                for (int grp = 0; grp < g.Group; grp++)
                    for (int c = 0; c < cinG; c++)
                        for (int r = 0; r < m; r++)
                            wt[(grp * m + r) * cinG + c] = w[(grp * cinG + c) * m + r];
                wArg = ctx.Const(new TensorData(DataType.Float, new[] { g.Group, m, cinG }, wt), In(n, 1).Name + " transposed per group");
            }
            else
            {
                var ws = ctx.Local("convTScratch");
                ctx.W.Line($"var {ws} = {ctx.Scratch("float")};");
                long colsFloats = ColsFloats(g);
                wArg = $"{ws}.Slice({colsFloats})";
                cols = $"{ws}.Slice(0, {colsFloats})";
                ctx.W.Line($"{k}.PackWeights({ctx.In(1)}, {wArg}, {g.Group}, {cinG}, {m});");
            }
            var bias = ctx.HasInput(2) ? ctx.In(2) : "ReadOnlySpan<float>.Empty";
            ctx.W.Line($"{k}.Run({ctx.In(0)}, {wArg}, {bias}, {ctx.Out(0)}, {cols},");
            ctx.W.Line($"    {g.Batch}, {g.Cin}, {g.Cout}, {g.Group}, {CodeWriter.Ints(As3D(g.In, 1))}, {CodeWriter.Ints(As3D(g.Out, 1))}, {CodeWriter.Ints(As3D(g.Kernel, 1))}, " +
                $"{CodeWriter.Ints(As3D(g.Strides, 1))}, {CodeWriter.Ints(As3D(g.Dilations, 1))}, {CodeWriter.Ints(As3D(g.PadBegin, 0))});");
        }
    }
}
