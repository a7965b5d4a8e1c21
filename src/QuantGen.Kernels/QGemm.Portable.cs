using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace QuantGen.Kernels
{
    /// <summary>
    /// Portable micro-kernel of <see cref="QGemm"/> (generic Vector128 only: SSE4, WASM, or software). Packed A: per k-group and
    /// row 4 x int16 (a as is). Products a * b fit int16 exactly (|a b| &lt;= 255 * 127 = 32385), are widened to int32 and kept as
    /// four partial sums per column (one per k of the group), summed at the end.
    /// </summary>
    internal static partial class QGemm
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void PortableKernel1x16(ref byte ap, int gstride, int kg, ref sbyte bp, ref int cs, int zc, ref int dst)
        {
            Vector128<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
            Vector128<int> c8 = default, c9 = default, c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default;
            for (int g = 0; g < kg; g++)
            {
                var x = Vector128.Create(Unsafe.ReadUnaligned<long>(ref ap)).AsInt16(); // a0..a3 a0..a3
                Quad(ref c0, ref c1, ref c2, ref c3, Vector128.LoadUnsafe(ref bp), x);
                Quad(ref c4, ref c5, ref c6, ref c7, Vector128.LoadUnsafe(ref bp, 16), x);
                Quad(ref c8, ref c9, ref c10, ref c11, Vector128.LoadUnsafe(ref bp, 32), x);
                Quad(ref c12, ref c13, ref c14, ref c15, Vector128.LoadUnsafe(ref bp, 48), x);
                bp = ref Unsafe.Add(ref bp, 64);
                ap = ref Unsafe.Add(ref ap, gstride);
            }
            var z = Vector128.Create(zc);
            (Vector128.Create(Vector128.Sum(c0), Vector128.Sum(c1), Vector128.Sum(c2), Vector128.Sum(c3)) + Vector128.LoadUnsafe(ref cs) * z).StoreUnsafe(ref dst);
            (Vector128.Create(Vector128.Sum(c4), Vector128.Sum(c5), Vector128.Sum(c6), Vector128.Sum(c7)) + Vector128.LoadUnsafe(ref cs, 4) * z).StoreUnsafe(ref dst, 4);
            (Vector128.Create(Vector128.Sum(c8), Vector128.Sum(c9), Vector128.Sum(c10), Vector128.Sum(c11)) + Vector128.LoadUnsafe(ref cs, 8) * z).StoreUnsafe(ref dst, 8);
            (Vector128.Create(Vector128.Sum(c12), Vector128.Sum(c13), Vector128.Sum(c14), Vector128.Sum(c15)) + Vector128.LoadUnsafe(ref cs, 12) * z).StoreUnsafe(ref dst, 12);
        }

        /// <summary>Four columns (16 bytes: column-major k0..k3) times x, into four per-column partial-sum vectors.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Quad(ref Vector128<int> c0, ref Vector128<int> c1, ref Vector128<int> c2, ref Vector128<int> c3, Vector128<sbyte> b, Vector128<short> x)
        {
            var (lo, hi) = Vector128.Widen(b);
            var p = lo * x; // columns 0, 1
            var q = hi * x; // columns 2, 3
            c0 += Vector128.WidenLower(p); c1 += Vector128.WidenUpper(p);
            c2 += Vector128.WidenLower(q); c3 += Vector128.WidenUpper(q);
        }
    }
}
