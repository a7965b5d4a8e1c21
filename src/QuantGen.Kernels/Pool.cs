using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantGen.Kernels
{
    /// <summary>2-D pooling in NCHW (1-D pooling is 2-D with H = 1) and 3-D pooling in NCDHW. Output sizes (ceil_mode, auto_pad) are decided at build time.</summary>
    internal static class Pool
    {
        /// <summary>
        /// 2-D max pooling, separable: for each output row, the column maximum over the window's valid input rows (a vector
        /// pass over whole rows), then the maximum over each window's valid columns. Max is IEEE 754 maximum (MathF.Max and
        /// Vector.Max agree: NaN propagates, +0 &gt; -0), so the order of the two passes does not change any result. Taps in the
        /// padding are skipped; a window with no valid tap gives -infinity.
        /// </summary>
        public static void Max2D(ReadOnlySpan<float> x, Span<float> y, int planes, int h, int wd, int oh, int ow,
            int kh, int kw, int strideH, int strideW, int dilH, int dilW, int padTop, int padLeft)
        {
            if (x.Length < (long)planes * h * wd || y.Length < (long)planes * oh * ow) throw new ArgumentException("pool operand too small");
            if (kh == 2 && kw == 2 && strideH == 2 && strideW == 2 && dilH == 1 && dilW == 1 && padTop == 0 && padLeft == 0
                && 2 * oh <= h && 2 * ow <= wd && ow >= 8 && Avx2.IsSupported)
            {
                Max2x2(x, y, planes, h, wd, oh, ow);
                return;
            }
            Separable<float, FloatRows>(x, y, planes, h, wd, oh, ow, kh, kw, strideH, strideW, dilH, dilW, padTop, padLeft);
        }

        /// <summary>
        /// 2-D max pooling of uint8 tensors (int8 chains: max commutes with the monotone quantization, so this is exact),
        /// separable like <see cref="Max2D"/>: a vector maximum over the window's valid rows, then over each window's valid
        /// columns. A window with no valid tap gives 0, the uint8 minimum.
        /// </summary>
        public static void Max2DU8(ReadOnlySpan<byte> x, Span<byte> y, int planes, int h, int wd, int oh, int ow,
            int kh, int kw, int strideH, int strideW, int dilH, int dilW, int padTop, int padLeft)
        {
            if (x.Length < (long)planes * h * wd || y.Length < (long)planes * oh * ow) throw new ArgumentException("pool operand too small");
            if (kh == 2 && kw == 2 && strideH == 2 && strideW == 2 && dilH == 1 && dilW == 1 && padTop == 0 && padLeft == 0
                && 2 * oh <= h && 2 * ow <= wd && Vector128.IsHardwareAccelerated)
            {
                Max2x2U8(x, y, planes, h, wd, oh, ow);
                return;
            }
            Separable<byte, ByteRows>(x, y, planes, h, wd, oh, ow, kh, kw, strideH, strideW, dilH, dilW, padTop, padLeft);
        }

        /// <summary>The row operations of the separable max pool for one element type.</summary>
        private interface IMaxRows<T> where T : unmanaged
        {
            /// <summary>The result of a window with no valid tap.</summary>
            static abstract T Empty { get; }
            /// <summary>acc[i] = max(acc[i], row[i]).</summary>
            static abstract void MaxInto(Span<T> acc, ReadOnlySpan<T> row);
            /// <summary>outRow[ox] = the maximum over output column ox's window of the column maxima.</summary>
            static abstract void Horizontal(ReadOnlySpan<T> colMax, Span<T> outRow, int kw, int strideW, int dilW, int padLeft);
        }

        /// <summary>
        /// The separable max pool: for each output row, the column maxima over the window's valid input rows (a vector pass
        /// over whole rows), then each window's maximum over its valid columns.
        /// </summary>
        private static void Separable<T, TRows>(ReadOnlySpan<T> x, Span<T> y, int planes, int h, int wd, int oh, int ow,
            int kh, int kw, int strideH, int strideW, int dilH, int dilW, int padTop, int padLeft)
            where T : unmanaged where TRows : IMaxRows<T>
        {
            const int MaxStackBytes = 16384;
            T[]? rented = wd * Unsafe.SizeOf<T>() > MaxStackBytes ? System.Buffers.ArrayPool<T>.Shared.Rent(wd) : null;
            // Exactly wd elements on the stack (the runtime zeroes what is allocated: no SkipLocalsInit in generated code).
            Span<T> colMax = rented != null ? rented.AsSpan(0, wd) : stackalloc T[wd];
            try
            {
                for (int p = 0; p < planes; p++)
                {
                    var src = x.Slice(p * h * wd, h * wd);
                    var dst = y.Slice(p * oh * ow, oh * ow);
                    for (int oy = 0; oy < oh; oy++)
                    {
                        int by = oy * strideH - padTop;
                        int i0 = TapBegin(by, dilH), i1 = TapEnd(by, dilH, h, kh);
                        var outRow = dst.Slice(oy * ow, ow);
                        if (i0 == i1) { outRow.Fill(TRows.Empty); continue; }
                        src.Slice((by + i0 * dilH) * wd, wd).CopyTo(colMax);
                        for (int i = i0 + 1; i < i1; i++) TRows.MaxInto(colMax, src.Slice((by + i * dilH) * wd, wd));
                        TRows.Horizontal(colMax, outRow, kw, strideW, dilW, padLeft);
                    }
                }
            }
            finally
            {
                if (rented != null) System.Buffers.ArrayPool<T>.Shared.Return(rented);
            }
        }

        private struct FloatRows : IMaxRows<float>
        {
            public static float Empty => float.NegativeInfinity;

            /// <summary>IEEE maximum (MathF.Max and Vector.Max agree: NaN propagates, +0 &gt; -0).</summary>
            public static void MaxInto(Span<float> acc, ReadOnlySpan<float> row)
            {
                int n = acc.Length, i = 0;
                ref float pa = ref MemoryMarshal.GetReference(acc);
                ref float pr = ref MemoryMarshal.GetReference(row);
                if (row.Length < n) throw new ArgumentException("pool row too short");
                if (Vector256.IsHardwareAccelerated)
                    for (; i <= n - 8; i += 8) Vector256.Max(Vector256.LoadUnsafe(ref pa, (nuint)i), Vector256.LoadUnsafe(ref pr, (nuint)i)).StoreUnsafe(ref pa, (nuint)i);
                else if (Vector128.IsHardwareAccelerated)
                    for (; i <= n - 4; i += 4) Vector128.Max(Vector128.LoadUnsafe(ref pa, (nuint)i), Vector128.LoadUnsafe(ref pr, (nuint)i)).StoreUnsafe(ref pa, (nuint)i);
                for (; i < n; i++) acc[i] = MathF.Max(acc[i], row[i]);
            }

            public static void Horizontal(ReadOnlySpan<float> colMax, Span<float> outRow, int kw, int strideW, int dilW, int padLeft)
            {
                int ow = outRow.Length, wd = colMax.Length, ox = 0;
                if ((kw == 2 || kw == 3) && strideW == 2 && dilW == 1 && Avx2.IsSupported)
                {
                    // 2- or 3-wide, stride-2 windows (the 2x2/2 and 3x3/2 pools), 8 outputs per step: even and odd
                    // columns split with two shuffles (for 3-wide also the even columns one pair on), their maximum
                    // put back in order. IEEE max is commutative and associative, so this equals the scalar order.
                    // Windows touching the padding stay scalar.
                    ref float pc = ref MemoryMarshal.GetReference(colMax);
                    ref float po = ref MemoryMarshal.GetReference(outRow);
                    for (; ox < ow && 2 * ox - padLeft < 0; ox++) outRow[ox] = WindowMax(colMax, ox, strideW, padLeft, kw, dilW, wd);
                    for (; ox + 8 <= ow && 2 * ox - padLeft + 16 + (kw == 3 ? 2 : 0) <= wd; ox += 8)
                    {
                        int bx = 2 * ox - padLeft;
                        var a = Vector256.LoadUnsafe(ref pc, (nuint)bx);
                        var b = Vector256.LoadUnsafe(ref pc, (nuint)(bx + 8));
                        var m = Vector256.Max(Avx.Shuffle(a, b, 0x88), Avx.Shuffle(a, b, 0xDD)); // pairs 0,1,4,5 | 2,3,6,7
                        if (kw == 3)
                            m = Vector256.Max(m, Avx.Shuffle(Vector256.LoadUnsafe(ref pc, (nuint)(bx + 2)), Vector256.LoadUnsafe(ref pc, (nuint)(bx + 10)), 0x88));
                        Avx2.Permute4x64(m.AsDouble(), 0xD8).AsSingle().StoreUnsafe(ref po, (nuint)ox);
                    }
                }
                for (; ox < ow; ox++) outRow[ox] = WindowMax(colMax, ox, strideW, padLeft, kw, dilW, wd);
            }
        }

        private struct ByteRows : IMaxRows<byte>
        {
            public static byte Empty => 0;

            public static void MaxInto(Span<byte> acc, ReadOnlySpan<byte> row)
            {
                int n = acc.Length, c = 0;
                if (row.Length < n) throw new ArgumentException("pool row too short");
                ref byte pa = ref MemoryMarshal.GetReference(acc);
                ref byte pr = ref MemoryMarshal.GetReference(row);
                if (Vector128.IsHardwareAccelerated)
                    for (; c <= n - 16; c += 16)
                        Vector128.Max(Vector128.LoadUnsafe(ref pa, (nuint)c), Vector128.LoadUnsafe(ref pr, (nuint)c)).StoreUnsafe(ref pa, (nuint)c);
                for (; c < n; c++) acc[c] = Math.Max(acc[c], row[c]);
            }

            public static void Horizontal(ReadOnlySpan<byte> colMax, Span<byte> outRow, int kw, int strideW, int dilW, int padLeft)
            {
                int ow = outRow.Length, wd = colMax.Length, ox = 0;
                if (dilW == 1 && (strideW == 1 || strideW == 2 && kw <= 3) && Vector128.IsHardwareAccelerated)
                {
                    // Windows inside the row, vectorized: stride 1 is the maximum of kw shifted loads (16 outputs per
                    // step); stride 2 (kw 2 or 3) holds each column pair in a 16-bit lane, max(low byte, high byte),
                    // and for kw = 3 also the low byte of the next pair (8 outputs per step). Windows touching the
                    // padding, and the row's tail, stay scalar.
                    ref byte pc = ref MemoryMarshal.GetReference(colMax);
                    ref byte po = ref MemoryMarshal.GetReference(outRow);
                    for (; ox < ow && ox * strideW - padLeft < 0; ox++) outRow[ox] = WindowMax(colMax, ox, strideW, padLeft, kw, dilW, wd);
                    if (strideW == 1)
                    {
                        for (; ox + 16 <= ow && ox - padLeft + 16 + kw - 1 <= wd; ox += 16)
                        {
                            int bx = ox - padLeft;
                            var m = Vector128.LoadUnsafe(ref pc, (nuint)bx);
                            for (int j = 1; j < kw; j++) m = Vector128.Max(m, Vector128.LoadUnsafe(ref pc, (nuint)(bx + j)));
                            m.StoreUnsafe(ref po, (nuint)ox);
                        }
                    }
                    else
                    {
                        var lo = Vector128.Create((ushort)0xFF);
                        for (; ox + 8 <= ow && 2 * ox - padLeft + 16 + (kw == 3 ? 2 : 0) <= wd; ox += 8)
                        {
                            int bx = 2 * ox - padLeft;
                            var a = Vector128.LoadUnsafe(ref pc, (nuint)bx).AsUInt16();
                            var m = Vector128.Max(a & lo, a >> 8);
                            if (kw == 3) m = Vector128.Max(m, Vector128.LoadUnsafe(ref pc, (nuint)(bx + 2)).AsUInt16() & lo);
                            Unsafe.WriteUnaligned(ref Unsafe.Add(ref po, ox), Vector128.Narrow(m, m).AsUInt64().ToScalar());
                        }
                    }
                }
                for (; ox < ow; ox++) outRow[ox] = WindowMax(colMax, ox, strideW, padLeft, kw, dilW, wd);
            }
        }

        /// <summary>
        /// 2x2, stride 2, every window inside the image: both input rows in one pass, 8 outputs per step (each column
        /// pair is one 16-bit lane: max(low byte, high byte)); the last 8 outputs of a row overlap the previous step instead of
        /// a scalar tail (they are written twice with the same values). Rows of fewer than 8 outputs go scalar.
        /// </summary>
        private static void Max2x2U8(ReadOnlySpan<byte> x, Span<byte> y, int planes, int h, int wd, int oh, int ow)
        {
            ref byte px = ref MemoryMarshal.GetReference(x);
            ref byte py = ref MemoryMarshal.GetReference(y);
            var lo = Vector128.Create((ushort)0xFF);
            for (int p = 0; p < planes; p++)
                for (int oy = 0; oy < oh; oy++)
                {
                    ref byte r0 = ref Unsafe.Add(ref px, (p * h + 2 * oy) * wd);
                    ref byte r1 = ref Unsafe.Add(ref r0, wd);
                    ref byte o = ref Unsafe.Add(ref py, (p * oh + oy) * ow);
                    if (ow < 8)
                    {
                        for (int ox = 0; ox < ow; ox++)
                            Unsafe.Add(ref o, ox) = Math.Max(Math.Max(Unsafe.Add(ref r0, 2 * ox), Unsafe.Add(ref r0, 2 * ox + 1)),
                                Math.Max(Unsafe.Add(ref r1, 2 * ox), Unsafe.Add(ref r1, 2 * ox + 1)));
                        continue;
                    }
                    for (int ox = 0; ; ox += 8)
                    {
                        if (ox > ow - 8) ox = ow - 8;
                        var v = Vector128.Max(Vector128.LoadUnsafe(ref r0, (nuint)(2 * ox)), Vector128.LoadUnsafe(ref r1, (nuint)(2 * ox))).AsUInt16();
                        var m = Vector128.Max(v & lo, v >> 8);
                        Unsafe.WriteUnaligned(ref Unsafe.Add(ref o, ox), Vector128.Narrow(m, m).AsUInt64().ToScalar());
                        if (ox == ow - 8) break;
                    }
                }
        }

        /// <summary>The maximum over the valid taps of output column ox's window in the uint8 column maxima (0 when none).</summary>
        private static byte WindowMax(ReadOnlySpan<byte> colMax, int ox, int strideW, int padLeft, int kw, int dilW, int wd)
        {
            int bx = ox * strideW - padLeft;
            int j1 = TapEnd(bx, dilW, wd, kw);
            byte m = 0;
            for (int j = TapBegin(bx, dilW); j < j1; j++) m = Math.Max(m, colMax[bx + j * dilW]);
            return m;
        }

        /// <summary>
        /// 2x2, stride 2, every window inside the image, ow &gt;= 8 (AVX2): both input rows in one pass, 8 outputs per step;
        /// the last 8 outputs of a row overlap the previous step instead of a scalar tail (written twice, same values).
        /// </summary>
        private static void Max2x2(ReadOnlySpan<float> x, Span<float> y, int planes, int h, int wd, int oh, int ow)
        {
            ref float px = ref MemoryMarshal.GetReference(x);
            ref float py = ref MemoryMarshal.GetReference(y);
            for (int p = 0; p < planes; p++)
                for (int oy = 0; oy < oh; oy++)
                {
                    ref float r0 = ref Unsafe.Add(ref px, (p * h + 2 * oy) * wd);
                    ref float r1 = ref Unsafe.Add(ref r0, wd);
                    ref float o = ref Unsafe.Add(ref py, (p * oh + oy) * ow);
                    for (int ox = 0; ; ox += 8)
                    {
                        if (ox > ow - 8) ox = ow - 8;
                        var a = Vector256.Max(Vector256.LoadUnsafe(ref r0, (nuint)(2 * ox)), Vector256.LoadUnsafe(ref r1, (nuint)(2 * ox)));
                        var b = Vector256.Max(Vector256.LoadUnsafe(ref r0, (nuint)(2 * ox + 8)), Vector256.LoadUnsafe(ref r1, (nuint)(2 * ox + 8)));
                        var m = Vector256.Max(Avx.Shuffle(a, b, 0x88), Avx.Shuffle(a, b, 0xDD));
                        Avx2.Permute4x64(m.AsDouble(), 0xD8).AsSingle().StoreUnsafe(ref o, (nuint)ox);
                        if (ox == ow - 8) break;
                    }
                }
        }

        /// <summary>The maximum over the valid taps of output column ox's window in the column maxima.</summary>
        private static float WindowMax(ReadOnlySpan<float> colMax, int ox, int strideW, int padLeft, int kw, int dilW, int wd)
        {
            int bx = ox * strideW - padLeft;
            int j1 = TapEnd(bx, dilW, wd, kw);
            float m = float.NegativeInfinity;
            for (int j = TapBegin(bx, dilW); j < j1; j++) m = MathF.Max(m, colMax[bx + j * dilW]);
            return m;
        }

        /// <summary>First tap t with 0 &lt;= start + t * dilation.</summary>
        private static int TapBegin(int start, int dilation) => start >= 0 ? 0 : (-start + dilation - 1) / dilation;

        /// <summary>One past the last tap t &lt; taps with start + t * dilation &lt; size (at least TapBegin, so empty ranges stay empty).</summary>
        private static int TapEnd(int start, int dilation, int size, int taps)
        {
            int end = size - start <= 0 ? 0 : Math.Min(taps, (size - start + dilation - 1) / dilation);
            return Math.Max(end, TapBegin(start, dilation));
        }

        /// <param name="countIncludePad">Divide by the whole window (pads count, not the part past the padded edge) rather than the valid elements.</param>
        public static void Average2D(ReadOnlySpan<float> x, Span<float> y, int planes, int h, int wd, int oh, int ow,
            int kh, int kw, int strideH, int strideW, int dilH, int dilW, int padTop, int padLeft, int padBottom, int padRight, bool countIncludePad)
        {
            for (int p = 0; p < planes; p++)
            {
                var src = x.Slice(p * h * wd, h * wd);
                var dst = y.Slice(p * oh * ow, oh * ow);
                for (int oy = 0; oy < oh; oy++)
                {
                    for (int ox = 0; ox < ow; ox++)
                    {
                        float sum = 0f;
                        int count = 0, padded = 0;
                        for (int i = 0; i < kh; i++)
                        {
                            int iy = oy * strideH - padTop + i * dilH;
                            bool rowInPad = iy >= -padTop && iy < h + padBottom;
                            for (int j = 0; j < kw; j++)
                            {
                                int ix = ox * strideW - padLeft + j * dilW;
                                if (rowInPad && ix >= -padLeft && ix < wd + padRight) padded++;
                                if ((uint)iy >= (uint)h || (uint)ix >= (uint)wd) continue;
                                sum += src[iy * wd + ix];
                                count++;
                            }
                        }
                        int div = countIncludePad ? padded : count;
                        dst[oy * ow + ox] = div == 0 ? 0f : sum / div;
                    }
                }
            }
        }

        /// <summary>3-D max pooling in NCDHW (window taps outside the input are skipped; IEEE maximum as in <see cref="Max2D"/>: NaN propagates, +0 &gt; -0).</summary>
        public static void Max3D(ReadOnlySpan<float> x, Span<float> y, int planes, int d, int h, int wd, int od, int oh, int ow,
            int kd, int kh, int kw, int strideD, int strideH, int strideW, int dilD, int dilH, int dilW, int padFront, int padTop, int padLeft)
        {
            int inPlane = d * h * wd, outPlane = od * oh * ow;
            for (int p = 0; p < planes; p++)
            {
                var src = x.Slice(p * inPlane, inPlane);
                var dst = y.Slice(p * outPlane, outPlane);
                for (int oz = 0; oz < od; oz++)
                    for (int oy = 0; oy < oh; oy++)
                        for (int ox = 0; ox < ow; ox++)
                        {
                            float m = float.NegativeInfinity;
                            for (int a = 0; a < kd; a++)
                            {
                                int iz = oz * strideD - padFront + a * dilD;
                                if ((uint)iz >= (uint)d) continue;
                                for (int i = 0; i < kh; i++)
                                {
                                    int iy = oy * strideH - padTop + i * dilH;
                                    if ((uint)iy >= (uint)h) continue;
                                    for (int j = 0; j < kw; j++)
                                    {
                                        int ix = ox * strideW - padLeft + j * dilW;
                                        if ((uint)ix >= (uint)wd) continue;
                                        m = MathF.Max(m, src[(iz * h + iy) * wd + ix]);
                                    }
                                }
                            }
                            dst[(oz * oh + oy) * ow + ox] = m;
                        }
            }
        }

        /// <param name="countIncludePad">Divide by the taps inside the padded input rather than by the taps inside the input.</param>
        public static void Average3D(ReadOnlySpan<float> x, Span<float> y, int planes, int d, int h, int wd, int od, int oh, int ow,
            int kd, int kh, int kw, int strideD, int strideH, int strideW, int dilD, int dilH, int dilW,
            int padFront, int padTop, int padLeft, int padBack, int padBottom, int padRight, bool countIncludePad)
        {
            int inPlane = d * h * wd, outPlane = od * oh * ow;
            for (int p = 0; p < planes; p++)
            {
                var src = x.Slice(p * inPlane, inPlane);
                var dst = y.Slice(p * outPlane, outPlane);
                for (int oz = 0; oz < od; oz++)
                    for (int oy = 0; oy < oh; oy++)
                        for (int ox = 0; ox < ow; ox++)
                        {
                            float sum = 0f;
                            int count = 0, padded = 0;
                            for (int a = 0; a < kd; a++)
                            {
                                int iz = oz * strideD - padFront + a * dilD;
                                bool planeInPad = iz >= -padFront && iz < d + padBack;
                                for (int i = 0; i < kh; i++)
                                {
                                    int iy = oy * strideH - padTop + i * dilH;
                                    bool rowInPad = planeInPad && iy >= -padTop && iy < h + padBottom;
                                    for (int j = 0; j < kw; j++)
                                    {
                                        int ix = ox * strideW - padLeft + j * dilW;
                                        if (rowInPad && ix >= -padLeft && ix < wd + padRight) padded++;
                                        if ((uint)iz >= (uint)d || (uint)iy >= (uint)h || (uint)ix >= (uint)wd) continue;
                                        sum += src[(iz * h + iy) * wd + ix];
                                        count++;
                                    }
                                }
                            }
                            int div = countIncludePad ? padded : count;
                            dst[(oz * oh + oy) * ow + ox] = div == 0 ? 0f : sum / div;
                        }
            }
        }

        /// <summary>Mean of each contiguous plane of <paramref name="size"/> elements.</summary>
        public static void GlobalAverage(ReadOnlySpan<float> x, Span<float> y, int planes, int size)
        {
            for (int p = 0; p < planes; p++)
            {
                var s = x.Slice(p * size, size);
                float sum = 0f;
                for (int i = 0; i < s.Length; i++) sum += s[i];
                y[p] = sum / size;
            }
        }

        public static void GlobalMax(ReadOnlySpan<float> x, Span<float> y, int planes, int size)
        {
            for (int p = 0; p < planes; p++)
            {
                var s = x.Slice(p * size, size);
                float m = float.NegativeInfinity;
                for (int i = 0; i < s.Length; i++) if (s[i] > m || float.IsNaN(s[i])) m = s[i];
                y[p] = m;
            }
        }
    }
}
