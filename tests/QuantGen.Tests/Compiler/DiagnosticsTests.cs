using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using QuantGen.CodeGen;
using QuantGen.Onnx;
using QuantGen.Onnx.Proto;
using static QuantGen.Tests.Compiler.ProtoModels;

namespace QuantGen.Tests.Compiler
{
    /// <summary>Bad input gets a clear QG diagnostic naming the model (and node/op where there is one), never an exception.</summary>
    public class DiagnosticsTests
    {
        private static QgDiagnostic SingleError(byte[] bytes, string file = "bad.onnx", ExternalDataResolver? resolver = null)
        {
            var r = ModelCompiler.Compile(bytes, file, resolver, new CompileOptions());
            Assert.False(r.Success);
            var errors = r.Diagnostics.Where(d => d.Severity == QgSeverity.Error).ToList();
            Assert.Single(errors);
            Assert.Contains(file, errors[0].Message);
            Assert.NotEqual(DiagnosticIds.InternalError, errors[0].Id);
            return errors[0];
        }

        private static byte[] Mnist() => File.ReadAllBytes(Corpus.Path_("mnist_cntk", "model.onnx"));

        [Fact]
        public void Truncated_file_is_QG0001()
        {
            var b = Mnist();
            Assert.Equal(DiagnosticIds.InvalidModel, SingleError(b.Take(b.Length / 2).ToArray()).Id);
        }

        [Fact]
        public void Random_bytes_are_QG0001()
        {
            var rng = new Random(7);
            for (int i = 0; i < 20; i++)
            {
                var b = new byte[rng.Next(1, 4096)];
                rng.NextBytes(b);
                Assert.Equal(DiagnosticIds.InvalidModel, SingleError(b).Id);
            }
        }

        [Fact]
        public void Weight_bits_other_than_8_7_or_4_and_bad_group_sizes_are_QG0007()
        {
            foreach (int bits in new[] { 0, 3, 5, 6, 9 })
            {
                var r = ModelCompiler.Compile(Mnist(), "mnist.onnx", null, new CompileOptions { Precision = "Int8", WeightBits = bits });
                Assert.False(r.Success);
                var d = Assert.Single(r.Diagnostics, x => x.Severity == QgSeverity.Error);
                Assert.Equal(DiagnosticIds.InvalidOption, d.Id);
                Assert.Contains("WeightBits", d.Message);
            }
            foreach (int group in new[] { -4, 6, 30 })
            {
                var r = ModelCompiler.Compile(Mnist(), "mnist.onnx", null, new CompileOptions { Precision = "Int8", WeightBits = 4, GroupSize = group });
                Assert.False(r.Success);
                Assert.Contains(r.Diagnostics, x => x.Id == DiagnosticIds.InvalidOption && x.Message.Contains("GroupSize"));
            }
            Assert.True(ModelCompiler.Compile(Mnist(), "mnist.onnx", null, new CompileOptions { Precision = "Int8", WeightBits = 7 }).Success);
            Assert.True(ModelCompiler.Compile(Mnist(), "mnist.onnx", null, new CompileOptions { Precision = "Int8", WeightBits = 4 }).Success);
            Assert.True(ModelCompiler.Compile(Mnist(), "mnist.onnx", null, new CompileOptions { Precision = "Int8", WeightBits = 4, GroupSize = 0 }).Success);
        }

        [Fact]
        public void Empty_file_is_QG0001() => Assert.Equal(DiagnosticIds.InvalidModel, SingleError(Array.Empty<byte>()).Id);

        [Fact]
        public void Missing_initializer_is_QG0001_naming_the_node_and_value()
        {
            var m = Model(new[] { Node("Add", "add_missing", new[] { "x", "nowhere" }, new[] { "y" }) },
                new[] { Tensor("x", 1, 2) }, new[] { Tensor("y", 1, 2) });
            var d = SingleError(m.Bytes());
            Assert.Equal(DiagnosticIds.InvalidModel, d.Id);
            Assert.Contains("add_missing", d.Message);
            Assert.Contains("nowhere", d.Message);
        }

