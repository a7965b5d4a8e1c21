using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantGen.Kernels
{
    /// <summary>x86 micro-kernels of <see cref="QGemm"/> (layouts and the no-saturation argument: QGemm.cs).</summary>
    internal static partial class QGemm
    {
        // AVX2: vpmaddubsw(|a'|, (b ^ m) - m) with m = (a' < 0 ? -1 : 0) per byte, i.e. b * sign(a'), never negating -128 since
        // b >= -127; int16 pairs <= 2 * 128 * 127 = 32512; vpmaddwd with ones -> int32 per column. vpxor + vpsubb instead of
        // vpsignb: on Zen 4 vpsignb competes with the multiplies (measured 79 vs 71 GMAC/s in this kernel, tests/QuantGen.KernelBench).
        // Packed A: per k-group and row 8 bytes: the sign masks m0..m3, then |a'0|..|a'3|.

        /// <summary>A 4 x 16 AVX2 tile (two 8-column halves per row) with the zero-point term zc * colSums added, stored at dst.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreAvx2Tile4x16(Vector256<int> c00, Vector256<int> c01, Vector256<int> c10, Vector256<int> c11,
            Vector256<int> c20, Vector256<int> c21, Vector256<int> c30, Vector256<int> c31, ref int cs, int zc, ref int dst, int ldd)
        {
            var z = Vector256.Create(zc);
            var cs0 = Vector256.LoadUnsafe(ref cs) * z;
            var cs1 = Vector256.LoadUnsafe(ref cs, 8) * z;
            (c00 + cs0).StoreUnsafe(ref dst); (c01 + cs1).StoreUnsafe(ref dst, 8);
            (c10 + cs0).StoreUnsafe(ref dst, (nuint)ldd); (c11 + cs1).StoreUnsafe(ref dst, (nuint)ldd + 8);
            (c20 + cs0).StoreUnsafe(ref dst, (nuint)(2 * ldd)); (c21 + cs1).StoreUnsafe(ref dst, (nuint)(2 * ldd) + 8);
            (c30 + cs0).StoreUnsafe(ref dst, (nuint)(3 * ldd)); (c31 + cs1).StoreUnsafe(ref dst, (nuint)(3 * ldd) + 8);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Avx2Kernel4x16(ref byte ap, int kg, ref sbyte bp, ref int cs, int zc, ref int dst, int ldd)
        {
            var ones = Vector256.Create((short)1);
            Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
            for (int g = 0; g < kg; g++)
            {
                var b0 = Vector256.LoadUnsafe(ref bp);
                var b1 = Vector256.LoadUnsafe(ref bp, 32);
                var s = Vector256.Create(Unsafe.ReadUnaligned<int>(ref ap)).AsSByte();
                var u = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, 4))).AsByte();
                c00 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, Flip(b0, s)), ones);
                c01 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, Flip(b1, s)), ones);
                s = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, 8))).AsSByte();
                u = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, 12))).AsByte();
                c10 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, Flip(b0, s)), ones);
                c11 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, Flip(b1, s)), ones);
                s = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, 16))).AsSByte();
                u = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, 20))).AsByte();
                c20 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, Flip(b0, s)), ones);
                c21 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, Flip(b1, s)), ones);
                s = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, 24))).AsSByte();
                u = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, 28))).AsByte();
                c30 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, Flip(b0, s)), ones);
                c31 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, Flip(b1, s)), ones);
                bp = ref Unsafe.Add(ref bp, 64);
                ap = ref Unsafe.Add(ref ap, 32);
            }
            StoreAvx2Tile4x16(c00, c01, c10, c11, c20, c21, c30, c31, ref cs, zc, ref dst, ldd);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Avx2Kernel1x16(ref byte ap, int gstride, int kg, ref sbyte bp, ref int cs, int zc, ref int dst)
        {
            var ones = Vector256.Create((short)1);
            Vector256<int> c0 = default, c1 = default, d0 = default, d1 = default;
            int g = 0;
            for (; g <= kg - 2; g += 2)
            {
                var s = Vector256.Create(Unsafe.ReadUnaligned<int>(ref ap)).AsSByte();
                var u = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, 4))).AsByte();
                c0 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, Flip(Vector256.LoadUnsafe(ref bp), s)), ones);
                c1 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, Flip(Vector256.LoadUnsafe(ref bp, 32), s)), ones);
                ap = ref Unsafe.Add(ref ap, gstride);
                s = Vector256.Create(Unsafe.ReadUnaligned<int>(ref ap)).AsSByte();
                u = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, 4))).AsByte();
                d0 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, Flip(Vector256.LoadUnsafe(ref bp, 64), s)), ones);
                d1 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, Flip(Vector256.LoadUnsafe(ref bp, 96), s)), ones);
                ap = ref Unsafe.Add(ref ap, gstride);
                bp = ref Unsafe.Add(ref bp, 128);
            }
            if (g < kg)
            {
                var s = Vector256.Create(Unsafe.ReadUnaligned<int>(ref ap)).AsSByte();
                var u = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, 4))).AsByte();
                c0 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, Flip(Vector256.LoadUnsafe(ref bp), s)), ones);
                c1 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, Flip(Vector256.LoadUnsafe(ref bp, 32), s)), ones);
            }
            var z = Vector256.Create(zc);
            (c0 + d0 + Vector256.LoadUnsafe(ref cs) * z).StoreUnsafe(ref dst);
            (c1 + d1 + Vector256.LoadUnsafe(ref cs, 8) * z).StoreUnsafe(ref dst, 8);
        }

        // Narrow weights (every B in [-64, 64], the 7-bit weights of WeightBits="7"): vpmaddubsw(a, b) directly, a the raw
        // uint8 activations: each int16 pair is at most 2 * 255 * 64 = 32640 < 32767, so nothing saturates and the result is
        // exact; vpmaddwd with ones then sums the pairs into the int32 column sums. Packed A: per k-group and row the 4 bytes
        // of a. The packed B k-group (16 columns x 4 k) is one zmm (two ymm), column j in dword j: no fold at the end.

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        /// <param name="rs">Bytes from one row's 4 activations to the next row's (4 in packed A, lda when A is read in place).</param>
        /// <param name="gs">Bytes from one k-group to the next (8 * 4 in packed A, 4 in place).</param>
        private static void Avx512NarrowKernel8x16(ref byte ap, int rs, int gs, int kg, ref sbyte bp, ref int cs, int zc, ref int dst, int ldd)
        {
            var ones = Vector512.Create((short)1);
            nint r1 = rs, r2 = 2 * (nint)rs, r3 = 3 * (nint)rs, r4 = 4 * (nint)rs, r5 = 5 * (nint)rs, r6 = 6 * (nint)rs, r7 = 7 * (nint)rs;
            Vector512<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
            for (int g = 0; g < kg; g++)
            {
                var b = Vector512.LoadUnsafe(ref bp);
                c0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Create(Unsafe.ReadUnaligned<int>(ref ap)).AsByte(), b), ones);
                c1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, r1))).AsByte(), b), ones);
                c2 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, r2))).AsByte(), b), ones);
                c3 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, r3))).AsByte(), b), ones);
                c4 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, r4))).AsByte(), b), ones);
                c5 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, r5))).AsByte(), b), ones);
                c6 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, r6))).AsByte(), b), ones);
                c7 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, r7))).AsByte(), b), ones);
                bp = ref Unsafe.Add(ref bp, 64);
                ap = ref Unsafe.Add(ref ap, gs);
            }
            var zcs = Vector512.LoadUnsafe(ref cs) * Vector512.Create(zc);
            (c0 + zcs).StoreUnsafe(ref dst);
            (c1 + zcs).StoreUnsafe(ref dst, (nuint)ldd);
            (c2 + zcs).StoreUnsafe(ref dst, (nuint)(2 * ldd));
            (c3 + zcs).StoreUnsafe(ref dst, (nuint)(3 * ldd));
            (c4 + zcs).StoreUnsafe(ref dst, (nuint)(4 * ldd));
            (c5 + zcs).StoreUnsafe(ref dst, (nuint)(5 * ldd));
            (c6 + zcs).StoreUnsafe(ref dst, (nuint)(6 * ldd));
            (c7 + zcs).StoreUnsafe(ref dst, (nuint)(7 * ldd));
        }

        /// <summary>4 x 16 for the 4-7 leftover rows of an 8-row block (and M = 4..7): the packed-A stride is the block's.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Avx512NarrowKernel4x16(ref byte ap, int rs, int gstride, int kg, ref sbyte bp, ref int cs, int zc, ref int dst, int ldd)
        {
            var ones = Vector512.Create((short)1);
            nint r1 = rs, r2 = 2 * (nint)rs, r3 = 3 * (nint)rs;
            Vector512<int> c0 = default, c1 = default, c2 = default, c3 = default;
            for (int g = 0; g < kg; g++)
            {
                var b = Vector512.LoadUnsafe(ref bp);
                c0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Create(Unsafe.ReadUnaligned<int>(ref ap)).AsByte(), b), ones);
                c1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, r1))).AsByte(), b), ones);
                c2 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, r2))).AsByte(), b), ones);
                c3 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, r3))).AsByte(), b), ones);
                bp = ref Unsafe.Add(ref bp, 64);
                ap = ref Unsafe.Add(ref ap, gstride);
            }
            var zcs = Vector512.LoadUnsafe(ref cs) * Vector512.Create(zc);
            (c0 + zcs).StoreUnsafe(ref dst);
            (c1 + zcs).StoreUnsafe(ref dst, (nuint)ldd);
            (c2 + zcs).StoreUnsafe(ref dst, (nuint)(2 * ldd));
            (c3 + zcs).StoreUnsafe(ref dst, (nuint)(3 * ldd));
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Avx512NarrowKernel1x16(ref byte ap, int gstride, int kg, ref sbyte bp, ref int cs, int zc, ref int dst)
        {
            var ones = Vector512.Create((short)1);
            Vector512<int> c0 = default, c1 = default;
            int g = 0;
            for (; g <= kg - 2; g += 2)
            {
                c0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Create(Unsafe.ReadUnaligned<int>(ref ap)).AsByte(), Vector512.LoadUnsafe(ref bp)), ones);
                c1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(
                    Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, gstride))).AsByte(), Vector512.LoadUnsafe(ref bp, 64)), ones);
                ap = ref Unsafe.Add(ref ap, 2 * gstride);
                bp = ref Unsafe.Add(ref bp, 128);
            }
            if (g < kg)
                c0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Create(Unsafe.ReadUnaligned<int>(ref ap)).AsByte(), Vector512.LoadUnsafe(ref bp)), ones);
            (c0 + c1 + Vector512.LoadUnsafe(ref cs) * Vector512.Create(zc)).StoreUnsafe(ref dst);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Avx2NarrowKernel4x16(ref byte ap, int rs, int gs, int kg, ref sbyte bp, ref int cs, int zc, ref int dst, int ldd)
        {
            var ones = Vector256.Create((short)1);
            nint r1 = rs, r2 = 2 * (nint)rs, r3 = 3 * (nint)rs;
            Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
            for (int g = 0; g < kg; g++)
            {
                var b0 = Vector256.LoadUnsafe(ref bp);
                var b1 = Vector256.LoadUnsafe(ref bp, 32);
                var a = Vector256.Create(Unsafe.ReadUnaligned<int>(ref ap)).AsByte();
                c00 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a, b0), ones); c01 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a, b1), ones);
                a = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, r1))).AsByte();
                c10 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a, b0), ones); c11 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a, b1), ones);
                a = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, r2))).AsByte();
                c20 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a, b0), ones); c21 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a, b1), ones);
                a = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, r3))).AsByte();
                c30 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a, b0), ones); c31 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a, b1), ones);
                bp = ref Unsafe.Add(ref bp, 64);
                ap = ref Unsafe.Add(ref ap, gs);
            }
            StoreAvx2Tile4x16(c00, c01, c10, c11, c20, c21, c30, c31, ref cs, zc, ref dst, ldd);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Avx2NarrowKernel1x16(ref byte ap, int gstride, int kg, ref sbyte bp, ref int cs, int zc, ref int dst)
        {
            var ones = Vector256.Create((short)1);
            Vector256<int> c0 = default, c1 = default;
            for (int g = 0; g < kg; g++)
            {
                var a = Vector256.Create(Unsafe.ReadUnaligned<int>(ref ap)).AsByte();
                c0 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a, Vector256.LoadUnsafe(ref bp)), ones);
                c1 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a, Vector256.LoadUnsafe(ref bp, 32)), ones);
                ap = ref Unsafe.Add(ref ap, gstride);
                bp = ref Unsafe.Add(ref bp, 64);
            }
            var z = Vector256.Create(zc);
            (c0 + Vector256.LoadUnsafe(ref cs) * z).StoreUnsafe(ref dst);
            (c1 + Vector256.LoadUnsafe(ref cs, 8) * z).StoreUnsafe(ref dst, 8);
        }

        // AVX-VNNI: vpdpbusd(acc, a, b) adds the four products of a k-group (u8 activation x s8 weight) into each int32 lane,
        // with no intermediate int16, so it is exact for any uint8 a and int8 b, and the int32 sums wrap exactly like the
        // reference's. A is the raw uint8 activations (4 bytes per row and k-group, broadcast to all 8 lanes); the packed B
        // k-group (16 columns x 4 k) is two ymm with column j in dword j, so no fold is needed. VEX encoding reaches 16 ymm:
        // the 6 x 16 tile holds 12 accumulators, the two B halves and one broadcast.

        /// <param name="rs">Bytes from one row's 4 activations to the next row's (4 in packed A, lda when A is read in place).</param>
        /// <param name="gs">Bytes from one k-group to the next (rows * 4 in packed A, 4 in place).</param>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void VnniKernel6x16(ref byte ap, int rs, int gs, int kg, ref sbyte bp, ref int cs, int zc, ref int dst, int ldd)
        {
            nint r1 = rs, r2 = 2 * (nint)rs, r3 = 3 * (nint)rs, r4 = 4 * (nint)rs, r5 = 5 * (nint)rs;
            Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
            Vector256<int> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
            for (int g = 0; g < kg; g++)
            {
                var b0 = Vector256.LoadUnsafe(ref bp);
                var b1 = Vector256.LoadUnsafe(ref bp, 32);
                var a = Vector256.Create(Unsafe.ReadUnaligned<int>(ref ap)).AsByte();
                c00 = AvxVnni.MultiplyWideningAndAdd(c00, a, b0); c01 = AvxVnni.MultiplyWideningAndAdd(c01, a, b1);
                a = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, r1))).AsByte();
                c10 = AvxVnni.MultiplyWideningAndAdd(c10, a, b0); c11 = AvxVnni.MultiplyWideningAndAdd(c11, a, b1);
                a = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, r2))).AsByte();
                c20 = AvxVnni.MultiplyWideningAndAdd(c20, a, b0); c21 = AvxVnni.MultiplyWideningAndAdd(c21, a, b1);
                a = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, r3))).AsByte();
                c30 = AvxVnni.MultiplyWideningAndAdd(c30, a, b0); c31 = AvxVnni.MultiplyWideningAndAdd(c31, a, b1);
                a = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, r4))).AsByte();
                c40 = AvxVnni.MultiplyWideningAndAdd(c40, a, b0); c41 = AvxVnni.MultiplyWideningAndAdd(c41, a, b1);
                a = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, r5))).AsByte();
                c50 = AvxVnni.MultiplyWideningAndAdd(c50, a, b0); c51 = AvxVnni.MultiplyWideningAndAdd(c51, a, b1);
                bp = ref Unsafe.Add(ref bp, 64);
                ap = ref Unsafe.Add(ref ap, gs);
            }
            StoreAvx2Tile4x16(c00, c01, c10, c11, c20, c21, c30, c31, ref cs, zc, ref dst, ldd);
            var z = Vector256.Create(zc);
            var cs0 = Vector256.LoadUnsafe(ref cs) * z;
            var cs1 = Vector256.LoadUnsafe(ref cs, 8) * z;
            (c40 + cs0).StoreUnsafe(ref dst, (nuint)(4 * ldd)); (c41 + cs1).StoreUnsafe(ref dst, (nuint)(4 * ldd) + 8);
            (c50 + cs0).StoreUnsafe(ref dst, (nuint)(5 * ldd)); (c51 + cs1).StoreUnsafe(ref dst, (nuint)(5 * ldd) + 8);
        }

        /// <summary>4 x 16 for 4 or 5 leftover rows of a 6-row block (and M = 4, 5).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void VnniKernel4x16(ref byte ap, int rs, int gs, int kg, ref sbyte bp, ref int cs, int zc, ref int dst, int ldd)
        {
            nint r1 = rs, r2 = 2 * (nint)rs, r3 = 3 * (nint)rs;
            Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
            for (int g = 0; g < kg; g++)
            {
                var b0 = Vector256.LoadUnsafe(ref bp);
                var b1 = Vector256.LoadUnsafe(ref bp, 32);
                var a = Vector256.Create(Unsafe.ReadUnaligned<int>(ref ap)).AsByte();
                c00 = AvxVnni.MultiplyWideningAndAdd(c00, a, b0); c01 = AvxVnni.MultiplyWideningAndAdd(c01, a, b1);
                a = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, r1))).AsByte();
                c10 = AvxVnni.MultiplyWideningAndAdd(c10, a, b0); c11 = AvxVnni.MultiplyWideningAndAdd(c11, a, b1);
                a = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, r2))).AsByte();
                c20 = AvxVnni.MultiplyWideningAndAdd(c20, a, b0); c21 = AvxVnni.MultiplyWideningAndAdd(c21, a, b1);
                a = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, r3))).AsByte();
                c30 = AvxVnni.MultiplyWideningAndAdd(c30, a, b0); c31 = AvxVnni.MultiplyWideningAndAdd(c31, a, b1);
                bp = ref Unsafe.Add(ref bp, 64);
                ap = ref Unsafe.Add(ref ap, gs);
            }
            StoreAvx2Tile4x16(c00, c01, c10, c11, c20, c21, c30, c31, ref cs, zc, ref dst, ldd);
        }

        /// <summary>1 x 16 (GEMV and single leftover rows): two accumulator pairs over alternate k-groups hide the latency.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void VnniKernel1x16(ref byte ap, int gs, int kg, ref sbyte bp, ref int cs, int zc, ref int dst)
        {
            Vector256<int> c0 = default, c1 = default, d0 = default, d1 = default;
            int g = 0;
            for (; g <= kg - 2; g += 2)
            {
                var a = Vector256.Create(Unsafe.ReadUnaligned<int>(ref ap)).AsByte();
                c0 = AvxVnni.MultiplyWideningAndAdd(c0, a, Vector256.LoadUnsafe(ref bp));
                c1 = AvxVnni.MultiplyWideningAndAdd(c1, a, Vector256.LoadUnsafe(ref bp, 32));
                a = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref ap, gs))).AsByte();
                d0 = AvxVnni.MultiplyWideningAndAdd(d0, a, Vector256.LoadUnsafe(ref bp, 64));
                d1 = AvxVnni.MultiplyWideningAndAdd(d1, a, Vector256.LoadUnsafe(ref bp, 96));
                ap = ref Unsafe.Add(ref ap, 2 * gs);
                bp = ref Unsafe.Add(ref bp, 128);
            }
            if (g < kg)
            {
                var a = Vector256.Create(Unsafe.ReadUnaligned<int>(ref ap)).AsByte();
                c0 = AvxVnni.MultiplyWideningAndAdd(c0, a, Vector256.LoadUnsafe(ref bp));
                c1 = AvxVnni.MultiplyWideningAndAdd(c1, a, Vector256.LoadUnsafe(ref bp, 32));
            }
            var z = Vector256.Create(zc);
            (c0 + d0 + Vector256.LoadUnsafe(ref cs) * z).StoreUnsafe(ref dst);
            (c1 + d1 + Vector256.LoadUnsafe(ref cs, 8) * z).StoreUnsafe(ref dst, 8);
        }

        /// <summary>b * sign(a') for a sign mask m = (a' &lt; 0 ? -1 : 0): (b ^ m) - m.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<sbyte> Flip(Vector256<sbyte> b, Vector256<sbyte> m) => Avx2.Subtract(Avx2.Xor(b, m), m);

        // AVX-512BW: exact widening, vpmovsxbw(b) x broadcast int16 (a0..a3) with vpmaddwd -> two int32 partials per column
        // (k0+k1, k2+k3), folded at the end with vpermt2d. Packed A: per k-group and row 4 x int16.

        /// <summary>8 x 16: the two widened B halves serve eight rows (16 accumulators of the 32 zmm registers).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Avx512Kernel8x16(ref byte ap, int kg, ref sbyte bp, ref int cs, int zc, ref int dst, int ldd)
        {
            Vector512<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
            Vector512<int> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
            for (int g = 0; g < kg; g++)
            {
                var w0 = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref bp));
                var w1 = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref bp, 32));
                var x = Vector512.Create(Unsafe.ReadUnaligned<long>(ref ap)).AsInt16();
                c00 += Avx512BW.MultiplyAddAdjacent(w0, x); c01 += Avx512BW.MultiplyAddAdjacent(w1, x);
                x = Vector512.Create(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref ap, 8))).AsInt16();
                c10 += Avx512BW.MultiplyAddAdjacent(w0, x); c11 += Avx512BW.MultiplyAddAdjacent(w1, x);
                x = Vector512.Create(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref ap, 16))).AsInt16();
                c20 += Avx512BW.MultiplyAddAdjacent(w0, x); c21 += Avx512BW.MultiplyAddAdjacent(w1, x);
                x = Vector512.Create(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref ap, 24))).AsInt16();
                c30 += Avx512BW.MultiplyAddAdjacent(w0, x); c31 += Avx512BW.MultiplyAddAdjacent(w1, x);
                x = Vector512.Create(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref ap, 32))).AsInt16();
                c40 += Avx512BW.MultiplyAddAdjacent(w0, x); c41 += Avx512BW.MultiplyAddAdjacent(w1, x);
                x = Vector512.Create(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref ap, 40))).AsInt16();
                c50 += Avx512BW.MultiplyAddAdjacent(w0, x); c51 += Avx512BW.MultiplyAddAdjacent(w1, x);
                x = Vector512.Create(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref ap, 48))).AsInt16();
                c60 += Avx512BW.MultiplyAddAdjacent(w0, x); c61 += Avx512BW.MultiplyAddAdjacent(w1, x);
                x = Vector512.Create(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref ap, 56))).AsInt16();
                c70 += Avx512BW.MultiplyAddAdjacent(w0, x); c71 += Avx512BW.MultiplyAddAdjacent(w1, x);
                bp = ref Unsafe.Add(ref bp, 64);
                ap = ref Unsafe.Add(ref ap, 64);
            }
            var zcs = Vector512.LoadUnsafe(ref cs) * Vector512.Create(zc);
            Fold512(c00, c01, zcs).StoreUnsafe(ref dst);
            Fold512(c10, c11, zcs).StoreUnsafe(ref dst, (nuint)ldd);
            Fold512(c20, c21, zcs).StoreUnsafe(ref dst, (nuint)(2 * ldd));
            Fold512(c30, c31, zcs).StoreUnsafe(ref dst, (nuint)(3 * ldd));
            Fold512(c40, c41, zcs).StoreUnsafe(ref dst, (nuint)(4 * ldd));
            Fold512(c50, c51, zcs).StoreUnsafe(ref dst, (nuint)(5 * ldd));
            Fold512(c60, c61, zcs).StoreUnsafe(ref dst, (nuint)(6 * ldd));
            Fold512(c70, c71, zcs).StoreUnsafe(ref dst, (nuint)(7 * ldd));
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Avx512Kernel4x16(ref byte ap, int gstride, int kg, ref sbyte bp, ref int cs, int zc, ref int dst, int ldd)
        {
            Vector512<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
            for (int g = 0; g < kg; g++)
            {
                var w0 = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref bp));
                var w1 = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref bp, 32));
                var x = Vector512.Create(Unsafe.ReadUnaligned<long>(ref ap)).AsInt16();
                c00 += Avx512BW.MultiplyAddAdjacent(w0, x); c01 += Avx512BW.MultiplyAddAdjacent(w1, x);
                x = Vector512.Create(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref ap, 8))).AsInt16();
                c10 += Avx512BW.MultiplyAddAdjacent(w0, x); c11 += Avx512BW.MultiplyAddAdjacent(w1, x);
                x = Vector512.Create(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref ap, 16))).AsInt16();
                c20 += Avx512BW.MultiplyAddAdjacent(w0, x); c21 += Avx512BW.MultiplyAddAdjacent(w1, x);
                x = Vector512.Create(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref ap, 24))).AsInt16();
                c30 += Avx512BW.MultiplyAddAdjacent(w0, x); c31 += Avx512BW.MultiplyAddAdjacent(w1, x);
                bp = ref Unsafe.Add(ref bp, 64);
                ap = ref Unsafe.Add(ref ap, gstride);
            }
            var zcs = Vector512.LoadUnsafe(ref cs) * Vector512.Create(zc);
            Fold512(c00, c01, zcs).StoreUnsafe(ref dst);
            Fold512(c10, c11, zcs).StoreUnsafe(ref dst, (nuint)ldd);
            Fold512(c20, c21, zcs).StoreUnsafe(ref dst, (nuint)(2 * ldd));
            Fold512(c30, c31, zcs).StoreUnsafe(ref dst, (nuint)(3 * ldd));
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Avx512Kernel1x16(ref byte ap, int gstride, int kg, ref sbyte bp, ref int cs, int zc, ref int dst)
        {
            Vector512<int> c0 = default, c1 = default, d0 = default, d1 = default;
            int g = 0;
            for (; g <= kg - 2; g += 2)
            {
                var x = Vector512.Create(Unsafe.ReadUnaligned<long>(ref ap)).AsInt16();
                c0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref bp)), x);
                c1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref bp, 32)), x);
                x = Vector512.Create(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref ap, gstride))).AsInt16();
                d0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref bp, 64)), x);
                d1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref bp, 96)), x);
                ap = ref Unsafe.Add(ref ap, 2 * gstride);
                bp = ref Unsafe.Add(ref bp, 128);
            }
            if (g < kg)
            {
                var x = Vector512.Create(Unsafe.ReadUnaligned<long>(ref ap)).AsInt16();
                c0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref bp)), x);
                c1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref bp, 32)), x);
            }
            Fold512(c0 + d0, c1 + d1, Vector512.LoadUnsafe(ref cs) * Vector512.Create(zc)).StoreUnsafe(ref dst);
        }

        /// <summary>Columns 0-7 as (k0+k1, k2+k3) pairs in lo, 8-15 in hi -> the 16 column sums, plus the zero-point term.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<int> Fold512(Vector512<int> lo, Vector512<int> hi, Vector512<int> zcs)
        {
            var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            var odd = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
            return Avx512F.PermuteVar16x32x2(lo, even, hi) + Avx512F.PermuteVar16x32x2(lo, odd, hi) + zcs;
        }
    }
}
