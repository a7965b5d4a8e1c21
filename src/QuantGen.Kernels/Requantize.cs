// quantgen-kernel-uses: RequantizeRule
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace QuantGen.Kernels
{
    /// <summary>
    /// The code paths of the int8 kernels. <see cref="Best"/> is made of IsSupported checks that the JIT and NativeAOT fold to a
    /// constant; tests pass a path explicitly to run each one the machine supports.
    /// </summary>
    internal static class QuantPath
    {
        public const int Scalar = 0, Portable128 = 1, X86Avx2 = 2, X86Avx512 = 3, ArmAdvSimd = 4, ArmDp = 5, X86AvxVnni = 6;

        /// <summary>
        /// AVX-VNNI first where the CPU has it: vpdpbusd (ymm) sums four u8 x s8 products straight into int32, exact for full 8-bit
        /// weights, at about twice the multiply rate of the AVX-512BW widening path. Under NativeAOT with the package's default
        /// x86-64-v3 target, <c>AvxVnni.IsSupported</c> is a run-time check (the one ISA above AVX2 that ILC allows so); AVX-512 is
        /// a compile-time constant there (false unless the binary targets x86-64-v4 or native).
        /// </summary>
        public static int Best
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => AvxVnni.IsSupported && Avx2.IsSupported ? X86AvxVnni
                : Avx512BW.IsSupported && Vector512.IsHardwareAccelerated ? X86Avx512
                : Avx2.IsSupported ? X86Avx2
                : Dp.IsSupported && AdvSimd.Arm64.IsSupported ? ArmDp
                : AdvSimd.Arm64.IsSupported ? ArmAdvSimd
                : Vector128.IsHardwareAccelerated ? Portable128 : Scalar;
        }

        /// <summary>Whether <paramref name="path"/> can run here (the portable path always can, in software if need be).</summary>
        public static bool IsSupported(int path)
        {
            if (path == Scalar || path == Portable128) return true;
            if (path == X86Avx2) return Avx2.IsSupported;
            if (path == X86Avx512) return Avx512BW.IsSupported;
            if (path == ArmAdvSimd) return AdvSimd.Arm64.IsSupported;
            if (path == ArmDp) return Dp.IsSupported && AdvSimd.Arm64.IsSupported;
            if (path == X86AvxVnni) return AvxVnni.IsSupported && Avx2.IsSupported;
            return false;
        }

        /// <summary>
        /// The path of the vector code around the GEMM (epilogues, quantization): the VNNI path only changes the GEMM
        /// micro-kernels, and its epilogues run at the widest vector width the target has.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Vector(int path) =>
            path != X86AvxVnni ? path : Avx512BW.IsSupported && Vector512.IsHardwareAccelerated ? X86Avx512 : X86Avx2;

        public static string Name(int path) => path switch
        {
            Scalar => "scalar", Portable128 => "Vector128", X86Avx2 => "AVX2", X86Avx512 => "AVX-512BW",
            ArmAdvSimd => "AdvSimd", ArmDp => "AdvSimd+Dp", X86AvxVnni => "AVX-VNNI", _ => "unknown",
        };
    }

    /// <summary>
    /// Requantization int32 -> uint8/int8 (static quantization) and dequantization int32 -> float (dynamic quantization).
    /// Every path equals <see cref="Requantize(int, int, int, int, int, int)"/> bit for bit.
    /// </summary>
    /// <remarks>
    /// <para>How the SIMD paths compute the rule without 64-bit shifts (AVX2 has no 64-bit arithmetic shift). For a lane with
    /// shift N let N' = max(N, 33) and L = N' - N (a pre-shift, nonzero only when N &lt;= 32, that is S &gt;= 0.5):</para>
    /// <code>
    ///   a  = clamp(acc, -2^(31-L), 2^(31-L) - 1) &lt;&lt; L     (no clamp when L = 0)
    ///   h  = floor(a * M0 / 2^32)                      (high dword of the signed 32x32 product: vpmuldq / smull)
    ///   y  = (h + 2^(N'-33)) &gt;&gt; (N' - 32)               (32-bit arithmetic shift: vpsravd / sshl)
    /// </code>
    /// <para>Why y is the rule: with p = a * M0 = acc * M0 * 2^L, floor((p + 2^(N'-1)) / 2^N') equals the rule because the factor
    /// 2^L cancels; and writing p = h * 2^32 + lo with 0 &lt;= lo &lt; 2^32, floor((h * 2^32 + lo + 2^(N'-1)) / 2^N') =
    /// floor((h + 2^(N'-33)) / 2^(N'-32)) since N' &gt;= 33 makes 2^(N'-1) a multiple of 2^32 and lo cannot carry into the
    /// quotient. |a| &lt;= 2^31 and M0 &lt; 2^31 give |h| &lt;= 2^30 and h + 2^(N'-33) &lt; 2^31, so nothing overflows.
    /// The clamp changes nothing for 8-bit outputs: when L &gt; 0 the clamp bound is 2^(N-2), and since S &gt;= 2^(30-N),
    /// |acc * S| &gt;= 2^28 - 2^14 at either bound, so the output saturates there and (y being monotonic in acc) beyond.
    /// Finally y is clamped to [qmin - zp, qmax - zp] before adding zp, so the 32-bit add cannot overflow either.</para>
    /// </remarks>
    internal static partial class Requantization
    {
        // ---------------------------------------------------------------------------------------------------------------
        // int32 -> uint8 / int8
        // ---------------------------------------------------------------------------------------------------------------

        /// <summary>Per-tensor requantization to uint8: y[i] = rule(acc[i], m0, n, zeroPoint) clamped to [qmin, qmax].</summary>
        public static void RequantizeToUInt8(ReadOnlySpan<int> acc, int m0, int n, int zeroPoint, Span<byte> y, int qmin, int qmax) =>
            RequantizeCore(acc, m0, n, default, default, zeroPoint, y, qmin, qmax, 0, 255, QuantPath.Best);

        /// <summary>Per-channel requantization to uint8: element i uses m0[i] and n[i].</summary>
        public static void RequantizeToUInt8(ReadOnlySpan<int> acc, ReadOnlySpan<int> m0, ReadOnlySpan<int> n, int zeroPoint, Span<byte> y, int qmin, int qmax) =>
            RequantizeCore(acc, 0, 0, m0, n, zeroPoint, y, qmin, qmax, 0, 255, QuantPath.Best);

        /// <summary>Per-tensor requantization to int8.</summary>
        public static void RequantizeToInt8(ReadOnlySpan<int> acc, int m0, int n, int zeroPoint, Span<sbyte> y, int qmin, int qmax) =>
            RequantizeCore(acc, m0, n, default, default, zeroPoint, MemoryMarshal.AsBytes(y), qmin, qmax, -128, 127, QuantPath.Best);

        /// <summary>Per-channel requantization to int8: element i uses m0[i] and n[i].</summary>
        public static void RequantizeToInt8(ReadOnlySpan<int> acc, ReadOnlySpan<int> m0, ReadOnlySpan<int> n, int zeroPoint, Span<sbyte> y, int qmin, int qmax) =>
            RequantizeCore(acc, 0, 0, m0, n, zeroPoint, MemoryMarshal.AsBytes(y), qmin, qmax, -128, 127, QuantPath.Best);

        /// <summary>
        /// All requantization entry points. Per-channel when <paramref name="m0s"/> is not empty (then m0s and ns have at least
        /// acc.Length elements), else per-tensor (m0, n). Output bytes are uint8 when typeMin = 0, int8 bit patterns when -128.
        /// </summary>
        internal static void RequantizeCore(ReadOnlySpan<int> acc, int m0, int n, ReadOnlySpan<int> m0s, ReadOnlySpan<int> ns,
            int zeroPoint, Span<byte> y, int qmin, int qmax, int typeMin, int typeMax, int path)
        {
            int len = acc.Length;
            bool perChannel = !m0s.IsEmpty;
            if (y.Length < len) throw new ArgumentException("requantization output too small", nameof(y));
            if (perChannel ? m0s.Length < len || ns.Length < len : n < MinShift || n > MaxShift || m0 < (1 << 30))
                throw new ArgumentException("requantization multiplier missing or out of range (use QuantizeMultiplier)");
            if (qmin < typeMin || qmax > typeMax || qmin > qmax || zeroPoint < typeMin || zeroPoint > typeMax)
                throw new ArgumentException("requantization zero point or clamp outside the output type");
            ref int pa = ref MemoryMarshal.GetReference(acc);
            ref int pm = ref MemoryMarshal.GetReference(m0s);
            ref int pn = ref MemoryMarshal.GetReference(ns);
            ref byte py = ref MemoryMarshal.GetReference(y);
            int i = 0;
            path = QuantPath.Vector(path);
            if (path == QuantPath.X86Avx512 && Avx512BW.IsSupported) i = Avx512Requantize(len, ref pa, m0, n, ref pm, ref pn, perChannel, zeroPoint, qmin, qmax, ref py);
            else if (path == QuantPath.X86Avx2 && Avx2.IsSupported) i = Avx2Requantize(len, ref pa, m0, n, ref pm, ref pn, perChannel, zeroPoint, qmin, qmax, ref py);
            else if ((path == QuantPath.ArmAdvSimd || path == QuantPath.ArmDp) && AdvSimd.Arm64.IsSupported) i = AdvSimdRequantize(len, ref pa, m0, n, ref pm, ref pn, perChannel, zeroPoint, qmin, qmax, ref py);
            else if (path != QuantPath.Scalar) i = PortableRequantize(len, ref pa, m0, n, ref pm, ref pn, perChannel, zeroPoint, qmin, qmax, ref py);
            for (; i < len; i++)
            {
                int mm = perChannel ? Unsafe.Add(ref pm, i) : m0, nn = perChannel ? Unsafe.Add(ref pn, i) : n;
                Unsafe.Add(ref py, i) = (byte)Requantize(Unsafe.Add(ref pa, i), mm, nn, zeroPoint, qmin, qmax);
            }
        }

        /// <summary>
        /// A GEMM epilogue block: rows x w accumulators (row stride tileStride) plus bias[j] (when not empty), requantized to uint8
        /// at y (row stride ldy) with per-channel (m0s, ns) or per-tensor (m0, n) parameters. x86 vector paths only: returns the
        /// number of leading columns done (a multiple of 8; 0 on other paths), the caller finishes the rest. Each channel's lane
        /// constants are computed once per block instead of once per row; the bytes are those of <see cref="RequantizeCore"/>.
        /// </summary>
        internal static int RequantizeTileX86(ReadOnlySpan<int> tile, int tileStride, int rows, int w, ReadOnlySpan<int> bias, int m0, int n,
            ReadOnlySpan<int> m0s, ReadOnlySpan<int> ns, int zeroPoint, Span<byte> y, int ldy, int qmin, int qmax, int path)
        {
            bool perChannel = !m0s.IsEmpty;
            path = QuantPath.Vector(path);
            bool avx512 = path == QuantPath.X86Avx512 && Avx512BW.IsSupported;
            if (rows <= 0 || w < 8 || !avx512 && !(path == QuantPath.X86Avx2 && Avx2.IsSupported)) return 0;
            if ((long)(rows - 1) * tileStride + w > tile.Length || (long)(rows - 1) * ldy + w > y.Length || !bias.IsEmpty && bias.Length < w
                || (perChannel ? m0s.Length < w || ns.Length < w : n < MinShift || n > MaxShift || m0 < (1 << 30))
                || qmin < 0 || qmax > 255 || qmin > qmax || zeroPoint < 0 || zeroPoint > 255)
                throw new ArgumentException("RequantizeTile: operand too small or parameter out of range");
            ref int pt = ref MemoryMarshal.GetReference(tile);
            ref int pb = ref MemoryMarshal.GetReference(bias);
            ref int pm = ref MemoryMarshal.GetReference(m0s);
            ref int pn = ref MemoryMarshal.GetReference(ns);
            ref byte py = ref MemoryMarshal.GetReference(y);
            bool hasBias = !bias.IsEmpty;
            LaneConstants(n, out int lo0, out int hi0, out int l0, out int r0, out int sh0);
            int c = 0;
            if (avx512)
            {
                var m = Vector512.Create(m0); var lo = Vector512.Create(lo0); var hi = Vector512.Create(hi0); var l = Vector512.Create(l0);
                var r = Vector512.Create(r0); var sh = Vector512.Create(sh0);
                var ylo = Vector512.Create(qmin - zeroPoint); var yhi = Vector512.Create(qmax - zeroPoint); var zp = Vector512.Create(zeroPoint);
                for (; c <= w - 16; c += 16)
                {
                    if (perChannel) Avx512Channels(ref pm, ref pn, c, out m, out lo, out hi, out l, out r, out sh);
                    var b = hasBias ? Vector512.LoadUnsafe(ref pb, (nuint)c) : Vector512<int>.Zero;
                    for (int i = 0; i < rows; i++)
                    {
                        var acc = Vector512.LoadUnsafe(ref pt, (nuint)(i * tileStride + c)) + b;
                        Avx512F.ConvertToVector128Byte(Avx512Rule(acc, m, lo, hi, l, r, sh, ylo, yhi, zp).AsUInt32()).StoreUnsafe(ref py, (nuint)(i * ldy + c));
                    }
                }
            }
            {
                var m = Vector256.Create(m0); var lo = Vector256.Create(lo0); var hi = Vector256.Create(hi0); var l = Vector256.Create(l0);
                var r = Vector256.Create(r0); var sh = Vector256.Create(sh0);
                var ylo = Vector256.Create(qmin - zeroPoint); var yhi = Vector256.Create(qmax - zeroPoint); var zp = Vector256.Create(zeroPoint);
                for (; c <= w - 8; c += 8)
                {
                    if (perChannel) Avx2Channels(ref pm, ref pn, c, out m, out lo, out hi, out l, out r, out sh);
                    var b = hasBias ? Vector256.LoadUnsafe(ref pb, (nuint)c) : Vector256<int>.Zero;
                    for (int i = 0; i < rows; i++)
                        StoreLow8(Avx2Rule(Vector256.LoadUnsafe(ref pt, (nuint)(i * tileStride + c)) + b, m, lo, hi, l, r, sh, ylo, yhi, zp),
                            ref Unsafe.Add(ref py, i * ldy + c));
                }
            }
            return c;
        }

        /// <summary>The per-lane constants of the SIMD form (class remarks): clamp bounds, pre-shift L, rounding addend, final shift.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void LaneConstants(int n, out int lo, out int hi, out int l, out int r, out int sh)
        {
            int nc = n > 33 ? n : 33;
            l = nc - n;
            sh = nc - 32;
            r = 1 << (nc - 33);
            int bound = 1 << (31 - l); // l = 0: int.MinValue, so lo = int.MinValue and hi = int.MaxValue (no clamp)
            lo = -bound;
            hi = bound - 1;
        }

        private static int Avx2Requantize(int len, ref int pa, int m0, int n, ref int pm, ref int pn, bool perChannel, int zp, int qmin, int qmax, ref byte py)
        {
            LaneConstants(n, out int lo, out int hi, out int l, out int r, out int sh);
            var vm = Vector256.Create(m0); var vlo = Vector256.Create(lo); var vhi = Vector256.Create(hi); var vl = Vector256.Create(l);
            var vr = Vector256.Create(r); var vsh = Vector256.Create(sh);
            var ylo = Vector256.Create(qmin - zp); var yhi = Vector256.Create(qmax - zp); var vzp = Vector256.Create(zp);
            int i = 0;
            for (; i <= len - 32; i += 32)
            {
                var y0 = Avx2Lane(ref pa, ref pm, ref pn, i, perChannel, vm, vlo, vhi, vl, vr, vsh, ylo, yhi, vzp);
                var y1 = Avx2Lane(ref pa, ref pm, ref pn, i + 8, perChannel, vm, vlo, vhi, vl, vr, vsh, ylo, yhi, vzp);
                var y2 = Avx2Lane(ref pa, ref pm, ref pn, i + 16, perChannel, vm, vlo, vhi, vl, vr, vsh, ylo, yhi, vzp);
                var y3 = Avx2Lane(ref pa, ref pm, ref pn, i + 24, perChannel, vm, vlo, vhi, vl, vr, vsh, ylo, yhi, vzp);
                // Values are already inside the output type, so the truncating narrow is exact for uint8 and int8 alike.
                Vector256.Narrow(Vector256.Narrow(y0, y1), Vector256.Narrow(y2, y3)).AsByte().StoreUnsafe(ref py, (nuint)i);
            }
            // Short rows (a narrow layer's 8-24 channels): one vector of 8 at a time.
            for (; i <= len - 8; i += 8)
                StoreLow8(Avx2Lane(ref pa, ref pm, ref pn, i, perChannel, vm, vlo, vhi, vl, vr, vsh, ylo, yhi, vzp), ref Unsafe.Add(ref py, i));
            return i;
        }

        /// <summary>The 8 in-range int32 lanes of y as 8 bytes at p: the low 8 bytes of the same truncating narrow.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreLow8(Vector256<int> y, ref byte p)
        {
            var w = Vector256.Narrow(y, y);
            Unsafe.WriteUnaligned(ref p, Vector256.Narrow(w, w).AsUInt64().ToScalar());
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<int> Avx2Lane(ref int pa, ref int pm, ref int pn, int i, bool perChannel, Vector256<int> m, Vector256<int> lo,
            Vector256<int> hi, Vector256<int> l, Vector256<int> r, Vector256<int> sh, Vector256<int> ylo, Vector256<int> yhi, Vector256<int> zp)
        {
            if (perChannel) Avx2Channels(ref pm, ref pn, i, out m, out lo, out hi, out l, out r, out sh);
            return Avx2Rule(Vector256.LoadUnsafe(ref pa, (nuint)i), m, lo, hi, l, r, sh, ylo, yhi, zp);
        }

        /// <summary>The lane constants of 8 channels from their multipliers and shifts (<see cref="LaneConstants"/>, per lane).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Avx2Channels(ref int pm, ref int pn, int i, out Vector256<int> m, out Vector256<int> lo, out Vector256<int> hi,
            out Vector256<int> l, out Vector256<int> r, out Vector256<int> sh)
        {
            m = Vector256.LoadUnsafe(ref pm, (nuint)i);
            var nc = Avx2.Max(Vector256.LoadUnsafe(ref pn, (nuint)i), Vector256.Create(33));
            l = nc - Vector256.LoadUnsafe(ref pn, (nuint)i);
            sh = nc - Vector256.Create(32);
            r = Avx2.ShiftLeftLogicalVariable(Vector256.Create(1), (nc - Vector256.Create(33)).AsUInt32());
            var bound = Avx2.ShiftLeftLogicalVariable(Vector256.Create(1), (Vector256.Create(31) - l).AsUInt32());
            lo = -bound;
            hi = bound - Vector256.Create(1);
        }

        /// <summary>The rule on 8 accumulators, clamped and offset by the zero point (class remarks).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<int> Avx2Rule(Vector256<int> acc, Vector256<int> m, Vector256<int> lo, Vector256<int> hi, Vector256<int> l,
            Vector256<int> r, Vector256<int> sh, Vector256<int> ylo, Vector256<int> yhi, Vector256<int> zp)
        {
            var a = Avx2.ShiftLeftLogicalVariable(Avx2.Min(Avx2.Max(acc, lo), hi), l.AsUInt32());
            var even = Avx2.Multiply(a, m);
            var odd = Avx2.Multiply(Avx2.ShiftRightLogical(a.AsInt64(), 32).AsInt32(), Avx2.ShiftRightLogical(m.AsInt64(), 32).AsInt32());
            var h = Avx2.Blend(Avx2.ShiftRightLogical(even, 32).AsInt32(), odd.AsInt32(), 0b10101010);
            var y = Avx2.ShiftRightArithmeticVariable(h + r, sh.AsUInt32());
            return Avx2.Min(Avx2.Max(y, ylo), yhi) + zp;
        }

        private static int Avx512Requantize(int len, ref int pa, int m0, int n, ref int pm, ref int pn, bool perChannel, int zp, int qmin, int qmax, ref byte py)
        {
            LaneConstants(n, out int lo, out int hi, out int l, out int r, out int sh);
            var vm = Vector512.Create(m0); var vlo = Vector512.Create(lo); var vhi = Vector512.Create(hi); var vl = Vector512.Create(l);
            var vr = Vector512.Create(r); var vsh = Vector512.Create(sh);
            var ylo = Vector512.Create(qmin - zp); var yhi = Vector512.Create(qmax - zp); var vzp = Vector512.Create(zp);
            int i = 0;
            for (; i <= len - 64; i += 64)
            {
                var y0 = Avx512Lane(ref pa, ref pm, ref pn, i, perChannel, vm, vlo, vhi, vl, vr, vsh, ylo, yhi, vzp);
                var y1 = Avx512Lane(ref pa, ref pm, ref pn, i + 16, perChannel, vm, vlo, vhi, vl, vr, vsh, ylo, yhi, vzp);
                var y2 = Avx512Lane(ref pa, ref pm, ref pn, i + 32, perChannel, vm, vlo, vhi, vl, vr, vsh, ylo, yhi, vzp);
                var y3 = Avx512Lane(ref pa, ref pm, ref pn, i + 48, perChannel, vm, vlo, vhi, vl, vr, vsh, ylo, yhi, vzp);
                Vector512.Narrow(Vector512.Narrow(y0, y1), Vector512.Narrow(y2, y3)).AsByte().StoreUnsafe(ref py, (nuint)i);
            }
            // Short rows: 16 at a time (vpmovdb truncates, exact for the in-range values), then 8 with the AVX2 lane.
            for (; i <= len - 16; i += 16)
                Avx512F.ConvertToVector128Byte(Avx512Lane(ref pa, ref pm, ref pn, i, perChannel, vm, vlo, vhi, vl, vr, vsh, ylo, yhi, vzp).AsUInt32())
                    .StoreUnsafe(ref py, (nuint)i);
            if (i <= len - 8)
            {
                StoreLow8(Avx2Lane(ref pa, ref pm, ref pn, i, perChannel, vm.GetLower(), vlo.GetLower(), vhi.GetLower(),
                    vl.GetLower(), vr.GetLower(), vsh.GetLower(), ylo.GetLower(), yhi.GetLower(), vzp.GetLower()), ref Unsafe.Add(ref py, i));
                i += 8;
            }
            return i;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<int> Avx512Lane(ref int pa, ref int pm, ref int pn, int i, bool perChannel, Vector512<int> m, Vector512<int> lo,
            Vector512<int> hi, Vector512<int> l, Vector512<int> r, Vector512<int> sh, Vector512<int> ylo, Vector512<int> yhi, Vector512<int> zp)
        {
            if (perChannel) Avx512Channels(ref pm, ref pn, i, out m, out lo, out hi, out l, out r, out sh);
            return Avx512Rule(Vector512.LoadUnsafe(ref pa, (nuint)i), m, lo, hi, l, r, sh, ylo, yhi, zp);
        }

        /// <summary>The lane constants of 16 channels from their multipliers and shifts (<see cref="LaneConstants"/>, per lane).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Avx512Channels(ref int pm, ref int pn, int i, out Vector512<int> m, out Vector512<int> lo, out Vector512<int> hi,
            out Vector512<int> l, out Vector512<int> r, out Vector512<int> sh)
        {
            m = Vector512.LoadUnsafe(ref pm, (nuint)i);
            var nv = Vector512.LoadUnsafe(ref pn, (nuint)i);
            var nc = Avx512F.Max(nv, Vector512.Create(33));
            l = nc - nv;
            sh = nc - Vector512.Create(32);
            r = Avx512F.ShiftLeftLogicalVariable(Vector512.Create(1), (nc - Vector512.Create(33)).AsUInt32());
            var bound = Avx512F.ShiftLeftLogicalVariable(Vector512.Create(1), (Vector512.Create(31) - l).AsUInt32());
            lo = -bound;
            hi = bound - Vector512.Create(1);
        }

        /// <summary>The rule on 16 accumulators, clamped and offset by the zero point (class remarks).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<int> Avx512Rule(Vector512<int> acc, Vector512<int> m, Vector512<int> lo, Vector512<int> hi, Vector512<int> l,
            Vector512<int> r, Vector512<int> sh, Vector512<int> ylo, Vector512<int> yhi, Vector512<int> zp)
        {
            var a = Avx512F.ShiftLeftLogicalVariable(Avx512F.Min(Avx512F.Max(acc, lo), hi), l.AsUInt32());
            var even = Avx512F.Multiply(a, m);
            var odd = Avx512F.Multiply(Avx512F.ShiftRightLogical(a.AsInt64(), 32).AsInt32(), Avx512F.ShiftRightLogical(m.AsInt64(), 32).AsInt32());
            var h = (Avx512F.ShiftRightLogical(even, 32) | (odd & Vector512.Create(unchecked((long)0xFFFFFFFF00000000UL)))).AsInt32();
            var y = Avx512F.ShiftRightArithmeticVariable(h + r, sh.AsUInt32());
            return Avx512F.Min(Avx512F.Max(y, ylo), yhi) + zp;
        }

        private static int AdvSimdRequantize(int len, ref int pa, int m0, int n, ref int pm, ref int pn, bool perChannel, int zp, int qmin, int qmax, ref byte py)
        {
            LaneConstants(n, out int lo, out int hi, out int l, out int r, out int sh);
            var vm = Vector128.Create(m0); var vlo = Vector128.Create(lo); var vhi = Vector128.Create(hi); var vl = Vector128.Create(l);
            var vr = Vector128.Create(r); var vnsh = Vector128.Create(-sh);
            var ylo = Vector128.Create(qmin - zp); var yhi = Vector128.Create(qmax - zp); var vzp = Vector128.Create(zp);
            int i = 0;
            for (; i <= len - 16; i += 16)
            {
                var y0 = AdvSimdLane(ref pa, ref pm, ref pn, i, perChannel, vm, vlo, vhi, vl, vr, vnsh, ylo, yhi, vzp);
                var y1 = AdvSimdLane(ref pa, ref pm, ref pn, i + 4, perChannel, vm, vlo, vhi, vl, vr, vnsh, ylo, yhi, vzp);
                var y2 = AdvSimdLane(ref pa, ref pm, ref pn, i + 8, perChannel, vm, vlo, vhi, vl, vr, vnsh, ylo, yhi, vzp);
                var y3 = AdvSimdLane(ref pa, ref pm, ref pn, i + 12, perChannel, vm, vlo, vhi, vl, vr, vnsh, ylo, yhi, vzp);
                Vector128.Narrow(Vector128.Narrow(y0, y1), Vector128.Narrow(y2, y3)).AsByte().StoreUnsafe(ref py, (nuint)i);
            }
            return i;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<int> AdvSimdLane(ref int pa, ref int pm, ref int pn, int i, bool perChannel, Vector128<int> m, Vector128<int> lo,
            Vector128<int> hi, Vector128<int> l, Vector128<int> r, Vector128<int> nsh, Vector128<int> ylo, Vector128<int> yhi, Vector128<int> zp)
        {
            if (perChannel)
            {
                m = Vector128.LoadUnsafe(ref pm, (nuint)i);
                var nv = Vector128.LoadUnsafe(ref pn, (nuint)i);
                var nc = AdvSimd.Max(nv, Vector128.Create(33));
                l = nc - nv;
                nsh = Vector128.Create(32) - nc;
                r = AdvSimd.ShiftLogical(Vector128.Create(1), nc - Vector128.Create(33));
                var bound = AdvSimd.ShiftLogical(Vector128.Create(1), Vector128.Create(31) - l);
                lo = -bound;
                hi = bound - Vector128.Create(1);
            }
            var a = AdvSimd.ShiftLogical(AdvSimd.Min(AdvSimd.Max(Vector128.LoadUnsafe(ref pa, (nuint)i), lo), hi), l);
            var pLo = AdvSimd.MultiplyWideningLower(a.GetLower(), m.GetLower());
            var pHi = AdvSimd.MultiplyWideningUpper(a, m);
            var h = AdvSimd.Arm64.UnzipOdd(pLo.AsInt32(), pHi.AsInt32());
            var y = AdvSimd.ShiftArithmetic(h + r, nsh); // negative count: arithmetic shift right (floor)
            return AdvSimd.Min(AdvSimd.Max(y, ylo), yhi) + zp;
        }

        /// <summary>Portable path (generic Vector128 only): the same algorithm, with both variable shifts done as multiplies.</summary>
        private static int PortableRequantize(int len, ref int pa, int m0, int n, ref int pm, ref int pn, bool perChannel, int zp, int qmin, int qmax, ref byte py)
        {
            Vector128<int> vm = default, vlo = default, vhi = default, vpl = default, vr = default;
            Vector128<long> vpsLo = default, vpsHi = default;
            if (!perChannel) PortableConstants(ref pm, ref pn, 0, false, m0, n, out vm, out vlo, out vhi, out vpl, out vr, out vpsLo, out vpsHi);
            var ylo = Vector128.Create(qmin - zp); var yhi = Vector128.Create(qmax - zp); var vzp = Vector128.Create(zp);
            int i = 0;
            for (; i <= len - 8; i += 8)
            {
                if (perChannel) PortableConstants(ref pm, ref pn, i, true, 0, 0, out vm, out vlo, out vhi, out vpl, out vr, out vpsLo, out vpsHi);
                var y0 = PortableLane(Vector128.LoadUnsafe(ref pa, (nuint)i), vm, vlo, vhi, vpl, vr, vpsLo, vpsHi, ylo, yhi, vzp);
                if (perChannel) PortableConstants(ref pm, ref pn, i + 4, true, 0, 0, out vm, out vlo, out vhi, out vpl, out vr, out vpsLo, out vpsHi);
                var y1 = PortableLane(Vector128.LoadUnsafe(ref pa, (nuint)(i + 4)), vm, vlo, vhi, vpl, vr, vpsLo, vpsHi, ylo, yhi, vzp);
                var s = Vector128.Narrow(y0, y1);
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref py, i), Vector128.Narrow(s, s).AsUInt64().ToScalar());
            }
            return i;
        }

        /// <summary>Lane constants for 4 lanes (per channel from pm/pn at i, else the broadcast m0/n), built with scalar code.</summary>
        private static void PortableConstants(ref int pm, ref int pn, int i, bool perChannel, int m0, int n, out Vector128<int> m,
            out Vector128<int> lo, out Vector128<int> hi, out Vector128<int> pl, out Vector128<int> r, out Vector128<long> psLo, out Vector128<long> psHi)
        {
            int n0 = perChannel ? Unsafe.Add(ref pn, i) : n, n1 = perChannel ? Unsafe.Add(ref pn, i + 1) : n;
            int n2 = perChannel ? Unsafe.Add(ref pn, i + 2) : n, n3 = perChannel ? Unsafe.Add(ref pn, i + 3) : n;
            m = perChannel ? Vector128.LoadUnsafe(ref pm, (nuint)i) : Vector128.Create(m0);
            LaneConstants(n0, out int lo0, out int hi0, out int l0, out int r0, out int s0);
            LaneConstants(n1, out int lo1, out int hi1, out int l1, out int r1, out int s1);
            LaneConstants(n2, out int lo2, out int hi2, out int l2, out int r2, out int s2);
            LaneConstants(n3, out int lo3, out int hi3, out int l3, out int r3, out int s3);
            lo = Vector128.Create(lo0, lo1, lo2, lo3);
            hi = Vector128.Create(hi0, hi1, hi2, hi3);
            pl = Vector128.Create(1 << l0, 1 << l1, 1 << l2, 1 << l3); // 2^L with L <= 17
            r = Vector128.Create(r0, r1, r2, r3);
            psLo = Vector128.Create(1L << (32 - s0), 1L << (32 - s1)); // 2^(32 - sh), sh in [1, 31]
            psHi = Vector128.Create(1L << (32 - s2), 1L << (32 - s3));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<int> PortableLane(Vector128<int> acc, Vector128<int> m, Vector128<int> lo, Vector128<int> hi, Vector128<int> pl,
            Vector128<int> r, Vector128<long> psLo, Vector128<long> psHi, Vector128<int> ylo, Vector128<int> yhi, Vector128<int> zp)
        {
            var a = Vector128.Min(Vector128.Max(acc, lo), hi) * pl;
            var h = MulHigh(a, Vector128.WidenLower(m), Vector128.WidenUpper(m));
            var y = MulHigh(h + r, psLo, psHi); // floor(v * 2^(32-sh) / 2^32) = floor(v / 2^sh)
            return Vector128.Min(Vector128.Max(y, ylo), yhi) + zp;
        }

        /// <summary>floor(x[i] * f[i] / 2^32) for 32-bit x and 64-bit f with |x * f| &lt; 2^63, in 64-bit lanes.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<int> MulHigh(Vector128<int> x, Vector128<long> fLow, Vector128<long> fHigh) =>
            Vector128.Narrow(Vector128.ShiftRightArithmetic(Vector128.WidenLower(x) * fLow, 32),
                             Vector128.ShiftRightArithmetic(Vector128.WidenUpper(x) * fHigh, 32));

        // ---------------------------------------------------------------------------------------------------------------
        // int32 -> float (dynamic quantization epilogue)
        // ---------------------------------------------------------------------------------------------------------------

        /// <summary>
        /// y[i] = clamp((float)acc[i] * (scaleA * scaleB[i]) + bias[i], lo, hi), every operation rounded separately (no FMA), so
        /// every path is bit-exact. scaleB has 1 element (per tensor) or at least acc.Length; bias is empty or has at least
        /// acc.Length elements. Relu is lo = 0, hi = +inf; no activation is lo = -inf, hi = +inf. The clamp is compare-and-select
        /// (y &lt; lo ? lo : y, then y &gt; hi ? hi : y), so -0 stays -0 on every path.
        /// </summary>
        public static void Dequantize(ReadOnlySpan<int> acc, float scaleA, ReadOnlySpan<float> scaleB, ReadOnlySpan<float> bias,
            Span<float> y, float lo, float hi) => DequantizeCore(acc, scaleA, scaleB, bias, y, lo, hi, QuantPath.Best);

        internal static void DequantizeCore(ReadOnlySpan<int> acc, float scaleA, ReadOnlySpan<float> scaleB, ReadOnlySpan<float> bias,
            Span<float> y, float lo, float hi, int path)
        {
            int len = acc.Length;
            if (len == 0) return;
            bool perChannel = scaleB.Length != 1, hasBias = !bias.IsEmpty;
            if (y.Length < len || perChannel && scaleB.Length < len || hasBias && bias.Length < len)
                throw new ArgumentException("dequantization operand too small");
            ref int pa = ref MemoryMarshal.GetReference(acc);
            ref float ps = ref MemoryMarshal.GetReference(scaleB);
            ref float pb = ref MemoryMarshal.GetReference(bias);
            ref float py = ref MemoryMarshal.GetReference(y);
            int i = 0;
            path = QuantPath.Vector(path);
            if (path == QuantPath.X86Avx512 && Vector512.IsHardwareAccelerated)
            {
                var sa = Vector512.Create(scaleA); var s = Vector512.Create(scaleA * scaleB[0]); var b = Vector512<float>.Zero;
                var vlo = Vector512.Create(lo); var vhi = Vector512.Create(hi);
                for (; i <= len - 16; i += 16)
                {
                    if (perChannel) s = sa * Vector512.LoadUnsafe(ref ps, (nuint)i);
                    if (hasBias) b = Vector512.LoadUnsafe(ref pb, (nuint)i);
                    var v = Vector512.ConvertToSingle(Vector512.LoadUnsafe(ref pa, (nuint)i)) * s + b;
                    v = Vector512.ConditionalSelect(Vector512.LessThan(v, vlo), vlo, v);
                    Vector512.ConditionalSelect(Vector512.GreaterThan(v, vhi), vhi, v).StoreUnsafe(ref py, (nuint)i);
                }
            }
            else if ((path == QuantPath.X86Avx2 || path == QuantPath.X86Avx512) && Vector256.IsHardwareAccelerated)
            {
                var sa = Vector256.Create(scaleA); var s = Vector256.Create(scaleA * scaleB[0]); var b = Vector256<float>.Zero;
                var vlo = Vector256.Create(lo); var vhi = Vector256.Create(hi);
                for (; i <= len - 8; i += 8)
                {
                    if (perChannel) s = sa * Vector256.LoadUnsafe(ref ps, (nuint)i);
                    if (hasBias) b = Vector256.LoadUnsafe(ref pb, (nuint)i);
                    var v = Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref pa, (nuint)i)) * s + b;
                    v = Vector256.ConditionalSelect(Vector256.LessThan(v, vlo), vlo, v);
                    Vector256.ConditionalSelect(Vector256.GreaterThan(v, vhi), vhi, v).StoreUnsafe(ref py, (nuint)i);
                }
            }
            else if (path != QuantPath.Scalar)
            {
                var sa = Vector128.Create(scaleA); var s = Vector128.Create(scaleA * scaleB[0]); var b = Vector128<float>.Zero;
                var vlo = Vector128.Create(lo); var vhi = Vector128.Create(hi);
                for (; i <= len - 4; i += 4)
                {
                    if (perChannel) s = sa * Vector128.LoadUnsafe(ref ps, (nuint)i);
                    if (hasBias) b = Vector128.LoadUnsafe(ref pb, (nuint)i);
                    var v = Vector128.ConvertToSingle(Vector128.LoadUnsafe(ref pa, (nuint)i)) * s + b;
                    v = Vector128.ConditionalSelect(Vector128.LessThan(v, vlo), vlo, v);
                    Vector128.ConditionalSelect(Vector128.GreaterThan(v, vhi), vhi, v).StoreUnsafe(ref py, (nuint)i);
                }
            }
            for (; i < len; i++)
            {
                float s = scaleA * (perChannel ? Unsafe.Add(ref ps, i) : scaleB[0]);
                float v = Unsafe.Add(ref pa, i) * s + (hasBias ? Unsafe.Add(ref pb, i) : 0f);
                v = v < lo ? lo : v;
                Unsafe.Add(ref py, i) = v > hi ? hi : v;
            }
        }
    }
}
