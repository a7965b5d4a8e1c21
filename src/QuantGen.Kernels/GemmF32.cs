// quantgen-kernel-uses: Activation
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace QuantGen.Kernels
{
    /// <summary>
    /// Float32 GEMM: C[m,n] = sum_k A[m,k] * B[k,n] (+ bias) then an epilogue activation. Row-major with leading
    /// dimensions. Columns are processed in panels of 2 vectors so the B panel (K x 16 floats) stays in L1/L2 while
    /// every 4-row block of A passes over it. Accumulation order over k is the same on every path; the vector paths
    /// use FMA where the CPU has it, so they differ from the scalar path by rounding only.
    /// </summary>
    internal static class GemmF32
    {
        public const int BiasNone = 0, BiasPerRow = 1, BiasPerColumn = 2, Accumulate = 3;

        public static void Run(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
            Span<float> c, int ldc, ReadOnlySpan<float> bias, int biasKind, int act, float actA, float actB)
        {
            if (m == 0 || n == 0) return;
            if ((long)(m - 1) * lda + k > a.Length || (long)(k - 1) * ldb + n > b.Length && k > 0 || (long)(m - 1) * ldc + n > c.Length)
                throw new ArgumentException("GEMM operand too small");
            if (biasKind == BiasPerRow && bias.Length < m || biasKind == BiasPerColumn && bias.Length < n)
                throw new ArgumentException("GEMM bias too small");
            ref float pa = ref MemoryMarshal.GetReference(a);
            ref float pb = ref MemoryMarshal.GetReference(b);
            ref float pc = ref MemoryMarshal.GetReference(c);
            ref float pbias = ref MemoryMarshal.GetReference(bias);
            int j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; j <= n - 16; j += 16) Panel256x2(m, k, ref pa, lda, ref Unsafe.Add(ref pb, j), ldb, ref Unsafe.Add(ref pc, j), ldc, ref pbias, biasKind, j);
                for (; j <= n - 8; j += 8) Panel256x1(m, k, ref pa, lda, ref Unsafe.Add(ref pb, j), ldb, ref Unsafe.Add(ref pc, j), ldc, ref pbias, biasKind, j);
            }
            if (Vector128.IsHardwareAccelerated)
            {
                for (; j <= n - 8; j += 8) Panel128x2(m, k, ref pa, lda, ref Unsafe.Add(ref pb, j), ldb, ref Unsafe.Add(ref pc, j), ldc, ref pbias, biasKind, j);
                for (; j <= n - 4; j += 4) Panel128x1(m, k, ref pa, lda, ref Unsafe.Add(ref pb, j), ldb, ref Unsafe.Add(ref pc, j), ldc, ref pbias, biasKind, j);
            }
            for (; j < n; j++)
            {
                for (int i = 0; i < m; i++)
                {
                    float acc = Init(ref pc, i * ldc + j, ref pbias, biasKind, i, j);
                    for (int p = 0; p < k; p++) acc += Unsafe.Add(ref pa, i * lda + p) * Unsafe.Add(ref pb, p * ldb + j);
                    Unsafe.Add(ref pc, i * ldc + j) = acc;
                }
            }
            if (act != Activation.None)
                for (int i = 0; i < m; i++) Activation.Apply(c.Slice(i * ldc, n), act, actA, actB);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float Init(ref float pc, int at, ref float bias, int kind, int row, int col) => kind switch
        {
            BiasPerRow => Unsafe.Add(ref bias, row),
            BiasPerColumn => Unsafe.Add(ref bias, col),
            Accumulate => Unsafe.Add(ref pc, at),
            _ => 0f,
        };

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Init256(ref float pc, int at, ref float bias, int kind, int row, int col) => kind switch
        {
            BiasPerRow => Vector256.Create(Unsafe.Add(ref bias, row)),
            BiasPerColumn => Vector256.LoadUnsafe(ref bias, (nuint)col),
            Accumulate => Vector256.LoadUnsafe(ref pc, (nuint)at),
            _ => Vector256<float>.Zero,
        };

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<float> Init128(ref float pc, int at, ref float bias, int kind, int row, int col) => kind switch
        {
            BiasPerRow => Vector128.Create(Unsafe.Add(ref bias, row)),
            BiasPerColumn => Vector128.LoadUnsafe(ref bias, (nuint)col),
            Accumulate => Vector128.LoadUnsafe(ref pc, (nuint)at),
            _ => Vector128<float>.Zero,
        };

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Fma256(Vector256<float> acc, Vector256<float> x, Vector256<float> y) =>
            Fma.IsSupported ? Fma.MultiplyAdd(x, y, acc) : acc + x * y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<float> Fma128(Vector128<float> acc, Vector128<float> x, Vector128<float> y) =>
            AdvSimd.IsSupported ? AdvSimd.FusedMultiplyAdd(acc, x, y) : Fma.IsSupported ? Fma.MultiplyAdd(x, y, acc) : acc + x * y;

        private static void Panel256x2(int m, int k, ref float pa, int lda, ref float pb, int ldb, ref float pc, int ldc, ref float bias, int biasKind, int col)
        {
            int i = 0;
            for (; i <= m - 4; i += 4)
            {
                ref float a0 = ref Unsafe.Add(ref pa, i * lda);
                ref float a1 = ref Unsafe.Add(ref a0, lda);
                ref float a2 = ref Unsafe.Add(ref a1, lda);
                ref float a3 = ref Unsafe.Add(ref a2, lda);
                var c00 = Init256(ref pc, i * ldc, ref bias, biasKind, i, col); var c01 = Init256(ref pc, i * ldc + 8, ref bias, biasKind, i, col + 8);
                var c10 = Init256(ref pc, (i + 1) * ldc, ref bias, biasKind, i + 1, col); var c11 = Init256(ref pc, (i + 1) * ldc + 8, ref bias, biasKind, i + 1, col + 8);
                var c20 = Init256(ref pc, (i + 2) * ldc, ref bias, biasKind, i + 2, col); var c21 = Init256(ref pc, (i + 2) * ldc + 8, ref bias, biasKind, i + 2, col + 8);
                var c30 = Init256(ref pc, (i + 3) * ldc, ref bias, biasKind, i + 3, col); var c31 = Init256(ref pc, (i + 3) * ldc + 8, ref bias, biasKind, i + 3, col + 8);
                ref float bp = ref pb;
                for (int p = 0; p < k; p++)
                {
                    var b0 = Vector256.LoadUnsafe(ref bp);
                    var b1 = Vector256.LoadUnsafe(ref bp, 8);
                    var x = Vector256.Create(Unsafe.Add(ref a0, p)); c00 = Fma256(c00, x, b0); c01 = Fma256(c01, x, b1);
                    x = Vector256.Create(Unsafe.Add(ref a1, p)); c10 = Fma256(c10, x, b0); c11 = Fma256(c11, x, b1);
                    x = Vector256.Create(Unsafe.Add(ref a2, p)); c20 = Fma256(c20, x, b0); c21 = Fma256(c21, x, b1);
                    x = Vector256.Create(Unsafe.Add(ref a3, p)); c30 = Fma256(c30, x, b0); c31 = Fma256(c31, x, b1);
                    bp = ref Unsafe.Add(ref bp, ldb);
                }
                c00.StoreUnsafe(ref pc, (nuint)(i * ldc)); c01.StoreUnsafe(ref pc, (nuint)(i * ldc + 8));
                c10.StoreUnsafe(ref pc, (nuint)((i + 1) * ldc)); c11.StoreUnsafe(ref pc, (nuint)((i + 1) * ldc + 8));
                c20.StoreUnsafe(ref pc, (nuint)((i + 2) * ldc)); c21.StoreUnsafe(ref pc, (nuint)((i + 2) * ldc + 8));
                c30.StoreUnsafe(ref pc, (nuint)((i + 3) * ldc)); c31.StoreUnsafe(ref pc, (nuint)((i + 3) * ldc + 8));
            }
            for (; i < m; i++)
            {
                ref float a0 = ref Unsafe.Add(ref pa, i * lda);
                var c0 = Init256(ref pc, i * ldc, ref bias, biasKind, i, col); var c1 = Init256(ref pc, i * ldc + 8, ref bias, biasKind, i, col + 8);
                ref float bp = ref pb;
                for (int p = 0; p < k; p++)
                {
                    var x = Vector256.Create(Unsafe.Add(ref a0, p));
                    c0 = Fma256(c0, x, Vector256.LoadUnsafe(ref bp));
                    c1 = Fma256(c1, x, Vector256.LoadUnsafe(ref bp, 8));
                    bp = ref Unsafe.Add(ref bp, ldb);
                }
                c0.StoreUnsafe(ref pc, (nuint)(i * ldc)); c1.StoreUnsafe(ref pc, (nuint)(i * ldc + 8));
            }
        }

        private static void Panel256x1(int m, int k, ref float pa, int lda, ref float pb, int ldb, ref float pc, int ldc, ref float bias, int biasKind, int col)
        {
            for (int i = 0; i < m; i++)
            {
                ref float a0 = ref Unsafe.Add(ref pa, i * lda);
                var c0 = Init256(ref pc, i * ldc, ref bias, biasKind, i, col);
                ref float bp = ref pb;
                for (int p = 0; p < k; p++)
                {
                    c0 = Fma256(c0, Vector256.Create(Unsafe.Add(ref a0, p)), Vector256.LoadUnsafe(ref bp));
                    bp = ref Unsafe.Add(ref bp, ldb);
                }
                c0.StoreUnsafe(ref pc, (nuint)(i * ldc));
            }
        }

        private static void Panel128x2(int m, int k, ref float pa, int lda, ref float pb, int ldb, ref float pc, int ldc, ref float bias, int biasKind, int col)
        {
            for (int i = 0; i < m; i++)
            {
                ref float a0 = ref Unsafe.Add(ref pa, i * lda);
                var c0 = Init128(ref pc, i * ldc, ref bias, biasKind, i, col); var c1 = Init128(ref pc, i * ldc + 4, ref bias, biasKind, i, col + 4);
                ref float bp = ref pb;
                for (int p = 0; p < k; p++)
                {
                    var x = Vector128.Create(Unsafe.Add(ref a0, p));
                    c0 = Fma128(c0, x, Vector128.LoadUnsafe(ref bp));
                    c1 = Fma128(c1, x, Vector128.LoadUnsafe(ref bp, 4));
                    bp = ref Unsafe.Add(ref bp, ldb);
                }
                c0.StoreUnsafe(ref pc, (nuint)(i * ldc)); c1.StoreUnsafe(ref pc, (nuint)(i * ldc + 4));
            }
        }

        private static void Panel128x1(int m, int k, ref float pa, int lda, ref float pb, int ldb, ref float pc, int ldc, ref float bias, int biasKind, int col)
        {
            for (int i = 0; i < m; i++)
            {
                ref float a0 = ref Unsafe.Add(ref pa, i * lda);
                var c0 = Init128(ref pc, i * ldc, ref bias, biasKind, i, col);
                ref float bp = ref pb;
                for (int p = 0; p < k; p++)
                {
                    c0 = Fma128(c0, Vector128.Create(Unsafe.Add(ref a0, p)), Vector128.LoadUnsafe(ref bp));
                    bp = ref Unsafe.Add(ref bp, ldb);
                }
                c0.StoreUnsafe(ref pc, (nuint)(i * ldc));
            }
        }
    }
}
