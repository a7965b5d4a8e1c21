using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// Resize (opsets 10, 11, 13, 18, 19) and the deprecated Upsample (opsets 7 and 9, run as Resize with asymmetric
    /// coordinates). Scales or sizes (and roi for tf_crop_and_resize) must be constants: the output shape and, for every
    /// resized axis, a table of source indices and weights are computed at build time, so the generated code only
    /// gathers (nearest: any element type) or blends (linear and cubic, float32: one pass per resized axis).
    /// Coordinates follow the ONNX reference implementation (onnx/reference/ops/op_resize.py): x_original is computed in
    /// double from the output coordinate, and the neighbours outside the input repeat its edge.
    /// </summary>
    internal sealed class Resize : Operator
    {
        private readonly bool _upsample;
        public Resize(bool upsample) { _upsample = upsample; }
        public override string OpType => _upsample ? "Upsample" : "Resize";

        private static readonly string[] s_coordModes =
            { "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize" };
        private static readonly string[] s_nearestModes = { "round_prefer_floor", "round_prefer_ceil", "floor", "ceil" };

        /// <summary>One axis: for each output index, its taps (clamped source indices and weights), or a fill.</summary>
        internal sealed class AxisTable
        {
            public int In, Out, Taps;
            public int[] Index = Array.Empty<int>();
            public double[] Weight = Array.Empty<double>();
            public bool[] Fill = Array.Empty<bool>();
            /// <summary>Every output element reads exactly one source element with weight 1 (or is a fill).</summary>
            public bool SingleTap;
            /// <summary>Output i is input i: no pass needed.</summary>
            public bool Identity;
        }

        internal sealed class Plan
        {
            public int[] InShape = Array.Empty<int>(), OutShape = Array.Empty<int>();
            public AxisTable[] Axes = Array.Empty<AxisTable>();
            public string Mode = "nearest", Coord = "asymmetric", NearestMode = "simple";
            public bool Antialias;
            public double Extrapolation;
            public bool Gather => Axes.All(a => a.Identity || a.SingleTap);
        }

        private TensorData? OptionalConst(Node n, int i, string what)
        {
            var v = n.Input(i);
            if (v == null) return null;
            if (v.Constant == null)
                throw new QgException(DiagnosticIds.ShapeInference, $"{n.Describe()}: {what} ('{v.Name}') must be known at build time to infer shapes");
            return v.Constant.Length == 0 ? null : v.Constant;
        }

        internal Plan Resolve(Node n)
        {
            var x = ShapeOf(n, 0);
            int r = x.Length;
            var p = new Plan { InShape = x };
            bool v11 = !_upsample && n.Opset >= 11, v18 = !_upsample && n.Opset >= 18;
            p.Mode = n.GetString("mode", "nearest");
            if (p.Mode != "nearest" && p.Mode != "linear" && !(p.Mode == "cubic" && v11))
                throw Unsupported(n, $"mode '{p.Mode}' is not supported; supported: nearest, linear{(v11 ? ", cubic" : "")}");
            if (v11)
            {
                p.Coord = n.GetString("coordinate_transformation_mode", "half_pixel");
                if (Array.IndexOf(s_coordModes, p.Coord) < 0) throw Unsupported(n, $"coordinate_transformation_mode '{p.Coord}' is not supported");
                p.NearestMode = n.GetString("nearest_mode", "round_prefer_floor");
                if (Array.IndexOf(s_nearestModes, p.NearestMode) < 0) throw Unsupported(n, $"nearest_mode '{p.NearestMode}' is not supported");
                p.Extrapolation = n.GetFloat("extrapolation_value", 0f);
            }
            double cubicA = v11 ? n.GetFloat("cubic_coeff_a", -0.75f) : -0.75;
            bool exclude = v11 && n.GetInt("exclude_outside", 0) != 0;
            p.Antialias = v18 && n.GetInt("antialias", 0) != 0;
            if (p.Antialias && p.Mode == "nearest") throw Unsupported(n, "antialias applies to modes linear and cubic, not nearest");
            string policy = v18 ? n.GetString("keep_aspect_ratio_policy", "stretch") : "stretch";
            if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller")
                throw Unsupported(n, $"keep_aspect_ratio_policy '{policy}' is not supported; supported: stretch, not_larger, not_smaller");

            int[] axes = Enumerable.Range(0, r).ToArray();
            if (v18 && n.GetInts("axes") is long[] ax && ax.Length > 0)
            {
                axes = ax.Select(a => Shapes.Axis(a, r)).ToArray();
                if (axes.Distinct().Count() != axes.Length) throw Invalid(n, $"axes [{string.Join(", ", ax)}] repeat an axis");
            }

            // Scales (float32) or sizes, for the listed axes.
            TensorData? scalesT = null, sizesT = null;
            float[]? scales = null;
            if (_upsample)
            {
                if (n.Opset < 9) scales = n.GetFloats("scales") ?? throw Invalid(n, "the scales attribute is required");
                else scalesT = OptionalConst(n, 1, "scales") ?? throw Invalid(n, "scales is required");
            }
            else if (n.Opset < 11) scalesT = OptionalConst(n, 1, "scales") ?? throw Invalid(n, "scales is required");
            else
            {
                scalesT = OptionalConst(n, 2, "scales");
                sizesT = OptionalConst(n, 3, "sizes");
                if (scalesT != null && sizesT != null) throw Invalid(n, "only one of scales and sizes may be given");
                if (scalesT == null && sizesT == null) throw Invalid(n, "one of scales and sizes is required");
            }
            if (scalesT != null) scales = scalesT.ToFloats();

            var scale = new double[r];
            var outW = new double[r];
            var outShape = (int[])x.Clone();
            for (int d = 0; d < r; d++) { scale[d] = 1; outW[d] = x[d]; }
            if (scales != null)
            {
                if (scales.Length != axes.Length)
                    throw Invalid(n, $"scales has {scales.Length} values for {axes.Length} axes (input {Shapes.Format(x)})");
                for (int i = 0; i < axes.Length; i++)
                {
                    int d = axes[i];
                    float s = scales[i];
                    if (!(s > 0) || float.IsInfinity(s)) throw Invalid(n, $"scale {s.ToString(CultureInfo.InvariantCulture)} on axis {d} must be positive and finite");
                    if (_upsample && s < 1) throw Invalid(n, $"Upsample scales must be >= 1 (axis {d}: {s.ToString(CultureInfo.InvariantCulture)})");
                    // floor(length * scale) in float32, as ONNX shape inference and ONNX Runtime compute it.
                    double o = Math.Floor((double)(float)((float)x[d] * s));
                    if (o > int.MaxValue) throw Unsupported(n, $"output dimension {o} on axis {d} is too large");
                    scale[d] = s;
                    outShape[d] = (int)o;
                    outW[d] = s * x[d]; // float32, as the reference computes scale * input length
                }
            }
            else
            {
                var sizes = sizesT!.ToLongs();
                if (sizes.Length != axes.Length)
                    throw Invalid(n, $"sizes has {sizes.Length} values for {axes.Length} axes (input {Shapes.Format(x)})");
                for (int i = 0; i < axes.Length; i++)
                {
                    int d = axes[i];
                    if (sizes[i] < 0 || sizes[i] > int.MaxValue) throw Invalid(n, $"size {sizes[i]} on axis {d} is out of range");
                    if (x[d] == 0 && sizes[i] != 0) throw Invalid(n, $"axis {d} is empty and cannot be resized to {sizes[i]}");
                    scale[d] = x[d] == 0 ? 1 : (double)sizes[i] / x[d];
                    outShape[d] = (int)sizes[i];
                }
                if (policy != "stretch")
                {
                    double s = policy == "not_larger" ? axes.Min(d => scale[d]) : axes.Max(d => scale[d]);
                    foreach (int d in axes)
                    {
                        scale[d] = s;
                        double o = Math.Floor(s * x[d] + 0.5);
                        if (o > int.MaxValue) throw Unsupported(n, $"output dimension {o} on axis {d} is too large");
                        outShape[d] = (int)o;
                    }
                }
                foreach (int d in axes) outW[d] = scale[d] * x[d];
            }
            p.OutShape = outShape;

            // roi (tf_crop_and_resize only): starts then ends, for the listed axes.
            var roiStart = new double[r];
            var roiEnd = Enumerable.Repeat(1.0, r).ToArray();
            if (p.Coord == "tf_crop_and_resize" && n.Input(1) is Value rv)
            {
                if (rv.Constant == null) throw Unsupported(n, $"a run-time roi ('{rv.Name}') is not supported: the index tables are built at build time");
                if (rv.Constant.Length > 0)
                {
                    if (rv.Constant.Length != 2 * axes.Length) throw Invalid(n, $"roi has {rv.Constant.Length} values, expected {2 * axes.Length}");
                    for (int i = 0; i < axes.Length; i++)
                    {
                        roiStart[axes[i]] = (float)rv.Constant.GetDouble(i);
                        roiEnd[axes[i]] = (float)rv.Constant.GetDouble(axes.Length + i);
                    }
                }
            }

            p.Axes = new AxisTable[r];
            for (int d = 0; d < r; d++)
                p.Axes[d] = BuildAxis(p, x[d], outShape[d], scale[d], outW[d], roiStart[d], roiEnd[d], cubicA, exclude);
            return p;
        }

        /// <summary>The source coordinate of output index <paramref name="o"/> (reference definitions, in double).</summary>
        private static double Original(string coord, int o, double scale, int inLen, int outLen, double outW, double roiStart, double roiEnd)
        {
            switch (coord)
            {
                case "half_pixel": return (o + 0.5) / scale - 0.5;
                case "half_pixel_symmetric":
                {
                    double adjustment = outLen / outW, center = inLen / 2.0;
                    return center * (1 - adjustment) + (o + 0.5) / scale - 0.5;
                }
                case "pytorch_half_pixel": return outW == 1 ? -0.5 : (o + 0.5) / scale - 0.5;
                case "align_corners": return outW == 1 ? 0 : o * (inLen - 1.0) / (outW - 1);
                case "tf_half_pixel_for_nn": return (o + 0.5) / scale;
                case "tf_crop_and_resize":
                    return (outW == 1 ? (roiEnd - roiStart) * (inLen - 1.0) / 2 : o * (roiEnd - roiStart) * (inLen - 1.0) / (outW - 1))
                        + roiStart * (inLen - 1.0);
                default: return o / scale; // asymmetric
            }
        }

        private static double Cubic(double x, double a)
        {
            x = Math.Abs(x);
            if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
            if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
            return 0;
        }

        private static AxisTable BuildAxis(Plan p, int inLen, int outLen, double scale, double outW, double roiStart, double roiEnd, double cubicA, bool exclude)
        {
            var rows = new List<(int Index, double Weight)>[outLen];
            var fill = new bool[outLen];
            bool nearest = p.Mode == "nearest";
            // Taps of linear/cubic: positions base + start ... base + start + n - 1 (base = x_original - ratio).
            double sa = p.Antialias ? Math.Min(scale, 1.0) : 1.0;
            int start = p.Mode == "cubic" ? (int)Math.Floor(-2 / sa) + 1 : (int)Math.Floor(-1 / sa) + 1;
            int n = 2 - 2 * start, pad = (n + 1) / 2;
            var c = new double[n];
            for (int o = 0; o < outLen; o++)
            {
                var row = rows[o] = new List<(int, double)>();
                if (inLen == 0) { fill[o] = true; continue; }
                double xo;
                if (p.NearestMode == "simple" && nearest)
                {
                    // Resize-10 and Upsample (as ONNX Runtime): asymmetric in float32, floor when enlarging, ceil when shrinking.
                    float f = (float)o / (float)scale;
                    xo = scale < 1 ? Math.Ceiling(f) : Math.Floor(f);
                    row.Add(((int)Math.Max(0, Math.Min(inLen - 1, xo)), 1.0));
                    continue;
                }
                xo = Original(p.Coord, o, scale, inLen, outLen, outW, roiStart, roiEnd);
                if (p.Coord == "tf_crop_and_resize" && (xo < 0 || xo > inLen - 1)) { fill[o] = true; continue; }
                double fl = Math.Floor(xo);
                bool integral = xo == fl;
                double ratio = integral ? 1 : xo - fl;
                long b = (long)fl - (integral ? 1 : 0);
                if (nearest)
                {
                    bool upper = p.NearestMode switch
                    {
                        "round_prefer_ceil" => ratio >= 0.5,
                        "floor" => integral,
                        "ceil" => true,
                        _ => ratio > 0.5, // round_prefer_floor
                    };
                    long src = b + (upper ? 1 : 0);
                    row.Add(((int)Math.Max(0, Math.Min(inLen - 1, src)), 1.0));
                    continue;
                }
                if (p.Mode == "linear")
                {
                    if (!p.Antialias) { c[0] = 1 - ratio; c[1] = ratio; }
                    else for (int k = 0; k < n; k++) c[k] = Math.Max(0, Math.Min(1, 1 - Math.Abs((start + k - ratio) * sa)));
                }
                else if (!p.Antialias)
                {
                    c[0] = Cubic(ratio + 1, cubicA); c[1] = Cubic(ratio, cubicA); c[2] = Cubic(1 - ratio, cubicA); c[3] = Cubic(2 - ratio, cubicA);
                }
                else for (int k = 0; k < n; k++) c[k] = Cubic(sa * (start + k - ratio), cubicA);
                if (p.Antialias)
                {
                    double sum = c.Sum();
                    for (int k = 0; k < n; k++) c[k] /= sum;
                }
                // The n nearest positions of the input padded by its edge (pad each side): a window shifted inside that range.
                long w0 = Math.Max(-pad, Math.Min(b + start, (long)inLen + pad - n));
                if (exclude)
                {
                    double sum = 0;
                    for (int k = 0; k < n; k++)
                    {
                        long pos = w0 + k;
                        if (pos < 0 || pos >= inLen) c[k] = 0;
                        sum += c[k];
                    }
                    if (sum != 0) for (int k = 0; k < n; k++) c[k] /= sum;
                }
                for (int k = 0; k < n; k++)
                {
                    int src = (int)Math.Max(0, Math.Min(inLen - 1, w0 + k));
                    int at = row.FindIndex(t => t.Index == src);
                    if (at >= 0) row[at] = (src, row[at].Weight + c[k]);
                    else row.Add((src, c[k]));
                }
                row.RemoveAll(t => Math.Abs(t.Weight) <= 1e-12);
                if (row.Count == 0) row.Add(((int)Math.Max(0, Math.Min(inLen - 1, b)), 0.0));
            }

            int taps = Math.Max(1, rows.Select(rw => rw.Count).DefaultIfEmpty(1).Max());
            var t = new AxisTable { In = inLen, Out = outLen, Taps = taps, Index = new int[outLen * taps], Weight = new double[outLen * taps], Fill = fill };
            bool single = true, identity = inLen == outLen;
            for (int o = 0; o < outLen; o++)
            {
                var row = rows[o];
                if (fill[o]) { identity = false; continue; }
                if (row.Count != 1 || Math.Abs(row[0].Weight - 1) > 1e-12) single = false;
                if (row.Count != 1 || row[0].Index != o || Math.Abs(row[0].Weight - 1) > 1e-12) identity = false;
                for (int k = 0; k < taps; k++)
                {
                    // Padding taps repeat the last source with weight 0.
                    var (i, w) = k < row.Count ? row[k] : (row[row.Count - 1].Index, 0.0);
                    t.Index[o * taps + k] = i;
                    t.Weight[o * taps + k] = w;
                }
            }
            t.SingleTap = single;
            t.Identity = identity && !fill.Any(f => f);
            return t;
        }

        public override void Infer(Node n)
        {
            var t = In(n, 0).Type;
            RequireTypes(n, 0, DataType.Float, DataType.Int8, DataType.UInt8, DataType.Int32, DataType.Int64, DataType.Bool);
            var p = Resolve(n);
            if (t != DataType.Float && p.Mode != "nearest")
                throw new QgException(DiagnosticIds.UnsupportedType,
                    $"{n.Describe()}: mode '{p.Mode}' is supported for float32 only (input is {DataTypes.OnnxName(t)}); nearest supports every element type");
            SetOutput(n, 0, t, p.OutShape);
        }

        public override string Describe(Node n)
        {
            var p = Resolve(n);
            string how = p.Mode == "nearest" ? $"nearest ({(p.NearestMode == "simple" ? "floor/ceil" : p.NearestMode)})" : p.Mode + (p.Antialias ? " antialias" : "");
            return p.Coord == "tf_crop_and_resize" ? $"{how}, {p.Coord}, extrapolation {p.Extrapolation.ToString(CultureInfo.InvariantCulture)}" : $"{how}, {p.Coord}";
        }

        // ---- the separable passes ----

        /// <summary>One pass: the axis, and the shape it reads ([outer, inLen, inner]).</summary>
        private static List<(int Axis, int Outer, int Inner)> Passes(Plan p)
        {
            var active = Enumerable.Range(0, p.InShape.Length).Where(d => !p.Axes[d].Identity).ToList();
            IEnumerable<int[]> orders = active.Count <= 5 ? Permutations(active.ToArray()) : new[] { active.ToArray() };
            int[]? best = null;
            double bestCost = double.MaxValue;
            foreach (var order in orders)
            {
                var s = (int[])p.InShape.Clone();
                double cost = 0;
                foreach (int d in order)
                {
                    s[d] = p.OutShape[d];
                    cost += (double)Shapes.Size(s) * p.Axes[d].Taps;
                }
                if (cost < bestCost) { bestCost = cost; best = order; }
            }
            var passes = new List<(int, int, int)>();
            var shape = (int[])p.InShape.Clone();
            foreach (int d in best ?? Array.Empty<int>())
            {
                passes.Add((d, OpUtil.Prod(shape.Take(d)), OpUtil.Prod(shape.Skip(d + 1))));
                shape[d] = p.OutShape[d];
            }
            return passes;
        }

        private static IEnumerable<int[]> Permutations(int[] items)
        {
            if (items.Length <= 1) { yield return items; yield break; }
            for (int i = 0; i < items.Length; i++)
                foreach (var rest in Permutations(items.Where((_, j) => j != i).ToArray()))
                    yield return new[] { items[i] }.Concat(rest).ToArray();
        }

        /// <summary>Elements of the two scratch halves: pass i (not the last) writes half i % 2.</summary>
        private static (long A, long B) ScratchHalves(Plan p, List<(int Axis, int Outer, int Inner)> passes)
        {
            long a = 0, b = 0;
            for (int i = 0; i < passes.Count - 1; i++)
            {
                var (d, outer, inner) = passes[i];
                long len = (long)outer * p.OutShape[d] * inner;
                if (i % 2 == 0) a = Math.Max(a, len); else b = Math.Max(b, len);
            }
            return (a, b);
        }

        public override long ScratchBytes(Node n)
        {
            var p = Resolve(n);
            if (p.Gather || Shapes.Size(p.OutShape) == 0) return 0;
            var (a, b) = ScratchHalves(p, Passes(p));
            return (a + b) * sizeof(float);
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var p = Resolve(n);
            if (Shapes.Size(p.OutShape) == 0) { ctx.W.Line("// empty output"); return; }
            var type = ctx.InValue(0).Type;
            if (p.Gather) { EmitGather(ctx, p, type); return; }
            var passes = Passes(p);
            var (a, _) = ScratchHalves(p, passes);
            var desc = new List<int>();
            var idx = new List<int>();
            var w = new List<float>();
            foreach (var (d, outer, inner) in passes)
            {
                var t = p.Axes[d];
                desc.AddRange(new[] { outer, t.In, t.Out, inner, t.Taps, idx.Count });
                for (int o = 0; o < t.Out; o++)
                    for (int k = 0; k < t.Taps; k++)
                    {
                        idx.Add(t.Fill[o] ? -1 : t.Index[o * t.Taps + k]);
                        w.Add(t.Fill[o] ? 0f : (float)t.Weight[o * t.Taps + k]);
                    }
            }
            string label = $"{n.Name} {p.Mode}";
            var ci = ctx.Const(QuantizedWeights.Ints(idx.ToArray()), label + " source indices");
            var cw = ctx.Const(QuantizedWeights.Floats(w.ToArray()), label + " weights");
            ctx.W.Line($"{ctx.Kernel("Resize")}.Separable({ctx.In(0)}, {ctx.Out(0)}, {ctx.Scratch("float")}, {a}, {CodeWriter.Ints(desc)}, {ci}, {cw}, {CodeWriter.Float((float)p.Extrapolation)});");
        }

        /// <summary>Merged axes for the gather: (output size, element offsets or -1), and the contiguous inner block.</summary>
        private static (List<int[]> Tables, int Inner) GatherTables(Plan p)
        {
            int r = p.InShape.Length;
            var strides = Shapes.Strides(p.InShape);
            int inner = 1, last = r;
            while (last > 0 && p.Axes[last - 1].Identity) { inner *= p.InShape[last - 1]; last--; }
            var tables = new List<int[]>();
            bool prevIdentity = false;
            for (int d = 0; d < last; d++)
            {
                var t = p.Axes[d];
                if (t.Identity && prevIdentity)
                {
                    // Merge with the previous identity axis: one axis of size a*b, stride of the inner one.
                    int size = tables[tables.Count - 1].Length * t.Out;
                    tables[tables.Count - 1] = Enumerable.Range(0, size).Select(i => i * strides[d]).ToArray();
                    continue;
                }
                tables.Add(Enumerable.Range(0, t.Out).Select(o => t.Fill[o] ? -1 : t.Index[o * t.Taps] * strides[d]).ToArray());
                prevIdentity = t.Identity;
            }
            return (tables, inner);
        }

        private static void EmitGather(EmitContext ctx, Plan p, DataType type)
        {
            var (tables, inner) = GatherTables(p);
            var offsets = tables.SelectMany(t => t).ToArray();
            string offs = offsets.Length == 0 ? "ReadOnlySpan<int>.Empty" : ctx.Const(QuantizedWeights.Ints(offsets), $"{ctx.Node.Name} source offsets");
            string cs = ctx.Elem(type);
            var fillValue = TensorData.FromDoubles(type, Array.Empty<int>(), new[] { p.Extrapolation });
            string fill = type switch
            {
                DataType.Float => CodeWriter.Float((float)p.Extrapolation),
                DataType.Bool => fillValue.GetLong(0) != 0 ? "true" : "false",
                DataType.Int64 => CodeWriter.Long(fillValue.GetLong(0)),
                _ => $"({cs}){CodeWriter.Int(fillValue.GetLong(0))}",
            };
            ctx.W.Line($"{ctx.Kernel("Resize")}.Nearest<{cs}>({ctx.In(0)}, {ctx.Out(0)}, {CodeWriter.Ints(tables.Select(t => t.Length))}, {offs}, {inner}, {fill});");
        }

        // ---- build-time evaluation (constant folding, calibration) ----

        public override TensorData[]? Fold(Node n)
        {
            var p = Resolve(n);
            var x = In(n, 0).Constant!;
            int total = Shapes.Size(p.OutShape);
            if (p.Gather)
            {
                // Flat source index per output element, -1 for the fill.
                var src = new int[total];
                var strides = Shapes.Strides(p.InShape);
                var idx = new int[p.OutShape.Length];
                for (int i = 0; i < total; i++)
                {
                    int rem = i, off = 0;
                    bool fill = false;
                    for (int d = p.OutShape.Length - 1; d >= 0; d--)
                    {
                        int o = rem % p.OutShape[d];
                        rem /= p.OutShape[d];
                        var t = p.Axes[d];
                        if (t.Fill[o]) fill = true;
                        else off += t.Index[o * t.Taps] * strides[d];
                    }
                    src[i] = fill ? -1 : off;
                }
                if (x.Type == DataType.Float)
                {
                    var xf = x.ToFloats();
                    return new[] { Reference.Float(p.OutShape, src.Select(s => s < 0 ? (float)p.Extrapolation : xf[s]).ToArray()) };
                }
                var xl = x.ToLongs();
                long fillL = TensorData.FromDoubles(x.Type, Array.Empty<int>(), new[] { p.Extrapolation }).GetLong(0);
                return new[] { new TensorData(x.Type, p.OutShape, src.Select(s => s < 0 ? fillL : xl[s]).ToArray()) };
            }
            var cur = x.ToFloats().Select(v => (double)v).ToArray();
            var shape = (int[])p.InShape.Clone();
            foreach (var (d, outer, inner) in Passes(p))
            {
                var t = p.Axes[d];
                var next = new double[(long)outer * t.Out * inner];
                for (int o = 0; o < outer; o++)
                    for (int j = 0; j < t.Out; j++)
                        for (int i = 0; i < inner; i++)
                        {
                            double acc = 0;
                            if (t.Fill[j]) acc = p.Extrapolation;
                            else
                                for (int k = 0; k < t.Taps; k++)
                                    acc += t.Weight[j * t.Taps + k] * cur[((long)o * t.In + t.Index[j * t.Taps + k]) * inner + i];
                            next[((long)o * t.Out + j) * inner + i] = acc;
                        }
                cur = next;
                shape[d] = t.Out;
            }
            return new[] { Reference.Float(p.OutShape, cur.Select(v => (float)v).ToArray()) };
        }
    }
}
