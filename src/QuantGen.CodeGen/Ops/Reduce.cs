using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// ReduceMean/Max/Min/Sum/Prod/SumSquare/L1/L2/LogSum/LogSumExp on float32. Axes come from the attribute
    /// (before opset 18; ReduceSum before 13) or a constant input; keepdims and noop_with_empty_axes are honored.
    /// Contiguous axes reduce in place as [outer, n, inner]; other axis sets are first transposed to the end.
    /// </summary>
    internal sealed class Reduce : Operator
    {
        private readonly string _op;
        private readonly int _kind;
        public Reduce(string op, int kind) { _op = op; _kind = kind; }
        public override string OpType => _op;

        private int AxesInputOpset => _op == "ReduceSum" ? 13 : 18;

        private sealed class Plan
        {
            public int[] OutShape = Array.Empty<int>();
            public int[] Axes = Array.Empty<int>();
            public bool Identity;
            public bool Contiguous;
            public int Outer, N, Inner;
        }

        private Plan Resolve(Node n)
        {
            var x = ShapeOf(n, 0);
            var axes = OpUtil.Axes(n, 1, AxesInputOpset);
            bool keep = n.GetInt("keepdims", 1) != 0;
            bool noop = n.GetInt("noop_with_empty_axes", 0) != 0;
            var p = new Plan();
            if (axes == null || axes.Length == 0)
            {
                if (noop) { p.Identity = true; p.OutShape = x; return p; }
                p.Axes = Enumerable.Range(0, x.Length).ToArray();
            }
            else p.Axes = axes.Select(a => Shapes.Axis(a, x.Length)).Distinct().OrderBy(a => a).ToArray();
            p.OutShape = keep ? x.Select((d, i) => p.Axes.Contains(i) ? 1 : d).ToArray() : x.Where((d, i) => !p.Axes.Contains(i)).ToArray();
            p.Contiguous = p.Axes.Length == 0 || p.Axes[p.Axes.Length - 1] - p.Axes[0] + 1 == p.Axes.Length;
            if (p.Contiguous && p.Axes.Length > 0)
            {
                p.Outer = OpUtil.Prod(x.Take(p.Axes[0]));
                p.N = OpUtil.Prod(p.Axes.Select(a => x[a]));
                p.Inner = OpUtil.Prod(x.Skip(p.Axes[p.Axes.Length - 1] + 1));
            }
            else
            {
                p.Outer = OpUtil.Prod(x.Where((d, i) => !p.Axes.Contains(i)));
                p.N = OpUtil.Prod(p.Axes.Select(a => x[a]));
                p.Inner = 1;
            }
            return p;
        }

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Float);
            SetOutput(n, 0, DataType.Float, Resolve(n).OutShape);
        }

        public override TensorData[]? Fold(Node n)
        {
            var p = Resolve(n);
            var x = In(n, 0).Constant!.ToFloats();
            if (p.Identity) return new[] { Reference.Float(p.OutShape, x) };
            if (!p.Contiguous)
            {
                var shape = ShapeOf(n, 0);
                var perm = Enumerable.Range(0, shape.Length).Where(i => !p.Axes.Contains(i)).Concat(p.Axes).ToArray();
                var xs = Shapes.Strides(shape);
                var idx = Transpose.StridedIndices(0, perm.Select(a => shape[a]).ToArray(), perm.Select(a => xs[a]).ToArray());
                x = idx.Select(i => x[i]).ToArray();
            }
            return new[] { Reference.Float(p.OutShape, Reference.Reduce(x, p.Outer, p.N, p.Inner, _kind)) };
        }

        public override long ScratchBytes(Node n)
        {
            var p = Resolve(n);
            return p.Contiguous || p.Identity ? 0 : 4L * Shapes.Size(ShapeOf(n, 0));
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var p = Resolve(n);
            if (p.Identity) { ctx.W.Line($"{ctx.In(0)}.CopyTo({ctx.Out(0)});"); return; }
            string src = ctx.In(0);
            if (!p.Contiguous)
            {
                var x = ShapeOf(n, 0);
                var perm = Enumerable.Range(0, x.Length).Where(i => !p.Axes.Contains(i)).Concat(p.Axes).ToArray();
                var xs = Shapes.Strides(x);
                var (shape, st) = OpUtil.Collapse(perm.Select(a => x[a]).ToArray(), perm.Select(a => xs[a]).ToArray());
                var reduceIn = ctx.Local("reduceIn");
                ctx.W.Line($"var {reduceIn} = {ctx.Scratch("float")};");
                ctx.W.Line($"{ctx.Kernel("Tensor")}.StridedCopy<float>({src}, 0, {reduceIn}, {CodeWriter.Ints(shape)}, {CodeWriter.Ints(st[0])});");
                src = reduceIn;
            }
            ctx.W.Line($"{ctx.Kernel("Reduce")}.Run({src}, {ctx.Out(0)}, {p.Outer}, {p.N}, {p.Inner}, {_kind});");
        }

        public static Reduce[] Create() => new[]
        {
            new Reduce("ReduceSum", 0), new Reduce("ReduceMean", 1), new Reduce("ReduceMax", 2), new Reduce("ReduceMin", 3),
            new Reduce("ReduceProd", 4), new Reduce("ReduceSumSquare", 5), new Reduce("ReduceL1", 6), new Reduce("ReduceL2", 7),
            new Reduce("ReduceLogSum", 8), new Reduce("ReduceLogSumExp", 9),
        };
    }

    /// <summary>Softmax and LogSoftmax: before opset 13 the input is flattened to 2-D at axis (default 1); from 13 one axis (default -1).</summary>
    internal sealed class Softmax : Operator
    {
        private readonly bool _log;
        public Softmax(bool log) { _log = log; }
        public override string OpType => _log ? "LogSoftmax" : "Softmax";

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Float);
            var x = ShapeOf(n, 0);
            Shapes.Axis(n.GetInt("axis", n.Opset < 13 ? 1 : -1), Math.Max(1, x.Length));
            SetOutput(n, 0, DataType.Float, x);
        }

        private (int Outer, int Len, int Inner) Layout(Node n)
        {
            var x = ShapeOf(n, 0);
            int axis = Shapes.Axis(n.GetInt("axis", n.Opset < 13 ? 1 : -1), x.Length);
            int outer = OpUtil.Prod(x.Take(axis));
            return n.Opset < 13 ? (outer, OpUtil.Prod(x.Skip(axis)), 1) : (outer, x[axis], OpUtil.Prod(x.Skip(axis + 1)));
        }

        public override TensorData[]? Fold(Node n)
        {
            var x = In(n, 0).Constant!.ToFloats();
            if (x.Length == 1 && ShapeOf(n, 0).Length == 0) return new[] { Reference.Float(Array.Empty<int>(), new[] { _log ? 0f : 1f }) };
            var (outer, len, inner) = Layout(n);
            return new[] { Reference.Float(ShapeOf(n, 0), Reference.Softmax(x, outer, len, inner, _log)) };
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var x = ShapeOf(n, 0);
            if (x.Length == 0) { ctx.W.Line($"{ctx.Out(0)}[0] = {(_log ? "0f" : "1f")};"); return; }
            var (outer, len, inner) = Layout(n);
            ctx.W.Line($"{ctx.Kernel("Reduce")}.Softmax({ctx.In(0)}, {ctx.Out(0)}, {outer}, {len}, {inner}, {(_log ? "true" : "false")});");
        }
    }

    /// <summary>BatchNormalization in inference mode (one not folded into a preceding Conv).</summary>
    internal sealed class BatchNormalization : Operator
    {
        public override string OpType => "BatchNormalization";

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Float);
            if (n.GetInt("training_mode", 0) != 0) throw Unsupported(n, "training_mode=1 is not supported");
            var x = ShapeOf(n, 0);
            if (x.Length < 2) throw Invalid(n, $"input {Shapes.Format(x)} needs rank >= 2");
            for (int i = 1; i <= 4; i++) RequireTypes(n, i, DataType.Float);
            for (int i = 1; i <= 4; i++)
                if (Shapes.Size(ShapeOf(n, i)) != x[1]) throw Invalid(n, $"input {i} has {Shapes.Size(ShapeOf(n, i))} values for {x[1]} channels");
            for (int i = 1; i < n.Outputs.Count; i++)
                if (!n.Outputs[i].Name.Contains("__unused")) throw Unsupported(n, "training outputs (running mean/var) are not supported");
            SetOutput(n, 0, DataType.Float, x);
        }

        public override TensorData[]? Fold(Node n)
        {
            var x = ShapeOf(n, 0);
            var v = In(n, 0).Constant!.ToFloats();
            var scale = In(n, 1).Constant!.ToFloats(); var bias = In(n, 2).Constant!.ToFloats();
            var mean = In(n, 3).Constant!.ToFloats(); var variance = In(n, 4).Constant!.ToFloats();
            float eps = n.GetFloat("epsilon", 1e-5f);
            int spatial = OpUtil.Prod(x.Skip(2));
            var y = new float[v.Length];
            for (int i = 0; i < v.Length; i++)
            {
                int c = i / spatial % x[1];
                float s = scale[c] / (float)Math.Sqrt(variance[c] + eps);
                y[i] = v[i] * s + (bias[c] - mean[c] * s);
            }
            return new[] { Reference.Float(x, y) };
        }

        public override void Emit(EmitContext ctx)
        {
            var x = ShapeOf(ctx.Node, 0);
            float eps = ctx.Node.GetFloat("epsilon", 1e-5f);
            ctx.W.Line($"{ctx.Kernel("Reduce")}.BatchNorm({ctx.In(0)}, {ctx.Out(0)}, {ctx.In(1)}, {ctx.In(2)}, {ctx.In(3)}, {ctx.In(4)}, {CodeWriter.Float(eps)}, {x[0]}, {x[1]}, {OpUtil.Prod(x.Skip(2))});");
        }
    }
}
