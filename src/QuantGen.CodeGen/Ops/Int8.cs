using System;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Graph.Quantization;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// Emission helpers shared by the int8 paths of Conv, Gemm and MatMul: packed weights, column sums and scales as static
    /// data, the input quantization (dynamic, or the calibrated scale and zero point), and the fused activation as a clamp.
    /// </summary>
    internal static class Int8
    {
        /// <summary>
        /// Emits the int8 layer's kernel call, <c>cls.method(input, packed, colSums, ..., output, scratch, geometry, ...)</c>:
        /// <list type="bullet">
        /// <item>float output: <c>method(x, packed, sums, scales, bias, y, scratch, geometry, lo, hi, inputScale, inputZeroPoint, narrow)</c>;
        /// x float (quantized inside: per call when inputScale is 0, else with the calibrated parameters) or uint8 (already
        /// quantized with those parameters: an int8 chain or a QuantizeLinear placed by Int8Boundaries);</item>
        /// <item>uint8 output (<see cref="LayerQuantization.Requantized"/>): <c>methodRequantize(xq, packed, sums, biasQ, m0, shift,
        /// yq, scratch, geometry, inputZeroPoint, outputZeroPoint, qmin, qmax, narrow)</c>.</item>
        /// </list>
        /// </summary>
        /// <param name="bias">The float bias argument (a span expression) of the float-output call.</param>
        /// <param name="scaleFactor">Multiplies the weight scales (Gemm's alpha).</param>
        /// <param name="convGroups">The convolution's groups (weights and scales are laid out per group).</param>
        public static void Emit(EmitContext ctx, LayerQuantization q, sbyte[] packed, int[] sums, string bias, string cls, string method,
            string geometry, float scaleFactor = 1f, int convGroups = 1)
        {
            var label = ctx.InValue(1).Name;
            // Optimize's bias correction: the kernel adds the node's bias plus the plan's correction.
            if (q.BiasCorrection != null)
                bias = ctx.Const(QuantizedWeights.Floats(Int8Boundaries.KernelBias(ctx.Node)!), $"{label} layer bias + bias correction");
            if (q.Weights!.Bits == 4)
            {
                Emit4(ctx, q, packed, bias, cls, method, geometry, scaleFactor, convGroups);
                return;
            }
            var w = ctx.Const(QuantizedWeights.Bytes(packed), $"{label} int8, packed for QGemm");
            var s = ctx.Const(QuantizedWeights.Ints(sums), $"{label} int8 column sums");
            // 7-bit weights (|q| <= 63) take the narrow GEMM kernels on x86 (QGemm remarks).
            string narrow = q.Weights!.QMax <= 64 ? "true" : "false";
            var input = q.Input;
            if (q.Requantized is OutputRequantization r)
            {
                if (ctx.InValue(0).Type != DataType.UInt8 || ctx.OutValue(0).Type != DataType.UInt8 || input == null)
                    throw new InvalidOperationException($"{ctx.Node.Describe()}: a requantized layer needs uint8 in and out");
                var b = r.Bias.Length == 0 ? "ReadOnlySpan<int>.Empty" : ctx.Const(QuantizedWeights.Ints(r.Bias), $"{label} bias in accumulator units");
                var m0 = ctx.Const(QuantizedWeights.Ints(r.Multipliers), $"{label} requantization multipliers");
                var sh = ctx.Const(QuantizedWeights.Ints(r.Shifts), $"{label} requantization shifts");
                ctx.W.Line($"{cls}.{method}Requantize({ctx.In(0)}, {w}, {s}, {b}, {m0}, {sh}, {ctx.Out(0)}, {ctx.ScratchBytes()},");
                ctx.W.Line($"    {geometry}, {input.ZeroPoint}, {r.ZeroPoint}, {r.QMin}, {r.QMax}, {narrow});");
                return;
            }
            var scales = q.Weights.Scales.Select(x => x * scaleFactor).ToArray();
            var sc = ctx.Const(QuantizedWeights.Floats(scales), $"{label} weight scales ({(scales.Length == 1 ? "per tensor" : "per channel")})");
            var clamp = QuantizedWeights.Clamp(ctx.Node.FusedActivation) ?? (float.NegativeInfinity, float.PositiveInfinity);
            if (q.InputPerRow)
            {
                // Dense layer, float input measured per row on every call (DenseQ8.RunRows).
                if (input != null || ctx.InValue(0).Type != DataType.Float)
                    throw new InvalidOperationException($"{ctx.Node.Describe()}: per-row activations need a float input measured per call");
                ctx.W.Line($"{cls}.{method}Rows({ctx.In(0)}, {w}, {s}, {sc}, {bias}, {ctx.Out(0)}, {ctx.ScratchBytes()},");
                ctx.W.Line($"    {geometry}, {CodeWriter.Float(clamp.Item1)}, {CodeWriter.Float(clamp.Item2)}, {narrow});");
            }
            else
            {
                ctx.W.Line($"{cls}.{method}({ctx.In(0)}, {w}, {s}, {sc}, {bias}, {ctx.Out(0)}, {ctx.ScratchBytes()},");
                ctx.W.Line($"    {geometry}, {CodeWriter.Float(clamp.Item1)}, {CodeWriter.Float(clamp.Item2)}, {(input == null ? "0f" : CodeWriter.Float(input.Scale))}, {input?.ZeroPoint ?? 0}, {narrow});");
            }
            AfterActivation(ctx);
        }

        /// <summary>
        /// 4-bit weights (QGemm.Int4): the int8 packing compressed two weights per byte, the scales per convolution group as
        /// [scale group][channel], and the group size as the kernel's last argument. Float output only (Int8Boundaries never
        /// requantizes a 4-bit layer).
        /// </summary>
        private static void Emit4(EmitContext ctx, LayerQuantization q, sbyte[] packed, string bias, string cls, string method,
            string geometry, float scaleFactor, int convGroups)
        {
            var weights = q.Weights!;
            var label = ctx.InValue(1).Name;
            var packed4 = new byte[packed.Length / 2];
            global::QuantGen.Kernels.Int8Layout.Compress4(packed, packed4);
            int channels = weights.Shape[weights.Axis], coutG = channels / convGroups, groups = weights.Groups;
            int depth = weights.Values.Length / channels;
            var scales = new float[weights.Scales.Length];
            for (int gc = 0; gc < convGroups; gc++)
                for (int g = 0; g < groups; g++)
                    for (int o = 0; o < coutG; o++)
                        scales[(gc * groups + g) * coutG + o] = weights.Scales[(gc * coutG + o) * groups + g] * scaleFactor;
            var w = ctx.Const(QuantizedWeights.Bytes(Array.ConvertAll(packed4, x => (sbyte)x)), $"{label} 4-bit, two per byte, packed for QGemm");
            var sc = ctx.Const(QuantizedWeights.Floats(scales), $"{label} 4-bit weight scales ({(groups == 1 ? "per channel" : $"per {weights.GroupSize} k and channel")})");
            var clamp = QuantizedWeights.Clamp(ctx.Node.FusedActivation) ?? (float.NegativeInfinity, float.PositiveInfinity);
            var input = q.Input;
            ctx.W.Line($"{cls}.{method}({ctx.In(0)}, {w}, ReadOnlySpan<int>.Empty, {sc}, {bias}, {ctx.Out(0)}, {ctx.ScratchBytes()},");
            ctx.W.Line($"    {geometry}, {CodeWriter.Float(clamp.Item1)}, {CodeWriter.Float(clamp.Item2)}, {(input == null ? "0f" : CodeWriter.Float(input.Scale))}, {input?.ZeroPoint ?? 0}, true, {(groups == 1 ? depth : weights.GroupSize)});");
            AfterActivation(ctx);
        }

        /// <summary>Scratch of a dense int8 layer of m x k input: none for a uint8 input, the quantized rows (and per-row parameters) else.</summary>
        public static long DenseScratchBytes(Node n, int m, int k) =>
            n.Inputs[0]!.Type == DataType.UInt8 ? 0
            : n.Quantization!.InputPerRow ? global::QuantGen.Kernels.Int8Layout.DenseRowsScratchBytes(m, k)
            : global::QuantGen.Kernels.Int8Layout.DenseScratchBytes(m, k);

        /// <summary>The dense int8 kernel class (it lives in the ConvQ8 kernel file).</summary>
        public static string Dense(EmitContext ctx)
        {
            ctx.Kernel("ConvQ8");
            return "global::QuantGen.Kernels.DenseQ8";
        }

        /// <summary>An activation that is not a clamp (LeakyRelu) runs after the int8 layer, in place.</summary>
        public static void AfterActivation(EmitContext ctx)
        {
            if (ctx.Node.FusedActivation != null && QuantizedWeights.Clamp(ctx.Node.FusedActivation) == null)
                ctx.W.Line($"{ctx.Kernel("Activation")}.Apply({ctx.Out(0)}, {ctx.ActivationArgs()});");
        }
    }
}
