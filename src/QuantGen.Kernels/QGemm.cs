// quantgen-kernel-uses: QGemm.X86, QGemm.Arm, QGemm.Portable, QGemm.Int4, Requantize, Int8Layout
using System;
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantGen.Kernels
{
    /// <summary>
    /// Int8 GEMM: C[m,n] = sum_k (A[m,k] - zeroA) * B[k,n], A uint8 activations (row-major, leading dimension lda), B int8
    /// weights in [-127, 127] packed once at build time. Paths (one file each): scalar (<see cref="Reference"/>), portable
    /// Vector128, AVX2, AVX-512BW, AVX-VNNI, AdvSimd, AdvSimd+Dp; all equal the reference bit for bit (int32 sums wrap identically).
    /// </summary>
    /// <remarks>
    /// <para><b>Packed B</b> (the same bytes for every path, so the build packs without knowing the target ISA):
    /// columns in panels of <see cref="NR"/> = 16, k in groups of <see cref="KR"/> = 4, zero padded to K4 = roundup(k, 4)
    /// and roundup(n, 16): byte (p, j) is at <c>(j / 16) * K4 * 16 + (p / 4) * 64 + (j % 16) * 4 + p % 4</c>, i.e. each
    /// k-group of a panel is 64 bytes, four consecutive k of one column side by side (the operand shape of vpmaddubsw
    /// pairs + vpmaddwd, of vpmovsxbw + vpmaddwd, and of SDOT). Column sums of B (int32, zero padded to roundup(n, 16)) are
    /// a separate array computed by <see cref="Pack"/>, so the zero point is hoisted out of the inner loop:
    /// sum_k (a - zA) b = sum_k a b - zA * colSum.</para>
    /// <para><b>A</b> is repacked per block of 4 rows (8 for AVX-512) into a small buffer as k-groups
    /// <c>[K4/4][rows][element]</c> in the form the path multiplies (sign mask of a' = a ^ 0x80 and |a'| for AVX2, a ^ 0x80 for
    /// AdvSimd/Dp, a as int16 for AVX-512 and Vector128), with the k padding set to zero; the micro-kernels compute
    /// 4 x 16 tiles (8 x 16 with AVX-512) and 1 x 16 tiles (GEMV and leftover rows).</para>
    /// <para><b>No saturation.</b> The AVX2, AdvSimd and Dp paths multiply a' = a - 128 in [-128, 127] (so sum a b =
    /// sum a' b + 128 colSum). AVX2 uses vpmaddubsw(|a'|, b * sign(a')): |a'| &lt;= 128 and |b| &lt;= 127 make each int16 pair sum
    /// at most 2 * 128 * 127 = 32512 &lt; 32767, and b * sign(a') never negates -128 because b &gt;= -127 (this is why B must not
    /// contain -128; <see cref="Pack"/> rejects it). AdvSimd adds two int8 x int8 products in an int16 lane (smull + smlal),
    /// bounded by the same 32512. AVX-512 widens both operands to int16 (vpmovsxbw + vpmaddwd), exact by construction. AVX-VNNI
    /// (vpdpbusd) adds the four u8 x s8 products of a k-group straight into int32, exact for any operands; it reads the raw
    /// activations, 4 bytes per row and k-group, in place when k % 4 == 0.</para>
    /// <para><b>Narrow weights.</b> When every weight is in [-64, 64] (the 7-bit weights of the WeightBits="7" option) the caller
    /// passes <c>narrowB</c> and x86 uses vpmaddubsw on the raw uint8 activations: an int16 pair is at most 2 * 255 * 64 =
    /// 32640, so this is exact too and needs neither the sign flip nor the widening (the instruction mix of the machine's
    /// int8 peak). Other paths ignore the flag; every path still equals the reference.</para>
    /// </remarks>
    internal static partial class QGemm
    {
        public const int NR = Int8Layout.NR, KR = Int8Layout.KR;

        /// <summary>Rows per block: 8 for AVX-512 (32 registers; amortizes the B widening), 6 for AVX-VNNI (12 ymm accumulators of
        /// the 16 that VEX encoding reaches), 4 elsewhere.</summary>
        private static int RowBlock(int kernel) => kernel == QuantPath.X86Avx512 || kernel == NarrowAvx512 ? 8 : kernel == QuantPath.X86AvxVnni ? 6 : 4;

        /// <summary>Micro-kernel families beyond the <see cref="QuantPath"/> ones: the narrow-weight (vpmaddubsw) x86 kernels.</summary>
        private const int NarrowAvx2 = 16, NarrowAvx512 = 17;

        /// <summary>Column chunk of the fused epilogues: rows x NC int32 accumulators live on the stack (at most 2 KB).</summary>
        private const int NC = 64;

        /// <summary>Bytes of packed B for a k x n weight matrix (<see cref="Int8Layout.PackedLength"/>).</summary>
        public static int PackedLength(int k, int n) => Int8Layout.PackedLength(k, n);

        /// <summary>Length of the column-sum array: n rounded up to 16 (padding is zero).</summary>
        public static int ColSumsLength(int n) => Int8Layout.ColSumsLength(n);

        /// <summary>Index of B[p, j] in the packed layout (see the class remarks).</summary>
        public static int PackedIndex(int k, int p, int j) => Int8Layout.PackedIndex(k, p, j);

        /// <summary>Packs row-major B (k x n, values in [-127, 127]) and computes its column sums.</summary>
        public static void Pack(ReadOnlySpan<sbyte> b, int k, int n, Span<sbyte> packed, Span<int> colSums)
        {
            if (k < 0 || n < 0 || b.Length < (long)k * n || packed.Length < PackedLength(k, n) || colSums.Length < ColSumsLength(n))
                throw new ArgumentException("QGemm.Pack: operand too small");
            packed.Slice(0, PackedLength(k, n)).Clear();
            colSums.Slice(0, ColSumsLength(n)).Clear();
            // Row p of B goes to k-group p / 4, byte p % 4 of each column's 4-byte slot: walk the rows and the panels in order
            // (the layout of PackedIndex, without a division per element).
            int panelBytes = Int8Layout.RoundUp(k, KR) * NR;
            for (int p = 0; p < k; p++)
            {
                var row = b.Slice(p * n, n);
                int rowBase = (p / KR) * KR * NR + p % KR;
                for (int j0 = 0; j0 < n; j0 += NR)
                {
                    var dst = packed.Slice((j0 / NR) * panelBytes + rowBase);
                    int w = Math.Min(NR, n - j0);
                    for (int jj = 0; jj < w; jj++)
                    {
                        sbyte v = row[j0 + jj];
                        if (v == sbyte.MinValue) throw new ArgumentException("QGemm weights must be in [-127, 127] (-128 found)", nameof(b));
                        dst[jj * KR] = v;
                        colSums[j0 + jj] += v;
                    }
                }
            }
        }

        /// <summary>The scalar reference every path is tested against: the definition, written plainly.</summary>
        public static void Reference(int m, int n, int k, ReadOnlySpan<byte> a, int lda, int zeroA, ReadOnlySpan<sbyte> packed, Span<int> c, int ldc)
        {
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    int acc = 0;
                    for (int p = 0; p < k; p++) acc += (a[i * lda + p] - zeroA) * packed[PackedIndex(k, p, j)];
                    c[i * ldc + j] = acc;
                }
            }
        }

        /// <summary>C (int32, leading dimension ldc) = (A - zeroA) * B.</summary>
        /// <param name="narrowB">Every weight is in [-64, 64] (7-bit weights): x86 then multiplies with vpmaddubsw directly
        /// (class remarks). The result is the same as without it; a weight outside that range gives wrong sums on x86.</param>
        public static void Run(int m, int n, int k, ReadOnlySpan<byte> a, int lda, int zeroA, ReadOnlySpan<sbyte> packed,
            ReadOnlySpan<int> colSums, Span<int> c, int ldc, bool narrowB = false) =>
            RunPath(m, n, k, a, lda, zeroA, packed, colSums, c, ldc, QuantPath.Best, narrowB);

        /// <summary>
        /// Dynamic quantization, fused: y[i, j] = clamp((float)C[i, j] * (scaleA * scaleB[j]) + bias[j], lo, hi) (see
        /// <see cref="Requantization.Dequantize"/>). scaleB has 1 (per tensor) or n elements, bias 0 or n.
        /// </summary>
        public static void RunDequantize(int m, int n, int k, ReadOnlySpan<byte> a, int lda, int zeroA, ReadOnlySpan<sbyte> packed,
            ReadOnlySpan<int> colSums, float scaleA, ReadOnlySpan<float> scaleB, ReadOnlySpan<float> bias, Span<float> y, int ldy, float lo, float hi,
            bool narrowB = false) =>
            RunDequantizePath(m, n, k, a, lda, zeroA, packed, colSums, scaleA, scaleB, bias, y, ldy, lo, hi, QuantPath.Best, narrowB: narrowB);

        /// <summary>
        /// <see cref="RunDequantize"/> with one scale and zero point per row of A (activations quantized per row, e.g. per token):
        /// y[i, j] = clamp((float)C_i[j] * (scaleA[i] * scaleB[j]) + bias[j], lo, hi) with C_i = sum_k (A[i, k] - zeroA[i]) * B[k, j].
        /// The kernels accumulate sum a b (zero point 0) and the epilogue subtracts zeroA[i] * colSum[j] in int32, so every row
        /// equals <see cref="RunDequantize"/> called on that row alone with its own scale and zero point, on every path.
        /// </summary>
        public static void RunDequantizeRows(int m, int n, int k, ReadOnlySpan<byte> a, int lda, ReadOnlySpan<int> zeroA, ReadOnlySpan<sbyte> packed,
            ReadOnlySpan<int> colSums, ReadOnlySpan<float> scaleA, ReadOnlySpan<float> scaleB, ReadOnlySpan<float> bias, Span<float> y, int ldy,
            float lo, float hi, bool narrowB = false) =>
            RunDequantizeRowsPath(m, n, k, a, lda, zeroA, packed, colSums, scaleA, scaleB, bias, y, ldy, lo, hi, QuantPath.Best, narrowB);

        /// <summary>
        /// <see cref="RunDequantize"/> with the result stored transposed: y[i, j] goes to <c>y[j * ldy + i]</c> (ldy &gt;= m).
        /// A convolution's GEMM rows are output pixels and its columns output channels, so this writes NCHW planes
        /// straight from the accumulator tile (no separate transpose pass over the output).
        /// </summary>
        public static void RunDequantizeTransposed(int m, int n, int k, ReadOnlySpan<byte> a, int lda, int zeroA, ReadOnlySpan<sbyte> packed,
            ReadOnlySpan<int> colSums, float scaleA, ReadOnlySpan<float> scaleB, ReadOnlySpan<float> bias, Span<float> y, int ldy, float lo, float hi,
            bool narrowB = false) =>
            RunDequantizePath(m, n, k, a, lda, zeroA, packed, colSums, scaleA, scaleB, bias, y, ldy, lo, hi, QuantPath.Best, transposed: true, narrowB: narrowB);

        /// <summary>
        /// Static quantization, fused: y[i, j] = clamp(rule(C[i, j] + bias[j], m0[j], shift[j]) + zeroY, qmin, qmax) as uint8, with
        /// the rule of <see cref="Requantization.Requantize(int, int, int, int, int, int)"/>. m0/shift have 1 (per tensor) or
        /// n elements (per channel, from QuantizeMultiplier); bias (int32, already in accumulator units) is empty or n.
        /// </summary>
        public static void RunRequantize(int m, int n, int k, ReadOnlySpan<byte> a, int lda, int zeroA, ReadOnlySpan<sbyte> packed,
            ReadOnlySpan<int> colSums, ReadOnlySpan<int> bias, ReadOnlySpan<int> m0, ReadOnlySpan<int> shift, int zeroY, Span<byte> y, int ldy,
            int qmin, int qmax, bool narrowB = false) =>
            RunRequantizePath(m, n, k, a, lda, zeroA, packed, colSums, bias, m0, shift, zeroY, y, ldy, qmin, qmax, QuantPath.Best, narrowB);

        internal static void RunPath(int m, int n, int k, ReadOnlySpan<byte> a, int lda, int zeroA, ReadOnlySpan<sbyte> packed,
            ReadOnlySpan<int> colSums, Span<int> c, int ldc, int path, bool narrowB = false)
        {
            Check(m, n, k, a, lda, zeroA, packed, colSums, path);
            if ((long)(m - 1) * ldc + n > c.Length || ldc < n) throw new ArgumentException("QGemm: C too small");
            var e = new Epilogue { Kind = EpilogueInt32, C = c, Ldy = ldc };
            Drive(m, n, k, a, lda, zeroA, packed, colSums, ref e, path, narrowB);
        }

        internal static void RunDequantizePath(int m, int n, int k, ReadOnlySpan<byte> a, int lda, int zeroA, ReadOnlySpan<sbyte> packed,
            ReadOnlySpan<int> colSums, float scaleA, ReadOnlySpan<float> scaleB, ReadOnlySpan<float> bias, Span<float> y, int ldy, float lo, float hi, int path,
            bool transposed = false, bool narrowB = false)
        {
            Check(m, n, k, a, lda, zeroA, packed, colSums, path);
            if (transposed ? (long)(n - 1) * ldy + m > y.Length || ldy < m : (long)(m - 1) * ldy + n > y.Length || ldy < n)
                throw new ArgumentException("QGemm: y too small");
            if (scaleB.Length != 1 && scaleB.Length < n || !bias.IsEmpty && bias.Length < n) throw new ArgumentException("QGemm: scale or bias too small");
            var e = new Epilogue { Kind = EpilogueFloat, Y = y, Ldy = ldy, ScaleA = scaleA, ScaleB = scaleB, BiasF = bias, Lo = lo, Hi = hi, Transposed = transposed, M = m };
            Drive(m, n, k, a, lda, zeroA, packed, colSums, ref e, path, narrowB);
        }

        internal static void RunDequantizeRowsPath(int m, int n, int k, ReadOnlySpan<byte> a, int lda, ReadOnlySpan<int> zeroA, ReadOnlySpan<sbyte> packed,
            ReadOnlySpan<int> colSums, ReadOnlySpan<float> scaleA, ReadOnlySpan<float> scaleB, ReadOnlySpan<float> bias, Span<float> y, int ldy,
            float lo, float hi, int path, bool narrowB = false)
        {
            Check(m, n, k, a, lda, 0, packed, colSums, path);
            if ((long)(m - 1) * ldy + n > y.Length || ldy < n) throw new ArgumentException("QGemm: y too small");
            if (scaleB.Length != 1 && scaleB.Length < n || !bias.IsEmpty && bias.Length < n) throw new ArgumentException("QGemm: scale or bias too small");
            if (scaleA.Length < m || zeroA.Length < m) throw new ArgumentException("QGemm: row scales or zero points too small");
            for (int i = 0; i < m; i++)
                if ((uint)zeroA[i] > 255) throw new ArgumentException("QGemm: zero point outside uint8");
            var e = new Epilogue { Kind = EpilogueFloat, Y = y, Ldy = ldy, ScaleB = scaleB, BiasF = bias, Lo = lo, Hi = hi, M = m,
                RowScales = scaleA, RowZeros = zeroA, ColSums = colSums };
            Drive(m, n, k, a, lda, 0, packed, colSums, ref e, path, narrowB);
        }

        internal static void RunRequantizePath(int m, int n, int k, ReadOnlySpan<byte> a, int lda, int zeroA, ReadOnlySpan<sbyte> packed,
            ReadOnlySpan<int> colSums, ReadOnlySpan<int> bias, ReadOnlySpan<int> m0, ReadOnlySpan<int> shift, int zeroY, Span<byte> y, int ldy,
            int qmin, int qmax, int path, bool narrowB = false)
        {
            Check(m, n, k, a, lda, zeroA, packed, colSums, path);
            if ((long)(m - 1) * ldy + n > y.Length || ldy < n) throw new ArgumentException("QGemm: y too small");
            if (m0.Length != shift.Length || m0.Length != 1 && m0.Length < n || !bias.IsEmpty && bias.Length < n)
                throw new ArgumentException("QGemm: multiplier or bias too small");
            if (m0.Length == 1 && (shift[0] < Requantization.MinShift || shift[0] > Requantization.MaxShift || m0[0] < 1 << 30))
                throw new ArgumentException("QGemm: multiplier out of range (use QuantizeMultiplier)");
            if (qmin < 0 || qmax > 255 || qmin > qmax || zeroY < 0 || zeroY > 255) throw new ArgumentException("QGemm: zero point or clamp outside uint8");
            var e = new Epilogue { Kind = EpilogueUInt8, Q = y, Ldy = ldy, BiasI = bias, M0 = m0, Shift = shift, ZeroY = zeroY, QMin = qmin, QMax = qmax };
            Drive(m, n, k, a, lda, zeroA, packed, colSums, ref e, path, narrowB);
        }

        private static void Check(int m, int n, int k, ReadOnlySpan<byte> a, int lda, int zeroA, ReadOnlySpan<sbyte> packed, ReadOnlySpan<int> colSums, int path)
        {
            if (m < 0 || n < 0 || k < 0 || zeroA < 0 || zeroA > 255) throw new ArgumentException("QGemm: bad shape or zero point");
            if (m > 0 && k > 0 && ((long)(m - 1) * lda + k > a.Length || lda < k)) throw new ArgumentException("QGemm: A too small");
            if (packed.Length < PackedLength(k, n) || colSums.Length < ColSumsLength(n)) throw new ArgumentException("QGemm: packed B too small");
            if (!QuantPath.IsSupported(path)) throw new PlatformNotSupportedException("QGemm path " + QuantPath.Name(path));
        }

        private const int EpilogueInt32 = 0, EpilogueFloat = 1, EpilogueUInt8 = 2;

        /// <summary>What happens to a block of accumulators: stored as int32, dequantized to float or requantized to uint8.</summary>
        private ref struct Epilogue
        {
            public int Kind, Ldy;
            public Span<int> C;
            public Span<float> Y;
            public float ScaleA, Lo, Hi;
            public ReadOnlySpan<float> ScaleB, BiasF;
            public Span<byte> Q;
            public ReadOnlySpan<int> BiasI, M0, Shift;
            public int ZeroY, QMin, QMax;
            /// <summary>Float results go to Y[j * Ldy + i] instead of Y[i * Ldy + j].</summary>
            public bool Transposed;
            /// <summary>Rows of the GEMM (pixels of a transposed output plane).</summary>
            public int M;
            /// <summary>Per-row activation scales and zero points (<see cref="RunDequantizeRows"/>; empty: ScaleA and the GEMM's zeroA).</summary>
            public ReadOnlySpan<float> RowScales;
            public ReadOnlySpan<int> RowZeros, ColSums;
        }

        /// <summary>Bytes per row and k-group in the packed-A buffer of a path.</summary>
        private static int AElement(int kernel) => kernel == QuantPath.ArmDp || kernel == QuantPath.ArmAdvSimd || kernel == NarrowAvx2 || kernel == NarrowAvx512
            || kernel == QuantPath.X86AvxVnni ? 4 : 8;

        /// <summary>Kernels that multiply the raw uint8 activations, 4 bytes per row and k-group (the narrow x86 ones and VNNI).</summary>
        private static bool RawA(int kernel) => kernel == NarrowAvx512 || kernel == NarrowAvx2 || kernel == QuantPath.X86AvxVnni;

        private static void Drive(int m, int n, int k, ReadOnlySpan<byte> a, int lda, int zeroA, ReadOnlySpan<sbyte> packed,
            ReadOnlySpan<int> colSums, ref Epilogue e, int path, bool narrowB)
        {
            if (m == 0 || n == 0) return;
            // The GEMM kernel family: the path's own, or on x86 the narrow-weight one. The epilogues always follow `path`.
            int kernel = narrowB && path == QuantPath.X86Avx512 ? NarrowAvx512 : narrowB && path == QuantPath.X86Avx2 ? NarrowAvx2 : path;
            // The narrow and VNNI kernels read 4 activation bytes per row and k-group, which is row-major A itself when k % 4 == 0,
            // or when each row has the bytes up to roundup(k, 4) (they meet B's zero padding, so their values do not matter):
            // then A is read in place (row stride lda, group stride 4) instead of being repacked per row block.
            int kg = (k + KR - 1) / KR;
            bool direct = RawA(kernel) && k > 0 && ((k & 3) == 0 || lda >= KR * kg && (long)(m - 1) * lda + KR * kg <= a.Length);
            int elem = AElement(kernel), mr = RowBlock(kernel), need = direct ? 0 : kg * mr * elem;
            // a' = a - 128 kernels add 128 * colSum back; the others use a as is.
            int zc = kernel == QuantPath.X86Avx2 || kernel == QuantPath.ArmAdvSimd || kernel == QuantPath.ArmDp ? 128 - zeroA : -zeroA;
            byte[]? rented = null;
            // Sized to the call: the runtime zeroes stack buffers (generated code cannot use SkipLocalsInit).
            Span<byte> apack = need <= 4096 ? stackalloc byte[need] : (rented = ArrayPool<byte>.Shared.Rent(need));
            Span<int> tile = stackalloc int[mr * NC];
            try
            {
                ref sbyte pb = ref MemoryMarshal.GetReference(packed);
                ref int pcs = ref MemoryMarshal.GetReference(colSums);
                ref int pt = ref MemoryMarshal.GetReference(tile);
                int panelBytes = kg * KR * NR;
                for (int i0 = 0; i0 < m; i0 += mr)
                {
                    int rows = Math.Min(mr, m - i0);
                    ref byte pa = ref direct ? ref MemoryMarshal.GetReference(a.Slice(i0 * lda)) : ref MemoryMarshal.GetReference(apack);
                    int rs = direct ? lda : elem, gs = direct ? KR : rows * elem;
                    if (!direct && kernel != QuantPath.Scalar && k > 0) PackA(a.Slice(i0 * lda), lda, rows, k, kg, apack, kernel);
                    if (e.Kind == EpilogueInt32)
                    {
                        ref int pc = ref MemoryMarshal.GetReference(e.C);
                        for (int j = 0; j < n; j += NR)
                        {
                            ref sbyte bp = ref Unsafe.Add(ref pb, (j / NR) * panelBytes);
                            if (j + NR <= n)
                            {
                                Tile(kernel, rows, ref pa, rs, gs, kg, ref bp, ref Unsafe.Add(ref pcs, j), zc, ref Unsafe.Add(ref pc, i0 * e.Ldy + j), e.Ldy, a, i0, lda, k, zeroA, packed, j);
                            }
                            else
                            {
                                Tile(kernel, rows, ref pa, rs, gs, kg, ref bp, ref Unsafe.Add(ref pcs, j), zc, ref pt, NR, a, i0, lda, k, zeroA, packed, j);
                                for (int r = 0; r < rows; r++) tile.Slice(r * NR, n - j).CopyTo(e.C.Slice((i0 + r) * e.Ldy + j));
                            }
                        }
                        continue;
                    }
                    for (int j0 = 0; j0 < n; j0 += NC)
                    {
                        int w = Math.Min(NC, n - j0);
                        for (int j = j0; j < j0 + w; j += NR)
                            Tile(kernel, rows, ref pa, rs, gs, kg, ref Unsafe.Add(ref pb, (j / NR) * panelBytes), ref Unsafe.Add(ref pcs, j), zc,
                                ref Unsafe.Add(ref pt, j - j0), NC, a, i0, lda, k, zeroA, packed, j);
                        Finish(tile, rows, w, i0, j0, ref e, path);
                    }
                }
            }
            finally
            {
                if (rented != null) ArrayPool<byte>.Shared.Return(rented);
            }
        }

        /// <summary>The epilogue of a rows x w accumulator block (row stride <see cref="NC"/>) at rows i0.., columns j0..: float or uint8.</summary>
        private static void Finish(scoped Span<int> tile, int rows, int w, int i0, int j0, scoped ref Epilogue e, int path)
        {
            if (e.Kind == EpilogueFloat && e.Transposed)
            {
                DequantizeTransposed(tile, rows, w, i0, j0, ref e);
                return;
            }
            int done = 0;
            if (e.Kind == EpilogueUInt8)
            {
                bool perTensor = e.M0.Length == 1;
                done = Requantization.RequantizeTileX86(tile, NC, rows, w, e.BiasI.IsEmpty ? e.BiasI : e.BiasI.Slice(j0, w),
                    perTensor ? e.M0[0] : 0, perTensor ? e.Shift[0] : 0, perTensor ? default : e.M0.Slice(j0, w), perTensor ? default : e.Shift.Slice(j0, w),
                    e.ZeroY, e.Q.Slice(i0 * e.Ldy + j0), e.Ldy, e.QMin, e.QMax, path);
                if (done == w) return;
                j0 += done; w -= done;
            }
            for (int r = 0; r < rows; r++)
            {
                var acc = tile.Slice(r * NC + done, w);
                if (e.Kind == EpilogueFloat)
                {
                    float scaleA = e.ScaleA;
                    if (!e.RowScales.IsEmpty)
                    {
                        // Per-row zero point: the tile holds sum a b; subtract zeroA[i] * colSum[j] (int32, wrapping like the kernels).
                        SubtractZeroPoint(acc, e.RowZeros[i0 + r], e.ColSums.Slice(j0 + done, w));
                        scaleA = e.RowScales[i0 + r];
                    }
                    Requantization.DequantizeCore(acc, scaleA, e.ScaleB.Length == 1 ? e.ScaleB : e.ScaleB.Slice(j0, w),
                        e.BiasF.IsEmpty ? e.BiasF : e.BiasF.Slice(j0, w), e.Y.Slice((i0 + r) * e.Ldy + j0, w), e.Lo, e.Hi, path);
                }
                else
                {
                    if (!e.BiasI.IsEmpty) AddBias(acc, e.BiasI.Slice(j0, w));
                    var dst = e.Q.Slice((i0 + r) * e.Ldy + j0, w);
                    if (e.M0.Length == 1)
                        Requantization.RequantizeCore(acc, e.M0[0], e.Shift[0], default, default, e.ZeroY, dst, e.QMin, e.QMax, 0, 255, path);
                    else
                        Requantization.RequantizeCore(acc, 0, 0, e.M0.Slice(j0, w), e.Shift.Slice(j0, w), e.ZeroY, dst, e.QMin, e.QMax, 0, 255, path);
                }
            }
        }

        /// <summary>acc[j] -= zero * colSums[j], in wrapping int32 arithmetic.</summary>
        private static void SubtractZeroPoint(Span<int> acc, int zero, ReadOnlySpan<int> colSums)
        {
            if (zero == 0) return;
            int j = 0;
            ref int pa = ref MemoryMarshal.GetReference(acc);
            ref int pc = ref MemoryMarshal.GetReference(colSums);
            if (Vector256.IsHardwareAccelerated)
            {
                var z = Vector256.Create(zero);
                for (; j <= acc.Length - 8; j += 8)
                    (Vector256.LoadUnsafe(ref pa, (nuint)j) - z * Vector256.LoadUnsafe(ref pc, (nuint)j)).StoreUnsafe(ref pa, (nuint)j);
            }
            for (; j < acc.Length; j++) Unsafe.Add(ref pa, j) = unchecked(Unsafe.Add(ref pa, j) - zero * Unsafe.Add(ref pc, j));
        }

        /// <summary>
        /// The float epilogue of a rows x w accumulator block (row stride <see cref="NC"/>), stored transposed: column j of
        /// the block becomes the <c>rows</c> consecutive floats at Y[(j0 + j) * Ldy + i0]. Same arithmetic as
        /// <see cref="Requantization.DequantizeCore"/> ((float)acc * (scaleA * scaleB[j]) + bias[j], then the clamp; no FMA),
        /// so the result is bit-identical; blocks of 4-8 rows are transposed 8 x 8 in AVX registers.
        /// </summary>
        private static void DequantizeTransposed(scoped ReadOnlySpan<int> tile, int rows, int w, int i0, int j0, scoped ref Epilogue e)
        {
            bool perChannel = e.ScaleB.Length != 1, hasBias = !e.BiasF.IsEmpty;
            ref float py = ref MemoryMarshal.GetReference(e.Y);
            int j = 0;
            // 4-8 rows (the AVX-VNNI blocks are 6): rows past `rows` are zero, and a column's 8 floats are stored whole when the
            // plane has 8 pixels from i0 on (the extra ones are rewritten by the next block), else only its `rows` floats.
            if (rows >= 4 && Avx.IsSupported)
            {
                ref int pt = ref MemoryMarshal.GetReference(tile);
                var vlo = Vector256.Create(e.Lo);
                var vhi = Vector256.Create(e.Hi);
                int store = i0 + 8 <= e.M ? 8 : rows;
                for (; j <= w - 8; j += 8)
                {
                    var r0 = Vector256.LoadUnsafe(ref pt, (nuint)j).AsSingle();
                    var r1 = Vector256.LoadUnsafe(ref pt, (nuint)(NC + j)).AsSingle();
                    var r2 = Vector256.LoadUnsafe(ref pt, (nuint)(2 * NC + j)).AsSingle();
                    var r3 = Vector256.LoadUnsafe(ref pt, (nuint)(3 * NC + j)).AsSingle();
                    var r4 = rows > 4 ? Vector256.LoadUnsafe(ref pt, (nuint)(4 * NC + j)).AsSingle() : default;
                    var r5 = rows > 5 ? Vector256.LoadUnsafe(ref pt, (nuint)(5 * NC + j)).AsSingle() : default;
                    var r6 = rows > 6 ? Vector256.LoadUnsafe(ref pt, (nuint)(6 * NC + j)).AsSingle() : default;
                    var r7 = rows > 7 ? Vector256.LoadUnsafe(ref pt, (nuint)(7 * NC + j)).AsSingle() : default;
                    // 8 x 8 transpose (the int32 bits ride in float lanes; only moved, never computed on).
                    var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
                    var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
                    var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
                    var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
                    var s0 = Avx.Shuffle(t0, t2, 0x44); var s1 = Avx.Shuffle(t0, t2, 0xEE);
                    var s2 = Avx.Shuffle(t1, t3, 0x44); var s3 = Avx.Shuffle(t1, t3, 0xEE);
                    var s4 = Avx.Shuffle(t4, t6, 0x44); var s5 = Avx.Shuffle(t4, t6, 0xEE);
                    var s6 = Avx.Shuffle(t5, t7, 0x44); var s7 = Avx.Shuffle(t5, t7, 0xEE);
                    int c = j0 + j;
                    StoreColumn(Avx.Permute2x128(s0, s4, 0x20), c, ref e, ref py, i0, store, perChannel, hasBias, vlo, vhi);
                    StoreColumn(Avx.Permute2x128(s1, s5, 0x20), c + 1, ref e, ref py, i0, store, perChannel, hasBias, vlo, vhi);
                    StoreColumn(Avx.Permute2x128(s2, s6, 0x20), c + 2, ref e, ref py, i0, store, perChannel, hasBias, vlo, vhi);
                    StoreColumn(Avx.Permute2x128(s3, s7, 0x20), c + 3, ref e, ref py, i0, store, perChannel, hasBias, vlo, vhi);
                    StoreColumn(Avx.Permute2x128(s0, s4, 0x31), c + 4, ref e, ref py, i0, store, perChannel, hasBias, vlo, vhi);
                    StoreColumn(Avx.Permute2x128(s1, s5, 0x31), c + 5, ref e, ref py, i0, store, perChannel, hasBias, vlo, vhi);
                    StoreColumn(Avx.Permute2x128(s2, s6, 0x31), c + 6, ref e, ref py, i0, store, perChannel, hasBias, vlo, vhi);
                    StoreColumn(Avx.Permute2x128(s3, s7, 0x31), c + 7, ref e, ref py, i0, store, perChannel, hasBias, vlo, vhi);
                }
            }
            for (; j < w; j++)
            {
                int c = j0 + j;
                float s = e.ScaleA * e.ScaleB[perChannel ? c : 0], b = hasBias ? e.BiasF[c] : 0f;
                var col = e.Y.Slice(c * e.Ldy + i0, rows);
                for (int r = 0; r < rows; r++)
                {
                    float v = tile[r * NC + j] * s + b;
                    v = v < e.Lo ? e.Lo : v;
                    col[r] = v > e.Hi ? e.Hi : v;
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreColumn(Vector256<float> bits, int c, scoped ref Epilogue e, ref float py, int i0, int store, bool perChannel, bool hasBias,
            Vector256<float> vlo, Vector256<float> vhi)
        {
            var s = Vector256.Create(e.ScaleA * e.ScaleB[perChannel ? c : 0]);
            var b = hasBias ? Vector256.Create(e.BiasF[c]) : Vector256<float>.Zero;
            var v = Vector256.ConvertToSingle(bits.AsInt32()) * s + b;
            v = Vector256.ConditionalSelect(Vector256.LessThan(v, vlo), vlo, v);
            v = Vector256.ConditionalSelect(Vector256.GreaterThan(v, vhi), vhi, v);
            ref float dst = ref Unsafe.Add(ref py, c * e.Ldy + i0);
            if (store == 8) { v.StoreUnsafe(ref dst); return; }
            v.GetLower().StoreUnsafe(ref dst);
            for (int r = 4; r < store; r++) Unsafe.Add(ref dst, r) = v.GetElement(r);
        }

        private static void AddBias(Span<int> acc, ReadOnlySpan<int> bias)
        {
            int i = 0;
            if (System.Numerics.Vector.IsHardwareAccelerated)
            {
                var va = MemoryMarshal.Cast<int, System.Numerics.Vector<int>>(acc);
                var vb = MemoryMarshal.Cast<int, System.Numerics.Vector<int>>(bias.Slice(0, acc.Length));
                for (int v = 0; v < va.Length; v++) va[v] += vb[v];
                i = va.Length * System.Numerics.Vector<int>.Count;
            }
            for (; i < acc.Length; i++) acc[i] += bias[i];
        }

        /// <summary>Repacks rows [0, rows) of A (k columns) into k-groups in the form the path multiplies (class remarks).</summary>
        private static void PackA(ReadOnlySpan<byte> a, int lda, int rows, int k, int kg, Span<byte> dst, int kernel)
        {
            int elem = AElement(kernel), gstride = rows * elem;
            bool flip = kernel == QuantPath.ArmDp || kernel == QuantPath.ArmAdvSimd; // a' = a ^ 0x80; the narrow kernels take a as is
            dst.Slice((kg - 1) * gstride, gstride).Clear(); // the k padding of the last group must be zero
            ref byte pd = ref MemoryMarshal.GetReference(dst);
            bool avx2 = kernel == QuantPath.X86Avx2 && Ssse3.IsSupported;
            for (int r = 0; r < rows; r++)
            {
                ref byte row = ref MemoryMarshal.GetReference(a.Slice(r * lda, k));
                ref byte d = ref Unsafe.Add(ref pd, r * elem);
                int p = 0;
                if (Vector128.IsHardwareAccelerated)
                {
                    for (; p <= k - 16; p += 16)
                    {
                        var v = Vector128.LoadUnsafe(ref row, (nuint)p);
                        ref byte g = ref Unsafe.Add(ref d, (p >> 2) * gstride);
                        Vector128<ulong> lo, hi;
                        if (avx2)
                        {
                            var sv = (v ^ Vector128.Create((byte)0x80)).AsSByte();
                            var uv = Ssse3.Abs(sv); // |-128| = 0x80 = 128 as unsigned
                            var mv = Vector128.LessThan(sv, Vector128<sbyte>.Zero);
                            lo = Sse2.UnpackLow(mv.AsInt32(), uv.AsInt32()).AsUInt64();  // groups 0, 1: sign masks, |a'|
                            hi = Sse2.UnpackHigh(mv.AsInt32(), uv.AsInt32()).AsUInt64(); // groups 2, 3
                        }
                        else if (elem == 4)
                        {
                            var sv = (flip ? v ^ Vector128.Create((byte)0x80) : v).AsUInt32();
                            Unsafe.WriteUnaligned(ref g, sv.GetElement(0));
                            Unsafe.WriteUnaligned(ref Unsafe.Add(ref g, gstride), sv.GetElement(1));
                            Unsafe.WriteUnaligned(ref Unsafe.Add(ref g, 2 * gstride), sv.GetElement(2));
                            Unsafe.WriteUnaligned(ref Unsafe.Add(ref g, 3 * gstride), sv.GetElement(3));
                            continue;
                        }
                        else
                        {
                            var (w0, w1) = Vector128.Widen(v); // a as int16, 4 per group
                            lo = w0.AsUInt64();
                            hi = w1.AsUInt64();
                        }
                        Unsafe.WriteUnaligned(ref g, lo.GetElement(0));
                        Unsafe.WriteUnaligned(ref Unsafe.Add(ref g, gstride), lo.GetElement(1));
                        Unsafe.WriteUnaligned(ref Unsafe.Add(ref g, 2 * gstride), hi.GetElement(0));
                        Unsafe.WriteUnaligned(ref Unsafe.Add(ref g, 3 * gstride), hi.GetElement(1));
                    }
                }
                for (; p < k; p++)
                {
                    byte x = Unsafe.Add(ref row, p);
                    ref byte g = ref Unsafe.Add(ref d, (p >> 2) * gstride);
                    if (kernel == QuantPath.X86Avx2)
                    {
                        int sv = (sbyte)(x ^ 0x80);
                        Unsafe.Add(ref g, p & 3) = (byte)(sv < 0 ? 0xFF : 0);
                        Unsafe.Add(ref g, 4 + (p & 3)) = (byte)Math.Abs(sv);
                    }
                    else if (elem == 4)
                    {
                        Unsafe.Add(ref g, p & 3) = (byte)(flip ? x ^ 0x80 : x);
                    }
                    else
                    {
                        Unsafe.WriteUnaligned(ref Unsafe.Add(ref g, 2 * (p & 3)), (short)x);
                    }
                }
            }
        }

        /// <summary>One tile: rows (1..4) x 16 columns of C at dst (leading dimension ldd), zero-point term included.</summary>
        /// <param name="rs">Narrow kernels: bytes between rows of A at ap (AElement in packed A, lda when read in place).</param>
        /// <param name="gs">Narrow kernels: bytes between k-groups (rows * AElement packed, 4 in place).</param>
        private static void Tile(int kernel, int rows, ref byte ap, int rs, int gs, int kg, ref sbyte bp, ref int cs, int zc, ref int dst, int ldd,
            ReadOnlySpan<byte> a, int i0, int lda, int k, int zeroA, ReadOnlySpan<sbyte> packed, int j)
        {
            int elem = AElement(kernel);
            switch (kernel)
            {
                case NarrowAvx512:
                    if (rows == 8) { Avx512NarrowKernel8x16(ref ap, rs, gs, kg, ref bp, ref cs, zc, ref dst, ldd); return; }
                    int first = 0;
                    if (rows >= 4) { Avx512NarrowKernel4x16(ref ap, rs, gs, kg, ref bp, ref cs, zc, ref dst, ldd); first = 4; }
                    for (int r = first; r < rows; r++) Avx512NarrowKernel1x16(ref Unsafe.Add(ref ap, r * rs), gs, kg, ref bp, ref cs, zc, ref Unsafe.Add(ref dst, r * ldd));
                    return;
                case QuantPath.X86AvxVnni:
                    if (rows == 6) { VnniKernel6x16(ref ap, rs, gs, kg, ref bp, ref cs, zc, ref dst, ldd); return; }
                    int vnniDone = 0;
                    if (rows >= 4) { VnniKernel4x16(ref ap, rs, gs, kg, ref bp, ref cs, zc, ref dst, ldd); vnniDone = 4; }
                    for (int r = vnniDone; r < rows; r++) VnniKernel1x16(ref Unsafe.Add(ref ap, r * rs), gs, kg, ref bp, ref cs, zc, ref Unsafe.Add(ref dst, r * ldd));
                    return;
                case NarrowAvx2:
                    if (rows == 4) { Avx2NarrowKernel4x16(ref ap, rs, gs, kg, ref bp, ref cs, zc, ref dst, ldd); return; }
                    for (int r = 0; r < rows; r++) Avx2NarrowKernel1x16(ref Unsafe.Add(ref ap, r * rs), gs, kg, ref bp, ref cs, zc, ref Unsafe.Add(ref dst, r * ldd));
                    return;
                case QuantPath.X86Avx2:
                    if (rows == 4) { Avx2Kernel4x16(ref ap, kg, ref bp, ref cs, zc, ref dst, ldd); return; }
                    for (int r = 0; r < rows; r++) Avx2Kernel1x16(ref Unsafe.Add(ref ap, r * elem), rows * elem, kg, ref bp, ref cs, zc, ref Unsafe.Add(ref dst, r * ldd));
                    return;
                case QuantPath.X86Avx512:
                    if (rows == 8) { Avx512Kernel8x16(ref ap, kg, ref bp, ref cs, zc, ref dst, ldd); return; }
                    int done = 0;
                    if (rows >= 4) { Avx512Kernel4x16(ref ap, rows * elem, kg, ref bp, ref cs, zc, ref dst, ldd); done = 4; }
                    for (int r = done; r < rows; r++) Avx512Kernel1x16(ref Unsafe.Add(ref ap, r * elem), rows * elem, kg, ref bp, ref cs, zc, ref Unsafe.Add(ref dst, r * ldd));
                    return;
                case QuantPath.ArmDp:
                    if (rows == 4) { DpKernel4x16(ref ap, kg, ref bp, ref cs, zc, ref dst, ldd); return; }
                    for (int r = 0; r < rows; r++) DpKernel1x16(ref Unsafe.Add(ref ap, r * elem), rows * elem, kg, ref bp, ref cs, zc, ref Unsafe.Add(ref dst, r * ldd));
                    return;
                case QuantPath.ArmAdvSimd:
                    for (int r = 0; r < rows; r++) AdvSimdKernel1x16(ref Unsafe.Add(ref ap, r * elem), rows * elem, kg, ref bp, ref cs, zc, ref Unsafe.Add(ref dst, r * ldd));
                    return;
                case QuantPath.Portable128:
                    for (int r = 0; r < rows; r++) PortableKernel1x16(ref Unsafe.Add(ref ap, r * elem), rows * elem, kg, ref bp, ref cs, zc, ref Unsafe.Add(ref dst, r * ldd));
                    return;
                default:
                    // Scalar path: the reference formula on this tile (columns past n hit B's zero padding).
                    for (int r = 0; r < rows; r++)
                    {
                        for (int jj = 0; jj < NR; jj++)
                        {
                            int acc = 0;
                            for (int p = 0; p < k; p++) acc += (a[(i0 + r) * lda + p] - zeroA) * packed[PackedIndex(k, p, j + jj)];
                            Unsafe.Add(ref dst, r * ldd + jj) = acc;
                        }
                    }
                    return;
            }
        }
    }
}
