using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Graph.Quantization;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// ONNX MatMul with numpy semantics: 1-D operands promoted and squeezed, batch dimensions broadcast. A 2-D
    /// constant B turns the whole batch into one GEMM. The fusion pass may add a third input: a constant bias over
    /// the last axis (from a following Add), applied in the epilogue with any fused activation.
    /// </summary>
    internal sealed class MatMul : Operator
    {
        public override string OpType => "MatMul";

        internal sealed class Dims
        {
            public int M, N, K;
            public int[] Batch = Array.Empty<int>();
            public int[] AOffsets = Array.Empty<int>(), BOffsets = Array.Empty<int>();
            public int[] OutShape = Array.Empty<int>();
        }

        internal static Dims Resolve(Node n, int bInput = 1)
        {
            var a = ShapeOf(n, 0);
            var b = ShapeOf(n, bInput);
            if (a.Length == 0 || b.Length == 0) throw Invalid(n, "MatMul operands must have rank >= 1");
            var a2 = a.Length == 1 ? new[] { 1, a[0] } : a;
            var b2 = b.Length == 1 ? new[] { b[0], 1 } : b;
            int m = a2[a2.Length - 2], k = a2[a2.Length - 1], kb = b2[b2.Length - 2], nn = b2[b2.Length - 1];
            if (k != kb) throw Invalid(n, $"inner dimensions differ: {Shapes.Format(a)} x {Shapes.Format(b)}");
            var ab = a2.Take(a2.Length - 2).ToArray();
            var bb = b2.Take(b2.Length - 2).ToArray();
            var batch = Shapes.Broadcast(ab, bb) ?? throw Invalid(n, $"batch dimensions of {Shapes.Format(a)} and {Shapes.Format(b)} do not broadcast");
            var outShape = new List<int>(batch);
            if (a.Length > 1) outShape.Add(m);
            if (b.Length > 1) outShape.Add(nn);
            var d = new Dims { M = m, N = nn, K = k, Batch = batch, OutShape = outShape.ToArray() };
            int count = OpUtil.Prod(batch);
            var sa = Shapes.BroadcastStrides(ab, batch);
            var sb = Shapes.BroadcastStrides(bb, batch);
            d.AOffsets = new int[count];
            d.BOffsets = new int[count];
            var idx = new int[batch.Length];
            for (int i = 0; i < count; i++)
            {
                int oa = 0, ob = 0;
                for (int j = 0; j < batch.Length; j++) { oa += idx[j] * sa[j]; ob += idx[j] * sb[j]; }
                d.AOffsets[i] = oa * m * k;
                d.BOffsets[i] = ob * k * nn;
                for (int j = batch.Length - 1; j >= 0; j--) { if (++idx[j] < batch[j]) break; idx[j] = 0; }
            }
            return d;
        }

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.Float);
            RequireTypes(n, 1, DataType.Float);
            SetOutput(n, 0, DataType.Float, Resolve(n).OutShape);
        }

        public override TensorData[]? Fold(Node n)
        {
            var d = Resolve(n);
            var y = Reference.MatMul(In(n, 0).Constant!.ToFloats(), In(n, 1).Constant!.ToFloats(), d.AOffsets, d.BOffsets, d.M, d.N, d.K,
                n.Input(2)?.Constant?.ToFloats(), n.FusedActivation);
            return new[] { Reference.Float(d.OutShape, y) };
        }

        public override bool AcceptsActivation(Node n) => true;

        public override string Describe(Node n)
        {
            var d = Resolve(n);
            return $"{(d.Batch.Length > 0 ? Shapes.Format(d.Batch) + " x " : "")}{d.M}x{d.K} * {d.K}x{d.N}";
        }

        public override long ScratchBytes(Node n)
        {
            if (n.Quantization?.Precision != Precision.Int8) return 0;
            var d = Resolve(n);
            if (n.Quantization.Weights == null)
                return global::QuantGen.Kernels.Int8Layout.MatMulScratchBytes(Shapes.Size(ShapeOf(n, 0)), Shapes.Size(ShapeOf(n, 1)), d.K, d.N,
                    Shapes.Size(ShapeOf(n, 1)) / (d.K * d.N));
            return Int8.DenseScratchBytes(n, d.M * d.AOffsets.Length, d.K);
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var d = Resolve(n);
            if (n.Quantization?.Precision == Precision.Int8 && n.Quantization.Weights == null)
            {
                // Activation x activation: both sides quantized per call, B packed in the workspace.
                ctx.Kernel("ConvQ8");
                ctx.W.Line($"global::QuantGen.Kernels.MatMulQ8.Batched({ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, {CodeWriter.Ints(d.AOffsets)}, {CodeWriter.Ints(d.BOffsets)}, {d.M}, {d.N}, {d.K}, {ctx.ScratchBytes()});");
                return;
            }
            if (n.Quantization?.Precision == Precision.Int8)
            {
                // The planner quantizes a MatMul only with a constant 2-D B: all rows of A share it.
                var (packed, sums) = QuantizedWeights.PackDense(n.Quantization.Weights!, false);
                Int8.Emit(ctx, n.Quantization, packed, sums, ctx.HasInput(2) ? ctx.In(2) : "ReadOnlySpan<float>.Empty", Int8.Dense(ctx), "Run",
                    $"{d.M * d.AOffsets.Length}, {d.N}, {d.K}");
                return;
            }
            var bias = ctx.HasInput(2) ? ctx.In(2) : "ReadOnlySpan<float>.Empty";
            string biasKind = ctx.HasInput(2) ? "2" : "0";
            var bShape = ShapeOf(n, 1);
            bool sharedB = bShape.Length <= 2;
            bool contiguousA = d.AOffsets.Select((o, i) => o == i * d.M * d.K).All(x => x);
            if (sharedB && contiguousA)
            {
                // Every batch entry multiplies by the same B: one GEMM over all rows of A.
                int rows = d.M * d.AOffsets.Length;
                ctx.W.Line($"{ctx.Kernel("GemmF32")}.Run({rows}, {d.N}, {d.K}, {ctx.In(0)}, {d.K}, {ctx.In(1)}, {d.N}, {ctx.Out(0)}, {d.N}, {bias}, {biasKind}, {ctx.ActivationArgs()});");
                return;
            }
            ctx.W.Line($"{ctx.Kernel("MatMulF32")}.Batched({ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, {CodeWriter.Ints(d.AOffsets)}, {CodeWriter.Ints(d.BOffsets)}, {d.M}, {d.N}, {d.K}, {bias}, {ctx.ActivationArgs()});");
        }
    }
}
