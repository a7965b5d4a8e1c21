using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace QuantGen.Kernels
{
    /// <summary>Arm64 micro-kernels of <see cref="QGemm"/>. Packed A: per k-group and row 4 bytes a' = a ^ 0x80 (int8).</summary>
    internal static partial class QGemm
    {
        // Dp: SDOT adds the 4-byte dot products of (column j: k0..k3) and (a'0..a'3) into int32 lane j. The 4 x 16 kernel loads
        // one 16-byte vector holding the k-group of all four rows and selects row r with the by-element form.

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void DpKernel4x16(ref byte ap, int kg, ref sbyte bp, ref int cs, int zc, ref int dst, int ldd)
        {
            Vector128<int> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
            Vector128<int> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
            for (int g = 0; g < kg; g++)
            {
                var b0 = Vector128.LoadUnsafe(ref bp); var b1 = Vector128.LoadUnsafe(ref bp, 16);
                var b2 = Vector128.LoadUnsafe(ref bp, 32); var b3 = Vector128.LoadUnsafe(ref bp, 48);
                var x = Vector128.LoadUnsafe(ref ap).AsSByte();
                c00 = Dp.DotProductBySelectedQuadruplet(c00, b0, x, 0); c01 = Dp.DotProductBySelectedQuadruplet(c01, b1, x, 0);
                c02 = Dp.DotProductBySelectedQuadruplet(c02, b2, x, 0); c03 = Dp.DotProductBySelectedQuadruplet(c03, b3, x, 0);
                c10 = Dp.DotProductBySelectedQuadruplet(c10, b0, x, 1); c11 = Dp.DotProductBySelectedQuadruplet(c11, b1, x, 1);
                c12 = Dp.DotProductBySelectedQuadruplet(c12, b2, x, 1); c13 = Dp.DotProductBySelectedQuadruplet(c13, b3, x, 1);
                c20 = Dp.DotProductBySelectedQuadruplet(c20, b0, x, 2); c21 = Dp.DotProductBySelectedQuadruplet(c21, b1, x, 2);
                c22 = Dp.DotProductBySelectedQuadruplet(c22, b2, x, 2); c23 = Dp.DotProductBySelectedQuadruplet(c23, b3, x, 2);
                c30 = Dp.DotProductBySelectedQuadruplet(c30, b0, x, 3); c31 = Dp.DotProductBySelectedQuadruplet(c31, b1, x, 3);
                c32 = Dp.DotProductBySelectedQuadruplet(c32, b2, x, 3); c33 = Dp.DotProductBySelectedQuadruplet(c33, b3, x, 3);
                bp = ref Unsafe.Add(ref bp, 64);
                ap = ref Unsafe.Add(ref ap, 16);
            }
            var z = Vector128.Create(zc);
            var s0 = Vector128.LoadUnsafe(ref cs) * z; var s1 = Vector128.LoadUnsafe(ref cs, 4) * z;
            var s2 = Vector128.LoadUnsafe(ref cs, 8) * z; var s3 = Vector128.LoadUnsafe(ref cs, 12) * z;
            Store16(c00 + s0, c01 + s1, c02 + s2, c03 + s3, ref dst);
            Store16(c10 + s0, c11 + s1, c12 + s2, c13 + s3, ref Unsafe.Add(ref dst, ldd));
            Store16(c20 + s0, c21 + s1, c22 + s2, c23 + s3, ref Unsafe.Add(ref dst, 2 * ldd));
            Store16(c30 + s0, c31 + s1, c32 + s2, c33 + s3, ref Unsafe.Add(ref dst, 3 * ldd));
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void DpKernel1x16(ref byte ap, int gstride, int kg, ref sbyte bp, ref int cs, int zc, ref int dst)
        {
            Vector128<int> c0 = default, c1 = default, c2 = default, c3 = default;
            for (int g = 0; g < kg; g++)
            {
                var x = Vector128.Create(Unsafe.ReadUnaligned<int>(ref ap)).AsSByte();
                c0 = Dp.DotProduct(c0, Vector128.LoadUnsafe(ref bp), x);
                c1 = Dp.DotProduct(c1, Vector128.LoadUnsafe(ref bp, 16), x);
                c2 = Dp.DotProduct(c2, Vector128.LoadUnsafe(ref bp, 32), x);
                c3 = Dp.DotProduct(c3, Vector128.LoadUnsafe(ref bp, 48), x);
                bp = ref Unsafe.Add(ref bp, 64);
                ap = ref Unsafe.Add(ref ap, gstride);
            }
            var z = Vector128.Create(zc);
            Store16(c0 + Vector128.LoadUnsafe(ref cs) * z, c1 + Vector128.LoadUnsafe(ref cs, 4) * z,
                c2 + Vector128.LoadUnsafe(ref cs, 8) * z, c3 + Vector128.LoadUnsafe(ref cs, 12) * z, ref dst);
        }

        // AdvSimd without Dp: two k-groups at a time, smull + smlal put a'(g) b(g) + a'(g+1) b(g+1) in int16 lanes (|.| <= 2 * 128 * 127
        // = 32512), sadalp widens pairs into int32 (two partials per column), addp folds them at the end.

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void AdvSimdKernel1x16(ref byte ap, int gstride, int kg, ref sbyte bp, ref int cs, int zc, ref int dst)
        {
            Vector128<int> l0 = default, h0 = default, l1 = default, h1 = default, l2 = default, h2 = default, l3 = default, h3 = default;
            int g = 0;
            for (; g <= kg - 2; g += 2)
            {
                var x0 = Vector128.Create(Unsafe.ReadUnaligned<int>(ref ap)).AsSByte();
                var x1 = Vector128.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, gstride))).AsSByte();
                Pair(ref l0, ref h0, Vector128.LoadUnsafe(ref bp), Vector128.LoadUnsafe(ref bp, 64), x0, x1);
                Pair(ref l1, ref h1, Vector128.LoadUnsafe(ref bp, 16), Vector128.LoadUnsafe(ref bp, 80), x0, x1);
                Pair(ref l2, ref h2, Vector128.LoadUnsafe(ref bp, 32), Vector128.LoadUnsafe(ref bp, 96), x0, x1);
                Pair(ref l3, ref h3, Vector128.LoadUnsafe(ref bp, 48), Vector128.LoadUnsafe(ref bp, 112), x0, x1);
                ap = ref Unsafe.Add(ref ap, 2 * gstride);
                bp = ref Unsafe.Add(ref bp, 128);
            }
            if (g < kg)
            {
                var x0 = Vector128.Create(Unsafe.ReadUnaligned<int>(ref ap)).AsSByte();
                Single(ref l0, ref h0, Vector128.LoadUnsafe(ref bp), x0);
                Single(ref l1, ref h1, Vector128.LoadUnsafe(ref bp, 16), x0);
                Single(ref l2, ref h2, Vector128.LoadUnsafe(ref bp, 32), x0);
                Single(ref l3, ref h3, Vector128.LoadUnsafe(ref bp, 48), x0);
            }
            var z = Vector128.Create(zc);
            Store16(AdvSimd.Arm64.AddPairwise(l0, h0) + Vector128.LoadUnsafe(ref cs) * z, AdvSimd.Arm64.AddPairwise(l1, h1) + Vector128.LoadUnsafe(ref cs, 4) * z,
                AdvSimd.Arm64.AddPairwise(l2, h2) + Vector128.LoadUnsafe(ref cs, 8) * z, AdvSimd.Arm64.AddPairwise(l3, h3) + Vector128.LoadUnsafe(ref cs, 12) * z, ref dst);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Pair(ref Vector128<int> lo, ref Vector128<int> hi, Vector128<sbyte> b0, Vector128<sbyte> b1, Vector128<sbyte> x0, Vector128<sbyte> x1)
        {
            var pl = AdvSimd.MultiplyWideningLowerAndAdd(AdvSimd.MultiplyWideningLower(b0.GetLower(), x0.GetLower()), b1.GetLower(), x1.GetLower());
            var ph = AdvSimd.MultiplyWideningUpperAndAdd(AdvSimd.MultiplyWideningUpper(b0, x0), b1, x1);
            lo = AdvSimd.AddPairwiseWideningAndAdd(lo, pl);
            hi = AdvSimd.AddPairwiseWideningAndAdd(hi, ph);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Single(ref Vector128<int> lo, ref Vector128<int> hi, Vector128<sbyte> b0, Vector128<sbyte> x0)
        {
            lo = AdvSimd.AddPairwiseWideningAndAdd(lo, AdvSimd.MultiplyWideningLower(b0.GetLower(), x0.GetLower()));
            hi = AdvSimd.AddPairwiseWideningAndAdd(hi, AdvSimd.MultiplyWideningUpper(b0, x0));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store16(Vector128<int> v0, Vector128<int> v1, Vector128<int> v2, Vector128<int> v3, ref int dst)
        {
            v0.StoreUnsafe(ref dst); v1.StoreUnsafe(ref dst, 4); v2.StoreUnsafe(ref dst, 8); v3.StoreUnsafe(ref dst, 12);
        }
    }
}
