using System;
using System.Collections.Generic;

namespace QuantGen.Graph.Quantization
{
    public enum Precision { Float32, Int8 }
    public enum WeightGranularity { PerChannel, PerTensor }
    public enum ActivationMode { Dynamic, Static }
    public enum CalibrationMethod { MinMax, Percentile, Mse, Entropy }

    /// <summary>How a model is quantized: the &lt;QuantModel&gt; options that concern precision, as plain data.</summary>
    public sealed record QuantizationOptions
    {
        public Precision Precision { get; init; } = Precision.Float32;
        public WeightGranularity Weights { get; init; } = WeightGranularity.PerChannel;
        public ActivationMode Activations { get; init; } = ActivationMode.Dynamic;
        public CalibrationMethod Method { get; init; } = CalibrationMethod.MinMax;
        /// <summary>Percentile of |x| kept by <see cref="CalibrationMethod.Percentile"/> (default 99.99).</summary>
        public double Percentile { get; init; } = 99.99;

        public static QuantizationOptions Float32 { get; } = new QuantizationOptions();
    }
}
