using System;
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace QuantGen.Kernels
{
    /// <summary>
    /// 4-bit weights (two per byte) with one scale per group of <c>groupSize</c> consecutive k and column (groups along K;
    /// groupSize &gt;= k is one scale per column):
    /// y[i, j] = clamp(sum over groups g, in order, of (float)C_g[i, j] * (scaleA * scale[g * n + j]), starting from 0f, + bias[j], lo, hi)
    /// with C_g[i, j] = sum_{k in g} (A[i, k] - zeroA) * B[k, j] (int32, exact) and B in [-7, 7]. Every step is one IEEE
    /// operation in that order (no FMA), so every path equals <see cref="Reference4"/> bit for bit.
    /// </summary>
    /// <remarks>
    /// <para><b>Packed 4-bit B</b> is the int8 packed stream of <see cref="Int8Layout.PackedIndex"/> compressed: each 32
    /// bytes of it become 16 (<see cref="Int8Layout.Packed4Index"/>), byte t holding element t in its low nibble and element
    /// t + 16 in its high nibble (two's complement). Unpacking is two shifts per 16 bytes and no interleave, and yields the
    /// int8 layout the micro-kernels already multiply; |B| &lt;= 7 makes every path's narrow bound hold (the x86 kernels use
    /// the narrow vpmaddubsw family or VNNI).</para>
    /// <para>Per call, each chunk of <see cref="NC"/> columns is unpacked once (into pooled memory) with its per-group
    /// column sums, then every block of rows runs the int8 micro-kernels group by group, scaling each group's int32 tile
    /// into a float tile.</para>
    /// </remarks>
    internal static partial class QGemm
    {
        /// <summary>Scale groups along k: ceil(k / groupSize) (one when groupSize &gt;= k).</summary>
        public static int GroupCount(int k, int groupSize) => Int8Layout.GroupCount(k, groupSize);

        /// <summary>Packs row-major B (k x n, values in [-7, 7]) into the 4-bit layout (class remarks).</summary>
        public static void Pack4(ReadOnlySpan<sbyte> b, int k, int n, Span<byte> packed)
        {
            if (k < 0 || n < 0 || b.Length < (long)k * n || packed.Length < Int8Layout.Packed4Length(k, n))
                throw new ArgumentException("QGemm.Pack4: operand too small");
            for (int i = 0; i < k * n; i++)
                if (b[i] < -7 || b[i] > 7) throw new ArgumentException("QGemm.Pack4: 4-bit weights must be in [-7, 7]", nameof(b));
            var b8 = new sbyte[PackedLength(k, n)];
            Pack(b, k, n, b8, new int[ColSumsLength(n)]);
            Int8Layout.Compress4(b8, packed);
        }

        /// <summary>The 4-bit weight B[p, j] read back from the packed layout.</summary>
        public static int Weight4(ReadOnlySpan<byte> packed, int k, int p, int j)
        {
            int idx = PackedIndex(k, p, j);
            int nib = Int8Layout.Packed4High(idx) ? packed[Int8Layout.Packed4Index(idx)] >> 4 : packed[Int8Layout.Packed4Index(idx)] & 15;
            return nib >= 8 ? nib - 16 : nib;
        }

        /// <summary>The scalar reference of the 4-bit GEMM (class summary), written plainly.</summary>
        public static void Reference4(int m, int n, int k, ReadOnlySpan<byte> a, int lda, int zeroA, ReadOnlySpan<byte> packed, int groupSize,
            float scaleA, ReadOnlySpan<float> scales, ReadOnlySpan<float> bias, Span<float> y, int ldy, float lo, float hi, bool transposed = false)
        {
            int groups = GroupCount(k, groupSize), gs = Math.Min(groupSize, Math.Max(k, 1));
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    float f = 0f;
                    for (int g = 0; g < groups; g++)
                    {
                        int acc = 0;
                        for (int p = g * gs; p < Math.Min(k, (g + 1) * gs); p++) acc += (a[i * lda + p] - zeroA) * Weight4(packed, k, p, j);
                        f += (float)acc * (scaleA * scales[g * n + j]);
                    }
                    float v = f + (bias.IsEmpty ? 0f : bias[j]);
                    v = v < lo ? lo : v;
                    y[transposed ? j * ldy + i : i * ldy + j] = v > hi ? hi : v;
                }
            }
        }

        /// <summary>The 4-bit GEMM with dequantization, bias and clamp fused (class summary); transposed stores y[i, j] at y[j * ldy + i].</summary>
        public static void RunDequantize4(int m, int n, int k, ReadOnlySpan<byte> a, int lda, int zeroA, ReadOnlySpan<byte> packed, int groupSize,
            float scaleA, ReadOnlySpan<float> scales, ReadOnlySpan<float> bias, Span<float> y, int ldy, float lo, float hi, bool transposed = false) =>
            RunDequantize4Path(m, n, k, a, lda, zeroA, packed, groupSize, scaleA, scales, bias, y, ldy, lo, hi, QuantPath.Best, transposed);

        internal static void RunDequantize4Path(int m, int n, int k, ReadOnlySpan<byte> a, int lda, int zeroA, ReadOnlySpan<byte> packed, int groupSize,
            float scaleA, ReadOnlySpan<float> scales, ReadOnlySpan<float> bias, Span<float> y, int ldy, float lo, float hi, int path, bool transposed = false)
        {
            if (m < 0 || n < 0 || k < 0 || zeroA < 0 || zeroA > 255) throw new ArgumentException("QGemm: bad shape or zero point");
            if (m > 0 && k > 0 && ((long)(m - 1) * lda + k > a.Length || lda < k)) throw new ArgumentException("QGemm: A too small");
            if (groupSize < k && (groupSize <= 0 || groupSize % KR != 0)) throw new ArgumentException("QGemm: a group size below k must be a positive multiple of 4");
            int groups = GroupCount(k, groupSize);
            if (packed.Length < Int8Layout.Packed4Length(k, n) || scales.Length < (long)groups * n || !bias.IsEmpty && bias.Length < n)
                throw new ArgumentException("QGemm: packed 4-bit B, scales or bias too small");
            if (transposed ? (long)(n - 1) * ldy + m > y.Length || ldy < m : (long)(m - 1) * ldy + n > y.Length || ldy < n)
                throw new ArgumentException("QGemm: y too small");
            if (!QuantPath.IsSupported(path)) throw new PlatformNotSupportedException("QGemm path " + QuantPath.Name(path));
            if (m == 0 || n == 0) return;
            if (path == QuantPath.Scalar)
            {
                Reference4(m, n, k, a, lda, zeroA, packed, groupSize, scaleA, scales, bias, y, ldy, lo, hi, transposed);
                return;
            }
            int kernel = path == QuantPath.X86Avx512 ? NarrowAvx512 : path == QuantPath.X86Avx2 ? NarrowAvx2 : path;
            int kg = (k + KR - 1) / KR, ggs = groups == 1 ? kg : groupSize / KR; // k-groups per scale group
            bool direct = RawA(kernel) && k > 0 && ((k & 3) == 0 || lda >= KR * kg && (long)(m - 1) * lda + KR * kg <= a.Length);
            int elem = AElement(kernel), mr = RowBlock(kernel), need = direct ? 0 : kg * mr * elem;
            int zc = kernel == QuantPath.ArmAdvSimd || kernel == QuantPath.ArmDp ? 128 - zeroA : -zeroA;
            int panelBytes = kg * KR * NR, chunkPanels = NC / NR;
            byte[] apackArray = need > 0 ? ArrayPool<byte>.Shared.Rent(need) : Array.Empty<byte>();
            byte[] bbuf = ArrayPool<byte>.Shared.Rent(chunkPanels * panelBytes);
            int[] sums = ArrayPool<int>.Shared.Rent(groups * NC);
            float[] mult = ArrayPool<float>.Shared.Rent(groups * NC);
            Span<int> tile = stackalloc int[mr * NC];
            Span<float> acc = stackalloc float[mr * NC];
            try
            {
                var apack = apackArray.AsSpan(0, need);
                ref int pt = ref MemoryMarshal.GetReference(tile);
                for (int j0 = 0; j0 < n; j0 += NC)
                {
                    int w = Math.Min(NC, n - j0), panels = (w + NR - 1) / NR;
                    var b8 = MemoryMarshal.Cast<byte, sbyte>(bbuf.AsSpan(0, panels * panelBytes));
                    Unpack4(packed.Slice(Int8Layout.Packed4Index((j0 / NR) * panelBytes), panels * panelBytes / 2), b8);
                    GroupSums(b8, panels, kg, ggs, groups, sums);
                    for (int g = 0; g < groups; g++)
                        for (int j = 0; j < NC; j++) mult[g * NC + j] = j < w ? scaleA * scales[g * n + j0 + j] : 0f;
                    ref sbyte pb = ref MemoryMarshal.GetReference(b8);
                    for (int i0 = 0; i0 < m; i0 += mr)
                    {
                        int rows = Math.Min(mr, m - i0);
                        ref byte pa = ref direct ? ref MemoryMarshal.GetReference(a.Slice(i0 * lda)) : ref MemoryMarshal.GetReference(apack);
                        int rs = direct ? lda : elem, gsA = direct ? KR : rows * elem;
                        if (!direct && k > 0) PackA(a.Slice(i0 * lda), lda, rows, k, kg, apack, kernel);
                        acc.Slice(0, rows * NC).Clear();
                        for (int g = 0; g < groups; g++)
                        {
                            int g0 = g * ggs, gk = Math.Min(ggs, kg - g0);
                            for (int p = 0; p < panels; p++)
                                Tile(kernel, rows, ref Unsafe.Add(ref pa, g0 * gsA), rs, gsA, gk, ref Unsafe.Add(ref pb, p * panelBytes + g0 * KR * NR),
                                    ref sums[g * NC + p * NR], zc, ref Unsafe.Add(ref pt, p * NR), NC, a, i0, lda, k, zeroA, default, j0 + p * NR);
                            ScaleAdd(tile, acc, mult.AsSpan(g * NC, NC), rows, panels * NR);
                        }
                        Store4(acc, rows, w, i0, j0, bias, y, ldy, lo, hi, transposed);
                    }
                }
            }
            finally
            {
                if (need > 0) ArrayPool<byte>.Shared.Return(apackArray);
                ArrayPool<byte>.Shared.Return(bbuf);
                ArrayPool<int>.Shared.Return(sums);
                ArrayPool<float>.Shared.Return(mult);
            }
        }

        /// <summary>4-bit packed bytes to int8 (class remarks): 16 bytes give 32 weights, low nibbles first.</summary>
        internal static void Unpack4(ReadOnlySpan<byte> src, Span<sbyte> dst)
        {
            if (dst.Length < 2 * src.Length || (src.Length & 15) != 0) throw new ArgumentException("QGemm.Unpack4: bad lengths");
            ref byte ps = ref MemoryMarshal.GetReference(src);
            ref sbyte pd = ref MemoryMarshal.GetReference(dst);
            int i = 0;
            if (Vector128.IsHardwareAccelerated)
            {
                for (; i < src.Length; i += 16)
                {
                    var v = Vector128.LoadUnsafe(ref ps, (nuint)i).AsSByte();
                    Vector128.ShiftRightArithmetic(Vector128.ShiftLeft(v, 4), 4).StoreUnsafe(ref pd, (nuint)(2 * i));
                    Vector128.ShiftRightArithmetic(v, 4).StoreUnsafe(ref pd, (nuint)(2 * i + 16));
                }
                return;
            }
            for (; i < src.Length; i += 16)
            {
                for (int t = 0; t < 16; t++)
                {
                    byte b = Unsafe.Add(ref ps, i + t);
                    Unsafe.Add(ref pd, 2 * i + t) = (sbyte)((sbyte)(b << 4) >> 4);
                    Unsafe.Add(ref pd, 2 * i + 16 + t) = (sbyte)((sbyte)b >> 4);
                }
            }
        }

        /// <summary>
        /// Column sums of each scale group of unpacked panels: sums[g * NC + c] for column c of the chunk (zero past the
        /// last panel's real columns, since B's padding is zero). Each k-group is 64 bytes, the 4 k of column c at bytes 4c..4c+3.
        /// </summary>
        private static void GroupSums(ReadOnlySpan<sbyte> b8, int panels, int kg, int ggs, int groups, int[] sums)
        {
            int panelBytes = kg * KR * NR;
            for (int p = 0; p < panels; p++)
            {
                for (int g = 0; g < groups; g++)
                {
                    int g0 = g * ggs, g1 = Math.Min(kg, g0 + ggs);
                    var s = sums.AsSpan(g * NC + p * NR, NR);
                    if (Vector128.IsHardwareAccelerated)
                    {
                        // Byte lanes add at most 16 k-groups of |b| <= 7 (112 < 128) before the 4 bytes of each column are folded into int32.
                        Vector128<int> t0 = default, t1 = default, t2 = default, t3 = default;
                        for (int q0 = g0; q0 < g1; q0 += 16)
                        {
                            Vector128<sbyte> s0 = default, s1 = default, s2 = default, s3 = default;
                            for (int q = q0; q < Math.Min(g1, q0 + 16); q++)
                            {
                                ref sbyte blk = ref MemoryMarshal.GetReference(b8.Slice(p * panelBytes + q * KR * NR, KR * NR));
                                s0 += Vector128.LoadUnsafe(ref blk); s1 += Vector128.LoadUnsafe(ref blk, 16);
                                s2 += Vector128.LoadUnsafe(ref blk, 32); s3 += Vector128.LoadUnsafe(ref blk, 48);
                            }
                            t0 += Fold4(s0); t1 += Fold4(s1); t2 += Fold4(s2); t3 += Fold4(s3);
                        }
                        ref int ps = ref MemoryMarshal.GetReference(s);
                        t0.StoreUnsafe(ref ps); t1.StoreUnsafe(ref ps, 4); t2.StoreUnsafe(ref ps, 8); t3.StoreUnsafe(ref ps, 12);
                        continue;
                    }
                    s.Clear();
                    for (int q = g0; q < g1; q++)
                        for (int c = 0; c < NR; c++)
                            for (int t = 0; t < KR; t++) s[c] += b8[p * panelBytes + q * KR * NR + c * KR + t];
                }
            }
        }

        /// <summary>The sum of the 4 signed bytes of each int32 lane.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<int> Fold4(Vector128<sbyte> v)
        {
            var x = v.AsInt32();
            return Vector128.ShiftRightArithmetic(Vector128.ShiftLeft(x, 24), 24) + Vector128.ShiftRightArithmetic(Vector128.ShiftLeft(x, 16), 24)
                + Vector128.ShiftRightArithmetic(Vector128.ShiftLeft(x, 8), 24) + Vector128.ShiftRightArithmetic(x, 24);
        }

        /// <summary>acc[r, c] += (float)tile[r, c] * mult[c] for the first w columns of each row (row stride NC); one multiply, one add.</summary>
        private static void ScaleAdd(scoped ReadOnlySpan<int> tile, scoped Span<float> acc, ReadOnlySpan<float> mult, int rows, int w)
        {
            ref int pt = ref MemoryMarshal.GetReference(tile);
            ref float pa = ref MemoryMarshal.GetReference(acc);
            ref float pm = ref MemoryMarshal.GetReference(mult);
            for (int r = 0; r < rows; r++)
            {
                int c = 0, o = r * NC;
                if (Vector256.IsHardwareAccelerated)
                {
                    for (; c <= w - 8; c += 8)
                    {
                        var v = Vector256.LoadUnsafe(ref pa, (nuint)(o + c)) + Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref pt, (nuint)(o + c))) * Vector256.LoadUnsafe(ref pm, (nuint)c);
                        v.StoreUnsafe(ref pa, (nuint)(o + c));
                    }
                }
                else if (Vector128.IsHardwareAccelerated)
                {
                    for (; c <= w - 4; c += 4)
                    {
                        var v = Vector128.LoadUnsafe(ref pa, (nuint)(o + c)) + Vector128.ConvertToSingle(Vector128.LoadUnsafe(ref pt, (nuint)(o + c))) * Vector128.LoadUnsafe(ref pm, (nuint)c);
                        v.StoreUnsafe(ref pa, (nuint)(o + c));
                    }
                }
                for (; c < w; c++) Unsafe.Add(ref pa, o + c) += (float)Unsafe.Add(ref pt, o + c) * Unsafe.Add(ref pm, c);
            }
        }

        /// <summary>y = clamp(acc + bias) for a rows x w block at rows i0.., columns j0.. (row-major or transposed).</summary>
        private static void Store4(scoped ReadOnlySpan<float> acc, int rows, int w, int i0, int j0, ReadOnlySpan<float> bias, Span<float> y, int ldy,
            float lo, float hi, bool transposed)
        {
            bool hasBias = !bias.IsEmpty;
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < w; c++)
                {
                    float v = acc[r * NC + c] + (hasBias ? bias[j0 + c] : 0f);
                    v = v < lo ? lo : v;
                    y[transposed ? (j0 + c) * ldy + i0 + r : (i0 + r) * ldy + j0 + c] = v > hi ? hi : v;
                }
            }
        }
    }
}
