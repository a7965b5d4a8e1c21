using System.Linq;
using QuantGen.Graph;
using QuantGen.Graph.Quantization;
using QuantGen.Onnx;
using Xunit;

namespace QuantGen.Tests.Int8
{
    /// <summary>How calibration tensors become samples: batches split at the compiled shape, other symbolic sizes kept whole.</summary>
    public class CalibrationDataTests
    {
        private static Value Input(params int[] shape) => new Value("x") { Type = DataType.Float, Shape = shape };

        [Fact]
        public void A_batch_of_compiled_shape_samples_is_split_along_its_first_axis()
        {
            var folder = FashionStaticTests.CalibrationFolder(Enumerable.Range(0, 20).Select(i => (float)i).ToArray(), new[] { 4, 5 });
            var samples = CalibrationData.Load(folder, new[] { Input(1, 5) }, symbolic: new[] { new[] { true, true } });
            Assert.Equal(4, samples.Count);
            Assert.All(samples, s => Assert.Equal(new[] { 1, 5 }, s[0].Shape));
            Assert.Equal(15.0, samples[3][0].GetDouble(0));
        }

        [Fact]
        public void A_tensor_binding_a_symbolic_axis_to_another_size_is_one_sample_at_its_own_shape()
        {
            var folder = FashionStaticTests.CalibrationFolder(Enumerable.Range(0, 7).Select(i => (float)i).ToArray(), new[] { 1, 7 });
            var samples = CalibrationData.Load(folder, new[] { Input(1, 5) }, symbolic: new[] { new[] { false, true } });
            var sample = Assert.Single(samples);
            Assert.Equal(new[] { 1, 7 }, sample[0].Shape);
            Assert.Equal(6.0, sample[0].GetDouble(6));
        }

        [Fact]
        public void Another_size_on_a_fixed_axis_is_QG0007()
        {
            var folder = FashionStaticTests.CalibrationFolder(new float[7], new[] { 1, 7 });
            var e = Assert.Throws<QgException>(() => CalibrationData.Load(folder, new[] { Input(1, 5) }, symbolic: new[] { new[] { false, false } }));
            Assert.Equal(DiagnosticIds.InvalidOption, e.Id);
        }
    }
}
