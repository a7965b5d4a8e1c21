// quantgen-kernel-uses: Requantize, RequantizeRule
using System;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace QuantGen.Kernels
{
    /// <summary>
    /// Addition of two uint8 tensors of the same shape into uint8 (int8 chains, e.g. a residual Add):
    /// <code>
    ///   acc[i] = factorA * (a[i] - zeroA) + factorB * (b[i] - zeroB)          (int32, exact: |acc| &lt;= 2 * 255 * 2^22 &lt; 2^31)
    ///   y[i]   = clamp(rule(acc[i], m0, shift) + zeroY, qmin, qmax)            (RequantizeRule.cs)
    /// </code>
    /// The build chooses factorA / factorB = scaleA / scaleB (the larger scale is 2^22, <see cref="Requantization.AddFactorBits"/>) and
    /// m0 * 2^-shift = max(scaleA, scaleB) / (2^22 * scaleY), so y approximates (scaleA (a - zeroA) + scaleB (b - zeroB)) / scaleY + zeroY.
    /// The integer sums are computed in chunks on the stack and requantized by the one vectorized rule.
    /// </summary>
    internal static class AddQ8
    {
        public static void Run(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> y, int factorA, int zeroA, int factorB, int zeroB,
            int m0, int shift, int zeroY, int qmin, int qmax)
        {
            int len = y.Length;
            if (a.Length < len || b.Length < len) throw new ArgumentException("AddQ8: operand too small");
            if ((uint)factorA > 1 << Requantization.AddFactorBits || (uint)factorB > 1 << Requantization.AddFactorBits || (uint)zeroA > 255 || (uint)zeroB > 255)
                throw new ArgumentException("AddQ8: factor or zero point out of range");
            const int Chunk = 256;
            Span<int> acc = stackalloc int[Chunk];
            ref byte pa = ref MemoryMarshal.GetReference(a);
            ref byte pb = ref MemoryMarshal.GetReference(b);
            for (int start = 0; start < len; start += Chunk)
            {
                int count = Math.Min(Chunk, len - start), i = 0;
                ref int pc = ref MemoryMarshal.GetReference(acc);
                if (Vector128.IsHardwareAccelerated)
                {
                    var fa = Vector128.Create(factorA); var fb = Vector128.Create(factorB);
                    var za = Vector128.Create(zeroA); var zb = Vector128.Create(zeroB);
                    for (; i <= count - 16; i += 16)
                    {
                        var va = Vector128.LoadUnsafe(ref pa, (nuint)(start + i));
                        var vb = Vector128.LoadUnsafe(ref pb, (nuint)(start + i));
                        var (a0, a1) = Vector128.Widen(va);
                        var (b0, b1) = Vector128.Widen(vb);
                        var (a00, a01) = Vector128.Widen(a0); var (a10, a11) = Vector128.Widen(a1);
                        var (b00, b01) = Vector128.Widen(b0); var (b10, b11) = Vector128.Widen(b1);
                        ((a00.AsInt32() - za) * fa + (b00.AsInt32() - zb) * fb).StoreUnsafe(ref pc, (nuint)i);
                        ((a01.AsInt32() - za) * fa + (b01.AsInt32() - zb) * fb).StoreUnsafe(ref pc, (nuint)(i + 4));
                        ((a10.AsInt32() - za) * fa + (b10.AsInt32() - zb) * fb).StoreUnsafe(ref pc, (nuint)(i + 8));
                        ((a11.AsInt32() - za) * fa + (b11.AsInt32() - zb) * fb).StoreUnsafe(ref pc, (nuint)(i + 12));
                    }
                }
                for (; i < count; i++) acc[i] = factorA * (a[start + i] - zeroA) + factorB * (b[start + i] - zeroB);
                Requantization.RequantizeToUInt8(acc.Slice(0, count), m0, shift, zeroY, y.Slice(start, count), qmin, qmax);
            }
        }

        /// <summary>The definition, element by element (what the tests compare against).</summary>
        public static void Reference(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> y, int factorA, int zeroA, int factorB, int zeroB,
            int m0, int shift, int zeroY, int qmin, int qmax)
        {
            for (int i = 0; i < y.Length; i++)
                y[i] = (byte)Requantization.Requantize(factorA * (a[i] - zeroA) + factorB * (b[i] - zeroB), m0, shift, zeroY, qmin, qmax);
        }
    }
}
