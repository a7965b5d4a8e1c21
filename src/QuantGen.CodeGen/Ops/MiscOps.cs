using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// Less common ONNX ops: trigonometric and hyperbolic functions, Celu, Swish, Shrink, bitwise ops and BitShift,
    /// Hardmax, EyeLike, LRN, MeanVarianceNormalization, LpPool, GlobalLpPool, ReverseSequence, Det, Compress (constant
    /// condition), Col2Im, CenterCropPad and the Hann/Hamming/Blackman windows. Kernels: src/QuantGen.Kernels/Misc.cs.
    /// </summary>
    internal static class MiscOps
    {
        public static IEnumerable<Operator> Create() => new Operator[]
        {
            new FloatUnary("Tan", "TanOp", Math.Tan), new FloatUnary("Asin", "AsinOp", Math.Asin),
            new FloatUnary("Acos", "AcosOp", Math.Acos), new FloatUnary("Atan", "AtanOp", Math.Atan),
            new FloatUnary("Sinh", "SinhOp", Math.Sinh), new FloatUnary("Cosh", "CoshOp", Math.Cosh),
            new FloatUnary("Asinh", "AsinhOp", x => x < 0 ? -Math.Log(-x + Math.Sqrt(x * x + 1)) : Math.Log(x + Math.Sqrt(x * x + 1))),
            new FloatUnary("Acosh", "AcoshOp", x => Math.Log(x + Math.Sqrt(x * x - 1))),
            new FloatUnary("Atanh", "AtanhOp", x => 0.5 * Math.Log((1 + x) / (1 - x))),
            new FloatUnary("Celu", null, null), new FloatUnary("Swish", null, null),
            new Shrink(),
            new Bitwise("BitwiseAnd"), new Bitwise("BitwiseOr"), new Bitwise("BitwiseXor"), new Bitwise("BitShift"), new BitwiseNot(),
            new Hardmax(), new EyeLike(), new Lrn(), new MeanVarianceNormalization(), new LpPool(), new GlobalLpPool(),
            new ReverseSequence(), new Det(), new Compress(), new Col2Im(), new CenterCropPad(),
            new Window("HannWindow"), new Window("HammingWindow"), new Window("BlackmanWindow"),
        };

        internal static readonly DataType[] Integers = { DataType.Int8, DataType.UInt8, DataType.Int32, DataType.Int64 };
        internal static readonly DataType[] AllRuntime = { DataType.Float, DataType.Int64, DataType.Int32, DataType.Bool, DataType.UInt8, DataType.Int8 };

        internal static string K(string structName) => "global::QuantGen.Kernels." + structName;
    }

    /// <summary>Float32 element-wise functions: Tan ... Atanh (a kernel struct), Celu (alpha) and Swish (alpha).</summary>
    internal sealed class FloatUnary : Operator
    {
        private readonly string _op;
        private readonly string? _struct;
        private readonly Func<double, double>? _f;

        public FloatUnary(string op, string? kernelStruct, Func<double, double>? f) { _op = op; _struct = kernelStruct; _f = f; }

        public override string OpType => _op;

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Float);
            if (_op == "Celu" && n.GetFloat("alpha", 1f) == 0f) throw Unsupported(n, "alpha must not be 0");
            SetOutput(n, 0, DataType.Float, ShapeOf(n, 0));
        }

        private double Apply(Node n, float x)
        {
            float alpha = n.GetFloat("alpha", 1f);
            switch (_op)
            {
                case "Celu": return Math.Max(0, x) + Math.Min(0, alpha * (Math.Exp(x / (double)alpha) - 1));
                case "Swish": return x / (1 + Math.Exp(-(double)alpha * x));
                default: return _f!(x);
            }
        }

        public override TensorData[]? Fold(Node n)
        {
            var x = In(n, 0).Constant!.ToFloats();
            return new[] { new TensorData(DataType.Float, ShapeOf(n, 0), x.Select(v => (float)Apply(n, v)).ToArray()) };
        }

        public override void Emit(EmitContext ctx)
        {
            var misc = ctx.Kernel("Misc");
            if (_op == "Celu" || _op == "Swish")
                ctx.W.Line($"{misc}.{_op}({ctx.In(0)}, {ctx.Out(0)}, {CodeWriter.Float(ctx.Node.GetFloat("alpha", 1f))});");
            else
                ctx.W.Line($"{ctx.Kernel("Elementwise")}.Unary<{MiscOps.K(_struct!)}>({ctx.In(0)}, {ctx.Out(0)});");
        }
    }

    /// <summary>Shrink (bias, lambd) on float32 and integer tensors.</summary>
    internal sealed class Shrink : Operator
    {
        public override string OpType => "Shrink";

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Float, DataType.Int8, DataType.UInt8, DataType.Int32, DataType.Int64);
            SetOutput(n, 0, In(n, 0).Type, ShapeOf(n, 0));
        }

        public override TensorData[]? Fold(Node n)
        {
            var x = In(n, 0).Constant!;
            float bias = n.GetFloat("bias", 0f), lambd = n.GetFloat("lambd", 0.5f);
            var v = Enumerable.Range(0, x.Length).Select(i =>
            {
                double a = x.GetDouble(i);
                return a < -lambd ? a + bias : a > lambd ? a - bias : 0.0;
            }).ToArray();
            if (x.Type == DataType.Float) return new[] { new TensorData(DataType.Float, x.Shape, v.Select(d => (float)d).ToArray()) };
            return new[] { TensorData.FromDoubles(x.Type, x.Shape, v) };
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            ctx.W.Line($"{ctx.Kernel("Misc")}.Shrink<{ctx.Elem(In(n, 0).Type)}>({ctx.In(0)}, {ctx.Out(0)}, {CodeWriter.Float(n.GetFloat("bias", 0f))}, {CodeWriter.Float(n.GetFloat("lambd", 0.5f))});");
        }
    }

    /// <summary>BitwiseAnd/Or/Xor (integers, numpy broadcasting) and BitShift (unsigned: uint8 at run time; direction LEFT/RIGHT).</summary>
    internal sealed class Bitwise : Operator
    {
        private readonly string _op;
        public Bitwise(string op) { _op = op; }
        public override string OpType => _op;

        private static bool Left(Node n)
        {
            var dir = n.GetString("direction", "");
            if (dir != "LEFT" && dir != "RIGHT")
                throw new QgException(DiagnosticIds.UnsupportedAttribute, $"{n.Describe()}: direction must be LEFT or RIGHT (got '{dir}')");
            return dir == "LEFT";
        }

        public override void Infer(Node n)
        {
            if (_op == "BitShift") { RequireTypes(n, 0, DataType.UInt8); Left(n); }
            else RequireTypes(n, 0, MiscOps.Integers);
            if (In(n, 1).Type != In(n, 0).Type)
                throw new QgException(DiagnosticIds.UnsupportedType, $"{n.Describe()}: input 1 is {DataTypes.OnnxName(In(n, 1).Type)} but input 0 is {DataTypes.OnnxName(In(n, 0).Type)}");
            var shape = Shapes.Broadcast(ShapeOf(n, 0), ShapeOf(n, 1))
                ?? throw new QgException(DiagnosticIds.ShapeInference, $"{n.Describe()}: shapes {Shapes.Format(ShapeOf(n, 0))} and {Shapes.Format(ShapeOf(n, 1))} do not broadcast");
            SetOutput(n, 0, In(n, 0).Type, shape);
        }

        private long Apply(Node n, DataType t, long a, long b)
        {
            switch (_op)
            {
                case "BitwiseAnd": return a & b;
                case "BitwiseOr": return a | b;
                case "BitwiseXor": return a ^ b;
                default:
                    int bits = DataTypes.SizeOf(t) * 8;
                    if ((ulong)b >= (ulong)bits) return 0;
                    return Left(n) ? TensorData.WrapInteger(t, a << (int)b) : (long)((ulong)a >> (int)b);
            }
        }

        public override TensorData[]? Fold(Node n)
        {
            var a = In(n, 0).Constant!; var b = In(n, 1).Constant!;
            var outShape = n.Outputs[0].Shape!;
            var sa = Shapes.BroadcastStrides(a.Shape, outShape);
            var sb = Shapes.BroadcastStrides(b.Shape, outShape);
            int size = Shapes.Size(outShape);
            var r = new long[size];
            var idx = new int[outShape.Length];
            for (int i = 0; i < size; i++)
            {
                int oa = 0, ob = 0;
                for (int d = 0; d < idx.Length; d++) { oa += idx[d] * sa[d]; ob += idx[d] * sb[d]; }
                r[i] = Apply(n, a.Type, a.GetLong(oa), b.GetLong(ob));
                for (int d = idx.Length - 1; d >= 0; d--) { if (++idx[d] < outShape[d]) break; idx[d] = 0; }
            }
            return new[] { TensorData.FromLongs(a.Type, outShape, r) };
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var outShape = n.Outputs[0].Shape!;
            var cs = ctx.Elem(In(n, 0).Type);
            var (shape, st) = OpUtil.Collapse(outShape, Shapes.BroadcastStrides(ShapeOf(n, 0), outShape), Shapes.BroadcastStrides(ShapeOf(n, 1), outShape));
            string s = _op switch
            {
                "BitwiseAnd" => "BitAndOp", "BitwiseOr" => "BitOrOp", "BitwiseXor" => "BitXorOp",
                _ => Left(n) ? "ShiftLeftOp" : "ShiftRightOp",
            };
            ctx.Kernel("Misc");
            ctx.W.Line($"{ctx.Kernel("Broadcast")}.Binary<{cs}, {cs}, {MiscOps.K(s)}<{cs}>>({ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, {CodeWriter.Ints(shape)}, {CodeWriter.Ints(st[0])}, {CodeWriter.Ints(st[1])});");
        }
    }

    internal sealed class BitwiseNot : Operator
    {
        public override string OpType => "BitwiseNot";

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, MiscOps.Integers);
            SetOutput(n, 0, In(n, 0).Type, ShapeOf(n, 0));
        }

        public override TensorData[]? Fold(Node n)
        {
            var x = In(n, 0).Constant!;
            return new[] { TensorData.FromLongs(x.Type, x.Shape, x.ToLongs().Select(v => ~v).ToArray()) };
        }

        public override void Emit(EmitContext ctx) =>
            ctx.W.Line($"{ctx.Kernel("Misc")}.BitwiseNot<{ctx.Elem(ctx.InValue(0).Type)}>({ctx.In(0)}, {ctx.Out(0)});");
    }

    /// <summary>Hardmax: opset &lt; 13 coerces the input to 2-D at axis (default 1); opset 13+ works along axis (default -1).</summary>
    internal sealed class Hardmax : Operator
    {
        public override string OpType => "Hardmax";

        private static (int Outer, int N, int Inner) View(Node n)
        {
            var x = ShapeOf(n, 0);
            bool v13 = n.Opset >= 13;
            long raw = n.GetInt("axis", v13 ? -1 : 1);
            int axis;
            if (!v13 && raw == x.Length) axis = x.Length; // coerced to [prod(all), 1]
            else
            {
                try { axis = Shapes.Axis(raw, x.Length); }
                catch (ShapeException) { throw Unsupported(n, $"axis {raw} is out of range for rank {x.Length}"); }
            }
            int outer = OpUtil.Prod(x.Take(axis));
            if (!v13) return (outer, OpUtil.Prod(x.Skip(axis)), 1);
            return (outer, x[axis], OpUtil.Prod(x.Skip(axis + 1)));
        }

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Float);
            View(n);
            SetOutput(n, 0, DataType.Float, ShapeOf(n, 0));
        }

        public override TensorData[]? Fold(Node n)
        {
            var x = In(n, 0).Constant!.ToFloats();
            var (outer, len, inner) = View(n);
            var y = new float[x.Length];
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    int b = o * len * inner + i, best = 0;
                    for (int k = 1; k < len; k++) if (x[b + k * inner] > x[b + best * inner]) best = k;
                    if (len > 0) y[b + best * inner] = 1f;
                }
            return new[] { new TensorData(DataType.Float, ShapeOf(n, 0), y) };
        }

        public override void Emit(EmitContext ctx)
        {
            var (outer, len, inner) = View(ctx.Node);
            ctx.W.Line($"{ctx.Kernel("Misc")}.Hardmax({ctx.In(0)}, {ctx.Out(0)}, {outer}, {len}, {inner});");
        }
    }

    /// <summary>EyeLike (k, dtype): the output depends only on the input's static shape, so it is always a build-time constant.</summary>
    internal sealed class EyeLike : Operator
    {
        public override string OpType => "EyeLike";

        public override void Infer(Node n)
        {
            var x = ShapeOf(n, 0);
            if (x.Length != 2) throw Invalid(n, $"input {Shapes.Format(x)} must be 2-D");
            var t = n.Has("dtype") ? (DataType)n.GetInt("dtype", 1) : In(n, 0).Type;
            if (!DataTypes.IsConstantSupported(t) || t == DataType.String)
                throw new QgException(DiagnosticIds.UnsupportedType, $"{n.Describe()}: dtype {DataTypes.OnnxName(t)} is not supported");
            long k = n.GetInt("k", 0);
            var v = new long[x[0] * x[1]];
            for (int r = 0; r < x[0]; r++)
            {
                long c = r + k;
                if (c >= 0 && c < x[1]) v[r * x[1] + c] = 1;
            }
            var data = TensorData.FromLongs(t, x, v);
            var o = n.Outputs[0];
            o.Constant = data; o.Type = t; o.Shape = x; o.Producer = null;
        }

        public override void Emit(EmitContext ctx) => throw new InvalidOperationException("EyeLike is always folded");
    }

    /// <summary>LRN (size, alpha, beta, bias) across the channels of an N x C x D1 ... Dk tensor.</summary>
    internal sealed class Lrn : Operator
    {
        public override string OpType => "LRN";

        private static (int Size, float Alpha, float Beta, float Bias) Params(Node n)
        {
            if (!n.Has("size")) throw Invalid(n, "the size attribute is required");
            long size = n.GetInt("size", 0);
            if (size <= 0 || size > int.MaxValue) throw Unsupported(n, $"size {size} must be positive");
            return ((int)size, n.GetFloat("alpha", 1e-4f), n.GetFloat("beta", 0.75f), n.GetFloat("bias", 1f));
        }

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Float);
            var x = ShapeOf(n, 0);
            if (x.Length < 3) throw Invalid(n, $"input {Shapes.Format(x)} needs rank >= 3 (N x C x D1 ...)");
            Params(n);
            SetOutput(n, 0, DataType.Float, x);
        }

        public override TensorData[]? Fold(Node n)
        {
            var x = ShapeOf(n, 0);
            var v = In(n, 0).Constant!.ToFloats();
            var (size, alpha, beta, bias) = Params(n);
            int channels = x[1], spatial = OpUtil.Prod(x.Skip(2)), before = (size - 1) / 2, after = size - 1 - before;
            var y = new float[v.Length];
            for (int b = 0; b < x[0]; b++)
                for (int c = 0; c < channels; c++)
                    for (int s = 0; s < spatial; s++)
                    {
                        float sum = 0f;
                        for (int k = Math.Max(0, c - before); k <= Math.Min(channels - 1, c + after); k++) { float e = v[(b * channels + k) * spatial + s]; sum += e * e; }
                        int i = (b * channels + c) * spatial + s;
                        y[i] = (float)(v[i] / Math.Pow(bias + alpha / size * sum, beta));
                    }
            return new[] { new TensorData(DataType.Float, x, y) };
        }

        public override void Emit(EmitContext ctx)
        {
            var x = ShapeOf(ctx.Node, 0);
            var (size, alpha, beta, bias) = Params(ctx.Node);
            ctx.W.Line($"{ctx.Kernel("Misc")}.Lrn({ctx.In(0)}, {ctx.Out(0)}, {x[0]}, {x[1]}, {OpUtil.Prod(x.Skip(2))}, {size}, {CodeWriter.Float(alpha)}, {CodeWriter.Float(beta)}, {CodeWriter.Float(bias)});");
        }
    }

    /// <summary>MeanVarianceNormalization (axes, default [0, 2, 3]): (x - mean) / (std + 1e-9) over the axes.</summary>
    internal sealed class MeanVarianceNormalization : Operator
    {
        public override string OpType => "MeanVarianceNormalization";

        private static (int[] GroupStrides, int Groups, int GroupSize) Groups(Node n)
        {
            var x = ShapeOf(n, 0);
            var axes = n.GetInts("axes") ?? new long[] { 0, 2, 3 };
            var reduced = new bool[x.Length];
            foreach (var a in axes)
            {
                int ax;
                try { ax = Shapes.Axis(a, x.Length); }
                catch (ShapeException) { throw Unsupported(n, $"axis {a} is out of range for rank {x.Length}"); }
                if (reduced[ax]) throw Unsupported(n, $"axis {a} is listed twice");
                reduced[ax] = true;
            }
            var strides = new int[x.Length];
            int g = 1;
            for (int d = x.Length - 1; d >= 0; d--)
            {
                if (reduced[d]) continue;
                strides[d] = g; g *= x[d];
            }
            int size = OpUtil.Prod(x.Where((_, d) => reduced[d]));
            return (strides, g, size);
        }

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Float);
            Groups(n);
            SetOutput(n, 0, DataType.Float, ShapeOf(n, 0));
        }

        public override TensorData[]? Fold(Node n)
        {
            var x = ShapeOf(n, 0);
            var v = In(n, 0).Constant!.ToFloats();
            var (st, groups, size) = Groups(n);
            var sum = new double[groups]; var sq = new double[groups]; var gi = new int[v.Length];
            var idx = new int[x.Length];
            for (int i = 0; i < v.Length; i++)
            {
                int g = 0;
                for (int d = 0; d < x.Length; d++) g += idx[d] * st[d];
                gi[i] = g; sum[g] += v[i]; sq[g] += (double)v[i] * v[i];
                for (int d = x.Length - 1; d >= 0; d--) { if (++idx[d] < x[d]) break; idx[d] = 0; }
            }
            var y = new float[v.Length];
            for (int i = 0; i < v.Length; i++)
            {
                double mean = sum[gi[i]] / size;
                y[i] = (float)((v[i] - mean) / (Math.Sqrt(Math.Max(0, sq[gi[i]] / size - mean * mean)) + 1e-9));
            }
            return new[] { new TensorData(DataType.Float, x, y) };
        }

        public override long ScratchBytes(Node n) => 16L * Groups(n).Groups;

        public override void Emit(EmitContext ctx)
        {
            var (st, groups, size) = Groups(ctx.Node);
            ctx.W.Line($"{ctx.Kernel("Misc")}.MeanVarianceNormalization({ctx.In(0)}, {ctx.Out(0)}, {CodeWriter.Ints(ShapeOf(ctx.Node, 0))}, {CodeWriter.Ints(st)}, {groups}, {size}, {ctx.Scratch("double")});");
        }
    }

    internal static class LpNorm
    {
        /// <summary>p: a float attribute in opset 1, an int attribute from opset 2; default 2.</summary>
        public static float P(Node n)
        {
            if (!n.Attributes.TryGetValue("p", out var a)) return 2f;
            float p = a.Kind == AttributeKind.Float ? a.F : a.I;
            if (!(p > 0) || float.IsInfinity(p))
                throw new QgException(DiagnosticIds.UnsupportedAttribute, $"{n.Describe()}: p = {p} is not supported (must be positive and finite)");
            return p;
        }
    }

    /// <summary>LpPool (p; kernel_shape, strides, pads, auto_pad; dilations and ceil_mode from opset 18), 1-D to 3-D.</summary>
    internal sealed class LpPool : PoolBase
    {
        public override string OpType => "LpPool";

        public override void Infer(Node n)
        {
            LpNorm.P(n);
            if (n.Opset < 18 && (n.Has("dilations") || n.Has("ceil_mode")))
                throw Unsupported(n, "dilations and ceil_mode exist only from opset 18");
            base.Infer(n);
        }

        public override TensorData[]? Fold(Node n)
        {
            var g = Resolve(n);
            var x = In(n, 0).Constant!.ToFloats();
            double p = LpNorm.P(n);
            var y = new float[Shapes.Size(g.OutShape)];
            int o = 0;
            for (int pl = 0; pl < g.Planes; pl++)
                for (int z = 0; z < g.OD; z++)
                    for (int r = 0; r < g.OH; r++)
                        for (int c = 0; c < g.OW; c++)
                        {
                            double sum = 0;
                            for (int a = 0; a < g.KD; a++)
                                for (int b = 0; b < g.KH; b++)
                                    for (int e = 0; e < g.KW; e++)
                                    {
                                        int iz = z * g.SD - g.PadFront + a * g.DD, iy = r * g.SH - g.PadTop + b * g.DH, ix = c * g.SW - g.PadLeft + e * g.DW;
                                        if (iz < 0 || iz >= g.D || iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) continue;
                                        sum += Math.Pow(Math.Abs(x[((pl * g.D + iz) * g.H + iy) * g.W + ix]), p);
                                    }
                            y[o++] = (float)Math.Pow(sum, 1 / p);
                        }
            return new[] { new TensorData(DataType.Float, g.OutShape, y) };
        }

        public override void Emit(EmitContext ctx)
        {
            var g = Resolve(ctx.Node);
            ctx.W.Line($"{ctx.Kernel("Misc")}.LpPool({ctx.In(0)}, {ctx.Out(0)}, {g.Planes}, {g.D}, {g.H}, {g.W}, {g.OD}, {g.OH}, {g.OW}, {g.KD}, {g.KH}, {g.KW}, {g.SD}, {g.SH}, {g.SW}, {g.DD}, {g.DH}, {g.DW}, {g.PadFront}, {g.PadTop}, {g.PadLeft}, {CodeWriter.Float(LpNorm.P(ctx.Node))});");
        }
    }

    internal sealed class GlobalLpPool : Operator
    {
        public override string OpType => "GlobalLpPool";

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Float);
            LpNorm.P(n);
            var x = ShapeOf(n, 0);
            if (x.Length < 3) throw Invalid(n, $"input {Shapes.Format(x)} needs rank >= 3");
            SetOutput(n, 0, DataType.Float, x.Select((d, i) => i < 2 ? d : 1).ToArray());
        }

        public override TensorData[]? Fold(Node n)
        {
            var x = ShapeOf(n, 0);
            var v = In(n, 0).Constant!.ToFloats();
            double p = LpNorm.P(n);
            int planes = x[0] * x[1], size = OpUtil.Prod(x.Skip(2));
            var y = new float[planes];
            for (int pl = 0; pl < planes; pl++)
            {
                double sum = 0;
                for (int i = 0; i < size; i++) sum += Math.Pow(Math.Abs(v[pl * size + i]), p);
                y[pl] = (float)Math.Pow(sum, 1 / p);
            }
            return new[] { new TensorData(DataType.Float, n.Outputs[0].Shape!, y) };
        }

        public override void Emit(EmitContext ctx)
        {
            var x = ShapeOf(ctx.Node, 0);
            ctx.W.Line($"{ctx.Kernel("Misc")}.GlobalLpPool({ctx.In(0)}, {ctx.Out(0)}, {x[0] * x[1]}, {OpUtil.Prod(x.Skip(2))}, {CodeWriter.Float(LpNorm.P(ctx.Node))});");
        }
    }

    /// <summary>ReverseSequence (batch_axis, time_axis in {0, 1}); sequence_lens may be a run-time int64 tensor.</summary>
    internal sealed class ReverseSequence : Operator
    {
        public override string OpType => "ReverseSequence";

        private static (int Batch, int Time) Axes(Node n)
        {
            long b = n.GetInt("batch_axis", 1), t = n.GetInt("time_axis", 0);
            if ((b != 0 && b != 1) || (t != 0 && t != 1) || b == t)
                throw Unsupported(n, $"batch_axis {b} and time_axis {t} must be 0 and 1 in some order");
            return ((int)b, (int)t);
        }

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, MiscOps.AllRuntime);
            RequireTypes(n, 1, DataType.Int64);
            var x = ShapeOf(n, 0);
            if (x.Length < 2) throw Invalid(n, $"input {Shapes.Format(x)} needs rank >= 2");
            var (b, _) = Axes(n);
            var lens = ShapeOf(n, 1);
            if (lens.Length != 1 || lens[0] != x[b]) throw Invalid(n, $"sequence_lens {Shapes.Format(lens)} must be [{x[b]}]");
            SetOutput(n, 0, In(n, 0).Type, x);
        }

        public override TensorData[]? Fold(Node n)
        {
            var x = In(n, 0).Constant!;
            var lens = In(n, 1).Constant!.ToLongs();
            var shape = ShapeOf(n, 0);
            var (b, t) = Axes(n);
            int timeStride = OpUtil.Prod(shape.Skip(t + 1));
            var src = new int[x.Length];
            var idx = new int[shape.Length];
            for (int i = 0; i < x.Length; i++)
            {
                long len = lens[idx[b]];
                if (len < 0 || len > shape[t]) return null;
                int tt = idx[t];
                int dst = tt < len ? i + (int)(len - 1 - 2 * tt) * timeStride : i;
                src[dst] = i;
                for (int d = shape.Length - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
            }
            return new[] { x.Select(shape, src) };
        }

        public override void Emit(EmitContext ctx)
        {
            var (b, t) = Axes(ctx.Node);
            ctx.W.Line($"{ctx.Kernel("Misc")}.ReverseSequence<{ctx.Elem(ctx.InValue(0).Type)}>({ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, {CodeWriter.Ints(ShapeOf(ctx.Node, 0))}, {b}, {t});");
        }
    }

    /// <summary>Det of [*, M, M] float32 matrices.</summary>
    internal sealed class Det : Operator
    {
        public override string OpType => "Det";

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Float);
            var x = ShapeOf(n, 0);
            if (x.Length < 2 || x[x.Length - 1] != x[x.Length - 2]) throw Invalid(n, $"input {Shapes.Format(x)} must be [*, M, M]");
            SetOutput(n, 0, DataType.Float, x.Take(x.Length - 2).ToArray());
        }

        public override TensorData[]? Fold(Node n)
        {
            var x = ShapeOf(n, 0);
            var v = In(n, 0).Constant!.ToFloats();
            int m = x[x.Length - 1], count = OpUtil.Prod(x.Take(x.Length - 2));
            var y = new float[count];
            for (int b = 0; b < count; b++)
            {
                var a = new double[m * m];
                for (int i = 0; i < a.Length; i++) a[i] = v[b * m * m + i];
                double det = 1;
                for (int c = 0; c < m && det != 0; c++)
                {
                    int piv = c;
                    for (int r = c + 1; r < m; r++) if (Math.Abs(a[r * m + c]) > Math.Abs(a[piv * m + c])) piv = r;
                    if (a[piv * m + c] == 0) { det = 0; break; }
                    if (piv != c) { for (int k = 0; k < m; k++) { var t = a[c * m + k]; a[c * m + k] = a[piv * m + k]; a[piv * m + k] = t; } det = -det; }
                    det *= a[c * m + c];
                    for (int r = c + 1; r < m; r++)
                    {
                        double f = a[r * m + c] / a[c * m + c];
                        for (int k = c + 1; k < m; k++) a[r * m + k] -= f * a[c * m + k];
                    }
                }
                y[b] = (float)det;
            }
            return new[] { new TensorData(DataType.Float, n.Outputs[0].Shape!, y) };
        }

        public override long ScratchBytes(Node n) { var x = ShapeOf(n, 0); return 8L * x[x.Length - 1] * x[x.Length - 1]; }

        public override void Emit(EmitContext ctx)
        {
            var x = ShapeOf(ctx.Node, 0);
            int m = x[x.Length - 1];
            ctx.W.Line($"{ctx.Kernel("Misc")}.Det({ctx.In(0)}, {ctx.Out(0)}, {OpUtil.Prod(x.Take(x.Length - 2))}, {m}, {ctx.Scratch("double")});");
        }
    }

    /// <summary>Compress with a build-time condition (the output size depends on it): a selection of constant indices along axis.</summary>
    internal sealed class Compress : Operator
    {
        public override string OpType => "Compress";

        private static (int[] Indices, int Outer, int AxisLen, int Inner, int[] OutShape) Plan(Node n)
        {
            var x = ShapeOf(n, 0);
            var cond = ConstInput(n, 1, "condition");
            if (cond.Shape.Length != 1) throw Invalid(n, $"condition {Shapes.Format(cond.Shape)} must be 1-D");
            int outer, axisLen, inner;
            int axis = -1;
            if (n.Has("axis"))
            {
                try { axis = Shapes.Axis(n.GetInt("axis", 0), x.Length); }
                catch (ShapeException) { throw Unsupported(n, $"axis {n.GetInt("axis", 0)} is out of range for rank {x.Length}"); }
                outer = OpUtil.Prod(x.Take(axis)); axisLen = x[axis]; inner = OpUtil.Prod(x.Skip(axis + 1));
            }
            else { outer = 1; axisLen = Shapes.Size(x); inner = 1; }
            var idx = new List<int>();
            for (int i = 0; i < cond.Length; i++)
            {
                if (cond.GetDouble(i) == 0) continue;
                if (i >= axisLen) throw Invalid(n, $"condition selects position {i} but the axis has {axisLen} elements");
                idx.Add(i);
            }
            int[] outShape = axis < 0 ? new[] { idx.Count } : x.Select((d, i) => i == axis ? idx.Count : d).ToArray();
            return (idx.ToArray(), outer, axisLen, inner, outShape);
        }

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, MiscOps.AllRuntime);
            RequireTypes(n, 1, DataType.Bool);
            SetOutput(n, 0, In(n, 0).Type, Plan(n).OutShape);
        }

        public override TensorData[]? Fold(Node n)
        {
            var x = In(n, 0).Constant!;
            var (idx, outer, axisLen, inner, outShape) = Plan(n);
            var flat = new List<int>();
            for (int o = 0; o < outer; o++)
                foreach (var k in idx)
                    for (int i = 0; i < inner; i++) flat.Add((o * axisLen + k) * inner + i);
            return new[] { x.Select(outShape, flat.ToArray()) };
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var (idx, outer, axisLen, inner, _) = Plan(n);
            if (idx.Length == 0) return;
            var ic = ctx.Const(new TensorData(DataType.Int32, new[] { idx.Length }, idx.Select(i => (long)i).ToArray()), n.Name + " indices");
            ctx.W.Line($"{ctx.Kernel("Misc")}.SelectAxis<{ctx.Elem(ctx.InValue(0).Type)}>({ctx.In(0)}, {ic}, {ctx.Out(0)}, {outer}, {axisLen}, {inner});");
        }
    }

    /// <summary>Col2Im with build-time image_shape and block_shape (dilations, pads, strides), float32.</summary>
    internal sealed class Col2Im : Operator
    {
        public override string OpType => "Col2Im";

        private sealed class Geo
        {
            public int Batch, Channels;
            public int[] Image = Array.Empty<int>(), Block = Array.Empty<int>(), Blocks = Array.Empty<int>(), Strides = Array.Empty<int>(), Dilations = Array.Empty<int>(), PadBegin = Array.Empty<int>();
        }

        private static Geo Resolve(Node n)
        {
            var x = ShapeOf(n, 0);
            if (x.Length != 3) throw Invalid(n, $"input {Shapes.Format(x)} must be [N, C * prod(block_shape), L]");
            var image = ConstInput(n, 1, "image_shape").ToLongs();
            var block = ConstInput(n, 2, "block_shape").ToLongs();
            int r = image.Length;
            if (r == 0 || block.Length != r) throw Invalid(n, $"image_shape has {r} values and block_shape {block.Length}");
            if (image.Concat(block).Any(v => v <= 0 || v > OpUtil.MaxWindowExtent)) throw Unsupported(n, "image_shape and block_shape values must be in [1, 65536]");
            var g = new Geo
            {
                Batch = x[0], Image = image.Select(v => (int)v).ToArray(), Block = block.Select(v => (int)v).ToArray(),
                Strides = OpUtil.Ints(n, "strides", r, 1), Dilations = OpUtil.Ints(n, "dilations", r, 1),
            };
            var pads = OpUtil.Ints(n, "pads", 2 * r, 0);
            g.PadBegin = pads.Take(r).ToArray();
            g.Blocks = new int[r];
            for (int d = 0; d < r; d++)
            {
                var (o, _, _) = OpUtil.Window(n, "NOTSET", g.Image[d], g.Block[d], g.Strides[d], g.Dilations[d], pads[d], pads[d + r], false);
                g.Blocks[d] = o;
            }
            int blockSize = OpUtil.Prod(g.Block);
            if (x[1] % blockSize != 0) throw Invalid(n, $"input channels {x[1]} are not a multiple of prod(block_shape) = {blockSize}");
            g.Channels = x[1] / blockSize;
            if (OpUtil.Prod(g.Blocks) != x[2]) throw Invalid(n, $"input has {x[2]} blocks but the geometry gives {OpUtil.Prod(g.Blocks)}");
            return g;
        }

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Float);
            var g = Resolve(n);
            SetOutput(n, 0, DataType.Float, new[] { g.Batch, g.Channels }.Concat(g.Image).ToArray());
        }

        public override TensorData[]? Fold(Node n)
        {
            var g = Resolve(n);
            var x = In(n, 0).Constant!.ToFloats();
            int r = g.Image.Length, blockSize = OpUtil.Prod(g.Block), imageSize = OpUtil.Prod(g.Image), columns = OpUtil.Prod(g.Blocks);
            var y = new float[g.Batch * g.Channels * imageSize];
            var bi = new int[r]; var li = new int[r];
            for (int nc = 0; nc < g.Batch * g.Channels; nc++)
                for (int k = 0; k < blockSize; k++)
                {
                    int rem = k;
                    for (int d = r - 1; d >= 0; d--) { bi[d] = rem % g.Block[d]; rem /= g.Block[d]; }
                    for (int l = 0; l < columns; l++)
                    {
                        rem = l;
                        for (int d = r - 1; d >= 0; d--) { li[d] = rem % g.Blocks[d]; rem /= g.Blocks[d]; }
                        int dst = 0; bool inside = true;
                        for (int d = 0; d < r && inside; d++)
                        {
                            int p = li[d] * g.Strides[d] - g.PadBegin[d] + bi[d] * g.Dilations[d];
                            inside = p >= 0 && p < g.Image[d];
                            dst = dst * g.Image[d] + p;
                        }
                        if (inside) y[nc * imageSize + dst] += x[(nc * blockSize + k) * columns + l];
                    }
                }
            return new[] { new TensorData(DataType.Float, n.Outputs[0].Shape!, y) };
        }

        public override void Emit(EmitContext ctx)
        {
            var g = Resolve(ctx.Node);
            ctx.W.Line($"{ctx.Kernel("Misc")}.Col2Im({ctx.In(0)}, {ctx.Out(0)}, {g.Batch}, {g.Channels}, {CodeWriter.Ints(g.Image)}, {CodeWriter.Ints(g.Block)}, {CodeWriter.Ints(g.Blocks)}, {CodeWriter.Ints(g.Strides)}, {CodeWriter.Ints(g.Dilations)}, {CodeWriter.Ints(g.PadBegin)});");
        }
    }

    /// <summary>CenterCropPad (axes) with a build-time shape: crops or zero-pads each listed axis around its center.</summary>
    internal sealed class CenterCropPad : Operator
    {
        public override string OpType => "CenterCropPad";

        private static (int[] OutShape, int[] Offsets) Plan(Node n)
        {
            var x = ShapeOf(n, 0);
            var shape = ConstInput(n, 1, "shape").ToLongs();
            var axesRaw = n.GetInts("axes") ?? Enumerable.Range(0, x.Length).Select(i => (long)i).ToArray();
            if (shape.Length != axesRaw.Length) throw Invalid(n, $"shape has {shape.Length} values for {axesRaw.Length} axes");
            var outShape = (int[])x.Clone();
            var offsets = new int[x.Length];
            var seen = new bool[x.Length];
            for (int i = 0; i < axesRaw.Length; i++)
            {
                int a;
                try { a = Shapes.Axis(axesRaw[i], x.Length); }
                catch (ShapeException) { throw Unsupported(n, $"axis {axesRaw[i]} is out of range for rank {x.Length}"); }
                if (seen[a]) throw Unsupported(n, $"axis {axesRaw[i]} is listed twice");
                seen[a] = true;
                if (shape[i] < 0 || shape[i] > int.MaxValue) throw Invalid(n, $"shape value {shape[i]} is negative");
                int o = (int)shape[i];
                outShape[a] = o;
                offsets[a] = o <= x[a] ? (x[a] - o) / 2 : -((o - x[a]) / 2);
            }
            return (outShape, offsets);
        }

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, MiscOps.AllRuntime);
            SetOutput(n, 0, In(n, 0).Type, Plan(n).OutShape);
        }

        public override TensorData[]? Fold(Node n)
        {
            var x = In(n, 0).Constant!;
            var inShape = x.Shape;
            var (outShape, offsets) = Plan(n);
            int size = Shapes.Size(outShape);
            var idx = new int[outShape.Length];
            var vals = new double[size];
            for (int i = 0; i < size; i++)
            {
                int src = 0; bool inside = true;
                for (int d = 0; d < outShape.Length; d++)
                {
                    int s = idx[d] + offsets[d];
                    if (s < 0 || s >= inShape[d]) { inside = false; break; }
                    src = src * inShape[d] + s;
                }
                vals[i] = inside ? x.GetDouble(src) : 0;
                for (int d = outShape.Length - 1; d >= 0; d--) { if (++idx[d] < outShape[d]) break; idx[d] = 0; }
            }
            return new[] { x.IsFloating ? TensorData.FromDoubles(x.Type, outShape, vals) : TensorData.FromLongs(x.Type, outShape, vals.Select(v => (long)v).ToArray()) };
        }

        public override void Emit(EmitContext ctx)
        {
            var (outShape, offsets) = Plan(ctx.Node);
            if (Shapes.Size(outShape) == 0) return;
            ctx.W.Line($"{ctx.Kernel("Misc")}.CropPad<{ctx.Elem(ctx.InValue(0).Type)}>({ctx.In(0)}, {ctx.Out(0)}, {CodeWriter.Ints(ShapeOf(ctx.Node, 0))}, {CodeWriter.Ints(outShape)}, {CodeWriter.Ints(offsets)});");
        }
    }

    /// <summary>HannWindow, HammingWindow, BlackmanWindow (periodic, output_datatype): a build-time constant of a constant size.</summary>
    internal sealed class Window : Operator
    {
        private readonly string _op;
        public Window(string op) { _op = op; }
        public override string OpType => _op;

        public override void Infer(Node n)
        {
            var sizeT = ConstInput(n, 0, "size");
            if (sizeT.Length != 1) throw Invalid(n, "size must be a scalar");
            long size = sizeT.GetLong(0);
            if (size < 0 || size > 1 << 24) throw Unsupported(n, $"size {size} is not supported");
            var t = (DataType)n.GetInt("output_datatype", 1);
            if (!DataTypes.IsConstantSupported(t) || t == DataType.String || t == DataType.Bool)
                throw new QgException(DiagnosticIds.UnsupportedType, $"{n.Describe()}: output_datatype {DataTypes.OnnxName(t)} is not supported");
            bool periodic = n.GetInt("periodic", 1) != 0;
            double nn = periodic ? size : size - 1;
            var v = new double[size];
            for (int i = 0; i < size; i++)
            {
                double a = 2 * Math.PI * i / nn;
                v[i] = _op switch
                {
                    "HannWindow" => 0.5 - 0.5 * Math.Cos(a),
                    "HammingWindow" => 25.0 / 46 - (1 - 25.0 / 46) * Math.Cos(a),
                    _ => 0.42 - 0.5 * Math.Cos(a) + 0.08 * Math.Cos(2 * a),
                };
            }
            var data = TensorData.FromDoubles(t, new[] { (int)size }, v);
            var o = n.Outputs[0];
            o.Constant = data; o.Type = t; o.Shape = data.Shape; o.Producer = null;
        }

        public override void Emit(EmitContext ctx) => throw new InvalidOperationException(_op + " is always folded");
    }
}
