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
        /// <summary>The kernel arguments: "packed, colSums, scales, bias" and "lo, hi, staticScale, staticZeroPoint, narrowWeights".</summary>
        public static (string Weights, string Tail) Arguments(EmitContext ctx, LayerQuantization q, sbyte[] packed, int[] sums, string bias, float scaleFactor = 1f)
        {
            var label = ctx.InValue(1).Name;
            var w = ctx.Const(QuantizedWeights.Bytes(packed), $"{label} int8, packed for QGemm");
            var s = ctx.Const(QuantizedWeights.Ints(sums), $"{label} int8 column sums");
            var scales = q.Weights!.Scales.Select(x => x * scaleFactor).ToArray();
            var sc = ctx.Const(QuantizedWeights.Floats(scales), $"{label} weight scales ({(scales.Length == 1 ? "per tensor" : "per channel")})");
            var clamp = QuantizedWeights.Clamp(ctx.Node.FusedActivation) ?? (float.NegativeInfinity, float.PositiveInfinity);
            var input = q.Input;
            // 7-bit weights (|q| <= 63) take the narrow GEMM kernels on x86 (QGemm remarks).
            string narrow = q.Weights.QMax <= 64 ? "true" : "false";
            string tail = $"{CodeWriter.Float(clamp.Item1)}, {CodeWriter.Float(clamp.Item2)}, {(input == null ? "0f" : CodeWriter.Float(input.Scale))}, {input?.ZeroPoint ?? 0}, {narrow}";
            return ($"{w}, {s}, {sc}, {bias}", tail);
        }

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
