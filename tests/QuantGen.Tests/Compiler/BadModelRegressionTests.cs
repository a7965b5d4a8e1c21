using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using QuantGen.Cli;
using QuantGen.CodeGen;
using QuantGen.Onnx;
using QuantGen.Onnx.Proto;
using static QuantGen.Tests.Compiler.ProtoModels;

namespace QuantGen.Tests.Compiler
{
    /// <summary>
    /// One regression test per defect class that structured mutation of real models found: external-data fields that are not
    /// numbers, quantization parameters that disagree in size, graph outputs that are graph inputs, diagnostics without the
    /// model file's name, and CLI paths that do not exist.
    /// </summary>
    public class BadModelRegressionTests
    {
        private static CompileResult Compile(byte[] bytes, string file = "bad.onnx", ExternalDataResolver? resolver = null) =>
            ModelCompiler.Compile(bytes, file, resolver, new CompileOptions());

        private static QgDiagnostic SingleError(byte[] bytes, string file = "bad.onnx", ExternalDataResolver? resolver = null)
        {
            var r = Compile(bytes, file, resolver);
            Assert.False(r.Success);
            var d = Assert.Single(r.Diagnostics, x => x.Severity == QgSeverity.Error);
            Assert.StartsWith(file + ": ", d.Message);
            Assert.NotEqual(DiagnosticIds.InternalError, d.Id);
            return d;
        }

        private static TensorProto Raw(string name, int dataType, byte[] bytes, params long[] dims)
        {
            var t = new TensorProto { Name = name, DataType = dataType, RawData = ByteString.CopyFrom(bytes) };
            t.Dims.AddRange(dims);
            return t;
        }

        private static TensorProto Floats(string name, params float[] v) => FloatRaw(name, v, v.Length);

        // ---- external data: every field validated, the location first ----

