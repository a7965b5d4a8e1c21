using System;
using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Graph.Quantization
{
    public enum Precision { Float32, Int8 }
    public enum WeightGranularity { PerChannel, PerTensor }
    public enum ActivationMode { Dynamic, Static }
    /// <summary>Dynamic activations of dense layers: one scale and zero point per row (per token) or per tensor.</summary>
    public enum ActivationGranularity { PerRow, PerTensor }
    public enum CalibrationMethod { MinMax, Percentile, Mse, Entropy }

    /// <summary>How a model is quantized: the &lt;QuantModel&gt; options that concern precision, as plain data.</summary>
    public sealed record QuantizationOptions
    {
        public Precision Precision { get; init; } = Precision.Float32;
        public WeightGranularity Weights { get; init; } = WeightGranularity.PerChannel;
        /// <summary>
        /// Bits of the symmetric weights: 8 (q in [-127, 127], the default), 7 (q in [-63, 63]) or 4 (q in [-7, 7], two per
        /// byte, scales per <see cref="GroupSize"/>). Seven-bit weights cost one bit of weight precision and let x86 without
        /// VNNI multiply with vpmaddubsw directly (the QGemm narrow kernels).
        /// </summary>
        public int WeightBits { get; init; } = 8;
        /// <summary>
        /// 4-bit weights: one scale per this many consecutive k of the dot product and output channel (a positive multiple of 4,
        /// default 32); 0 for one scale per output channel.
        /// </summary>
        public int GroupSize { get; init; } = DefaultGroupSize;
        public const int DefaultGroupSize = 32;

        /// <summary>0 (per channel) or a positive multiple of 4 (the kernels' k-group).</summary>
        public static bool IsValidGroupSize(int groupSize) => groupSize == 0 || groupSize > 0 && groupSize % 4 == 0;

        /// <summary>8 ([-127, 127]), 7 ([-63, 63]) or 4 ([-7, 7]).</summary>
        public static bool IsValidWeightBits(int bits) => bits is 4 or 7 or 8;

        /// <summary>The Percentile calibration method keeps a percentile in (50, 100].</summary>
        public static bool IsValidPercentile(double percentile) => percentile > 50 && percentile <= 100;
        public ActivationMode Activations { get; init; } = ActivationMode.Dynamic;
        /// <summary>
        /// Dynamic activations of Gemm and MatMul layers with 8- or 7-bit weights and more than one row: measured per row (each
        /// token or sample its own scale and zero point) or per tensor. Convolutions and 4-bit layers are per tensor.
        /// </summary>
        public ActivationGranularity ActivationGranularity { get; init; } = ActivationGranularity.PerRow;
        public CalibrationMethod Method { get; init; } = CalibrationMethod.MinMax;
        /// <summary>Percentile of |x| kept by <see cref="CalibrationMethod.Percentile"/> (default 99.99).</summary>
        public double Percentile { get; init; } = 99.99;

        /// <summary>Node names and op types kept in float32 (the &lt;QuantModel&gt; option Exclude).</summary>
        public IReadOnlyCollection<string> Exclude { get; init; } = Array.Empty<string>();

        /// <summary>The accuracy budget (MaxError), or null.</summary>
        public AccuracyBudget? MaxError { get; init; }
        /// <summary>An unmet budget is an error (QG0011 as an error), not a warning.</summary>
        public bool MaxErrorIsError { get; init; }

        /// <summary>Per-layer choices of the budget search by node name (they override <see cref="WeightBits"/>).</summary>
        public IReadOnlyDictionary<string, LayerChoice> Choices { get; init; } = new Dictionary<string, LayerChoice>();

        /// <summary>
        /// Tune the quantized weights on the calibration data (the &lt;QuantModel&gt; option Optimize): clipping, learned rounding
        /// and bias correction (see QuantGen.CodeGen.WeightTuner). The tuned values reach the planner through <see cref="Tuned"/>.
        /// </summary>
        public bool Optimize { get; init; }

        /// <summary>Tuned weights by node name (Optimize); the planner uses an entry when its bits and layout match its decision.</summary>
        public IReadOnlyDictionary<string, TunedWeights> Tuned { get; init; } = new Dictionary<string, TunedWeights>();

        /// <summary>True when the user keeps this node in float32 by its name or op type.</summary>
        public bool Excludes(Node n) => Exclude.Contains(n.Name) || Exclude.Contains(n.OpType);

        public static QuantizationOptions Float32 { get; } = new QuantizationOptions();
    }
}
