using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// Pad, opsets 2-21: modes constant, reflect, edge and wrap (19+); pads as an attribute (2) or a constant input (11+)
    /// with an optional axes input (18+, negative allowed); negative pads crop, before the other modes pad (as ONNX Runtime does). The constant value is the 'value'
    /// attribute (2) or the optional constant_value input (11+), which may be a run-time scalar. Every output index maps
    /// to an input index or to the constant, so all modes run as one kernel over build-time index maps.
    /// </summary>
    internal sealed class Pad : Operator
    {
        public override string OpType => "Pad";

        private static string Mode(Node n)
        {
            var mode = n.GetString("mode", "constant");
            if (mode == "constant" || mode == "reflect" || mode == "edge" || (mode == "wrap" && n.Opset >= 19)) return mode;
            throw Unsupported(n, $"mode '{mode}' is not supported" + (mode == "wrap" ? " before opset 19" : ""));
        }

        /// <summary>Begin and end pads per axis of input 0 (zero for axes not listed).</summary>
        private static (long[] Begin, long[] End) Pads(Node n)
        {
            int rank = ShapeOf(n, 0).Length;
            long[] pads;
            long[]? axes = null;
            if (n.Opset < 2) throw Unsupported(n, "opset 1 Pad (the 'paddings' attribute) is not supported");
            if (n.Opset < 11)
                pads = n.GetInts("pads") ?? throw Invalid(n, "the pads attribute is required");
            else
            {
                pads = ConstInput(n, 1, "pads").ToLongs();
                if (n.Opset >= 18 && n.Input(3) != null) axes = ConstInput(n, 3, "axes").ToLongs();
            }
            axes ??= Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
            if (pads.Length != 2 * axes.Length)
                throw Invalid(n, $"pads has {pads.Length} values, expected {2 * axes.Length}");
            var begin = new long[rank];
            var end = new long[rank];
            var seen = new bool[rank];
            for (int i = 0; i < axes.Length; i++)
            {
                int a = Shapes.Axis(axes[i], rank);
                if (seen[a]) throw Invalid(n, $"axis {axes[i]} is repeated");
                seen[a] = true;
                begin[a] = pads[i];
                end[a] = pads[axes.Length + i];
            }
            return (begin, end);
        }

        /// <summary>The output shape and, per output axis, the input index of each output index (-1: the constant).</summary>
        private static (int[] Shape, int[][] Maps) Plan(Node n)
        {
            var x = ShapeOf(n, 0);
            var mode = Mode(n);
            var (begin, end) = Pads(n);
            var shape = new int[x.Length];
            var maps = new int[x.Length][];
            for (int d = 0; d < x.Length; d++)
            {
                long size = x[d] + begin[d] + end[d];
                if (size < 0) throw Invalid(n, $"pads {begin[d]}, {end[d]} remove more than the {x[d]} elements of axis {d}");
                if (size > int.MaxValue) throw Invalid(n, $"pads {begin[d]}, {end[d]} make axis {d} too large");
                shape[d] = (int)size;
                // Negative pads crop first (as ONNX Runtime does); the other modes then read the cropped axis [lo, lo + dim).
                long lo = Math.Max(0, -begin[d]);
                long dim = x[d] - lo - Math.Max(0, -end[d]);
                long before = Math.Max(0, begin[d]);
                if (dim <= 0 && mode != "constant" && size > 0)
                    throw Invalid(n, $"mode '{mode}' cannot pad axis {d}, which has no elements left after cropping");
                var m = new int[size];
                for (long o = 0; o < size; o++)
                {
                    long i = o - before;
                    if (i >= 0 && i < dim) { m[o] = (int)(lo + i); continue; }
                    switch (mode)
                    {
                        case "constant": m[o] = -1; continue;
                        case "edge": i = Math.Max(0, Math.Min(i, dim - 1)); break;
                        case "wrap": i = ((i % dim) + dim) % dim; break;
                        default: // reflect: mirror without repeating the edge, period 2 * (dim - 1)
                            if (dim == 1) { i = 0; break; }
                            long p = 2 * (dim - 1), r = ((i % p) + p) % p;
                            i = r < dim ? r : p - r;
                            break;
                    }
                    m[o] = (int)(lo + i);
                }
                maps[d] = m;
            }
            return (shape, maps);
        }

        public override void Infer(Node n)
        {
            var t = In(n, 0).Type;
            if (!In(n, 0).IsConstant && !DataTypes.IsRuntimeSupported(t))
                throw new QgException(DiagnosticIds.UnsupportedType, $"{n.Describe()}: element type {DataTypes.OnnxName(t)} is not supported");
            if (n.Opset >= 11 && n.Input(2) is Value cv)
            {
                if (cv.Type != t) throw new QgException(DiagnosticIds.UnsupportedType, $"{n.Describe()}: constant_value has type {DataTypes.OnnxName(cv.Type)}, the data {DataTypes.OnnxName(t)}");
                if (cv.Shape != null && Shapes.Size(cv.Shape) != 1) throw Invalid(n, "constant_value must hold one element");
            }
            SetOutput(n, 0, t, Plan(n).Shape);
        }

        /// <summary>The constant value when it is known at build time (attribute, constant input or default 0).</summary>
        private static double? ConstantValue(Node n)
        {
            if (n.Opset < 11) return n.GetFloat("value", 0f);
            var v = n.Input(2);
            if (v == null) return 0;
            return v.Constant?.GetDouble(0);
        }

        public override TensorData[]? Fold(Node n)
        {
            var x = In(n, 0).Constant!;
            var (shape, maps) = Plan(n);
            double fill = ConstantValue(n) ?? 0;
            long fillL = n.Opset >= 11 && n.Input(2) is Value cv ? cv.Constant!.GetLong(0) : (long)fill;
            var xs = Shapes.Strides(x.Shape);
            int size = Shapes.Size(shape);
            var src = new int[size];
            var idx = new int[shape.Length];
            for (int k = 0; k < size; k++)
            {
                int off = 0;
                for (int d = 0; d < shape.Length && off >= 0; d++)
                {
                    int s = maps[d][idx[d]];
                    off = s < 0 ? -1 : off + s * xs[d];
                }
                src[k] = off;
                for (int d = shape.Length - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
            }
            if (x.IsFloating)
                return new[] { TensorData.FromDoubles(x.Type, shape, src.Select(s => s < 0 ? fill : x.GetDouble(s)).ToArray()) };
            return new[] { TensorData.FromLongs(x.Type, shape, src.Select(s => s < 0 ? fillL : x.GetLong(s)).ToArray()) };
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var (shape, maps) = Plan(n);
            if (Shapes.Size(shape) == 0) { ctx.W.Line("// empty output"); return; }
            var t = ctx.InValue(0).Type;
            string value;
            var known = ConstantValue(n);
            if (known == null) value = $"{ctx.In(2)}[0]";
            else
            {
                double v = known.Value;
                value = t switch
                {
                    DataType.Float => CodeWriter.Float((float)v),
                    DataType.Bool => v != 0 ? "true" : "false",
                    DataType.Int64 => CodeWriter.Long(n.Opset >= 11 && n.Input(2) != null ? n.Input(2)!.Constant!.GetLong(0) : (long)v),
                    _ => $"({ctx.Elem(t)}){TensorData.WrapInteger(t, n.Opset >= 11 && n.Input(2) != null ? n.Input(2)!.Constant!.GetLong(0) : (long)v)}",
                };
            }
            var strides = Shapes.Strides(ShapeOf(n, 0));
            ctx.W.Line($"{ctx.Kernel("DataMovement")}.Pad<{ctx.Elem(t)}>({ctx.In(0)}, {ctx.Out(0)}, {CodeWriter.Ints(shape)}, {CodeWriter.Ints(strides)}, {CodeWriter.Ints(maps.SelectMany(m => m))}, {value});");
        }

        public override string Describe(Node node) => Mode(node);
    }
}
