using System;
using QuantGen.Graph;
using QuantGen.Graph.Quantization;
using QuantGen.Kernels;

namespace QuantGen.CodeGen
{
    /// <summary>
    /// Build-time packing of int8 weights into the layout of the QGemm kernel (src/QuantGen.Kernels/QGemm.cs), one packing
    /// for every ISA: columns in panels of 16, k in groups of 4, zero padded; byte (p, j) of a k x n matrix is at
    /// (j / 16) * K4 * 16 + (p / 4) * 64 + (j % 16) * 4 + p % 4 with K4 = roundup(k, 4). Column sums (int32, n rounded up to
    /// 16) hoist the activation zero point out of the inner loop. A test checks this against QGemm.Pack.
    /// </summary>
    public static class QuantizedWeights
    {
        public static int PackedLength(int k, int n) => Int8Layout.PackedLength(k, n);

        /// <summary>Packs B (k x n, B[p, j] = get(p, j), values in [-127, 127]) and returns the packed bytes and column sums.</summary>
        public static (sbyte[] Packed, int[] ColSums) Pack(int k, int n, Func<int, int, sbyte> get)
        {
            var packed = new sbyte[PackedLength(k, n)];
            var sums = new int[Int8Layout.ColSumsLength(n)];
            for (int p = 0; p < k; p++)
                for (int j = 0; j < n; j++)
                {
                    var v = get(p, j);
                    if (v == -128) throw new ArgumentException("packed weights must be in [-127, 127]");
                    packed[Int8Layout.PackedIndex(k, p, j)] = v;
                    sums[j] += v;
                }
            return (packed, sums);
        }

        /// <summary>
        /// Conv weights [Cout, Cin/group, kh, kw] as one W_g^T (K x Cout/group) per group, packed one after the other, with
        /// their column sums. K is ordered (i, j, c) to match the NHWC patch rows of the ConvQ8 kernel.
        /// </summary>
        public static (sbyte[] Packed, int[] ColSums) PackConv(QuantizedTensor w, int group)
        {
            int cout = w.Shape[0], coutG = cout / group, k = w.Values.Length / cout;
            int cg = w.Shape[1], taps = k / cg;
            int per = PackedLength(k, coutG), sums = Int8Layout.ColSumsLength(coutG);
            var packed = new sbyte[per * group];
            var colSums = new int[sums * group];
            for (int g = 0; g < group; g++)
            {
                // Row r of W_g^T is tap t = r / cg, channel c = r % cg: W[o, c, t].
                var (p, s) = Pack(k, coutG, (row, col) => w.Values[(g * coutG + col) * k + (row % cg) * taps + row / cg]);
                Array.Copy(p, 0, packed, g * per, per);
                Array.Copy(s, 0, colSums, g * sums, sums);
            }
            return (packed, colSums);
        }

        /// <summary>Dense weights as B [K, N]: <paramref name="transposed"/> when stored [N, K] (Gemm transB).</summary>
        public static (sbyte[] Packed, int[] ColSums) PackDense(QuantizedTensor w, bool transposed)
        {
            int k = transposed ? w.Shape[1] : w.Shape[0], n = transposed ? w.Shape[0] : w.Shape[1];
            return Pack(k, n, (p, j) => w.Values[transposed ? j * k + p : p * n + j]);
        }

        public static TensorData Bytes(sbyte[] v) => new TensorData(DataType.Int8, new[] { v.Length }, Array.ConvertAll(v, x => (long)x));
        public static TensorData Ints(int[] v) => new TensorData(DataType.Int32, new[] { v.Length }, Array.ConvertAll(v, x => (long)x));
        public static TensorData Floats(float[] v) => new TensorData(DataType.Float, new[] { v.Length }, v);

        /// <summary>The fused activation as a clamp [lo, hi] (Relu, Clip), or null when it is not a clamp (LeakyRelu).</summary>
        public static (float Lo, float Hi)? Clamp(Node? act)
        {
            if (act == null) return (float.NegativeInfinity, float.PositiveInfinity);
            if (act.OpType == "Relu") return (0f, float.PositiveInfinity);
            if (act.OpType == "Clip") return EmitContext.ClipBounds(act);
            return null;
        }
    }
}
