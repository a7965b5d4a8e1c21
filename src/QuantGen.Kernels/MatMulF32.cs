// quantgen-kernel-uses: GemmF32
using System;

namespace QuantGen.Kernels
{
    /// <summary>Batched float MatMul: for each batch entry b, Y[b] = A[aOffsets[b]..] (m x k) * B[bOffsets[b]..] (k x n) (+ bias over n).</summary>
    internal static class MatMulF32
    {
        public static void Batched(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, ReadOnlySpan<int> aOffsets, ReadOnlySpan<int> bOffsets,
            int m, int n, int k, ReadOnlySpan<float> bias, int act, float actA, float actB)
        {
            for (int i = 0; i < aOffsets.Length; i++)
                GemmF32.Run(m, n, k, a.Slice(aOffsets[i]), k, b.Slice(bOffsets[i]), n, y.Slice(i * m * n, m * n), n,
                    bias, bias.IsEmpty ? GemmF32.BiasNone : GemmF32.BiasPerColumn, act, actA, actB);
        }
    }
}
