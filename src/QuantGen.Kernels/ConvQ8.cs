// quantgen-kernel-uses: QGemm, QuantizeDynamic, QLinear, Tensor
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantGen.Kernels
{
    /// <summary>
    /// Int8 convolution (NCHW in and out; 1-D as H = 1) on the packed int8 GEMM. Per call: the float input is quantized
    /// to uint8 (dynamic: scale and zero point measured from this input; static: calibrated at build time) and transposed
    /// to NHWC; each output pixel's patch becomes one row of [OH*OW, K] with K ordered (i, j, c), so a patch row is kh*kw
    /// contiguous copies of Cin/group bytes; padding is the zero point (exactly 0). The rows multiply the prepacked weights
    /// W^T [K, Cout/group] (same (i, j, c) order) with dequantization, bias and clamp fused, and the [OH*OW, Cout/group]
    /// result is transposed into the NCHW output. Weights of every group are packed one after the other (QGemm layout).
    /// </summary>
    internal static class ConvQ8
    {
        /// <summary>Bytes of scratch <see cref="Conv2D"/> needs.</summary>
        public static long ScratchBytes(int batch, int cin, int h, int w, int oh, int ow, int kh, int kw, int group) =>
            Int8Layout.ConvScratchBytes(batch, cin, h, w, oh, ow, kh, kw, group);

        private static long Align(long bytes) => Int8Layout.Align(bytes);

        /// <param name="staticScale">The calibrated input scale, or 0 to measure the input on every call (dynamic).</param>
        /// <param name="narrowWeights">Every weight is in [-64, 64] (7-bit weights): see QGemm's narrow kernels.</param>
        public static void Conv2D(ReadOnlySpan<float> x, ReadOnlySpan<sbyte> packedW, ReadOnlySpan<int> colSums, ReadOnlySpan<float> wScale,
            ReadOnlySpan<float> bias, Span<float> y, Span<byte> scratch,
            int batch, int cin, int h, int wd, int cout, int oh, int ow, int kh, int kw,
            int strideH, int strideW, int dilH, int dilW, int padTop, int padLeft, int group,
            float lo, float hi, float staticScale, int staticZeroPoint, bool narrowWeights = false, int int4Group = 0)
        {
            long qBytes = Align((long)batch * cin * h * wd);
            if (scratch.Length < ScratchBytes(batch, cin, h, wd, oh, ow, kh, kw, group)) throw new ArgumentException("ConvQ8: scratch too small");
            if (x.Length < (long)batch * cin * h * wd) throw new ArgumentException("ConvQ8: operand too small");
            var xq = scratch.Slice(0, batch * cin * h * wd);
            var (scaleA, zeroA) = QuantizeDynamic.Input(x.Slice(0, xq.Length), xq, staticScale, staticZeroPoint);
            var output = new Output { Y = y, ScaleA = scaleA, WScale = wScale, Bias = bias, Lo = lo, Hi = hi, Int4Group = int4Group };
            Run(xq, zeroA, packedW, colSums, ref output, scratch.Slice((int)qBytes), batch, cin, h, wd, cout, oh, ow, kh, kw,
                strideH, strideW, dilH, dilW, padTop, padLeft, group, narrowWeights);
        }

        /// <summary>
        /// <see cref="Conv2D(ReadOnlySpan{float}, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{byte}, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, float, float, float, int, bool, int)"/>
        /// on an input that is already uint8 (NCHW, real = scaleX * (q - zeroX)): the output of another int8 layer or of a
        /// QuantizeLinear. Scratch: <see cref="Int8Layout.ConvU8ScratchBytes"/> with no requantized output.
        /// </summary>
        public static void Conv2D(ReadOnlySpan<byte> x, ReadOnlySpan<sbyte> packedW, ReadOnlySpan<int> colSums, ReadOnlySpan<float> wScale,
            ReadOnlySpan<float> bias, Span<float> y, Span<byte> scratch,
            int batch, int cin, int h, int wd, int cout, int oh, int ow, int kh, int kw,
            int strideH, int strideW, int dilH, int dilW, int padTop, int padLeft, int group,
            float lo, float hi, float scaleX, int zeroX, bool narrowWeights = false, int int4Group = 0)
        {
            if (scratch.Length < Int8Layout.ConvU8ScratchBytes(batch, cin, h, wd, oh, ow, kh, kw, group, 0)) throw new ArgumentException("ConvQ8: scratch too small");
            var output = new Output { Y = y, ScaleA = scaleX, WScale = wScale, Bias = bias, Lo = lo, Hi = hi, Int4Group = int4Group };
            Run(x, zeroX, packedW, colSums, ref output, scratch, batch, cin, h, wd, cout, oh, ow, kh, kw,
                strideH, strideW, dilH, dilW, padTop, padLeft, group, narrowWeights);
        }

        /// <summary>
        /// uint8 in, uint8 out (an int8 chain): y = clamp(rule(acc + bias[o], m0[o], shift[o]) + zeroY, qmin, qmax) with the
        /// rule of RequantizeRule.cs; bias in accumulator units, m0/shift one per output channel. The [pixels, channels] tile
        /// of each group is requantized by the GEMM epilogue and transposed into the NCHW planes.
        /// </summary>
        public static void Conv2DRequantize(ReadOnlySpan<byte> x, ReadOnlySpan<sbyte> packedW, ReadOnlySpan<int> colSums,
            ReadOnlySpan<int> bias, ReadOnlySpan<int> m0, ReadOnlySpan<int> shift, Span<byte> y, Span<byte> scratch,
            int batch, int cin, int h, int wd, int cout, int oh, int ow, int kh, int kw,
            int strideH, int strideW, int dilH, int dilW, int padTop, int padLeft, int group,
            int zeroX, int zeroY, int qmin, int qmax, bool narrowWeights = false)
        {
            if (scratch.Length < Int8Layout.ConvU8ScratchBytes(batch, cin, h, wd, oh, ow, kh, kw, group, cout / group)) throw new ArgumentException("ConvQ8: scratch too small");
            if (m0.Length < cout || shift.Length < cout || !bias.IsEmpty && bias.Length < cout) throw new ArgumentException("ConvQ8: multiplier or bias too small");
            var output = new Output { Requantize = true, Q = y, BiasI = bias, M0 = m0, Shift = shift, ZeroY = zeroY, QMin = qmin, QMax = qmax };
            Run(x, zeroX, packedW, colSums, ref output, scratch, batch, cin, h, wd, cout, oh, ow, kh, kw,
                strideH, strideW, dilH, dilW, padTop, padLeft, group, narrowWeights);
        }

        /// <summary>Where the GEMM's accumulators go: float NCHW (dequantized, clamped) or uint8 NCHW (requantized).</summary>
        private ref struct Output
        {
            public bool Requantize;
            public Span<float> Y;
            public float ScaleA, Lo, Hi;
            public ReadOnlySpan<float> WScale, Bias;
            public Span<byte> Q;
            public ReadOnlySpan<int> BiasI, M0, Shift;
            public int ZeroY, QMin, QMax;
            /// <summary>0: int8 weights. Otherwise the weights are 4-bit (QGemm.Int4) with one scale per this many k and output
            /// channel: WScale holds, per group of the convolution, [scale groups][Cout/group].</summary>
            public int Int4Group;
        }

        /// <summary>The convolution of a uint8 NCHW input; scratch holds the NHWC copy, the patch rows and (requantizing) one group's tile.</summary>
        private static void Run(ReadOnlySpan<byte> xq, int zeroA, ReadOnlySpan<sbyte> packedW, ReadOnlySpan<int> colSums, ref Output o, Span<byte> scratch,
            int batch, int cin, int h, int wd, int cout, int oh, int ow, int kh, int kw,
            int strideH, int strideW, int dilH, int dilW, int padTop, int padLeft, int group, bool narrowWeights)
        {
            int cinG = cin / group, coutG = cout / group, k = cinG * kh * kw, p = oh * ow, hw = h * wd;
            bool int4 = o.Int4Group > 0;
            if (int4 && o.Requantize) throw new ArgumentException("ConvQ8: 4-bit weights have no requantized output");
            int packedPerGroup = int4 ? Int8Layout.Packed4Length(k, coutG) : QGemm.PackedLength(k, coutG), sumsPerGroup = int4 ? 0 : QGemm.ColSumsLength(coutG);
            int scalesPerGroup = int4 ? QGemm.GroupCount(k, o.Int4Group) * coutG : coutG;
            // Patch rows are kr = roundup(k, 4) bytes apart: the bytes past k meet B's zero padding, so the kernels that read 4
            // activation bytes per k-group (AVX-VNNI, the narrow x86 ones) read the rows in place for any k.
            int kr = Int8Layout.RoundUp(k, QGemm.KR);
            long nhwcBytes = Align((long)batch * cin * hw), rowBytes = Align((long)p * kr);
            if (xq.Length < (long)batch * cin * hw || packedW.Length < (long)packedPerGroup * group || zeroA < 0 || zeroA > 255)
                throw new ArgumentException("ConvQ8: operand too small");
            if (o.Requantize ? o.Q.Length < (long)batch * cout * p : o.Y.Length < (long)batch * cout * p) throw new ArgumentException("ConvQ8: output too small");
            if (scratch.Length < nhwcBytes + (o.Requantize ? rowBytes + (long)p * coutG : (long)p * kr)) throw new ArgumentException("ConvQ8: scratch too small");
            var nhwc = scratch.Slice(0, batch * cin * hw);
            var rows = scratch.Slice((int)nhwcBytes, p * kr);
            var tile = o.Requantize ? scratch.Slice((int)(nhwcBytes + rowBytes), p * coutG) : Span<byte>.Empty;
            for (int b = 0; b < batch; b++)
                Transpose(xq.Slice(b * cin * hw, cin * hw), nhwc.Slice(b * cin * hw, cin * hw), cin, hw);

            for (int b = 0; b < batch; b++)
            {
                for (int g = 0; g < group; g++)
                {
                    Im2RowNhwc(nhwc.Slice(b * cin * hw, cin * hw), rows, cin, g * cinG, cinG, h, wd, oh, ow, kh, kw,
                        strideH, strideW, dilH, dilW, padTop, padLeft, (byte)zeroA, kr);
                    var wg = packedW.Slice(g * packedPerGroup, packedPerGroup);
                    var sg = colSums.Slice(g * sumsPerGroup, sumsPerGroup);
                    if (o.Requantize)
                    {
                        QGemm.RunRequantize(p, coutG, k, rows, kr, zeroA, wg, sg, o.BiasI.IsEmpty ? o.BiasI : o.BiasI.Slice(g * coutG, coutG),
                            o.M0.Slice(g * coutG, coutG), o.Shift.Slice(g * coutG, coutG), o.ZeroY, tile, coutG, o.QMin, o.QMax, narrowWeights);
                        Transpose(tile, o.Q.Slice((b * cout + g * coutG) * p, coutG * p), p, coutG);
                    }
                    else if (int4)
                    {
                        if (o.WScale.Length < (long)scalesPerGroup * group) throw new ArgumentException("ConvQ8: 4-bit scales too small");
                        QGemm.RunDequantize4(p, coutG, k, rows, kr, zeroA, MemoryMarshal.AsBytes(wg), o.Int4Group, o.ScaleA,
                            o.WScale.Slice(g * scalesPerGroup, scalesPerGroup), o.Bias.IsEmpty ? o.Bias : o.Bias.Slice(g * coutG, coutG),
                            o.Y.Slice((b * cout + g * coutG) * p, coutG * p), p, o.Lo, o.Hi, transposed: true);
                    }
                    else
                    {
                        // [pixels, channels] of the GEMM stored transposed: the group's NCHW planes directly.
                        QGemm.RunDequantizeTransposed(p, coutG, k, rows, kr, zeroA, wg, sg, o.ScaleA,
                            o.WScale.Length == 1 ? o.WScale : o.WScale.Slice(g * coutG, coutG), o.Bias.IsEmpty ? o.Bias : o.Bias.Slice(g * coutG, coutG),
                            o.Y.Slice((b * cout + g * coutG) * p, coutG * p), p, o.Lo, o.Hi, narrowWeights);
                    }
                }
            }
        }

        /// <summary>
        /// dst[c * rows + r] = src[r * cols + c]: a [rows, cols] byte matrix transposed (NCHW planes to NHWC pixels). On x86,
        /// 8 x 8 blocks go through SSE2 unpacks (8 row loads, 12 unpacks, 8 column stores); the edges and other CPUs copy
        /// element by element. Moves only, so every path gives the same bytes.
        /// </summary>
        public static void Transpose(ReadOnlySpan<byte> src, Span<byte> dst, int rows, int cols)
        {
            if (src.Length < rows * cols || dst.Length < rows * cols) throw new ArgumentException("Transpose: operand too small");
            ref byte s = ref MemoryMarshal.GetReference(src);
            ref byte d = ref MemoryMarshal.GetReference(dst);
            int r8 = 0, c8 = 0;
            if (Sse2.IsSupported && rows < 8 && rows > 0 && cols >= 16)
            {
                // Few rows (an RGB or single-digit channel count): 8 columns at a time through the 8 x 8 blocks with the missing
                // rows zero; column c's rows bytes are stored as 8 bytes at d[c * rows], the extra bytes rewritten by column c + 1.
                // The last columns, whose 8-byte store would pass the end, go element by element below.
                int safe = (rows * cols - 8) / rows + 1; // columns whose 8-byte store ends inside the rows * cols bytes
                c8 = safe & ~7;
                for (int c0 = 0; c0 < c8; c0 += 8)
                    TransposeFewRows(ref Unsafe.Add(ref s, c0), cols, rows, ref Unsafe.Add(ref d, c0 * rows));
                r8 = rows;
            }
            else if (Sse2.IsSupported)
            {
                r8 = rows & ~7; c8 = cols & ~7;
                for (int r0 = 0; r0 < r8; r0 += 8)
                    for (int c0 = 0; c0 < c8; c0 += 8)
                        Transpose8x8(ref Unsafe.Add(ref s, r0 * cols + c0), cols, ref Unsafe.Add(ref d, c0 * rows + r0), rows);
            }
            // What the blocks did not cover: rows past r8 for every column, and columns past c8 for the rows below r8.
            for (int r = 0; r < rows; r++)
                for (int c = r < r8 ? c8 : 0; c < cols; c++)
                    Unsafe.Add(ref d, c * rows + r) = Unsafe.Add(ref s, r * cols + c);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<byte> Row8(ref byte p) => Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(ref p)).AsByte();

        /// <summary>8 columns of a 1-7 row matrix (row stride ls): column j's bytes as 8 bytes at d + j * rows, in column order.</summary>
        private static void TransposeFewRows(ref byte s, int ls, int rows, ref byte d)
        {
            var z = Vector128<byte>.Zero;
            var a0 = Sse2.UnpackLow(Row8(ref s), rows > 1 ? Row8(ref Unsafe.Add(ref s, ls)) : z);
            var a1 = Sse2.UnpackLow(rows > 2 ? Row8(ref Unsafe.Add(ref s, 2 * ls)) : z, rows > 3 ? Row8(ref Unsafe.Add(ref s, 3 * ls)) : z);
            var a2 = Sse2.UnpackLow(rows > 4 ? Row8(ref Unsafe.Add(ref s, 4 * ls)) : z, rows > 5 ? Row8(ref Unsafe.Add(ref s, 5 * ls)) : z);
            var a3 = Sse2.UnpackLow(rows > 6 ? Row8(ref Unsafe.Add(ref s, 6 * ls)) : z, z);
            var b0 = Sse2.UnpackLow(a0.AsUInt16(), a1.AsUInt16()).AsUInt32();
            var b1 = Sse2.UnpackHigh(a0.AsUInt16(), a1.AsUInt16()).AsUInt32();
            var b2 = Sse2.UnpackLow(a2.AsUInt16(), a3.AsUInt16()).AsUInt32();
            var b3 = Sse2.UnpackHigh(a2.AsUInt16(), a3.AsUInt16()).AsUInt32();
            var c01 = Sse2.UnpackLow(b0, b2).AsUInt64();
            var c23 = Sse2.UnpackHigh(b0, b2).AsUInt64();
            var c45 = Sse2.UnpackLow(b1, b3).AsUInt64();
            var c67 = Sse2.UnpackHigh(b1, b3).AsUInt64();
            Unsafe.WriteUnaligned(ref d, c01.GetElement(0));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, rows), c01.GetElement(1));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, 2 * rows), c23.GetElement(0));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, 3 * rows), c23.GetElement(1));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, 4 * rows), c45.GetElement(0));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, 5 * rows), c45.GetElement(1));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, 6 * rows), c67.GetElement(0));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, 7 * rows), c67.GetElement(1));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Transpose8x8(ref byte s, int ls, ref byte d, int ld)
        {
            static Vector128<byte> Row(ref byte p) => Row8(ref p);
            var a0 = Sse2.UnpackLow(Row(ref s), Row(ref Unsafe.Add(ref s, ls)));
            var a1 = Sse2.UnpackLow(Row(ref Unsafe.Add(ref s, 2 * ls)), Row(ref Unsafe.Add(ref s, 3 * ls)));
            var a2 = Sse2.UnpackLow(Row(ref Unsafe.Add(ref s, 4 * ls)), Row(ref Unsafe.Add(ref s, 5 * ls)));
            var a3 = Sse2.UnpackLow(Row(ref Unsafe.Add(ref s, 6 * ls)), Row(ref Unsafe.Add(ref s, 7 * ls)));
            var b0 = Sse2.UnpackLow(a0.AsUInt16(), a1.AsUInt16()).AsUInt32();  // columns 0-3, rows 0-3
            var b1 = Sse2.UnpackHigh(a0.AsUInt16(), a1.AsUInt16()).AsUInt32(); // columns 4-7, rows 0-3
            var b2 = Sse2.UnpackLow(a2.AsUInt16(), a3.AsUInt16()).AsUInt32();  // columns 0-3, rows 4-7
            var b3 = Sse2.UnpackHigh(a2.AsUInt16(), a3.AsUInt16()).AsUInt32(); // columns 4-7, rows 4-7
            var c01 = Sse2.UnpackLow(b0, b2).AsUInt64();  // column 0 (8 bytes), column 1
            var c23 = Sse2.UnpackHigh(b0, b2).AsUInt64();
            var c45 = Sse2.UnpackLow(b1, b3).AsUInt64();
            var c67 = Sse2.UnpackHigh(b1, b3).AsUInt64();
            Unsafe.WriteUnaligned(ref d, c01.GetElement(0));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, ld), c01.GetElement(1));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, 2 * ld), c23.GetElement(0));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, 3 * ld), c23.GetElement(1));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, 4 * ld), c45.GetElement(0));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, 5 * ld), c45.GetElement(1));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, 6 * ld), c67.GetElement(0));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, 7 * ld), c67.GetElement(1));
        }

        /// <summary>
        /// Copies len bytes. Patch runs are short when channels are few (3 bytes per tap for an RGB input, 21 for a 7-wide
        /// window), where a memmove call per run costs more than the copy: up to 64 bytes go as two overlapping moves of
        /// the largest power-of-two width that fits, never touching a byte outside [0, len) of either side.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Copy(ref byte dst, ref byte src, int len)
        {
            if (len > 32 && len <= 64)
            {
                var head = Vector256.LoadUnsafe(ref src);
                var tail = Vector256.LoadUnsafe(ref src, (nuint)(len - 32));
                head.StoreUnsafe(ref dst);
                tail.StoreUnsafe(ref dst, (nuint)(len - 32));
            }
            else if (len >= 16 && len <= 32)
            {
                var head = Vector128.LoadUnsafe(ref src);
                var tail = Vector128.LoadUnsafe(ref src, (nuint)(len - 16));
                head.StoreUnsafe(ref dst);
                tail.StoreUnsafe(ref dst, (nuint)(len - 16));
            }
            else if (len >= 8 && len < 16)
            {
                ulong head = Unsafe.ReadUnaligned<ulong>(ref src), tail = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref src, len - 8));
                Unsafe.WriteUnaligned(ref dst, head);
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, len - 8), tail);
            }
            else if (len >= 4 && len < 8)
            {
                uint head = Unsafe.ReadUnaligned<uint>(ref src), tail = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref src, len - 4));
                Unsafe.WriteUnaligned(ref dst, head);
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, len - 4), tail);
            }
            else if (len < 4)
            {
                for (int i = 0; i < len; i++) Unsafe.Add(ref dst, i) = Unsafe.Add(ref src, i);
            }
            else Unsafe.CopyBlockUnaligned(ref dst, ref src, (uint)len);
        }

        /// <summary>Fills len bytes with value; short runs (up to 64 bytes) without a call, like <see cref="Copy"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Fill(ref byte dst, byte value, int len)
        {
            if (len >= 16 && len <= 64)
            {
                var v = Vector128.Create(value);
                for (int i = 0; i < len - 16; i += 16) v.StoreUnsafe(ref dst, (nuint)i);
                v.StoreUnsafe(ref dst, (nuint)(len - 16));
            }
            else if (len < 16)
            {
                for (int i = 0; i < len; i++) Unsafe.Add(ref dst, i) = value;
            }
            else Unsafe.InitBlockUnaligned(ref dst, value, (uint)len);
        }

        /// <summary>
        /// rows[(oy*ow + ox) * ldr + (i*kw + j)*cg + c] = x[iy][ix][c0 + c] (x in NHWC with cin channels) for the window tap
        /// (i, j), padValue outside the image; ldr (0: k = kh*kw*cg) is the row stride, and bytes past k are left as they are.
        /// </summary>
        public static void Im2RowNhwc(ReadOnlySpan<byte> x, Span<byte> rows, int cin, int c0, int cg, int h, int wd, int oh, int ow, int kh, int kw,
            int strideH, int strideW, int dilH, int dilW, int padTop, int padLeft, byte padValue, int ldr = 0)
        {
            int k = kh * kw * cg;
            if (ldr == 0) ldr = k;
            if (x.Length < h * wd * cin || ldr < k || oh * ow > 0 && rows.Length < (long)(oh * ow - 1) * ldr + k || c0 + cg > cin)
                throw new ArgumentException("Im2RowNhwc: operand too small");
            ref byte px = ref MemoryMarshal.GetReference(x);
            ref byte row = ref MemoryMarshal.GetReference(rows);
            for (int oy = 0; oy < oh; oy++)
            {
                for (int ox = 0; ox < ow; ox++, row = ref Unsafe.Add(ref row, ldr))
                {
                    for (int i = 0; i < kh; i++)
                    {
                        int iy = oy * strideH - padTop + i * dilH;
                        ref byte taps = ref Unsafe.Add(ref row, i * kw * cg);
                        if ((uint)iy >= (uint)h) { Fill(ref taps, padValue, kw * cg); continue; }
                        int ix0 = ox * strideW - padLeft;
                        if (dilW == 1 && cg == cin && ix0 >= 0 && ix0 + kw <= wd)
                        {
                            // The kw taps are one contiguous run of kw * cin bytes.
                            Copy(ref taps, ref Unsafe.Add(ref px, (iy * wd + ix0) * cin), kw * cin);
                            continue;
                        }
                        for (int j = 0; j < kw; j++)
                        {
                            int ix = ix0 + j * dilW;
                            ref byte tap = ref Unsafe.Add(ref taps, j * cg);
                            if ((uint)ix >= (uint)wd) Fill(ref tap, padValue, cg);
                            else Copy(ref tap, ref Unsafe.Add(ref px, (iy * wd + ix) * cin + c0), cg);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Int8 fully connected layers (Gemm / MatMul with constant weights): y = dequant((A_q - zA) * B) + bias, clamped.</summary>
    internal static class DenseQ8
    {
        public static long ScratchBytes(int m, int k) => Int8Layout.DenseScratchBytes(m, k);

        public static void Run(ReadOnlySpan<float> a, ReadOnlySpan<sbyte> packedW, ReadOnlySpan<int> colSums, ReadOnlySpan<float> wScale,
            ReadOnlySpan<float> bias, Span<float> y, Span<byte> scratch, int m, int n, int k, float lo, float hi, float staticScale, int staticZeroPoint,
            bool narrowWeights = false, int int4Group = 0)
        {
            var aq = scratch.Slice(0, m * k);
            var (scaleA, zeroA) = QuantizeDynamic.Input(a.Slice(0, m * k), aq, staticScale, staticZeroPoint);
            Run(aq, packedW, colSums, wScale, bias, y, scratch, m, n, k, lo, hi, scaleA, zeroA, narrowWeights, int4Group);
        }

        /// <summary><see cref="Run(ReadOnlySpan{float}, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{byte}, int, int, int, float, float, float, int, bool, int)"/> on a uint8 input (real = scaleA * (q - zeroA)); no scratch.</summary>
        public static void Run(ReadOnlySpan<byte> a, ReadOnlySpan<sbyte> packedW, ReadOnlySpan<int> colSums, ReadOnlySpan<float> wScale,
            ReadOnlySpan<float> bias, Span<float> y, Span<byte> scratch, int m, int n, int k, float lo, float hi, float scaleA, int zeroA,
            bool narrowWeights = false, int int4Group = 0)
        {
            if (int4Group > 0) QGemm.RunDequantize4(m, n, k, a, k, zeroA, MemoryMarshal.AsBytes(packedW), int4Group, scaleA, wScale, bias, y, n, lo, hi);
            else QGemm.RunDequantize(m, n, k, a, k, zeroA, packedW, colSums, scaleA, wScale, bias, y, n, lo, hi, narrowWeights);
        }

        /// <summary>
        /// Float in, activations quantized per row (per token) on every call: each of the m rows of A gets its own scale and zero
        /// point (<see cref="QuantizeDynamic.RunRows"/>), which the GEMM epilogue applies (<see cref="QGemm.RunDequantizeRows"/>).
        /// Scratch: <see cref="Int8Layout.DenseRowsScratchBytes"/>.
        /// </summary>
        public static void RunRows(ReadOnlySpan<float> a, ReadOnlySpan<sbyte> packedW, ReadOnlySpan<int> colSums, ReadOnlySpan<float> wScale,
            ReadOnlySpan<float> bias, Span<float> y, Span<byte> scratch, int m, int n, int k, float lo, float hi, bool narrowWeights = false)
        {
            if (scratch.Length < Int8Layout.DenseRowsScratchBytes(m, k)) throw new ArgumentException("DenseQ8: scratch too small");
            int aBytes = (int)Int8Layout.Align((long)m * k);
            var aq = scratch.Slice(0, m * k);
            var scales = MemoryMarshal.Cast<byte, float>(scratch.Slice(aBytes, 4 * m));
            var zeros = MemoryMarshal.Cast<byte, int>(scratch.Slice(aBytes + 4 * m, 4 * m));
            QuantizeDynamic.RunRows(a, aq, m, k, scales, zeros);
            QGemm.RunDequantizeRows(m, n, k, aq, k, zeros, packedW, colSums, scales, wScale, bias, y, n, lo, hi, narrowWeights);
        }

        /// <summary>uint8 in, uint8 out (an int8 chain): see <see cref="ConvQ8.Conv2DRequantize"/>; no scratch.</summary>
        public static void RunRequantize(ReadOnlySpan<byte> a, ReadOnlySpan<sbyte> packedW, ReadOnlySpan<int> colSums,
            ReadOnlySpan<int> bias, ReadOnlySpan<int> m0, ReadOnlySpan<int> shift, Span<byte> y, Span<byte> scratch, int m, int n, int k,
            int zeroA, int zeroY, int qmin, int qmax, bool narrowWeights = false) =>
            QGemm.RunRequantize(m, n, k, a, k, zeroA, packedW, colSums, bias, m0, shift, zeroY, y, n, qmin, qmax, narrowWeights);
    }
}

namespace QuantGen.Kernels
{
    /// <summary>
    /// Int8 MatMul of two activations (dynamic on both sides): per call, A is quantized to uint8 (DynamicQuantizeLinear
    /// rule) and B symmetrically to int8 in [-127, 127] with scale max|B| / 127 (round half to even), B is packed for
    /// QGemm in the workspace, and each batch entry runs the int8 GEMM with the dequantization fused.
    /// </summary>
    internal static class MatMulQ8
    {
        public static long ScratchBytes(int aLength, int bLength, int k, int n, int batchesB) =>
            Int8Layout.MatMulScratchBytes(aLength, bLength, k, n, batchesB);

        private static long Align(long bytes) => Int8Layout.Align(bytes);

        /// <param name="bOffsets">Offsets of each batch entry's B; entries with the same offset share one packing.</param>
        public static void Batched(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, ReadOnlySpan<int> aOffsets, ReadOnlySpan<int> bOffsets,
            int m, int n, int k, Span<byte> scratch)
        {
            int batchesB = b.Length / (k * n);
            int packedLength = QGemm.PackedLength(k, n), sumsLength = QGemm.ColSumsLength(n);
            long aBytes = Align(a.Length), bBytes = Align(b.Length), pBytes = Align((long)packedLength * batchesB);
            if (scratch.Length < ScratchBytes(a.Length, b.Length, k, n, batchesB)) throw new ArgumentException("MatMulQ8: scratch too small");
            var aq = scratch.Slice(0, a.Length);
            var bq = MemoryMarshal.Cast<byte, sbyte>(scratch.Slice((int)aBytes, b.Length));
            var packed = MemoryMarshal.Cast<byte, sbyte>(scratch.Slice((int)(aBytes + bBytes), (int)pBytes));
            var sums = MemoryMarshal.Cast<byte, int>(scratch.Slice((int)(aBytes + bBytes + pBytes), 4 * sumsLength * batchesB));

            var (scaleA, zeroA) = QuantizeDynamic.Run(a, aq);
            float scaleB = QuantizeDynamic.Symmetric(b, bq);
            for (int e = 0; e < batchesB; e++)
                QGemm.Pack(bq.Slice(e * k * n, k * n), k, n, packed.Slice(e * packedLength, packedLength), sums.Slice(e * sumsLength, sumsLength));

            Span<float> scaleBSpan = stackalloc float[] { scaleB };
            for (int i = 0; i < aOffsets.Length; i++)
            {
                int e = bOffsets[i] / (k * n);
                QGemm.RunDequantize(m, n, k, aq.Slice(aOffsets[i], m * k), k, zeroA, packed.Slice(e * packedLength, packedLength),
                    sums.Slice(e * sumsLength, sumsLength), scaleA, scaleBSpan, ReadOnlySpan<float>.Empty, y.Slice(i * m * n, m * n), n,
                    float.NegativeInfinity, float.PositiveInfinity);
            }
        }
    }
}
