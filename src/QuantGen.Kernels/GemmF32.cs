// quantgen-kernel-uses: Activation
using System;
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace QuantGen.Kernels
{
    /// <summary>
    /// Float32 GEMM: C[m,n] = sum_k A[m,k] * B[k,n] (+ bias) then an epilogue activation. Row-major with leading
    /// dimensions. Columns are processed in panels of 2 vectors (8 x 32 tiles with AVX-512, 6 x 16 with AVX), K in blocks of
    /// <see cref="KC"/>; the last 1-7 columns go through a zero-padded 8-column panel. Every element of C is one chain of
    /// multiply-adds over k in order, fused wherever the CPU has FMA (x64 with FMA, arm64), on every path and tile shape, so
    /// results are the same bits on x64 and arm64; only a CPU without FMA rounds each product (the plain scalar path).
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
            // K in blocks of KC: a B panel block (KC x 32 floats) stays in L1 and an A block in L2 while the tiles pass over
            // them. A later block continues each C element's FMA chain from the stored value (Accumulate), so the result is
            // the same as one pass over k.
            if (k == 0) Block(m, n, 0, ref pa, lda, ref pb, ldb, ref pc, ldc, ref pbias, biasKind);
            for (int p0 = 0; p0 < k; p0 += KC)
                Block(m, n, Math.Min(KC, k - p0), ref Unsafe.Add(ref pa, p0), lda, ref Unsafe.Add(ref pb, (nint)p0 * ldb), ldb, ref pc, ldc, ref pbias,
                    p0 == 0 ? biasKind : Accumulate);
            if (act != Activation.None)
                for (int i = 0; i < m; i++) Activation.Apply(c.Slice(i * ldc, n), act, actA, actB);
        }

        /// <summary>Depth of a K block (<see cref="Run"/>).</summary>
        private const int KC = 256;

        private static void Block(int m, int n, int k, ref float pa, int lda, ref float pb, int ldb, ref float pc, int ldc, ref float pbias, int biasKind)
        {
            int j = 0;
            if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
                for (; j <= n - 32; j += 32) Panel512x2(m, k, ref pa, lda, ref Unsafe.Add(ref pb, j), ldb, ref Unsafe.Add(ref pc, j), ldc, ref pbias, biasKind, j);
            if (Vector256.IsHardwareAccelerated)
            {
                for (; j <= n - 16; j += 16) Panel256x2(m, k, ref pa, lda, ref Unsafe.Add(ref pb, j), ldb, ref Unsafe.Add(ref pc, j), ldc, ref pbias, biasKind, j);
                for (; j <= n - 8; j += 8) Panel256x1(m, k, ref pa, lda, ref Unsafe.Add(ref pb, j), ldb, ref Unsafe.Add(ref pc, j), ldc, ref pbias, biasKind, j);
            }
            if (Vector256.IsHardwareAccelerated && j < n && k > 0)
            {
                // The last 1-7 columns: copied into a zero-padded 8-column panel (and bias), run as one 8-wide panel, copied back.
                int rest = n - j;
                float[] bt = ArrayPool<float>.Shared.Rent(k * 8), ct = ArrayPool<float>.Shared.Rent(m * 8);
                Span<float> bb = stackalloc float[8];
                try
                {
                    for (int p = 0; p < k; p++)
                        for (int t = 0; t < 8; t++) bt[p * 8 + t] = t < rest ? Unsafe.Add(ref pb, p * ldb + j + t) : 0f;
                    for (int i = 0; i < m; i++)
                        for (int t = 0; t < 8; t++) ct[i * 8 + t] = biasKind == Accumulate && t < rest ? Unsafe.Add(ref pc, i * ldc + j + t) : 0f;
                    for (int t = 0; t < 8; t++) bb[t] = biasKind == BiasPerColumn && t < rest ? Unsafe.Add(ref pbias, j + t) : 0f;
                    ref float tb = ref biasKind == BiasPerColumn ? ref MemoryMarshal.GetReference(bb) : ref pbias;
                    Panel256x1(m, k, ref pa, lda, ref bt[0], 8, ref ct[0], 8, ref tb, biasKind, 0);
                    for (int i = 0; i < m; i++)
                        for (int t = 0; t < rest; t++) Unsafe.Add(ref pc, i * ldc + j + t) = ct[i * 8 + t];
                }
                finally
                {
                    ArrayPool<float>.Shared.Return(bt);
                    ArrayPool<float>.Shared.Return(ct);
                }
                j = n;
            }
            if (Vector128.IsHardwareAccelerated)
            {
                for (; j <= n - 8; j += 8) Panel128x2(m, k, ref pa, lda, ref Unsafe.Add(ref pb, j), ldb, ref Unsafe.Add(ref pc, j), ldc, ref pbias, biasKind, j);
                for (; j <= n - 4; j += 4) Panel128x1(m, k, ref pa, lda, ref Unsafe.Add(ref pb, j), ldb, ref Unsafe.Add(ref pc, j), ldc, ref pbias, biasKind, j);
            }
            // Columns left to scalar code: fused like the vector paths wherever they are fused, so every element of C has the
            // same bits on x64 and arm64.
            bool fused = Fma.IsSupported || AdvSimd.IsSupported;
            for (; j < n; j++)
            {
                for (int i = 0; i < m; i++)
                {
                    float acc = Init(ref pc, i * ldc + j, ref pbias, biasKind, i, j);
                    for (int p = 0; p < k; p++)
                    {
                        float x = Unsafe.Add(ref pa, i * lda + p), y = Unsafe.Add(ref pb, p * ldb + j);
                        acc = fused ? MathF.FusedMultiplyAdd(x, y, acc) : acc + x * y;
                    }
                    Unsafe.Add(ref pc, i * ldc + j) = acc;
                }
            }
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
        private static Vector512<float> Init512(ref float pc, int at, ref float bias, int kind, int row, int col) => kind switch
        {
            BiasPerRow => Vector512.Create(Unsafe.Add(ref bias, row)),
            BiasPerColumn => Vector512.LoadUnsafe(ref bias, (nuint)col),
            Accumulate => Vector512.LoadUnsafe(ref pc, (nuint)at),
            _ => Vector512<float>.Zero,
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

        /// <summary>
        /// 32-column panels with AVX-512: 8 x 32 register tiles (16 zmm accumulators, two B vectors and a broadcast per k),
        /// then single rows. Each C element is still one FMA chain over k in order, so the result equals the 256-bit path's.
        /// </summary>
        private static void Panel512x2(int m, int k, ref float pa, int lda, ref float pb, int ldb, ref float pc, int ldc, ref float bias, int biasKind, int col)
        {
            int i = 0;
            for (; i <= m - 8; i += 8)
            {
                ref float a0 = ref Unsafe.Add(ref pa, i * lda);
                nint l1 = lda, l2 = 2 * (nint)lda, l3 = 3 * (nint)lda, l4 = 4 * (nint)lda, l5 = 5 * (nint)lda, l6 = 6 * (nint)lda, l7 = 7 * (nint)lda;
                var c00 = Init512(ref pc, i * ldc, ref bias, biasKind, i, col); var c01 = Init512(ref pc, i * ldc + 16, ref bias, biasKind, i, col + 16);
                var c10 = Init512(ref pc, (i + 1) * ldc, ref bias, biasKind, i + 1, col); var c11 = Init512(ref pc, (i + 1) * ldc + 16, ref bias, biasKind, i + 1, col + 16);
                var c20 = Init512(ref pc, (i + 2) * ldc, ref bias, biasKind, i + 2, col); var c21 = Init512(ref pc, (i + 2) * ldc + 16, ref bias, biasKind, i + 2, col + 16);
                var c30 = Init512(ref pc, (i + 3) * ldc, ref bias, biasKind, i + 3, col); var c31 = Init512(ref pc, (i + 3) * ldc + 16, ref bias, biasKind, i + 3, col + 16);
                var c40 = Init512(ref pc, (i + 4) * ldc, ref bias, biasKind, i + 4, col); var c41 = Init512(ref pc, (i + 4) * ldc + 16, ref bias, biasKind, i + 4, col + 16);
                var c50 = Init512(ref pc, (i + 5) * ldc, ref bias, biasKind, i + 5, col); var c51 = Init512(ref pc, (i + 5) * ldc + 16, ref bias, biasKind, i + 5, col + 16);
                var c60 = Init512(ref pc, (i + 6) * ldc, ref bias, biasKind, i + 6, col); var c61 = Init512(ref pc, (i + 6) * ldc + 16, ref bias, biasKind, i + 6, col + 16);
                var c70 = Init512(ref pc, (i + 7) * ldc, ref bias, biasKind, i + 7, col); var c71 = Init512(ref pc, (i + 7) * ldc + 16, ref bias, biasKind, i + 7, col + 16);
                ref float bp = ref pb;
                ref float ap = ref a0;
                for (int p = 0; p < k; p++)
                {
                    var b0 = Vector512.LoadUnsafe(ref bp);
                    var b1 = Vector512.LoadUnsafe(ref bp, 16);
                    var x = Vector512.Create(ap); c00 = Avx512F.FusedMultiplyAdd(x, b0, c00); c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
                    x = Vector512.Create(Unsafe.Add(ref ap, l1)); c10 = Avx512F.FusedMultiplyAdd(x, b0, c10); c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
                    x = Vector512.Create(Unsafe.Add(ref ap, l2)); c20 = Avx512F.FusedMultiplyAdd(x, b0, c20); c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
                    x = Vector512.Create(Unsafe.Add(ref ap, l3)); c30 = Avx512F.FusedMultiplyAdd(x, b0, c30); c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
                    x = Vector512.Create(Unsafe.Add(ref ap, l4)); c40 = Avx512F.FusedMultiplyAdd(x, b0, c40); c41 = Avx512F.FusedMultiplyAdd(x, b1, c41);
                    x = Vector512.Create(Unsafe.Add(ref ap, l5)); c50 = Avx512F.FusedMultiplyAdd(x, b0, c50); c51 = Avx512F.FusedMultiplyAdd(x, b1, c51);
                    x = Vector512.Create(Unsafe.Add(ref ap, l6)); c60 = Avx512F.FusedMultiplyAdd(x, b0, c60); c61 = Avx512F.FusedMultiplyAdd(x, b1, c61);
                    x = Vector512.Create(Unsafe.Add(ref ap, l7)); c70 = Avx512F.FusedMultiplyAdd(x, b0, c70); c71 = Avx512F.FusedMultiplyAdd(x, b1, c71);
                    bp = ref Unsafe.Add(ref bp, ldb);
                    ap = ref Unsafe.Add(ref ap, 1);
                }
                c00.StoreUnsafe(ref pc, (nuint)(i * ldc)); c01.StoreUnsafe(ref pc, (nuint)(i * ldc + 16));
                c10.StoreUnsafe(ref pc, (nuint)((i + 1) * ldc)); c11.StoreUnsafe(ref pc, (nuint)((i + 1) * ldc + 16));
                c20.StoreUnsafe(ref pc, (nuint)((i + 2) * ldc)); c21.StoreUnsafe(ref pc, (nuint)((i + 2) * ldc + 16));
                c30.StoreUnsafe(ref pc, (nuint)((i + 3) * ldc)); c31.StoreUnsafe(ref pc, (nuint)((i + 3) * ldc + 16));
                c40.StoreUnsafe(ref pc, (nuint)((i + 4) * ldc)); c41.StoreUnsafe(ref pc, (nuint)((i + 4) * ldc + 16));
                c50.StoreUnsafe(ref pc, (nuint)((i + 5) * ldc)); c51.StoreUnsafe(ref pc, (nuint)((i + 5) * ldc + 16));
                c60.StoreUnsafe(ref pc, (nuint)((i + 6) * ldc)); c61.StoreUnsafe(ref pc, (nuint)((i + 6) * ldc + 16));
                c70.StoreUnsafe(ref pc, (nuint)((i + 7) * ldc)); c71.StoreUnsafe(ref pc, (nuint)((i + 7) * ldc + 16));
            }
            // The rest (1-7 rows) in 4- and 2-row tiles (as in Panel256x2).
            if (i <= m - 4)
            {
                ref float ap = ref Unsafe.Add(ref pa, i * lda);
                nint l1 = lda, l2 = 2 * (nint)lda, l3 = 3 * (nint)lda;
                var c00 = Init512(ref pc, i * ldc, ref bias, biasKind, i, col); var c01 = Init512(ref pc, i * ldc + 16, ref bias, biasKind, i, col + 16);
                var c10 = Init512(ref pc, (i + 1) * ldc, ref bias, biasKind, i + 1, col); var c11 = Init512(ref pc, (i + 1) * ldc + 16, ref bias, biasKind, i + 1, col + 16);
                var c20 = Init512(ref pc, (i + 2) * ldc, ref bias, biasKind, i + 2, col); var c21 = Init512(ref pc, (i + 2) * ldc + 16, ref bias, biasKind, i + 2, col + 16);
                var c30 = Init512(ref pc, (i + 3) * ldc, ref bias, biasKind, i + 3, col); var c31 = Init512(ref pc, (i + 3) * ldc + 16, ref bias, biasKind, i + 3, col + 16);
                ref float bp = ref pb;
                for (int p = 0; p < k; p++)
                {
                    var b0 = Vector512.LoadUnsafe(ref bp);
                    var b1 = Vector512.LoadUnsafe(ref bp, 16);
                    var x = Vector512.Create(ap); c00 = Avx512F.FusedMultiplyAdd(x, b0, c00); c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
                    x = Vector512.Create(Unsafe.Add(ref ap, l1)); c10 = Avx512F.FusedMultiplyAdd(x, b0, c10); c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
                    x = Vector512.Create(Unsafe.Add(ref ap, l2)); c20 = Avx512F.FusedMultiplyAdd(x, b0, c20); c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
                    x = Vector512.Create(Unsafe.Add(ref ap, l3)); c30 = Avx512F.FusedMultiplyAdd(x, b0, c30); c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
                    bp = ref Unsafe.Add(ref bp, ldb);
                    ap = ref Unsafe.Add(ref ap, 1);
                }
                c00.StoreUnsafe(ref pc, (nuint)(i * ldc)); c01.StoreUnsafe(ref pc, (nuint)(i * ldc + 16));
                c10.StoreUnsafe(ref pc, (nuint)((i + 1) * ldc)); c11.StoreUnsafe(ref pc, (nuint)((i + 1) * ldc + 16));
                c20.StoreUnsafe(ref pc, (nuint)((i + 2) * ldc)); c21.StoreUnsafe(ref pc, (nuint)((i + 2) * ldc + 16));
                c30.StoreUnsafe(ref pc, (nuint)((i + 3) * ldc)); c31.StoreUnsafe(ref pc, (nuint)((i + 3) * ldc + 16));
                i += 4;
            }
            if (i <= m - 2)
            {
                ref float ap = ref Unsafe.Add(ref pa, i * lda);
                nint l1 = lda;
                var c00 = Init512(ref pc, i * ldc, ref bias, biasKind, i, col); var c01 = Init512(ref pc, i * ldc + 16, ref bias, biasKind, i, col + 16);
                var c10 = Init512(ref pc, (i + 1) * ldc, ref bias, biasKind, i + 1, col); var c11 = Init512(ref pc, (i + 1) * ldc + 16, ref bias, biasKind, i + 1, col + 16);
                ref float bp = ref pb;
                for (int p = 0; p < k; p++)
                {
                    var b0 = Vector512.LoadUnsafe(ref bp);
                    var b1 = Vector512.LoadUnsafe(ref bp, 16);
                    var x = Vector512.Create(ap); c00 = Avx512F.FusedMultiplyAdd(x, b0, c00); c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
                    x = Vector512.Create(Unsafe.Add(ref ap, l1)); c10 = Avx512F.FusedMultiplyAdd(x, b0, c10); c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
                    bp = ref Unsafe.Add(ref bp, ldb);
                    ap = ref Unsafe.Add(ref ap, 1);
                }
                c00.StoreUnsafe(ref pc, (nuint)(i * ldc)); c01.StoreUnsafe(ref pc, (nuint)(i * ldc + 16));
                c10.StoreUnsafe(ref pc, (nuint)((i + 1) * ldc)); c11.StoreUnsafe(ref pc, (nuint)((i + 1) * ldc + 16));
                i += 2;
            }
            for (; i < m; i++)
            {
                ref float a0 = ref Unsafe.Add(ref pa, i * lda);
                var c0 = Init512(ref pc, i * ldc, ref bias, biasKind, i, col); var c1 = Init512(ref pc, i * ldc + 16, ref bias, biasKind, i, col + 16);
                ref float bp = ref pb;
                for (int p = 0; p < k; p++)
                {
                    var x = Vector512.Create(Unsafe.Add(ref a0, p));
                    c0 = Avx512F.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref bp), c0);
                    c1 = Avx512F.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref bp, 16), c1);
                    bp = ref Unsafe.Add(ref bp, ldb);
                }
                c0.StoreUnsafe(ref pc, (nuint)(i * ldc)); c1.StoreUnsafe(ref pc, (nuint)(i * ldc + 16));
            }
        }

        private static void Panel256x2(int m, int k, ref float pa, int lda, ref float pb, int ldb, ref float pc, int ldc, ref float bias, int biasKind, int col)
        {
            int i = 0;
            // 6 x 16 register tiles: 12 ymm accumulators, two B vectors and a broadcast (the 16 registers VEX encoding reaches).
            for (; i <= m - 6; i += 6)
            {
                ref float ap = ref Unsafe.Add(ref pa, i * lda);
                nint l1 = lda, l2 = 2 * (nint)lda, l3 = 3 * (nint)lda, l4 = 4 * (nint)lda, l5 = 5 * (nint)lda;
                var c00 = Init256(ref pc, i * ldc, ref bias, biasKind, i, col); var c01 = Init256(ref pc, i * ldc + 8, ref bias, biasKind, i, col + 8);
                var c10 = Init256(ref pc, (i + 1) * ldc, ref bias, biasKind, i + 1, col); var c11 = Init256(ref pc, (i + 1) * ldc + 8, ref bias, biasKind, i + 1, col + 8);
                var c20 = Init256(ref pc, (i + 2) * ldc, ref bias, biasKind, i + 2, col); var c21 = Init256(ref pc, (i + 2) * ldc + 8, ref bias, biasKind, i + 2, col + 8);
                var c30 = Init256(ref pc, (i + 3) * ldc, ref bias, biasKind, i + 3, col); var c31 = Init256(ref pc, (i + 3) * ldc + 8, ref bias, biasKind, i + 3, col + 8);
                var c40 = Init256(ref pc, (i + 4) * ldc, ref bias, biasKind, i + 4, col); var c41 = Init256(ref pc, (i + 4) * ldc + 8, ref bias, biasKind, i + 4, col + 8);
                var c50 = Init256(ref pc, (i + 5) * ldc, ref bias, biasKind, i + 5, col); var c51 = Init256(ref pc, (i + 5) * ldc + 8, ref bias, biasKind, i + 5, col + 8);
                ref float bp = ref pb;
                for (int p = 0; p < k; p++)
                {
                    var b0 = Vector256.LoadUnsafe(ref bp);
                    var b1 = Vector256.LoadUnsafe(ref bp, 8);
                    var x = Vector256.Create(ap); c00 = Fma256(c00, x, b0); c01 = Fma256(c01, x, b1);
                    x = Vector256.Create(Unsafe.Add(ref ap, l1)); c10 = Fma256(c10, x, b0); c11 = Fma256(c11, x, b1);
                    x = Vector256.Create(Unsafe.Add(ref ap, l2)); c20 = Fma256(c20, x, b0); c21 = Fma256(c21, x, b1);
                    x = Vector256.Create(Unsafe.Add(ref ap, l3)); c30 = Fma256(c30, x, b0); c31 = Fma256(c31, x, b1);
                    x = Vector256.Create(Unsafe.Add(ref ap, l4)); c40 = Fma256(c40, x, b0); c41 = Fma256(c41, x, b1);
                    x = Vector256.Create(Unsafe.Add(ref ap, l5)); c50 = Fma256(c50, x, b0); c51 = Fma256(c51, x, b1);
                    bp = ref Unsafe.Add(ref bp, ldb);
                    ap = ref Unsafe.Add(ref ap, 1);
                }
                c00.StoreUnsafe(ref pc, (nuint)(i * ldc)); c01.StoreUnsafe(ref pc, (nuint)(i * ldc + 8));
                c10.StoreUnsafe(ref pc, (nuint)((i + 1) * ldc)); c11.StoreUnsafe(ref pc, (nuint)((i + 1) * ldc + 8));
                c20.StoreUnsafe(ref pc, (nuint)((i + 2) * ldc)); c21.StoreUnsafe(ref pc, (nuint)((i + 2) * ldc + 8));
                c30.StoreUnsafe(ref pc, (nuint)((i + 3) * ldc)); c31.StoreUnsafe(ref pc, (nuint)((i + 3) * ldc + 8));
                c40.StoreUnsafe(ref pc, (nuint)((i + 4) * ldc)); c41.StoreUnsafe(ref pc, (nuint)((i + 4) * ldc + 8));
                c50.StoreUnsafe(ref pc, (nuint)((i + 5) * ldc)); c51.StoreUnsafe(ref pc, (nuint)((i + 5) * ldc + 8));
            }
            // The rest (1-5 rows) in 4- and 2-row tiles: one row alone has only two FMA chains and waits on their latency.
            if (i <= m - 4)
            {
                ref float ap = ref Unsafe.Add(ref pa, i * lda);
                nint l1 = lda, l2 = 2 * (nint)lda, l3 = 3 * (nint)lda;
                var c00 = Init256(ref pc, i * ldc, ref bias, biasKind, i, col); var c01 = Init256(ref pc, i * ldc + 8, ref bias, biasKind, i, col + 8);
                var c10 = Init256(ref pc, (i + 1) * ldc, ref bias, biasKind, i + 1, col); var c11 = Init256(ref pc, (i + 1) * ldc + 8, ref bias, biasKind, i + 1, col + 8);
                var c20 = Init256(ref pc, (i + 2) * ldc, ref bias, biasKind, i + 2, col); var c21 = Init256(ref pc, (i + 2) * ldc + 8, ref bias, biasKind, i + 2, col + 8);
                var c30 = Init256(ref pc, (i + 3) * ldc, ref bias, biasKind, i + 3, col); var c31 = Init256(ref pc, (i + 3) * ldc + 8, ref bias, biasKind, i + 3, col + 8);
                ref float bp = ref pb;
                for (int p = 0; p < k; p++)
                {
                    var b0 = Vector256.LoadUnsafe(ref bp);
                    var b1 = Vector256.LoadUnsafe(ref bp, 8);
                    var x = Vector256.Create(ap); c00 = Fma256(c00, x, b0); c01 = Fma256(c01, x, b1);
                    x = Vector256.Create(Unsafe.Add(ref ap, l1)); c10 = Fma256(c10, x, b0); c11 = Fma256(c11, x, b1);
                    x = Vector256.Create(Unsafe.Add(ref ap, l2)); c20 = Fma256(c20, x, b0); c21 = Fma256(c21, x, b1);
                    x = Vector256.Create(Unsafe.Add(ref ap, l3)); c30 = Fma256(c30, x, b0); c31 = Fma256(c31, x, b1);
                    bp = ref Unsafe.Add(ref bp, ldb);
                    ap = ref Unsafe.Add(ref ap, 1);
                }
                c00.StoreUnsafe(ref pc, (nuint)(i * ldc)); c01.StoreUnsafe(ref pc, (nuint)(i * ldc + 8));
                c10.StoreUnsafe(ref pc, (nuint)((i + 1) * ldc)); c11.StoreUnsafe(ref pc, (nuint)((i + 1) * ldc + 8));
                c20.StoreUnsafe(ref pc, (nuint)((i + 2) * ldc)); c21.StoreUnsafe(ref pc, (nuint)((i + 2) * ldc + 8));
                c30.StoreUnsafe(ref pc, (nuint)((i + 3) * ldc)); c31.StoreUnsafe(ref pc, (nuint)((i + 3) * ldc + 8));
                i += 4;
            }
            if (i <= m - 2)
            {
                ref float ap = ref Unsafe.Add(ref pa, i * lda);
                nint l1 = lda;
                var c00 = Init256(ref pc, i * ldc, ref bias, biasKind, i, col); var c01 = Init256(ref pc, i * ldc + 8, ref bias, biasKind, i, col + 8);
                var c10 = Init256(ref pc, (i + 1) * ldc, ref bias, biasKind, i + 1, col); var c11 = Init256(ref pc, (i + 1) * ldc + 8, ref bias, biasKind, i + 1, col + 8);
                ref float bp = ref pb;
                for (int p = 0; p < k; p++)
                {
                    var b0 = Vector256.LoadUnsafe(ref bp);
                    var b1 = Vector256.LoadUnsafe(ref bp, 8);
                    var x = Vector256.Create(ap); c00 = Fma256(c00, x, b0); c01 = Fma256(c01, x, b1);
                    x = Vector256.Create(Unsafe.Add(ref ap, l1)); c10 = Fma256(c10, x, b0); c11 = Fma256(c11, x, b1);
                    bp = ref Unsafe.Add(ref bp, ldb);
                    ap = ref Unsafe.Add(ref ap, 1);
                }
                c00.StoreUnsafe(ref pc, (nuint)(i * ldc)); c01.StoreUnsafe(ref pc, (nuint)(i * ldc + 8));
                c10.StoreUnsafe(ref pc, (nuint)((i + 1) * ldc)); c11.StoreUnsafe(ref pc, (nuint)((i + 1) * ldc + 8));
                i += 2;
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
            int i = 0;
            // 6 x 8 tiles: six independent FMA chains (one chain per row would wait on the FMA latency at every k).
            for (; i <= m - 6; i += 6)
            {
                ref float ap = ref Unsafe.Add(ref pa, i * lda);
                nint l1 = lda, l2 = 2 * (nint)lda, l3 = 3 * (nint)lda, l4 = 4 * (nint)lda, l5 = 5 * (nint)lda;
                var c0 = Init256(ref pc, i * ldc, ref bias, biasKind, i, col);
                var c1 = Init256(ref pc, (i + 1) * ldc, ref bias, biasKind, i + 1, col);
                var c2 = Init256(ref pc, (i + 2) * ldc, ref bias, biasKind, i + 2, col);
                var c3 = Init256(ref pc, (i + 3) * ldc, ref bias, biasKind, i + 3, col);
                var c4 = Init256(ref pc, (i + 4) * ldc, ref bias, biasKind, i + 4, col);
                var c5 = Init256(ref pc, (i + 5) * ldc, ref bias, biasKind, i + 5, col);
                ref float bp = ref pb;
                for (int p = 0; p < k; p++)
                {
                    var b0 = Vector256.LoadUnsafe(ref bp);
                    c0 = Fma256(c0, Vector256.Create(ap), b0);
                    c1 = Fma256(c1, Vector256.Create(Unsafe.Add(ref ap, l1)), b0);
                    c2 = Fma256(c2, Vector256.Create(Unsafe.Add(ref ap, l2)), b0);
                    c3 = Fma256(c3, Vector256.Create(Unsafe.Add(ref ap, l3)), b0);
                    c4 = Fma256(c4, Vector256.Create(Unsafe.Add(ref ap, l4)), b0);
                    c5 = Fma256(c5, Vector256.Create(Unsafe.Add(ref ap, l5)), b0);
                    bp = ref Unsafe.Add(ref bp, ldb);
                    ap = ref Unsafe.Add(ref ap, 1);
                }
                c0.StoreUnsafe(ref pc, (nuint)(i * ldc));
                c1.StoreUnsafe(ref pc, (nuint)((i + 1) * ldc));
                c2.StoreUnsafe(ref pc, (nuint)((i + 2) * ldc));
                c3.StoreUnsafe(ref pc, (nuint)((i + 3) * ldc));
                c4.StoreUnsafe(ref pc, (nuint)((i + 4) * ldc));
                c5.StoreUnsafe(ref pc, (nuint)((i + 5) * ldc));
            }
            for (; i < m; i++)
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