        [Theory]
        [InlineData("w.bin", "abc", null, "offset 'abc' is not a decimal number")]
        [InlineData("w.bin", "", null, "offset '' is not a decimal number")]
        [InlineData("w.bin", "0x10", null, "offset '0x10' is not a decimal number")]
        [InlineData("w.bin", "-4", null, "offset '-4' is not a decimal number")]
        [InlineData("w.bin", null, "+8", "length '+8' is not a decimal number")]
        [InlineData("w.bin", null, "1e3", "length '1e3' is not a decimal number")]
        [InlineData("w.bin", "0", "99999999999999999999", "length '99999999999999999999' is not a decimal number")]
        [InlineData("w.bin", "4", "9223372036854775807", "is outside 'w.bin'")]
        [InlineData("/etc/passwd", "abc", null, "absolute path")]
        [InlineData("../w.bin", "", "x", "'..' leaves the model's folder")]
        public void External_data_fields_that_are_not_decimal_byte_counts_are_QG0005(string location, string? offset, string? length, string expected)
        {
            var dir = Directory.CreateTempSubdirectory("qg-ext").FullName;
            File.WriteAllBytes(Path.Combine(dir, "w.bin"), new byte[8]);
            var c = new TensorProto { Name = "c", DataType = 1, DataLocation = TensorProto.Types.DataLocation.External };
            c.Dims.Add(2);
            c.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
            if (offset != null) c.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset });
            if (length != null) c.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length });
            var d = SingleError(AddConstant(c, 2).Bytes(), resolver: OnnxModelReader.FolderResolver(dir));
            Assert.Equal(DiagnosticIds.ExternalData, d.Id);
            Assert.Contains(expected, d.Message);
            Assert.Contains("'c'", d.Message);
        }

        [Fact]
        public void External_data_with_a_key_given_twice_is_QG0005_and_a_valid_entry_still_reads()
        {
            var dir = Directory.CreateTempSubdirectory("qg-ext").FullName;
            File.WriteAllBytes(Path.Combine(dir, "w.bin"), BitConverter.GetBytes(3f).Concat(BitConverter.GetBytes(1f)).Concat(BitConverter.GetBytes(2f)).ToArray());
            TensorProto Entry(params (string Key, string Value)[] kv)
            {
                var c = new TensorProto { Name = "c", DataType = 1, DataLocation = TensorProto.Types.DataLocation.External };
                c.Dims.Add(2);
                foreach (var (k, v) in kv) c.ExternalData.Add(new StringStringEntryProto { Key = k, Value = v });
                return c;
            }
            var twice = SingleError(AddConstant(Entry(("location", "w.bin"), ("offset", "4"), ("offset", "0")), 2).Bytes(), resolver: OnnxModelReader.FolderResolver(dir));
            Assert.Equal(DiagnosticIds.ExternalData, twice.Id);
            Assert.Contains("'offset' more than once", twice.Message);
            // The well-formed entry (with a checksum key, which carries no range) reads bytes 4..11: c = [1, 2].
            var ok = AddConstant(Entry(("location", "w.bin"), ("offset", "4"), ("length", "8"), ("checksum", "ignored")), 2).Bytes();
            var model = new Checker(ok, "ok.onnx", OnnxModelReader.FolderResolver(dir)).Compile(new Dictionary<string, int>());
            var y = (float[])model.Run(new Array[] { new float[] { 10, 20 } })[0];
            Assert.Equal(new float[] { 11, 22 }, y);
        }

        // ---- quantization parameters: sizes and types checked at build time ----

        /// <summary>DequantizeLinear of x uint8 [1, 3, 2] per axis 1, with the given scale and zero point.</summary>
        private static byte[] Dequantize(TensorProto scale, TensorProto? zeroPoint)
        {
            var inputs = new List<string> { "x", "s" };
            var inits = new List<TensorProto> { scale };
            if (zeroPoint != null) { inputs.Add("z"); inits.Add(zeroPoint); }
            var axis = new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 };
            return Model(new[] { Node("DequantizeLinear", "dq", inputs, new[] { "y" }, axis) },
                new[] { Tensor("x", 2, 1, 3, 2) }, new[] { Tensor("y", 1, 1, 3, 2) }, inits).Bytes();
        }

        [Fact]
        public void DequantizeLinear_with_fewer_zero_points_than_scales_is_refused_at_build_time()
        {
            var s = Floats("s", 0.5f, 1f, 2f);
            var d = SingleError(Dequantize(s, Raw("z", 2, new byte[] { 3 }, 1)));
            Assert.Equal(DiagnosticIds.InvalidModel, d.Id);
            Assert.Contains("node 'dq' (DequantizeLinear", d.Message);
            Assert.Contains("x_zero_point has 1 elements but x_scale has 3", d.Message);
            // Zero point of another type than x.
            Assert.Contains("x_zero_point is int8 but x is uint8", SingleError(Dequantize(s, Raw("z", 3, new byte[] { 1, 2, 3 }, 3))).Message);
            // The well-formed model compiles and runs: y = (x - z[c]) * s[c].
            var ok = new Checker(Dequantize(s, Raw("z", 2, new byte[] { 1, 2, 3 }, 3)), "ok.onnx", null).Compile(new Dictionary<string, int>());
            var y = (float[])ok.Run(new Array[] { new byte[] { 1, 5, 2, 6, 3, 7 } })[0];
            Assert.Equal(new float[] { 0, 2, 0, 4, 0, 8 }, y);
        }

        /// <summary>QLinearConv 1x1 on x uint8 [1, 2, 2, 2] with 2 output channels, with its 8 required inputs replaceable.</summary>
        private static byte[] QLinearConv(TensorProto? xScale = null, TensorProto? wZero = null, TensorProto? yZero = null)
        {
            var inits = new List<TensorProto>
            {
                xScale ?? Floats("xs", 0.1f), Raw("xz", 2, new byte[] { 0 }), Raw("w", 3, new byte[] { 1, 2, 3, 4 }, 2, 2, 1, 1),
                Floats("ws", 0.5f, 0.25f), wZero ?? Raw("wz", 3, new byte[] { 0, 0 }, 2), Floats("ys", 0.2f), yZero ?? Raw("yz", 2, new byte[] { 5 }),
            };
            return Model(new[] { Node("QLinearConv", "qc", new[] { "x", inits[0].Name, "xz", "w", "ws", inits[4].Name, "ys", inits[6].Name }, new[] { "y" }) },
                new[] { Tensor("x", 2, 1, 2, 2, 2) }, new[] { Tensor("y", 2, 1, 2, 2, 2) }, inits, opset: 10).Bytes();
        }

        [Fact]
        public void QLinearConv_parameters_of_the_wrong_size_or_type_are_refused_at_build_time()
        {
            Assert.Contains("x_scale has 0 elements; expected 1", SingleError(QLinearConv(xScale: FloatRaw("xs", Array.Empty<float>(), 0))).Message);
            Assert.Contains("w_zero_point has 3 elements but w_scale has 2", SingleError(QLinearConv(wZero: Raw("wz", 3, new byte[] { 0, 0, 0 }, 3))).Message);
            Assert.Contains("y_zero_point has 2 elements but y_scale has 1", SingleError(QLinearConv(yZero: Raw("yz", 2, new byte[] { 5, 5 }, 2))).Message);
            Assert.Contains("w_zero_point is uint8 but w is int8", SingleError(QLinearConv(wZero: Raw("wz", 2, new byte[] { 0, 0 }, 2))).Message);
            var ok = new Checker(QLinearConv(), "ok.onnx", null).Compile(new Dictionary<string, int>());
            Assert.Equal(8, ((byte[])ok.Run(new Array[] { new byte[] { 10, 20, 30, 40, 50, 60, 70, 80 } })[0]).Length);
        }

        // ---- graph-level names ----

        [Fact]
        public void A_graph_output_that_is_a_graph_input_compiles_and_copies_the_input()
        {
            // Two inputs (so members are named after the ONNX names) and outputs "c" and "a", plus names that give the same identifier.
            var bytes = Model(new[] { Node("Add", "add", new[] { "a", "x-1" }, new[] { "c" }), Node("Mul", "mul", new[] { "a", "x_1" }, new[] { "x.1" }) },
                new[] { Tensor("a", 1, 2), Tensor("x-1", 1, 2), Tensor("x_1", 1, 2) },
                new[] { Tensor("c", 1, 2), Tensor("a", 1, 2), Tensor("x.1", 1, 2) }).Bytes();
            var r = Compile(bytes, "passthrough.onnx");
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            Assert.Contains("public const int ALength = 2;", r.Source);
            Assert.Contains("public const int OutputALength = 2;", r.Source);
            var model = new Checker(bytes, "passthrough.onnx", null).Compile(new Dictionary<string, int>());
            var outputs = model.Run(new Array[] { new float[] { 1, 2 }, new float[] { 10, 20 }, new float[] { 3, 4 } });
            Assert.Equal(new float[] { 11, 22 }, (float[])outputs[0]);
            Assert.Equal(new float[] { 1, 2 }, (float[])outputs[1]);
            Assert.Equal(new float[] { 3, 8 }, (float[])outputs[2]);
        }

        [Fact]
        public void A_graph_input_named_like_the_generated_workspace_local_compiles()
        {
            // "Ws" becomes the parameter "ws", which the Predict overload without a workspace also uses for its local.
            var bytes = Model(new[] { Node("Add", "add", new[] { "Ws", "Workspace" }, new[] { "y" }) },
                new[] { Tensor("Ws", 1, 2), Tensor("Workspace", 1, 2) }, new[] { Tensor("y", 1, 2) }).Bytes();
            var model = new Checker(bytes, "ws.onnx", null).Compile(new Dictionary<string, int>());
            var outputs = model.Run(new Array[] { new float[] { 1, 2 }, new float[] { 10, 20 } });
            Assert.Equal(new float[] { 11, 22 }, (float[])outputs[0]);
        }

        // ---- every diagnostic names the model file ----

        public static TheoryData<string> BadModels => new TheoryData<string> { "uint32 constant", "bad dequantize", "bad external data", "unknown op" };

        [Theory]
        [MemberData(nameof(BadModels))]
        public void Every_diagnostic_starts_with_the_model_file_name(string kind)
        {
            byte[] bytes = kind switch
            {
                "uint32 constant" => AddConstant(Raw("c", 12, new byte[8], 2), 2).Bytes(),
                "bad dequantize" => Dequantize(Floats("s", 1f, 1f, 1f), Raw("z", 2, new byte[] { 0 }, 1)),
                "bad external data" => AddConstant(new TensorProto { Name = "c", DataType = 1, DataLocation = TensorProto.Types.DataLocation.External, Dims = { 2 } }, 2).Bytes(),
                _ => Model(new[] { Node("NoSuchOp", "n0", new[] { "x" }, new[] { "y" }) }, new[] { Tensor("x", 1, 2) }, new[] { Tensor("y", 1, 2) }).Bytes(),
            };
            SingleError(bytes, "models/first.onnx");
        }

        // ---- found by the structured fuzzer (tests/QuantGen.Fuzz) ----

        [Fact]
        public void An_attribute_declared_tensor_or_graph_without_its_value_is_QG0003()
        {
            foreach (var type in new[] { AttributeProto.Types.AttributeType.Tensor, AttributeProto.Types.AttributeType.Graph })
            {
                var strides = new AttributeProto { Name = "strides", Type = type };
                var kernel = new AttributeProto { Name = "kernel_shape", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 2, 2 } };
                var bytes = Model(new[] { Node("MaxPool", "pool", new[] { "x" }, new[] { "y" }, kernel, strides) },
                    new[] { Tensor("x", 1, 1, 1, 4, 4) }, new[] { Tensor("y", 1, 1, 1, 3, 3) }).Bytes();
                var d = SingleError(bytes);
                Assert.Equal(DiagnosticIds.UnsupportedAttribute, d.Id);
                Assert.Contains($"attribute 'strides' is declared {type.ToString().ToUpperInvariant()} but holds no", d.Message);
            }
        }

        [Fact]
        public void Integer_division_by_zero_is_an_ArgumentException_and_MinValue_over_minus_one_wraps()
        {
            foreach (var (op, fmod) in new[] { ("Div", 0L), ("Mod", 0L), ("Mod", 1L) })
            {
                var attrs = op == "Mod" ? new[] { new AttributeProto { Name = "fmod", Type = AttributeProto.Types.AttributeType.Int, I = fmod } } : Array.Empty<AttributeProto>();
                var bytes = Model(new[] { Node(op, "n", new[] { "a", "b" }, new[] { "y" }, attrs) },
                    new[] { Tensor("a", 6, 3), Tensor("b", 6, 3) }, new[] { Tensor("y", 6, 3) }).Bytes();
                var model = new Checker(bytes, "div.onnx", null).Compile(new Dictionary<string, int>());
                var e = Assert.Throws<ArgumentException>(() => model.Run(new Array[] { new[] { 7, 8, 9 }, new[] { 2, 0, 3 } }));
                Assert.Contains("division by zero", e.Message);
                var y = (int[])model.Run(new Array[] { new[] { int.MinValue, -7, 7 }, new[] { -1, 2, -2 } })[0];
                Assert.Equal(op == "Div" ? new[] { int.MinValue, -3, -3 } : fmod == 0 ? new[] { 0, 1, -1 } : new[] { 0, -1, 1 }, y);
            }
        }

        [Fact]
        public void Integer_Pow_with_a_huge_exponent_finishes_and_wraps()
        {
            var bytes = Model(new[] { Node("Pow", "p", new[] { "a", "b" }, new[] { "y" }) },
                new[] { Tensor("a", 7, 4), Tensor("b", 7, 4) }, new[] { Tensor("y", 7, 4) }).Bytes();
            var model = new Checker(bytes, "pow.onnx", null).Compile(new Dictionary<string, int>());
            var y = (long[])model.Run(new Array[] { new long[] { 3, 1, -1, 2 }, new long[] { 4, long.MaxValue, long.MaxValue, 64 } })[0];
            Assert.Equal(new long[] { 81, 1, -1, 0 }, y); // 2^64 wraps to 0 in int64
        }

        [Fact]
        public void Inputs_of_the_wrong_type_or_left_empty_are_refused_before_code_is_emitted()
        {
            // Gemm's C as int32, BatchNormalization's bias as int64, Conv's bias as int32: the generated code would not compile.
            var gemm = Model(new[] { Node("Gemm", "g", new[] { "a", "b", "c" }, new[] { "y" }) },
                new[] { Tensor("a", 1, 2, 3), Tensor("b", 1, 3, 2), Tensor("c", 6, 2, 2) }, new[] { Tensor("y", 1, 2, 2) }).Bytes();
            Assert.Contains("input 2 has element type int32", SingleError(gemm).Message);
            var bn = Model(new[] { Node("BatchNormalization", "bn", new[] { "x", "s", "b", "m", "v" }, new[] { "y" }) },
                new[] { Tensor("x", 1, 1, 2, 2), Tensor("s", 1, 2), Tensor("b", 7, 2), Tensor("m", 1, 2), Tensor("v", 1, 2) }, new[] { Tensor("y", 1, 1, 2, 2) }).Bytes();
            Assert.Contains("input 2 has element type int64", SingleError(bn).Message);
            var conv = Model(new[] { Node("Conv", "c", new[] { "x", "w", "b" }, new[] { "y" }) },
                new[] { Tensor("x", 1, 1, 1, 3, 3), Tensor("w", 1, 1, 1, 1, 1), Tensor("b", 6, 1) }, new[] { Tensor("y", 1, 1, 1, 3, 3) }).Bytes();
            Assert.Contains("input 2 has element type int32", SingleError(conv).Message);
            // A variadic Mean with an empty input in the middle.
            var mean = Model(new[] { Node("Mean", "m", new[] { "a", "", "b" }, new[] { "y" }) },
                new[] { Tensor("a", 1, 2), Tensor("b", 1, 2) }, new[] { Tensor("y", 1, 2) }).Bytes();
            Assert.Contains("an input is empty", SingleError(mean).Message);
        }

        [Theory]
        [InlineData("AveragePool", 2147483647L, "SAME_LOWER")]
        [InlineData("MaxPool", 1099511627776L, "NOTSET")]
        [InlineData("AveragePool", 70000L, "SAME_UPPER")]
        public void A_pooling_window_beyond_the_limit_is_refused_at_build_time(string op, long kernel, string autoPad)
        {
            var attrs = new[]
            {
                new AttributeProto { Name = "kernel_shape", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 2, kernel } },
                new AttributeProto { Name = "auto_pad", Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(autoPad) },
            };
            var bytes = Model(new[] { Node(op, "pool", new[] { "x" }, new[] { "y" }, attrs) },
                new[] { Tensor("x", 1, 1, 1, 4, 4) }, new[] { Tensor("y", 1, 1, 1, 4, 4) }).Bytes();
            var d = SingleError(bytes);
            Assert.Equal(DiagnosticIds.UnsupportedAttribute, d.Id);
            Assert.Contains("65536", d.Message);
        }

        [Fact]
        public void A_workspace_beyond_the_largest_array_is_refused_at_build_time()
        {
            // Expand to 2^30 floats (4 GiB) feeding a Relu: the intermediate does not fit one byte array.
            var shape = new TensorProto { Name = "shape", DataType = 7, Dims = { 2 }, Int64Data = { 32768, 32768 } };
            var bytes = Model(new[] { Node("Expand", "e", new[] { "x", "shape" }, new[] { "big" }), Node("Relu", "r", new[] { "big" }, new[] { "y" }) },
                new[] { Tensor("x", 1, 1, 1) }, new[] { Tensor("y", 1, 32768, 32768) }, new[] { shape }).Bytes();
            var d = SingleError(bytes);
            Assert.Equal(DiagnosticIds.InvalidModel, d.Id);
            Assert.Contains("bytes of workspace", d.Message);
        }

        // ---- CLI paths ----

        [Fact]
        public void Cli_generate_creates_a_missing_output_folder_and_reports_a_missing_model_in_one_line()
        {
            var dir = Directory.CreateTempSubdirectory("qg-cli").FullName;
            var model = Path.Combine(dir, "add.onnx");
            File.WriteAllBytes(model, AddConstant(Floats("c", 1f, 2f), 2).Bytes());
            var output = Path.Combine(dir, "missing", "folder", "Add.g.cs");
            Assert.Equal(0, Program.Main(new[] { "generate", model, "-o", output }));
            Assert.Contains("static partial class Add", File.ReadAllText(output));
            var error = new StringWriter();
            var saved = Console.Error;
            Console.SetError(error);
            try { Assert.Equal(2, Program.Main(new[] { "generate", Path.Combine(dir, "absent.onnx"), "-o", output })); }
            finally { Console.SetError(saved); }
            var text = error.ToString().Trim();
            Assert.StartsWith("quantgen generate: ", text);
            Assert.Contains("absent.onnx", text);
            Assert.DoesNotContain("\n", text);
        }
    }
}
