using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// LayerNormalization (opset 17; axis, epsilon, scale and bias broadcast to X, optional Mean and InvStdDev outputs)
    /// and RMSNormalization (opset 23; axis, epsilon), float32, over the trailing axes from <c>axis</c>. Kernel:
    /// src/QuantGen.Kernels/Normalize.cs. A scale or bias that is not laid out as X's normalized dimensions is first
    /// broadcast into the workspace.
    /// </summary>
    internal sealed class LayerNormalization : Operator
    {
        private readonly bool _rms;
        public LayerNormalization(bool rms) { _rms = rms; }
        public override string OpType => _rms ? "RMSNormalization" : "LayerNormalization";

        private static bool Used(Node n, int i) => i < n.Outputs.Count && !n.Outputs[i].Name.Contains("__unused");

        private (int Axis, int Rows, int N) Layout(Node n)
        {
            var x = ShapeOf(n, 0);
            if (x.Length == 0) throw Invalid(n, "X must have rank >= 1");
            int axis = Shapes.Axis(n.GetInt("axis", -1), x.Length);
            return (axis, OpUtil.Prod(x.Take(axis)), OpUtil.Prod(x.Skip(axis)));
        }

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Float);
            RequireTypes(n, 1, DataType.Float);
            if (!_rms && n.Input(2) != null) RequireTypes(n, 2, DataType.Float);
            long stash = n.GetInt("stash_type", 1);
            if (stash != 1) throw Unsupported(n, $"stash_type={stash} is not supported (1: float)");
            var x = ShapeOf(n, 0);
            var (axis, _, _) = Layout(n);
            for (int i = 1; i <= (_rms ? 1 : 2); i++)
                if (n.Input(i) is Value v)
                {
                    var b = Shapes.Broadcast(x, v.Shape!);
                    if (b == null || !b.SequenceEqual(x))
                        throw new QgException(DiagnosticIds.ShapeInference, $"{n.Describe()}: input {i} {Shapes.Format(v.Shape)} does not broadcast to X {Shapes.Format(x)}");
                }
            SetOutput(n, 0, DataType.Float, x);
            var stat = x.Select((d, i) => i < axis ? d : 1).ToArray();
            if (_rms) return;
            if (Used(n, 1)) SetOutput(n, 1, DataType.Float, stat);
            if (Used(n, 2)) SetOutput(n, 2, DataType.Float, stat);
        }

        /// <summary>Build-time evaluation (constant folding and the int8 calibration's reference run), in double as the kernel.</summary>
        public override TensorData[]? Fold(Node n)
        {
            var shape = ShapeOf(n, 0);
            var (axis, rows, len) = Layout(n);
            var x = In(n, 0).Constant!.ToFloats();
            float eps = n.GetFloat("epsilon", 1e-5f);
            float[] Operand(int i)
            {
                if (n.Input(i) == null) return new float[x.Length];
                var c = In(n, i).Constant!.ToFloats();
                var st = Shapes.BroadcastStrides(ShapeOf(n, i), shape);
                var xs = Shapes.Strides(shape);
                return Enumerable.Range(0, x.Length).Select(e => { int o = 0; for (int d = 0; d < shape.Length; d++) o += e / xs[d] % shape[d] * st[d]; return c[o]; }).ToArray();
            }
            var scale = Operand(1);
            var bias = _rms ? new float[x.Length] : Operand(2);
            var y = new float[x.Length];
            var mean = new float[rows];
            var inv = new float[rows];
            for (int r = 0; r < rows; r++)
            {
                double m = 0, v = 0;
                if (!_rms) { for (int i = 0; i < len; i++) m += x[r * len + i]; m /= len; }
                for (int i = 0; i < len; i++) { double d = x[r * len + i] - m; v += d * d; }
                v /= len;
                inv[r] = (float)(1.0 / Math.Sqrt(v + eps));
                mean[r] = (float)m;
                for (int i = 0; i < len; i++) { int e = r * len + i; y[e] = (x[e] - mean[r]) * inv[r] * scale[e] + bias[e]; }
            }
            var stat = shape.Select((d, i) => i < axis ? d : 1).ToArray();
            return _rms ? new[] { Reference.Float(shape, y) } : new[] { Reference.Float(shape, y), Reference.Float(stat, mean), Reference.Float(stat, inv) };
        }

        /// <summary>How the kernel reads scale or bias: directly (null copy), or broadcast into n or rows * n floats first.</summary>
        private static (int[]? CopyShape, int[]? CopyStrides, int Size, int RowStride) Operand(Node n, int input, int axis, int len)
        {
            var x = ShapeOf(n, 0);
            var st = Shapes.BroadcastStrides(ShapeOf(n, input), x);
            bool rowInvariant = Enumerable.Range(0, axis).All(d => st[d] == 0 || x[d] == 1);
            var contiguous = Shapes.Strides(x.Skip(axis).ToArray());
            bool direct = Shapes.Size(ShapeOf(n, input)) == len && Enumerable.Range(axis, x.Length - axis).All(d => x[d] == 1 || st[d] == contiguous[d - axis]);
            if (rowInvariant && direct) return (null, null, 0, 0);
            if (rowInvariant)
            {
                var (s, t) = OpUtil.Collapse(x.Skip(axis).ToArray(), st.Skip(axis).ToArray());
                return (s, t[0], len, 0);
            }
            var (fs, ft) = OpUtil.Collapse(x, st);
            return (fs, ft[0], Shapes.Size(x), len);
        }

        public override long ScratchBytes(Node n)
        {
            var (axis, _, len) = Layout(n);
            long total = 0;
            for (int i = 1; i <= (_rms ? 1 : 2); i++)
                if (n.Input(i) != null) total += 4L * Operand(n, i, axis, len).Size;
            return total;
        }

        public override string Describe(Node n)
        {
            var (axis, rows, len) = Layout(n);
            return $"axis {axis}, {rows} rows of {len}";
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var (axis, rows, len) = Layout(n);
            float eps = n.GetFloat("epsilon", 1e-5f);
            string ws = "";
            int offset = 0;
            var args = new string[2];
            var rowStrides = new int[2];
            for (int i = 1; i <= 2; i++)
            {
                if (i == 2 && (_rms || n.Input(2) == null)) { args[1] = "ReadOnlySpan<float>.Empty"; continue; }
                var (shape, strides, size, rowStride) = Operand(n, i, axis, len);
                rowStrides[i - 1] = rowStride;
                if (shape == null) { args[i - 1] = ctx.In(i); continue; }
                if (ws.Length == 0)
                {
                    ws = ctx.Local("normScratch");
                    ctx.W.Line($"var {ws} = {ctx.Scratch("float")};");
                }
                ctx.W.Line($"{ctx.Kernel("Tensor")}.StridedCopy<float>({ctx.In(i)}, 0, {ws}.Slice({offset}, {size}), {CodeWriter.Ints(shape)}, {CodeWriter.Ints(strides!)});");
                args[i - 1] = $"{ws}.Slice({offset}, {size})";
                offset += size;
            }
            string mean = !_rms && Used(n, 1) ? ctx.Out(1) : "Span<float>.Empty";
            string inv = !_rms && Used(n, 2) ? ctx.Out(2) : "Span<float>.Empty";
            ctx.W.Line($"{ctx.Kernel("Normalize")}.Rows({ctx.In(0)}, {ctx.Out(0)}, {args[0]}, {rowStrides[0]}, {args[1]}, {rowStrides[1]}, {mean}, {inv}, " +
                $"{rows}, {len}, {CodeWriter.Float(eps)}, {(_rms ? "true" : "false")});");
        }
    }

    /// <summary>
    /// InstanceNormalization (opsets 1, 6, 22) and GroupNormalization (opset 18: scale and bias per group; opset 21: per
    /// channel; num_groups, epsilon, stash_type) on float32 [N, C, D1...]. Kernel: src/QuantGen.Kernels/Normalize.cs.
    /// </summary>
    internal sealed class GroupNormalization : Operator
    {
        private readonly bool _instance;
        public GroupNormalization(bool instance) { _instance = instance; }
        public override string OpType => _instance ? "InstanceNormalization" : "GroupNormalization";

        private (int Batch, int Channels, int Groups, int Spatial, bool PerGroup) Layout(Node n)
        {
            var x = ShapeOf(n, 0);
            if (x.Length < 2) throw Invalid(n, $"X {Shapes.Format(x)} needs rank >= 2");
            int c = x[1];
            int groups = c;
            bool perGroup = false;
            if (!_instance)
            {
                long g = n.GetInt("num_groups", 0);
                if (g <= 0 || c % g != 0) throw Unsupported(n, $"num_groups={g} must be positive and divide the {c} channels");
                groups = (int)g;
                perGroup = n.Opset < 21;
            }
            return (x[0], c, groups, OpUtil.Prod(x.Skip(2)), perGroup);
        }

        public override void Infer(Node n)
        {
            for (int i = 0; i < 3; i++) RequireTypes(n, i, DataType.Float);
            var l = Layout(n);
            long stash = n.GetInt("stash_type", 1);
            if (stash != 1) throw Unsupported(n, $"stash_type={stash} is not supported (1: float)");
            int expect = l.PerGroup ? l.Groups : l.Channels;
            for (int i = 1; i < 3; i++)
                if (Shapes.Size(ShapeOf(n, i)) != expect || ShapeOf(n, i).Length != 1)
                    throw Invalid(n, $"input {i} {Shapes.Format(ShapeOf(n, i))} must have {expect} values ({(l.PerGroup ? "one per group" : "one per channel")})");
            SetOutput(n, 0, DataType.Float, ShapeOf(n, 0));
        }

        public override TensorData[]? Fold(Node n)
        {
            var l = Layout(n);
            var x = In(n, 0).Constant!.ToFloats();
            var scale = In(n, 1).Constant!.ToFloats();
            var bias = In(n, 2).Constant!.ToFloats();
            float eps = n.GetFloat("epsilon", 1e-5f);
            int cg = l.Channels / l.Groups, len = cg * l.Spatial;
            var y = new float[x.Length];
            for (int r = 0; r < l.Batch * l.Groups; r++)
            {
                double m = 0, v = 0;
                for (int i = 0; i < len; i++) m += x[r * len + i];
                m /= len;
                for (int i = 0; i < len; i++) { double d = x[r * len + i] - m; v += d * d; }
                v /= len;
                float inv = (float)(1.0 / Math.Sqrt(v + eps)), mf = (float)m;
                int g = r % l.Groups;
                for (int i = 0; i < len; i++)
                {
                    int a = l.PerGroup ? g : g * cg + i / l.Spatial;
                    y[r * len + i] = (x[r * len + i] - mf) * (scale[a] * inv) + bias[a];
                }
            }
            return new[] { Reference.Float(ShapeOf(n, 0), y) };
        }

        public override string Describe(Node n)
        {
            var l = Layout(n);
            return $"{l.Groups} groups of {l.Channels / l.Groups} channels x {l.Spatial}";
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var l = Layout(n);
            float eps = n.GetFloat("epsilon", 1e-5f);
            ctx.W.Line($"{ctx.Kernel("Normalize")}.Groups({ctx.In(0)}, {ctx.Out(0)}, {ctx.In(1)}, {ctx.In(2)}, {l.Batch}, {l.Channels}, {l.Groups}, {l.Spatial}, " +
                $"{CodeWriter.Float(eps)}, {(l.PerGroup ? "true" : "false")});");
        }
    }

    /// <summary>LpNormalization (opsets 1, 22): x / ||x||_p along one axis (default -1), p = 1 or 2, float32.</summary>
    internal sealed class LpNormalization : Operator
    {
        public override string OpType => "LpNormalization";

        private (int Outer, int N, int Inner, int P) Layout(Node n)
        {
            var x = ShapeOf(n, 0);
            if (x.Length == 0) throw Invalid(n, "X must have rank >= 1");
            int axis = Shapes.Axis(n.GetInt("axis", -1), x.Length);
            long p = n.GetInt("p", 2);
            if (p != 1 && p != 2) throw Unsupported(n, $"p={p} is not supported (1 or 2)");
            return (OpUtil.Prod(x.Take(axis)), x[axis], OpUtil.Prod(x.Skip(axis + 1)), (int)p);
        }

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Float);
            Layout(n);
            SetOutput(n, 0, DataType.Float, ShapeOf(n, 0));
        }

        public override TensorData[]? Fold(Node n)
        {
            var (outer, len, inner, p) = Layout(n);
            var x = In(n, 0).Constant!.ToFloats();
            var y = new float[x.Length];
            for (int o = 0; o < outer; o++)
                for (int j = 0; j < inner; j++)
                {
                    int b = o * len * inner + j;
                    double s = 0;
                    for (int i = 0; i < len; i++) { double v = x[b + i * inner]; s += p == 1 ? Math.Abs(v) : v * v; }
                    float norm = (float)(p == 1 ? s : Math.Sqrt(s));
                    for (int i = 0; i < len; i++) y[b + i * inner] = norm == 0f ? 0f : x[b + i * inner] / norm;
                }
            return new[] { Reference.Float(ShapeOf(n, 0), y) };
        }

        public override void Emit(EmitContext ctx)
        {
            var (outer, len, inner, p) = Layout(ctx.Node);
            ctx.W.Line($"{ctx.Kernel("Normalize")}.Lp({ctx.In(0)}, {ctx.Out(0)}, {outer}, {len}, {inner}, {p});");
        }
    }
}
