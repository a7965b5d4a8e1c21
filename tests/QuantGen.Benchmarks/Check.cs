using System;

namespace QuantGen.Benchmarks
{
    /// <summary>The correctness gate every model benchmark passes once in GlobalSetup (it throws otherwise).</summary>
    internal static class Check
    {
        /// <summary>Float32: every element within |a - b| &lt;= 1e-4 + 1e-3 |b| of ONNX Runtime (the repository's tolerance).</summary>
        public static void Float32(string what, ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
        {
            if (actual.Length != expected.Length) throw new InvalidOperationException($"{what}: {actual.Length} elements vs {expected.Length} from ONNX Runtime");
            for (int i = 0; i < actual.Length; i++)
            {
                float a = actual[i], b = expected[i];
                if (!(Math.Abs(a - b) <= 1e-4 + 1e-3 * Math.Abs(b)))
                    throw new InvalidOperationException($"{what}: element {i} is {a}, ONNX Runtime gives {b} (|a-b| > 1e-4 + 1e-3|b|)");
            }
        }

        /// <summary>Int8: cosine similarity to an ONNX Runtime output (float32, or ORT's own int8) at least <paramref name="min"/>.</summary>
        public static double Int8(string what, ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double min = 0.99)
        {
            if (actual.Length != expected.Length) throw new InvalidOperationException($"{what}: {actual.Length} elements vs {expected.Length} from ONNX Runtime");
            double dot = 0, na = 0, nb = 0;
            for (int i = 0; i < actual.Length; i++)
            {
                if (!float.IsFinite(actual[i])) throw new InvalidOperationException($"{what}: element {i} is {actual[i]}");
                dot += (double)actual[i] * expected[i];
                na += (double)actual[i] * actual[i];
                nb += (double)expected[i] * expected[i];
            }
            double cosine = na == 0 && nb == 0 ? 1 : dot / Math.Sqrt(na * nb);
            if (!(cosine >= min)) throw new InvalidOperationException($"{what}: cosine {cosine:F5} to ONNX Runtime (< {min})");
            return cosine;
        }

        /// <summary>
        /// ONNX Runtime's QDQ model compiled by QuantGen: the same quantization as ORT's int8, so equal to ORT's int8 output
        /// (cosine &gt;= 0.999) where ORT's int8 is faithful (cosine to float32 &gt;= 0.99; its VNNI kernels are exact). Where ORT's
        /// int8 kernel saturates (AVX2 without VNNI), the generated class, exact on every path, is held to float32 at 0.99 instead.
        /// </summary>
        public static void Qdq(string what, ReadOnlySpan<float> actual, ReadOnlySpan<float> ortInt8, ReadOnlySpan<float> ortFloat, double ortInt8Cosine)
        {
            if (ortInt8Cosine >= 0.99) Int8(what + " vs ORT int8", actual, ortInt8, 0.999);
            else Int8(what + " vs ORT float32 (ORT's int8 saturates on this host)", actual, ortFloat);
        }
    }
}