        [Fact]
        public void Cycle_is_QG0001()
        {
            var a = Node("Relu", "a", new[] { "t2" }, new[] { "t1" });
            var b = Node("Add", "b", new[] { "t1", "x" }, new[] { "t2" });
            var c = Node("Relu", "c", new[] { "t2" }, new[] { "y" });
            var d = SingleError(Model(new[] { a, b, c }, new[] { Tensor("x", 1, 2) }, new[] { Tensor("y", 1, 2) }).Bytes());
            Assert.Equal(DiagnosticIds.InvalidModel, d.Id);
            Assert.Contains("cycle", d.Message);
        }

        [Fact]
        public void Negative_initializer_dimension_is_QG0001()
        {
            var c = FloatTyped("c", new float[] { 1, 2 }, 2);
            c.Dims[0] = -2;
            Assert.Equal(DiagnosticIds.InvalidModel, SingleError(AddConstant(c, 2).Bytes()).Id);
        }

        [Fact]
        public void Huge_initializer_dimensions_are_refused_without_allocating()
        {
            var c = new TensorProto { Name = "c", DataType = 1 };
            c.Dims.AddRange(new long[] { 1L << 20, 1L << 20, 1L << 20 });
            Assert.Equal(DiagnosticIds.InvalidModel, SingleError(AddConstant(c, 2).Bytes()).Id);
        }

        [Fact]
        public void Negative_or_huge_input_dimensions_are_diagnosed()
        {
            var neg = Model(new[] { Node("Relu", "r", new[] { "x" }, new[] { "y" }) }, new[] { Tensor("x", 1, -3, 2) }, new[] { Tensor("y", 1, 3, 2) });
            Assert.Equal(DiagnosticIds.InvalidModel, SingleError(neg.Bytes()).Id);
            var huge = Model(new[] { Node("Relu", "r", new[] { "x" }, new[] { "y" }) }, new[] { Tensor("x", 1, 1 << 20, 1 << 20, 1 << 20) }, new[] { Tensor("y", 1, 2) });
            var d = SingleError(huge.Bytes());
            Assert.True(d.Id == DiagnosticIds.InvalidModel || d.Id == DiagnosticIds.ShapeInference, d.ToString());
        }

        [Fact]
        public void Typed_data_count_mismatch_is_QG0001()
        {
            var c = FloatTyped("c", new float[] { 1, 2, 3 }, 2, 2);
            Assert.Equal(DiagnosticIds.InvalidModel, SingleError(AddConstant(c, 2, 2).Bytes()).Id);
        }

        [Theory]
        [InlineData("/etc/passwd")]
        [InlineData("../outside.bin")]
        [InlineData("weights/../../outside.bin")]
        [InlineData("C:\\weights.bin")]
        public void External_data_outside_the_model_folder_is_refused_with_QG0005(string location)
        {
            var c = new TensorProto { Name = "c", DataType = 1, DataLocation = TensorProto.Types.DataLocation.External };
            c.Dims.Add(2);
            c.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
            var d = SingleError(AddConstant(c, 2).Bytes(), resolver: OnnxModelReader.FolderResolver(Path.GetTempPath()));
            Assert.Equal(DiagnosticIds.ExternalData, d.Id);
            Assert.Contains("'c'", d.Message);
        }

