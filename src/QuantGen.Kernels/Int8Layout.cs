using System;

namespace QuantGen.Kernels
{
    /// <summary>
    /// Sizes and offsets of the int8 data layouts, defined once for build time and run time: this plain C# file (no
    /// intrinsics) is compiled into the kernels and linked into QuantGen.CodeGen, which packs weights and plans
    /// workspace with exactly these formulas.
    /// </summary>
    internal static class Int8Layout
    {
        /// <summary>Packed-B panel width (columns) and k-group depth of <c>QGemm</c>.</summary>
        public const int NR = 16, KR = 4;

        public static int RoundUp(int x, int r) => (x + r - 1) / r * r;

        /// <summary>Bytes of packed B for a k x n weight matrix: roundup(k, 4) x roundup(n, 16).</summary>
        public static int PackedLength(int k, int n) => RoundUp(k, KR) * RoundUp(n, NR);

        /// <summary>Length of the column-sum array: n rounded up to 16 (padding is zero).</summary>
        public static int ColSumsLength(int n) => RoundUp(n, NR);

        /// <summary>Index of B[p, j] in the packed layout (panels of 16 columns, k-groups of 4 with the 4 k of a column adjacent).</summary>
        public static int PackedIndex(int k, int p, int j) => (j / NR) * RoundUp(k, KR) * NR + (p / KR) * (NR * KR) + (j % NR) * KR + p % KR;

        /// <summary>Bytes of packed 4-bit B: half the int8 packed length (two weights per byte).</summary>
        public static int Packed4Length(int k, int n) => PackedLength(k, n) / 2;

        /// <summary>The byte of packed 4-bit B that holds int8-layout element idx: each 32 elements share 16 bytes, element t in the low
        /// nibble of byte t and element t + 16 in its high nibble.</summary>
        public static int Packed4Index(int idx) => (idx >> 5) * 16 + (idx & 15);

        /// <summary>Element idx of the int8 layout sits in the high nibble of its 4-bit byte.</summary>
        public static bool Packed4High(int idx) => (idx & 16) != 0;

        /// <summary>Compresses int8 packed B (values in [-8, 7]) into the 4-bit layout: element idx to the nibble of <see cref="Packed4Index"/>.</summary>
        public static void Compress4(ReadOnlySpan<sbyte> packed, Span<byte> packed4)
        {
            packed4.Slice(0, packed.Length / 2).Clear();
            for (int i = 0; i < packed.Length; i++)
                packed4[Packed4Index(i)] |= (byte)((packed[i] & 15) << (Packed4High(i) ? 4 : 0));
        }

        /// <summary>Scale groups of a 4-bit weight matrix along k: ceil(k / groupSize), one when groupSize &gt;= k.</summary>
        public static int GroupCount(int k, int groupSize) => groupSize >= k || k == 0 ? 1 : (k + groupSize - 1) / groupSize;

        /// <summary>Workspace sub-buffers start on 64-byte boundaries.</summary>
        public static long Align(long bytes) => (bytes + 63) / 64 * 64;

        /// <summary>Scratch of <c>ConvQ8.Conv2D</c> on a float input: the quantized input, then what the uint8-input convolution uses.</summary>
        public static long ConvScratchBytes(int batch, int cin, int h, int w, int oh, int ow, int kh, int kw, int group) =>
            Align((long)batch * cin * h * w) + ConvU8ScratchBytes(batch, cin, h, w, oh, ow, kh, kw, group, 0);

        /// <summary>
        /// Scratch of <c>ConvQ8.Conv2D</c> on a uint8 input and of <c>ConvQ8.Conv2DRequantize</c>: the NHWC copy, one group's
        /// patch rows (each padded to a multiple of 4 bytes, so the kernels that read 4 bytes per k-group take them in place) and, when the output is requantized (<paramref name="requantizedChannels"/> = Cout/group, else 0), one
        /// group's [pixels, channels] tile.
        /// </summary>
        public static long ConvU8ScratchBytes(int batch, int cin, int h, int w, int oh, int ow, int kh, int kw, int group, int requantizedChannels) =>
            Align((long)batch * cin * h * w) + (requantizedChannels > 0
                ? Align((long)oh * ow * RoundUp((cin / group) * kh * kw, KR)) + (long)oh * ow * requantizedChannels
                : (long)oh * ow * RoundUp((cin / group) * kh * kw, KR));

        /// <summary>Scratch of <c>DenseQ8.Run</c>: the quantized rows of A.</summary>
        public static long DenseScratchBytes(int m, int k) => (long)m * k;

        /// <summary>Scratch of <c>DenseQ8.RunRows</c>: the quantized rows of A, then each row's scale (float) and zero point (int).</summary>
        public static long DenseRowsScratchBytes(int m, int k) => Align((long)m * k) + 8L * m;

        /// <summary>Scratch of <c>MatMulQ8.Batched</c>: quantized A and B, B packed per batch entry, and its column sums.</summary>
        public static long MatMulScratchBytes(long aLength, long bLength, int k, int n, int batchesB) =>
            Align(aLength) + Align(bLength) + Align((long)PackedLength(k, n) * batchesB) + 4L * ColSumsLength(n) * batchesB;
    }
}
