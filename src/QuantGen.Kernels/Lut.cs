using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantGen.Kernels
{
    /// <summary>
    /// A uint8 -> uint8 lookup table: y[i] = table[x[i]]. The build computes the table of a chain of elementwise float ops
    /// between a DequantizeLinear and a QuantizeLinear (e.g. LeakyRelu then Max(x, c) in a QDQ model), so the chain runs
    /// on bytes with exactly the results the float ops give on each of the 256 inputs. Every path gives the same bytes.
    /// </summary>
    internal static class Lut
    {
        public static void Run(ReadOnlySpan<byte> x, Span<byte> y, ReadOnlySpan<byte> table)
        {
            if (table.Length != 256) throw new ArgumentException("Lut: the table must have 256 entries", nameof(table));
            if (y.Length < x.Length) throw new ArgumentException("Lut: output too small", nameof(y));
            int len = x.Length, i = 0;
            ref byte px = ref MemoryMarshal.GetReference(x);
            ref byte py = ref MemoryMarshal.GetReference(y);
            ref byte pt = ref MemoryMarshal.GetReference(table);
            if (Avx512Vbmi.IsSupported && Vector512.IsHardwareAccelerated && len >= 64)
            {
                // vpermi2b picks from 128 bytes by the low 7 index bits: one permute per table half, then the high bit selects.
                var t0 = Vector512.LoadUnsafe(ref pt); var t1 = Vector512.LoadUnsafe(ref pt, 64);
                var t2 = Vector512.LoadUnsafe(ref pt, 128); var t3 = Vector512.LoadUnsafe(ref pt, 192);
                for (; i <= len - 64; i += 64)
                {
                    var v = Vector512.LoadUnsafe(ref px, (nuint)i);
                    var lo = Avx512Vbmi.PermuteVar64x8x2(t0, v, t1);
                    var hi = Avx512Vbmi.PermuteVar64x8x2(t2, v, t3);
                    var high = Vector512.GreaterThan(v, Vector512.Create((byte)127));
                    Vector512.ConditionalSelect(high, hi, lo).StoreUnsafe(ref py, (nuint)i);
                }
            }
            else if (Avx2.IsSupported && len >= 32)
            {
                // vpshufb looks up 16 entries by the low 4 bits; the 16 slices are selected by the high 4 bits.
                var low4 = Vector256.Create((byte)0x0F);
                for (; i <= len - 32; i += 32)
                {
                    var v = Vector256.LoadUnsafe(ref px, (nuint)i);
                    var idx = v & low4;
                    var slice = Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & low4;
                    var r = Vector256<byte>.Zero;
                    for (int s = 0; s < 16; s++)
                    {
                        var t = Vector256.Create(Vector128.LoadUnsafe(ref pt, (nuint)(16 * s)));
                        r = Vector256.ConditionalSelect(Vector256.Equals(slice, Vector256.Create((byte)s)), Avx2.Shuffle(t, idx), r);
                    }
                    r.StoreUnsafe(ref py, (nuint)i);
                }
            }
            for (; i < len; i++) Unsafe.Add(ref py, i) = Unsafe.Add(ref pt, Unsafe.Add(ref px, i));
        }
    }
}
