using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>Transpose (default perm reverses the axes), as a strided copy with collapsed dimensions.</summary>
    internal sealed class Transpose : Operator
    {
        public override string OpType => "Transpose";

        private static int[] Perm(Node n, int rank)
        {
            var p = n.GetInts("perm");
            if (p == null || p.Length == 0) return Enumerable.Range(0, rank).Reverse().ToArray();
            if (p.Length != rank || p.Distinct().Count() != rank || p.Any(a => a < 0 || a >= rank))
                throw Invalid(n, $"perm [{string.Join(",", p)}] is not a permutation of {rank} axes");
            return p.Select(a => (int)a).ToArray();
        }

        public override void Infer(Node n)
        {
            var x = ShapeOf(n, 0);
            var perm = Perm(n, x.Length);
            SetOutput(n, 0, In(n, 0).Type, perm.Select(a => x[a]).ToArray());
        }

        public override TensorData[]? Fold(Node n)
        {
            var c = In(n, 0).Constant!;
            var (shape, strides) = Plan(n);
            return new[] { c.Select(n.Outputs[0].Shape!, StridedIndices(0, shape, strides)) };
        }

        private static (int[] Shape, int[] Strides) Plan(Node n)
        {
            var x = ShapeOf(n, 0);
            var perm = Perm(n, x.Length);
            var xs = Shapes.Strides(x);
            var (shape, st) = OpUtil.Collapse(perm.Select(a => x[a]).ToArray(), perm.Select(a => xs[a]).ToArray());
            return (shape, st[0]);
        }

        /// <summary>The flat source indices a strided copy reads, in output order (build-time twin of Tensor.StridedCopy).</summary>
        internal static int[] StridedIndices(int offset, int[] shape, int[] strides)
        {
            int size = OpUtil.Prod(shape);
            var r = new int[size];
            var idx = new int[shape.Length];
            for (int i = 0; i < size; i++)
            {
                int o = offset;
                for (int d = 0; d < shape.Length; d++) o += idx[d] * strides[d];
                r[i] = o;
                for (int d = shape.Length - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
            }
            return r;
        }

        public override void Emit(EmitContext ctx)
        {
            var (shape, strides) = Plan(ctx.Node);
            ctx.W.Line($"{ctx.Kernel("Tensor")}.StridedCopy<{ctx.Elem(ctx.InValue(0).Type)}>({ctx.In(0)}, 0, {ctx.Out(0)}, {CodeWriter.Ints(shape)}, {CodeWriter.Ints(strides)});");
        }
    }
}
