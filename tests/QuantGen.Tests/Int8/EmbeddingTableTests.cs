using System;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using QuantGen.Cli;
using QuantGen.CodeGen;
using QuantGen.Tests.Infrastructure;
using QuantGen.Onnx.Proto;
using static QuantGen.Tests.Compiler.ProtoModels;

namespace QuantGen.Tests.Int8
{
    /// <summary>
    /// An embedding table (Gather of rows from a large constant matrix) in an int8 build: stored as int8 rows with a scale per
    /// row, dequantized as the rows are copied out; every output row is exactly the rounded row times its scale, within one
    /// half step of ONNX Runtime's float rows; Exclude keeps it float32 and bit-exact.
    /// </summary>
    public class EmbeddingTableTests
    {
        private const int Rows = 700, Cols = 48;

        private static (ModelProto Model, float[] Table) EmbeddingModel(int indexType)
        {
            var rng = new Random(11);
            // Rows of different magnitudes, so one scale per row matters.
            var table = new float[Rows * Cols];
            for (int r = 0; r < Rows; r++)
            {
                double mag = Math.Pow(10, rng.NextDouble() * 3 - 2);
                for (int c = 0; c < Cols; c++) table[r * Cols + c] = (float)((rng.NextDouble() * 2 - 1) * mag);
            }
            var model = Model(new[] { Node("Gather", "embed", new[] { "table", "ids" }, new[] { "y" }) },
                new[] { Tensor("ids", indexType, 2, 9) }, new[] { Tensor("y", 1, 2, 9, Cols) }, new[] { FloatRaw("table", table, Rows, Cols) });
            return (model, table);
        }

        [Theory]
        [InlineData(7)] // int64 indices
        [InlineData(6)] // int32 indices
        public void Int8_table_rows_are_the_rounded_rows_times_their_scale_and_match_onnxruntime_within_half_a_step(int indexType)
        {
            var (model, table) = EmbeddingModel(indexType);
            long[] ids = { 0, 1, 699, -1, -700, 350, 5, 5, 123, 42, 698, 17, 0, 64, 300, -2, 7, 2 };
            Array input = indexType == 7 ? ids : ids.Select(i => (int)i).ToArray();
            var compiled = new Checker(model.ToByteArray(), "embed.onnx", null, new CompileOptions { Precision = "Int8" }).Compile(new Dictionary<string, int>());
            Assert.Contains("int8 table rows with a scale per row", compiled.Source);
            Assert.Contains("GatherRowsQ8", compiled.Source);
            var layer = Assert.Single(compiled.Report!.Layers);
            Assert.Equal("int8", layer.Precision);
            Assert.Equal("per-row", layer.Granularity);
            Assert.Equal("indices", layer.Input);
            Assert.True(layer.WeightSqnrDb > 35, $"table SQNR {layer.WeightSqnrDb} dB");
            var y = (float[])compiled.Run(new[] { input })[0];

            using var session = new InferenceSession(model.ToByteArray());
            var dims = new[] { 2, 9 };
            var value = indexType == 7
                ? NamedOnnxValue.CreateFromTensor("ids", new DenseTensor<long>(ids, dims))
                : NamedOnnxValue.CreateFromTensor("ids", new DenseTensor<int>(ids.Select(i => (int)i).ToArray(), dims));
            using var results = session.Run(new[] { value });
            var expected = results.First().AsEnumerable<float>().ToArray();
            Assert.Equal(expected.Length, y.Length);
            for (int j = 0; j < ids.Length; j++)
            {
                int r = (int)(ids[j] < 0 ? ids[j] + Rows : ids[j]);
                float max = 0;
                for (int c = 0; c < Cols; c++) max = Math.Max(max, Math.Abs(table[r * Cols + c]));
                float scale = max / 127;
                for (int c = 0; c < Cols; c++)
                {
                    int i = j * Cols + c;
                    Assert.True(Math.Abs(y[i] - expected[i]) <= scale / 2 * 1.0001 + 1e-12, $"row {r} col {c}: {y[i]} vs {expected[i]} (scale {scale})");
                    // Exactly q * scale with q an integer in [-127, 127].
                    double q = y[i] / scale;
                    Assert.True(Math.Abs(q - Math.Round(q)) < 1e-3 && Math.Abs(q) <= 127.001, $"row {r} col {c}: {y[i]} is not an integer multiple of the row scale {scale}");
                }
            }
        }

        [Fact]
        public void Excluded_table_stays_float32_and_exact()
        {
            var (model, table) = EmbeddingModel(7);
            long[] ids = { 3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3 };
            var compiled = new Checker(model.ToByteArray(), "embed.onnx", null, new CompileOptions { Precision = "Int8", Exclude = "Gather" })
                .Compile(new Dictionary<string, int>());
            Assert.DoesNotContain("GatherRowsQ8", GeneratedCode.WithoutStaticData(compiled.Source));
            var layer = Assert.Single(compiled.Report!.Layers);
            Assert.Equal("float32", layer.Precision);
            var y = (float[])compiled.Run(new Array[] { ids })[0];
            for (int j = 0; j < ids.Length; j++)
                for (int c = 0; c < Cols; c++) Assert.Equal(table[ids[j] * Cols + c], y[j * Cols + c]);
        }

        [Fact]
        public void Small_tables_and_gathers_along_other_axes_stay_float32()
        {
            var rng = new Random(2);
            var small = Enumerable.Range(0, 100 * 48).Select(_ => (float)rng.NextDouble()).ToArray();
            var model = Model(new[] { Node("Gather", "g", new[] { "t", "ids" }, new[] { "y" }) },
                new[] { Tensor("ids", 7, 3) }, new[] { Tensor("y", 1, 3, 48) }, new[] { FloatRaw("t", small, 100, 48) });
            var compiled = new Checker(model.ToByteArray(), "small.onnx", null, new CompileOptions { Precision = "Int8" }).Compile(new Dictionary<string, int>());
            Assert.DoesNotContain("GatherRowsQ8", GeneratedCode.WithoutStaticData(compiled.Source));
            var big = Enumerable.Range(0, Rows * Cols).Select(_ => (float)rng.NextDouble()).ToArray();
            var columns = Model(new[] { Node("Gather", "g", new[] { "t", "ids" }, new[] { "y" }, new AttributeProto { Name = "axis", I = 1, Type = AttributeProto.Types.AttributeType.Int }) },
                new[] { Tensor("ids", 7, 3) }, new[] { Tensor("y", 1, Rows, 3) }, new[] { FloatRaw("t", big, Rows, Cols) });
            compiled = new Checker(columns.ToByteArray(), "columns.onnx", null, new CompileOptions { Precision = "Int8" }).Compile(new Dictionary<string, int>());
            Assert.DoesNotContain("GatherRowsQ8", GeneratedCode.WithoutStaticData(compiled.Source));
        }
    }
}
