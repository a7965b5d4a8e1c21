using System;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Graph.Quantization;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// ONNX Gemm: Y = alpha * A' * B' + beta * C with transA/transB and C broadcast (unidirectional) to [M, N].
    /// A constant B is transposed and scaled by alpha at build time; C becomes a per-column or per-row bias in the
    /// GEMM epilogue when it can, otherwise it is broadcast into Y first and accumulated.
    /// </summary>
    internal sealed class Gemm : Operator
    {
        public override string OpType => "Gemm";

        private static (int M, int N, int K) Dims(Node n)
        {
            var a = ShapeOf(n, 0);
            var b = ShapeOf(n, 1);
            if (a.Length != 2 || b.Length != 2) throw Invalid(n, $"A {Shapes.Format(a)} and B {Shapes.Format(b)} must be 2-D");
            bool ta = n.GetInt("transA", 0) != 0, tb = n.GetInt("transB", 0) != 0;
            int m = ta ? a[1] : a[0], k = ta ? a[0] : a[1];
            int kb = tb ? b[1] : b[0], nn = tb ? b[0] : b[1];
            if (k != kb) throw Invalid(n, $"inner dimensions differ: A' is {m}x{k}, B' is {kb}x{nn}");
            return (m, nn, k);
        }

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Float);
            RequireTypes(n, 1, DataType.Float);
            var (m, nn, _) = Dims(n);
            if (n.Input(2) is Value c)
            {
                RequireTypes(n, 2, DataType.Float);
                var bc = Shapes.Broadcast(new[] { m, nn }, c.Shape!);
                if (bc == null || bc[0] != m || bc[1] != nn) throw Invalid(n, $"C {Shapes.Format(c.Shape)} does not broadcast to [{m},{nn}]");
            }
            SetOutput(n, 0, DataType.Float, new[] { m, nn });
        }

        public override TensorData[]? Fold(Node n)
        {
            var (m, nn, k) = Dims(n);
            bool ta = n.GetInt("transA", 0) != 0, tb = n.GetInt("transB", 0) != 0;
            float alpha = n.GetFloat("alpha", 1f), beta = n.GetFloat("beta", 1f);
            var a = In(n, 0).Constant!.ToFloats();
            var b = In(n, 1).Constant!.ToFloats();
            var a2 = ta ? Enumerable.Range(0, m * k).Select(i => a[(i % k) * m + i / k]).ToArray() : a;
            var b2 = tb ? Enumerable.Range(0, k * nn).Select(i => b[(i % nn) * k + i / nn]).ToArray() : b;
            var y = Reference.MatMul(a2, b2, new[] { 0 }, new[] { 0 }, m, nn, k, null, null);
            var c = n.Input(2)?.Constant;
            var cIdx = c == null ? null : Transpose.StridedIndices(0, new[] { m, nn }, Shapes.BroadcastStrides(c.Shape, new[] { m, nn }));
            for (int i = 0; i < y.Length; i++)
                y[i] = Reference.Activate(n.FusedActivation, alpha * y[i] + (c == null ? 0f : beta * (float)c.GetDouble(cIdx![i])));
            return new[] { Reference.Float(new[] { m, nn }, y) };
        }

        public override bool AcceptsActivation(Node node) => true;

        public override long ScratchBytes(Node n)
        {
            var (m, nn, k) = Dims(n);
            if (n.Quantization?.Precision == Precision.Int8) return Int8.DenseScratchBytes(n, m, k);
            long s = 0;
            if (n.GetInt("transA", 0) != 0) s += 4L * m * k;
            if (!In(n, 1).IsConstant && (n.GetInt("transB", 0) != 0 || n.GetFloat("alpha", 1f) != 1f)) s += 4L * k * nn;
            return s;
        }

        public override string Describe(Node n)
        {
            var (m, nn, k) = Dims(n);
            return $"{m}x{k} * {k}x{nn}";
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var (m, nn, k) = Dims(n);
            bool ta = n.GetInt("transA", 0) != 0, tb = n.GetInt("transB", 0) != 0;
            float alpha = n.GetFloat("alpha", 1f), beta = n.GetFloat("beta", 1f);
            if (n.Quantization?.Precision == Precision.Int8)
            {
                // The planner quantizes a Gemm only with transA = 0, a constant B and C absent or one constant per column.
                var (packed, sums) = QuantizedWeights.PackDense(n.Quantization.Weights!, tb);
                string qbias = "ReadOnlySpan<float>.Empty";
                if (n.Input(2)?.Constant is TensorData c && beta != 0f)
                    qbias = ctx.Const(QuantizedWeights.Floats(Enumerable.Range(0, nn).Select(j => beta * (float)c.GetDouble(c.Length == 1 ? 0 : j)).ToArray()), $"{n.Input(2)!.Name} * beta");
                Int8.Emit(ctx, n.Quantization, packed, sums, qbias, Int8.Dense(ctx), "Run", $"{m}, {nn}, {k}", alpha);
                return;
            }
            var w = ctx.W;
            long scratchAt = 0;
            string a = ctx.In(0);
            if (ta)
            {
                a = ctx.Local("gemmA");
                w.Line($"var {a} = {ctx.Scratch("float")}.Slice(0, {m * k});");
                w.Line($"{ctx.Kernel("Tensor")}.StridedCopy<float>({ctx.In(0)}, 0, {a}, [{m}, {k}], [1, {m}]);");
                scratchAt = (long)m * k;
            }
            string b;
            var bv = ctx.InValue(1);
            if (bv.Constant != null)
            {
                var src = bv.Constant;
                var packed = new float[k * nn];
                for (int p = 0; p < k; p++)
                    for (int j = 0; j < nn; j++)
                        packed[p * nn + j] = alpha * (float)src.GetDouble(tb ? j * k + p : p * nn + j);
                b = ctx.Const(new TensorData(DataType.Float, new[] { k, nn }, packed), $"{bv.Name} as [K={k}, N={nn}]{(alpha != 1f ? " * alpha" : "")}");
            }
            else if (tb || alpha != 1f)
            {
                b = ctx.Local("gemmB");
                w.Line($"var {b} = {ctx.Scratch("float")}.Slice({scratchAt}, {k * nn});");
                if (tb) w.Line($"{ctx.Kernel("Tensor")}.StridedCopy<float>({ctx.In(1)}, 0, {b}, [{k}, {nn}], [1, {k}]);");
                else w.Line($"{ctx.In(1)}.CopyTo({b});");
                if (alpha != 1f)
                    w.Line($"{ctx.Kernel("Broadcast")}.BinaryVec<global::QuantGen.Kernels.MulF>({b}, [{CodeWriter.Float(alpha)}], {b}, [{k * nn}], [1], [0]);");
            }
            else b = ctx.In(1);

            string bias = "ReadOnlySpan<float>.Empty";
            string biasKind = "0";
            if (ctx.HasInput(2) && beta != 0f)
            {
                var cv = ctx.InValue(2);
                var cs = cv.Shape!;
                bool perColumn = cs.Length == 0 || cs.Length == 1 || (cs.Length == 2 && cs[0] == 1);
                bool perRow = cs.Length == 2 && cs[1] == 1 && cs[0] == m && m > 1;
                if (cv.Constant != null && (perColumn || perRow))
                {
                    int len = perRow ? m : nn;
                    var vals = new float[len];
                    for (int i = 0; i < len; i++) vals[i] = beta * (float)cv.Constant.GetDouble(cv.Constant.Length == 1 ? 0 : i);
                    bias = ctx.Const(new TensorData(DataType.Float, new[] { len }, vals), $"{cv.Name} * beta");
                    biasKind = perRow ? "1" : "2";
                }
                else
                {
                    // Y = beta * broadcast(C), then Y += A'B'.
                    var strides = Shapes.BroadcastStrides(cs, new[] { m, nn });
                    var (shape, st) = OpUtil.Collapse(new[] { m, nn }, strides);
                    w.Line($"{ctx.Kernel("Tensor")}.StridedCopy<float>({ctx.In(2)}, 0, {ctx.Out(0)}, {CodeWriter.Ints(shape)}, {CodeWriter.Ints(st[0])});");
                    if (beta != 1f)
                        w.Line($"{ctx.Kernel("Broadcast")}.BinaryVec<global::QuantGen.Kernels.MulF>({ctx.Out(0)}, [{CodeWriter.Float(beta)}], {ctx.Out(0)}, [{m * nn}], [1], [0]);");
                    biasKind = "3";
                }
            }
            w.Line($"{ctx.Kernel("GemmF32")}.Run({m}, {nn}, {k}, {a}, {k}, {b}, {nn}, {ctx.Out(0)}, {nn}, {bias}, {biasKind}, {ctx.ActivationArgs()});");
        }
    }
}
