using System;
using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Graph.Quantization
{
    /// <summary>
    /// Symmetric int8 weights: real = scale[c] * q with q in [-QMax, QMax], QMax = 127 (8-bit) or 63 (7-bit weights), zero
    /// exactly representable and -128 unused so that |q| fits 7 bits plus sign for every kernel. One scale per slice along <see cref="Axis"/> (per channel),
    /// or one scale for the whole tensor (Axis = -1).
    /// </summary>
    public sealed class QuantizedTensor
    {
        public QuantizedTensor(int[] shape, sbyte[] values, float[] scales, int axis, int qmax = 127)
        {
            Shape = shape; Values = values; Scales = scales; Axis = axis; QMax = qmax;
        }

        private QuantizedTensor(int[] shape, sbyte[] values, float[] scales, int axis, int qmax, int groupSize, int groups, int[] scaleIndex)
            : this(shape, values, scales, axis, qmax)
        {
            GroupSize = groupSize; Groups = groups; _scaleIndex = scaleIndex;
        }

        /// <summary>Largest |q|: 127 for 8-bit weights, 63 for 7-bit, 7 for 4-bit.</summary>
        public int QMax { get; }

        /// <summary>Bits of each weight: 8, 7 or 4 (from <see cref="QMax"/>).</summary>
        public int Bits => QMax <= 7 ? 4 : QMax <= 63 ? 7 : 8;

        /// <summary>
        /// Scales per group of this many consecutive k (in the kernel's order of the layer's dot product) and channel; 0 when
        /// there is one scale per channel (or tensor). <see cref="Scales"/> then holds [channel][group].
        /// </summary>
        public int GroupSize { get; }

        /// <summary>Scale groups per channel (1 unless <see cref="GroupSize"/> is set).</summary>
        public int Groups { get; } = 1;

        private readonly int[]? _scaleIndex;

        public int[] Shape { get; }
        public sbyte[] Values { get; }
        public float[] Scales { get; }
        /// <summary>The axis that has one scale per index, or -1 for one scale per tensor.</summary>
        public int Axis { get; }

        public float ScaleAt(int flatIndex) => Scales[ScaleIndex(flatIndex)];

        /// <summary>The index into <see cref="Scales"/> of the scale that multiplies the weight at this flat index.</summary>
        public int ScaleIndex(int flatIndex)
        {
            if (_scaleIndex != null) return _scaleIndex[flatIndex];
            if (Axis < 0) return 0;
            int inner = 1;
            for (int d = Axis + 1; d < Shape.Length; d++) inner *= Shape[d];
            return flatIndex / inner % Shape[Axis];
        }

        /// <summary>The same layout (shape, axis, groups, bits) with other values and scales: tuned weights (Optimize).</summary>
        public QuantizedTensor With(sbyte[] values, float[] scales)
        {
            if (values.Length != Values.Length || scales.Length != Scales.Length) throw new ArgumentException("layout differs");
            return new QuantizedTensor(Shape, values, scales, Axis, QMax, GroupSize, Groups, _scaleIndex!);
        }

        /// <summary>The float value each quantized weight stands for.</summary>
        public float[] Dequantize() => Values.Select((q, i) => q * ScaleAt(i)).ToArray();

        /// <summary>
        /// Quantizes a float tensor: scale = max|w| / qmax per slice (1 for an all-zero slice), q = round-half-even(w / scale)
        /// clamped to [-qmax, qmax] (qmax 127, or 63 for 7-bit weights).
        /// </summary>
        public static QuantizedTensor Symmetric(TensorData w, int axis, int qmax = 127)
        {
            if (qmax < 1 || qmax > 127) throw new ArgumentOutOfRangeException(nameof(qmax));
            var shape = w.Shape;
            int channels = axis < 0 ? 1 : shape[axis];
            int inner = 1;
            if (axis >= 0) for (int d = axis + 1; d < shape.Length; d++) inner *= shape[d];
            int n = w.Length;
            var maxAbs = new double[channels];
            for (int i = 0; i < n; i++)
            {
                int c = axis < 0 ? 0 : i / inner % channels;
                maxAbs[c] = Math.Max(maxAbs[c], Math.Abs((float)w.GetDouble(i)));
            }
            var scales = maxAbs.Select(m => m == 0 || double.IsNaN(m) || double.IsInfinity(m) ? 1f : (float)(m / qmax)).ToArray();
            var q = new sbyte[n];
            for (int i = 0; i < n; i++) q[i] = Round((float)w.GetDouble(i), scales[axis < 0 ? 0 : i / inner % channels], qmax);
            return new QuantizedTensor(shape, q, scales, axis, qmax);
        }

        /// <summary>
        /// Symmetric quantization in groups along the dot product: for each channel (index along <paramref name="axis"/>) and
        /// each group of <paramref name="groupSize"/> consecutive positions <paramref name="kIndex"/>(flat index) of the k order
        /// the kernel multiplies in, scale = max|w| / qmax (1 for an all-zero group) and q = round-half-even(w / scale)
        /// clamped to [-qmax, qmax].
        /// </summary>
        public static QuantizedTensor Grouped(TensorData w, int axis, int qmax, int groupSize, int depth, Func<int, int> kIndex)
        {
            if (qmax < 1 || qmax > 127 || axis < 0 || groupSize <= 0) throw new ArgumentOutOfRangeException(nameof(qmax));
            var shape = w.Shape;
            int channels = shape[axis], inner = 1;
            for (int d = axis + 1; d < shape.Length; d++) inner *= shape[d];
            int groups = groupSize >= depth ? 1 : (depth + groupSize - 1) / groupSize;
            int n = w.Length;
            var index = new int[n];
            var members = new List<int>[channels * groups];
            for (int i = 0; i < members.Length; i++) members[i] = new List<int>();
            for (int i = 0; i < n; i++)
            {
                int c = i / inner % channels;
                index[i] = c * groups + (groups == 1 ? 0 : kIndex(i) / groupSize);
                members[index[i]].Add(i);
            }
            var scales = new float[channels * groups];
            var q = new sbyte[n];
            for (int s = 0; s < scales.Length; s++)
            {
                var values = members[s].Select(i => (float)w.GetDouble(i)).ToArray();
                double max = values.Length == 0 ? 0 : values.Max(v => Math.Abs((double)v));
                float scale = max == 0 || double.IsNaN(max) || double.IsInfinity(max) ? 1f : (float)(max / qmax);
                scales[s] = scale;
                for (int t = 0; t < values.Length; t++) q[members[s][t]] = Round(values[t], scale, qmax);
            }
            return new QuantizedTensor(shape, q, scales, axis, qmax, groups == 1 ? 0 : groupSize, groups, index);
        }

        /// <summary>round-half-even(v / scale) clamped to [-qmax, qmax] (0 for NaN): the one rounding rule of symmetric weights.</summary>
        public static sbyte Round(float v, float scale, int qmax)
        {
            double r = Math.Round(v / (double)scale, MidpointRounding.ToEven);
            return (sbyte)Math.Max(-qmax, Math.Min(qmax, double.IsNaN(r) ? 0 : r));
        }

        /// <summary>Mean squared error between the float weights and what the quantized weights stand for.</summary>
        public double MeanSquaredError(TensorData w)
        {
            double s = 0;
            for (int i = 0; i < w.Length; i++)
            {
                double d = w.GetDouble(i) - Values[i] * (double)ScaleAt(i);
                s += d * d;
            }
            return w.Length == 0 ? 0 : s / w.Length;
        }
    }
}
