using System;
using System.Linq;
using QuantGen.CodeGen;
using QuantGen.Graph;
using QuantGen.Graph.Quantization;
using QuantGen.Kernels;

namespace QuantGen.Tests.Int8
{
    public class WeightQuantizationTests
    {
        [Fact]
        public void Build_time_packing_equals_the_kernels_packing_for_every_shape()
        {
            var rng = new Random(5);
            foreach (var (k, n) in new[] { (1, 1), (3, 5), (4, 16), (5, 17), (31, 33), (64, 65), (576, 64), (7, 1) })
            {
                var b = Enumerable.Range(0, k * n).Select(_ => (sbyte)rng.Next(-127, 128)).ToArray();
                var (packed, sums) = QuantizedWeights.Pack(k, n, (p, j) => b[p * n + j]);
                var kp = new sbyte[QGemm.PackedLength(k, n)];
                var ks = new int[QGemm.ColSumsLength(n)];
                QGemm.Pack(b, k, n, kp, ks);
                Assert.Equal(kp, packed);
                Assert.Equal(ks, sums);
            }
        }

        [Fact]
        public void Symmetric_per_channel_quantization_uses_max_abs_over_127_and_round_half_even()
        {
            var w = new TensorData(DataType.Float, new[] { 3, 4 }, new float[] { 1f, -0.5f, 0.25f, 2f, 0, 0, 0, 0, -3f, 1.5f, 0.75f, 0.01f });
            var q = QuantizedTensor.Symmetric(w, 0);
            Assert.Equal(new[] { 2f / 127, 1f, 3f / 127 }, q.Scales);
            Assert.Equal(new sbyte[] { 64, -32, 16, 127, 0, 0, 0, 0, -127, 64, 32, 0 }, q.Values);
            Assert.True(q.Values.All(v => v >= -127 && v <= 127));
            var perTensor = QuantizedTensor.Symmetric(w, -1);
            Assert.Single(perTensor.Scales);
            Assert.Equal(3f / 127, perTensor.Scales[0]);
            Assert.True(q.MeanSquaredError(w) < perTensor.MeanSquaredError(w));
        }

        [Fact]
        public void Seven_bit_weights_use_max_abs_over_63_and_stay_in_minus_63_to_63()
        {
            var w = new TensorData(DataType.Float, new[] { 2, 3 }, new float[] { 1f, -0.6f, 0.26f, -3f, 1.4f, 0.02f });
            var q = QuantizedTensor.Symmetric(w, 0, qmax: 63);
            Assert.Equal(63, q.QMax);
            Assert.Equal(new[] { 1f / 63, 3f / 63 }, q.Scales);
            Assert.Equal(new sbyte[] { 63, -38, 16, -63, 29, 0 }, q.Values);
            var eight = QuantizedTensor.Symmetric(w, 0);
            Assert.Equal(127, eight.QMax);
            Assert.True(eight.MeanSquaredError(w) < q.MeanSquaredError(w));
        }

        [Fact]
        public void Activation_parameters_cover_the_range_with_zero_exact()
        {
            var a = ActivationQuant.FromRange(-1, 3);
            Assert.Equal(4f / 255, a.Scale);
            Assert.Equal(64, a.ZeroPoint);
            var relu = ActivationQuant.FromRange(0.5, 6);
            Assert.Equal(0, relu.ZeroPoint);
            Assert.Equal(6f / 255, relu.Scale);
            Assert.Equal(new ActivationQuant(1f, 0), ActivationQuant.FromRange(0, 0));
        }
    }
}
