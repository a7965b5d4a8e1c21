using System;
using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Graph.Quantization
{
    /// <summary>
    /// Decides each layer's precision and quantization parameters, in one place. Today's rule: with Precision=Int8,
    /// every Conv (1-D/2-D), Gemm and MatMul whose weights are constant runs in int8 with symmetric per-channel (or
    /// per-tensor) weights; activations are quantized per call (dynamic) unless calibrated ranges are given (static).
    /// Everything else runs in float32. The result is stored on each node (<see cref="Node.Quantization"/>).
    /// </summary>
    public static class QuantizationPlanner
    {
        /// <summary>
        /// Layers with fewer multiply-accumulates per output than this stay in float32: with so shallow a dot product the
        /// int8 path's fixed costs (quantizing the input, building patch rows) outweigh its cheaper arithmetic, and the
        /// first layer of a network (often 1-3 input channels) keeps its full precision.
        /// </summary>
        public const int MinInt8Depth = 32;

        /// <param name="activations">Static uint8 parameters per value (calibrated, or a QDQ model's own); null for dynamic activations.</param>
        /// <returns>
        /// Every layer's decision in graph order: the int8 ones (also on <see cref="Node.Quantization"/>, uint8 Adds included)
        /// and the weight layers kept in float32 with the reason; plus what <see cref="Int8Boundaries"/> placed.
        /// </returns>
        public static QuantizationDecisions Decide(Graph g, QuantizationOptions options, IReadOnlyDictionary<Value, ActivationQuant>? activations = null)
        {
            foreach (var n in g.AllNodes()) n.Quantization = null;
            var floats = new Dictionary<Node, LayerQuantization>();
            if (options.Precision == Precision.Float32) return QuantizationDecisions.Collect(g, floats, Int8Boundaries.Placement.None, false);
            bool preQuantized = IsPreQuantized(g);
            bool staticActivations = activations != null && (options.Activations == ActivationMode.Static || preQuantized);
            if (preQuantized)
            {
                // A QDQ model decides for itself: its quantized layers run in int8 with its weights and scales, the rest in float.
                foreach (var n in g.AllNodes())
                {
                    if (n.Domain.Length != 0) continue;
                    int axis = WeightAxis(n);
                    if (axis == int.MinValue || n.Input(1)!.QuantizedSource is not QuantizedTensor qw || qw.Axis != -1 && qw.Axis != axis) continue;
                    if (activations == null || !activations.TryGetValue(n.Input(0)!, out var input)) continue;
                    n.Quantization = new LayerQuantization(n, Precision.Int8, "the model's int8 weights and activation scales (QDQ)")
                    {
                        Weights = qw,
                        WeightMse = 0,
                        Macs = Macs(n),
                        Input = input,
                        Output = activations.TryGetValue(n.Outputs[0], out var output) ? output : null,
                    };
                }
            }
            else
            {
                foreach (var n in g.AllNodes())
                {
                    if (n.Domain.Length != 0) continue;
                    if (options.Excludes(n) && (IsActivationMatMul(n) || IsWeightLayer(n) || IsInt8Table(n)))
                    {
                        floats[n] = new LayerQuantization(n, Precision.Float32, "excluded by the user (Exclude)") { Macs = Macs(n) };
                        continue;
                    }
                    options.Choices.TryGetValue(n.Name, out var choice);
                    if (choice?.Bits == 0 && (IsActivationMatMul(n) || IsWeightLayer(n) || IsInt8Table(n)))
                    {
                        floats[n] = new LayerQuantization(n, Precision.Float32, choice.Reason) { Macs = Macs(n) };
                        continue;
                    }
                    if (IsInt8Table(n))
                    {
                        // An embedding table: rows of int8 with a scale per row, dequantized as the Gather copies them out.
                        var table = n.Input(0)!.Constant!;
                        var rows = QuantizedTensor.Symmetric(table, 0, 127);
                        n.Quantization = new LayerQuantization(n, Precision.Int8, "int8 table rows with a scale per row" + (choice != null ? " (" + choice.Reason + ")" : ""))
                        {
                            Weights = rows,
                            WeightMse = rows.MeanSquaredError(table),
                        };
                        continue;
                    }
                    if (IsActivationMatMul(n))
                    {
                        n.Quantization = new LayerQuantization(n, Precision.Int8, "both operands quantized per call") { Macs = Macs(n) };
                        continue;
                    }
                    int axis = WeightAxis(n);
                    if (axis == int.MinValue)
                    {
                        if (IsWeightLayer(n))
                            floats[n] = new LayerQuantization(n, Precision.Float32, FloatReason(n)) { Macs = Macs(n) };
                        continue;
                    }
                    var w = n.Input(1)!.Constant!;
                    int depth = Depth(n, axis);
                    if (depth < MinInt8Depth)
                    {
                        floats[n] = new LayerQuantization(n, Precision.Float32, $"dot product {depth} deep (int8 from {MinInt8Depth})") { Macs = Macs(n) };
                        continue;
                    }
                    int bits = choice?.Bits ?? options.WeightBits;
                    string weights = bits == 4
                        ? (options.GroupSize > 0 && options.GroupSize < depth ? $"4-bit weights in groups of {options.GroupSize}" : "4-bit weights per channel")
                        : bits == 7 ? "7-bit weights" : "int8 weights";
                    var nearest = bits == 4
                        ? QuantizedTensor.Grouped(w, axis, 7, options.GroupSize > 0 ? options.GroupSize : int.MaxValue, depth, KIndex(n, axis))
                        : QuantizedTensor.Symmetric(w, options.Weights == WeightGranularity.PerChannel ? axis : -1, bits == 7 ? 63 : 127);
                    var tuned = options.Tuned.TryGetValue(n.Name, out var t) && SameLayout(t.Weights, nearest) ? t : null;
                    if (tuned != null) weights += " tuned on calibration data";
                    bool perRow = !staticActivations && options.ActivationGranularity == ActivationGranularity.PerRow && bits != 4 && DenseRows(n) > 1;
                    var q = new LayerQuantization(n, Precision.Int8, (staticActivations
                        ? weights + " and calibrated activations" : weights + (perRow ? ", activations quantized per row per call" : ", activations quantized per call"))
                        + (choice != null ? " (" + choice.Reason + ")" : ""));
                    q.InputPerRow = perRow;
                    q.Weights = tuned?.Weights ?? nearest;
                    q.Tuned = tuned;
                    q.BiasCorrection = tuned?.BiasCorrection;
                    q.WeightMse = q.Weights.MeanSquaredError(w);
                    q.Macs = Macs(n);
                    if (staticActivations)
                    {
                        if (activations!.TryGetValue(n.Input(0)!, out var input)) q.Input = input;
                        if (activations.TryGetValue(n.Outputs[0], out var output)) q.Output = output;
                    }
                    n.Quantization = q;
                }
            }
            var placed = staticActivations ? Int8Boundaries.Place(g, activations!, everyValue: preQuantized) : Int8Boundaries.Placement.None;
            return QuantizationDecisions.Collect(g, floats, placed, preQuantized);
        }

        /// <summary>Rows of a dense layer's input (Gemm: M; MatMul: every dimension of A but the last); 0 for other layers.</summary>
        private static long DenseRows(Node n)
        {
            var a = n.Input(0)?.Shape;
            if (a == null || a.Length == 0 || n.OpType is not ("Gemm" or "MatMul")) return 0;
            long rows = 1;
            for (int d = 0; d < a.Length - 1; d++) rows *= a[d];
            return rows;
        }

        /// <summary>Tuned weights apply to a decision with the same bits, axis and scale groups.</summary>
        private static bool SameLayout(QuantizedTensor a, QuantizedTensor b) =>
            a.Bits == b.Bits && a.Axis == b.Axis && a.GroupSize == b.GroupSize && a.Scales.Length == b.Scales.Length && a.Values.Length == b.Values.Length;

        /// <summary>Conv, ConvTranspose, Gemm and MatMul: the layers a report lists even when they stay in float32.</summary>
        public static bool IsWeightLayer(Node n) =>
            n.Domain.Length == 0 && n.OpType is "Conv" or "ConvTranspose" or "Gemm" or "MatMul" && n.Outputs[0].Shape != null;

        private static string FloatReason(Node n)
        {
            var w = n.Input(1);
            if (n.OpType == "ConvTranspose") return "ConvTranspose has no int8 kernel";
            if (w?.Constant == null) return n.OpType == "MatMul" ? "activation x activation with a dot product under " + MinInt8Depth + " or a fused activation" : "weights are not constant";
            if (w.Type != DataType.Float || n.Input(0)?.Type != DataType.Float) return "not float32";
            if (n.OpType == "Gemm") return n.GetInt("transA", 0) != 0 ? "Gemm with transA" : "Gemm whose C is not a per-column bias";
            return $"{w.Shape!.Length}-D weights have no int8 kernel";
        }

        /// <summary>Gathers from a constant float table of at least this many elements store it in int8 (embedding tables).</summary>
        public const int MinInt8Table = 16384;

        /// <summary>
        /// A Gather of rows (axis 0) from a constant float32 matrix of at least <see cref="MinInt8Table"/> elements whose rows are
        /// at least <see cref="MinInt8Depth"/> wide: an embedding table, stored as int8 with one scale per row.
        /// </summary>
        public static bool IsInt8Table(Node n)
        {
            if (n.Domain.Length != 0 || n.OpType != "Gather" || n.Input(0)?.Constant is not TensorData t || t.Type != DataType.Float) return false;
            if (t.Shape.Length != 2 || t.Shape[1] < MinInt8Depth || t.Length < MinInt8Table || n.Outputs[0].Shape == null) return false;
            long axis = n.GetInt("axis", 0);
            return axis == 0 || axis == -2;
        }

        /// <summary>A QDQ model: some layer's weights are the model's own int8 values (<see cref="QdqModel.MarkWeights"/>).</summary>
        public static bool IsPreQuantized(Graph g) =>
            g.AllNodes().Any(n => n.Inputs.Any(v => v?.QuantizedSource != null));

        /// <summary>A MatMul of two float activations (neither constant) with dot products at least <see cref="MinInt8Depth"/> deep.</summary>
        public static bool IsActivationMatMul(Node n) =>
            n.OpType == "MatMul" && n.Inputs.Count == 2 && n.FusedActivation == null
            && n.Input(0)!.Constant == null && n.Input(1)!.Constant == null
            && n.Input(0)!.Type == DataType.Float && n.Input(1)!.Type == DataType.Float
            && n.Input(0)!.Shape!.Length >= 2 && n.Input(1)!.Shape!.Length >= 2
            && n.Input(0)!.Shape![n.Input(0)!.Shape!.Length - 1] >= MinInt8Depth;

        /// <summary>The output-channel axis of the layer's constant weight, or int.MinValue when the layer is not quantized.</summary>
        public static int WeightAxis(Node n)
        {
            var w = n.Input(1);
            if (w?.Constant == null || w.Type != DataType.Float || n.Input(0)?.Type != DataType.Float) return int.MinValue;
            switch (n.OpType)
            {
                case "Conv":
                    return w.Shape!.Length is 3 or 4 ? 0 : int.MinValue;
                case "Gemm":
                {
                    if (n.GetInt("transA", 0) != 0) return int.MinValue;
                    // C must be absent or one constant value per column (it becomes the fused bias).
                    var c = n.Input(2);
                    if (c != null && (c.Constant == null || !(c.Shape!.Length == 0 || c.Shape.Length == 1 || c.Shape.Length == 2 && c.Shape[0] == 1)))
                        return int.MinValue;
                    return n.GetInt("transB", 0) != 0 ? 0 : 1;
                }
                case "MatMul":
                    return w.Shape!.Length == 2 ? 1 : int.MinValue;
                default:
                    return int.MinValue;
            }
        }

        /// <summary>
        /// The position of a flat weight index along the layer's dot product, in the order the int8 kernels multiply: a Conv's
        /// k runs over (kernel tap, input channel) (the NHWC patch rows of ConvQ8), a Gemm's or MatMul's over B's K axis.
        /// </summary>
        public static Func<int, int> KIndex(Node n, int axis)
        {
            var w = n.Input(1)!.Shape!;
            if (n.OpType == "Conv")
            {
                int cg = w[1], taps = w.Skip(2).Aggregate(1, (a, b) => a * b);
                return i => { int rem = i % (cg * taps); return rem % taps * cg + rem / taps; };
            }
            int cols = w[1];
            return axis == 0 ? i => i % cols : i => i / cols;
        }

        /// <summary>Multiply-accumulates per output element: K of the layer's GEMM.</summary>
        public static int Depth(Node n, int axis)
        {
            var w = n.Input(1)!.Shape!;
            if (n.OpType == "Conv") return w.Skip(1).Aggregate(1, (a, b) => a * b);
            return w[axis == 0 ? 1 : 0];
        }

        /// <summary>Multiply-accumulates of one call of a Conv, ConvTranspose, Gemm or MatMul (0 when unknown).</summary>
        public static long Macs(Node n)
        {
            var y = n.Outputs[0].Shape!;
            if (n.Input(1)?.Shape == null || n.Input(0)?.Shape == null) return 0;
            var w = n.Input(1)!.Shape!;
            long outputs = 1;
            foreach (var d in y) outputs *= d;
            switch (n.OpType)
            {
                case "Conv":
                {
                    long per = 1;
                    for (int i = 1; i < w.Length; i++) per *= w[i];
                    return outputs * per;
                }
                case "ConvTranspose":
                {
                    // Every input element is scattered through Cout/group x kernel weights.
                    long per = 1, inputs = 1;
                    for (int i = 1; i < w.Length; i++) per *= w[i];
                    foreach (var d in n.Input(0)!.Shape!) inputs *= d;
                    return inputs * per;
                }
                case "Gemm":
                    return outputs * (n.GetInt("transB", 0) != 0 ? w[1] : w[0]);
                default:
                {
                    // MatMul: K is A's last axis.
                    var a = n.Input(0)!.Shape!;
                    return outputs * (a.Length == 0 ? 1 : a[a.Length - 1]);
                }
            }
        }
    }
}
