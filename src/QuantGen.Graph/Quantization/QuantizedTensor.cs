using System;
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

        /// <summary>Largest |q|: 127 for 8-bit weights, 63 for 7-bit.</summary>
        public int QMax { get; }

        public int[] Shape { get; }
        public sbyte[] Values { get; }
        public float[] Scales { get; }
        /// <summary>The axis that has one scale per index, or -1 for one scale per tensor.</summary>
        public int Axis { get; }

        public float ScaleAt(int flatIndex)
        {
            if (Axis < 0) return Scales[0];
            int inner = 1;
            for (int d = Axis + 1; d < Shape.Length; d++) inner *= Shape[d];
            return Scales[flatIndex / inner % Shape[Axis]];
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
            for (int i = 0; i < n; i++)
            {
                int c = axis < 0 ? 0 : i / inner % channels;
                double v = Math.Round((float)w.GetDouble(i) / (double)scales[c], MidpointRounding.ToEven);
                q[i] = (sbyte)Math.Max(-qmax, Math.Min(qmax, double.IsNaN(v) ? 0 : v));
            }
            return new QuantizedTensor(shape, q, scales, axis, qmax);
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