        [Fact]
        public void External_data_through_a_link_out_of_the_folder_is_refused_with_QG0005()
        {
            var outside = Directory.CreateTempSubdirectory("qg-outside").FullName;
            File.WriteAllBytes(Path.Combine(outside, "secret.bin"), new byte[8]);
            var dir = Directory.CreateTempSubdirectory("qg-model").FullName;
            File.CreateSymbolicLink(Path.Combine(dir, "w.bin"), Path.Combine(outside, "secret.bin"));
            var c = new TensorProto { Name = "c", DataType = 1, DataLocation = TensorProto.Types.DataLocation.External };
            c.Dims.Add(2);
            c.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "w.bin" });
            Assert.Equal(DiagnosticIds.ExternalData, SingleError(AddConstant(c, 2).Bytes(), resolver: OnnxModelReader.FolderResolver(dir)).Id);
        }

        [Fact]
        public void Missing_external_file_is_QG0005()
        {
            var c = new TensorProto { Name = "c", DataType = 1, DataLocation = TensorProto.Types.DataLocation.External };
            c.Dims.Add(2);
            c.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "absent.bin" });
            var dir = Directory.CreateTempSubdirectory("qg-model").FullName;
            Assert.Equal(DiagnosticIds.ExternalData, SingleError(AddConstant(c, 2).Bytes(), resolver: OnnxModelReader.FolderResolver(dir)).Id);
        }

        [Fact]
        public void Unsupported_op_is_QG0002_naming_node_op_and_opset()
        {
            var m = Model(new[] { Node("FancyOp", "fancy_1", new[] { "x" }, new[] { "y" }) }, new[] { Tensor("x", 1, 2) }, new[] { Tensor("y", 1, 2) }, opset: 17);
            var d = SingleError(m.Bytes());
            Assert.Equal(DiagnosticIds.UnsupportedOp, d.Id);
            Assert.Contains("fancy_1", d.Message);
            Assert.Contains("FancyOp", d.Message);
            Assert.Contains("17", d.Message);
        }

        [Fact]
        public void Unsupported_attribute_value_is_QG0003()
        {
            var w = FloatTyped("w", Enumerable.Repeat(1f, 9).ToArray(), 1, 1, 3, 3);
            var conv = Node("Conv", "conv_bad", new[] { "x", "w" }, new[] { "y" }, new AttributeProto { Name = "auto_pad", S = ByteString.CopyFromUtf8("SIDEWAYS"), Type = AttributeProto.Types.AttributeType.String });
            var m = Model(new[] { conv }, new[] { Tensor("x", 1, 1, 1, 5, 5) }, new[] { Tensor("y", 1, 1, 1, 5, 5) }, new[] { w });
            var d = SingleError(m.Bytes());
            Assert.Equal(DiagnosticIds.UnsupportedAttribute, d.Id);
            Assert.Contains("conv_bad", d.Message);
        }

        [Fact]
        public void Shape_that_needs_runtime_data_is_QG0004()
        {
            var m = Model(new[] { Node("Reshape", "reshape_dyn", new[] { "x", "s" }, new[] { "y" }) },
                new[] { Tensor("x", 1, 6), Tensor("s", 7, 2) }, new[] { Tensor("y", 1, 2, 3) });
            var d = SingleError(m.Bytes());
            Assert.Equal(DiagnosticIds.ShapeInference, d.Id);
            Assert.Contains("reshape_dyn", d.Message);
        }

        [Fact]
        public void Unsupported_element_type_is_QG0006()
        {
            var m = Model(new[] { Node("Relu", "r", new[] { "x" }, new[] { "y" }) }, new[] { Tensor("x", 11, 2) }, new[] { Tensor("y", 11, 2) });
            Assert.Equal(DiagnosticIds.UnsupportedType, SingleError(m.Bytes()).Id);
        }

        [Fact]
        public void Mutated_real_model_never_crashes_the_compiler()
        {
            var original = Mnist();
            var rng = new Random(1234);
            for (int i = 0; i < 200; i++)
            {
                var b = (byte[])original.Clone();
                int flips = rng.Next(1, 8);
                for (int k = 0; k < flips; k++) b[rng.Next(b.Length)] = (byte)rng.Next(256);
                var r = ModelCompiler.Compile(b, "mutated.onnx", null, new CompileOptions());
                Assert.DoesNotContain(r.Diagnostics, d => d.Id == DiagnosticIds.InternalError);
                Assert.True(r.Success || r.Diagnostics.Any(d => d.Severity == QgSeverity.Error));
            }
        }
    }
}
