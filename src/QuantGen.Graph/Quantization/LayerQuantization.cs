using System;
using System.Collections.Generic;

namespace QuantGen.Graph.Quantization
{
    /// <summary>Affine quantization of an activation tensor: real = Scale * (q - ZeroPoint), q in [0, 255].</summary>
    public sealed record ActivationQuant(float Scale, int ZeroPoint)
    {
        /// <summary>The uint8 parameters covering [min, max] (widened to include 0 so zero is exact).</summary>
        public static ActivationQuant FromRange(double min, double max)
        {
            min = Math.Min(min, 0);
            max = Math.Max(max, 0);
            if (max - min < 1e-30) return new ActivationQuant(1f, 0);
            float scale = (float)((max - min) / 255.0);
            int zp = (int)Math.Round(-min / scale, MidpointRounding.ToEven);
            return new ActivationQuant(scale, Math.Max(0, Math.Min(255, zp)));
        }
    }

    /// <summary>
    /// The epilogue of a layer that writes uint8: per output channel c, q = clamp(rule(acc + Bias[c], Multipliers[c],
    /// Shifts[c]) + ZeroPoint, QMin, QMax) with the rule of src/QuantGen.Kernels/RequantizeRule.cs. Multipliers/Shifts
    /// represent accScale[c] / outputScale (accScale = inputScale * weightScale[c], times alpha for Gemm); Bias is the float
    /// bias in accumulator units (round half to even); QMin/QMax are the fused Relu or Clip as a clamp of q (Relu: QMin =
    /// ZeroPoint, real 0), else 0 and 255.
    /// </summary>
    public sealed record OutputRequantization(int[] Multipliers, int[] Shifts, int[] Bias, int ZeroPoint, int QMin, int QMax);

    /// <summary>
    /// A uint8 Add (AddQ8): acc = FactorA (a - ZeroA) + FactorB (b - ZeroB), then the layer's <see cref="OutputRequantization"/>.
    /// </summary>
    public sealed record AddQuantization(int FactorA, int ZeroA, int FactorB, int ZeroB);

    /// <summary>
    /// The precision decided for one layer and its quantization parameters, as plain data. Decided in one place
    /// (<see cref="QuantizationPlanner"/>); emitters only read it.
    /// </summary>
    public sealed class LayerQuantization
    {
        public LayerQuantization(Node node, Precision precision, string reason)
        {
            Node = node; Precision = precision; Reason = reason;
        }

        public Node Node { get; }
        public Precision Precision { get; }
        /// <summary>Why this precision was chosen (shown in the generated code's comment and the report).</summary>
        public string Reason { get; }
        /// <summary>The layer's constant weights quantized (null for a float layer).</summary>
        public QuantizedTensor? Weights { get; set; }
        /// <summary>Static parameters of the layer's input (null: measured per call at run time, i.e. dynamic).</summary>
        public ActivationQuant? Input { get; set; }
        /// <summary>
        /// A dynamic dense layer (Gemm, MatMul) whose input is measured per row, each row (token, sample) with its own scale and
        /// zero point (<see cref="ActivationGranularity.PerRow"/>); false: one scale and zero point for the whole input.
        /// </summary>
        public bool InputPerRow { get; set; }
        /// <summary>Static parameters of the layer's output when it stays in uint8 (null: float output).</summary>
        public ActivationQuant? Output { get; set; }
        /// <summary>
        /// Set when the layer writes uint8 with the <see cref="Output"/> parameters because int8 layers read its output
        /// (<see cref="Int8Boundaries"/>): the fixed-point parameters of its epilogue. Null: the layer writes float.
        /// </summary>
        public OutputRequantization? Requantized { get; set; }
        /// <summary>Set for an Add that runs on uint8 (inputs and output in int8 chains, <see cref="Int8Boundaries"/>).</summary>
        public AddQuantization? Add { get; set; }
        /// <summary>
        /// Added to the layer's bias per output channel (bias correction of Optimize: the mean error the quantized weights make
        /// on the calibration data), or null. Every reader of the int8 bias adds it (<see cref="Int8Boundaries.KernelBias"/>).
        /// </summary>
        public float[]? BiasCorrection { get; set; }
        /// <summary>What Optimize did to the weights (null when they are rounded to nearest).</summary>
        public TunedWeights? Tuned { get; set; }
        /// <summary>MSE of the quantized weights against the float weights.</summary>
        public double WeightMse { get; set; }
        /// <summary>Multiply-accumulates per call.</summary>
        public long Macs { get; set; }
    }

    /// <summary>
    /// One layer's weights tuned on calibration data (Optimize): the quantized values and scales, the correction to its bias per
    /// output channel, and the layer's output reconstruction error mean ((W - W_q) x)^2 over the calibration columns with
    /// round-to-nearest and tuned weights, how many weights rounded the other way and how many scales were clipped.
    /// </summary>
    public sealed record TunedWeights(QuantizedTensor Weights, float[] BiasCorrection, double NearestError, double TunedError,
        int Flipped, int ClippedScales, int Columns);
}
