using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using QuantGen.Cli;
using QuantGen.CodeGen;
using QuantGen.Graph;
using QuantGen.Onnx;
using QuantGen.Onnx.Proto;
using static QuantGen.Tests.Compiler.ProtoModels;

namespace QuantGen.Tests.Compiler
{
    public class ParserTests
    {
        private static readonly float[] Values = { 1.5f, -2f, 0.25f, 3f, -0.5f, 7f };

        private static float[] RunAddModel(ModelProto m, ExternalDataResolver? resolver = null)
        {
            var checker = new Checker(m.Bytes(), "add.onnx", resolver);
            var model = checker.Compile(new Dictionary<string, int>());
            var outs = model.Run(new Array[] { new float[6] });
            return (float[])outs[0];
        }

        [Fact]
        public void Raw_data_and_float_data_initializers_decode_to_the_same_values()
        {
            Assert.Equal(Values, RunAddModel(AddConstant(FloatRaw("c", Values, 2, 3), 2, 3)));
            Assert.Equal(Values, RunAddModel(AddConstant(FloatTyped("c", Values, 2, 3), 2, 3)));
        }

        [Fact]
        public void Double_data_int64_data_and_int32_data_decode_through_cast()
        {
            foreach (var (type, fill) in new (int, Action<TensorProto>)[]
            {
                (11, t => t.DoubleData.AddRange(Values.Select(v => (double)v))),
                (7, t => t.Int64Data.AddRange(Values.Select(v => (long)Math.Round(v)))),
                (6, t => t.Int32Data.AddRange(Values.Select(v => (int)Math.Round(v)))),
            })
            {
                var c = new TensorProto { Name = "c", DataType = type };
                c.Dims.AddRange(new long[] { 2, 3 });
                fill(c);
                var cast = Node("Cast", "cast0", new[] { "c" }, new[] { "cf" }, new AttributeProto { Name = "to", I = 1, Type = AttributeProto.Types.AttributeType.Int });
                var add = Node("Add", "add0", new[] { "x", "cf" }, new[] { "y" });
                var m = Model(new[] { cast, add }, new[] { Tensor("x", 1, 2, 3) }, new[] { Tensor("y", 1, 2, 3) }, new[] { c });
                var expected = type == 11 ? Values : Values.Select(v => (float)Math.Round(v)).ToArray();
                Assert.Equal(expected, RunAddModel(m));
            }
        }

        [Fact]
        public void Constant_node_value_becomes_a_constant_and_the_node_disappears()
        {
            var constant = Node("Constant", "k", Array.Empty<string>(), new[] { "c" },
                new AttributeProto { Name = "value", T = FloatRaw("", Values, 2, 3), Type = AttributeProto.Types.AttributeType.Tensor });
            var add = Node("Add", "add0", new[] { "x", "c" }, new[] { "y" });
            var m = Model(new[] { constant, add }, new[] { Tensor("x", 1, 2, 3) }, new[] { Tensor("y", 1, 2, 3) });
            var diags = new List<QgDiagnostic>();
            var plan = ModelCompiler.BuildPlan(m.Bytes(), "c.onnx", null, new CompileOptions(), diags);
            Assert.Single(plan.Steps.OfType<NodeStep>());
            Assert.Equal(Values, RunAddModel(m));
        }

        [Fact]
        public void Opset_imports_set_each_nodes_opset_and_ai_onnx_is_the_default_domain()
        {
            var m = AddConstant(FloatRaw("c", Values, 2, 3), 2, 3);
            m.OpsetImport.Clear();
            m.OpsetImport.Add(new OperatorSetIdProto { Domain = "ai.onnx", Version = 17 });
            var model = OnnxImporter.Import(m, "m.onnx", null, new Dictionary<string, int>(), new List<QgDiagnostic>());
            Assert.Equal(17, model.Opsets[""]);
            Assert.Equal(17, model.Graph.Nodes.Single().Opset);
        }

        [Fact]
        public void Initializers_listed_as_graph_inputs_are_constants_not_api_inputs()
        {
            var m = AddConstant(FloatRaw("c", Values, 2, 3), 2, 3);
            m.Graph.Input.Add(Tensor("c", 1, 2, 3));
            var model = OnnxImporter.Import(m, "m.onnx", null, new Dictionary<string, int>(), new List<QgDiagnostic>());
            Assert.Single(model.Graph.Inputs);
            Assert.Equal("x", model.Graph.Inputs[0].Name);
        }

        [Fact]
        public void Nodes_listed_out_of_order_are_sorted_topologically()
        {
            var relu = Node("Relu", "r", new[] { "t" }, new[] { "y" });
            var neg = Node("Neg", "n", new[] { "x" }, new[] { "t" });
            var m = Model(new[] { relu, neg }, new[] { Tensor("x", 1, 2, 3) }, new[] { Tensor("y", 1, 2, 3) });
            var checker = new Checker(m.Bytes(), "order.onnx", null);
            var outs = checker.Compile(new Dictionary<string, int>()).Run(new Array[] { Values });
            Assert.Equal(Values.Select(v => Math.Max(0f, -v)).ToArray(), (float[])outs[0]);
        }

        [Fact]
        public void External_data_is_read_by_relative_path_inside_the_model_folder()
        {
            var dir = Directory.CreateTempSubdirectory("qg-ext").FullName;
            var bytes = new byte[Values.Length * 4];
            Buffer.BlockCopy(Values, 0, bytes, 0, bytes.Length);
            Directory.CreateDirectory(Path.Combine(dir, "weights"));
            File.WriteAllBytes(Path.Combine(dir, "weights", "c.bin"), new byte[8].Concat(bytes).ToArray());
            var c = new TensorProto { Name = "c", DataType = 1, DataLocation = TensorProto.Types.DataLocation.External };
            c.Dims.AddRange(new long[] { 2, 3 });
            c.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights/c.bin" });
            c.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = "8" });
            c.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = "24" });
            Assert.Equal(Values, RunAddModel(AddConstant(c, 2, 3), OnnxModelReader.FolderResolver(dir)));
        }

        [Fact]
        public void Symbolic_dimensions_bind_to_given_values_and_default_to_one_with_an_info_diagnostic()
        {
            var x = Tensor("x", 1, 0, 3);
            x.Type.TensorType.Shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = "batch" };
            var m = Model(new[] { Node("Relu", "r", new[] { "x" }, new[] { "y" }) }, new[] { x }, new[] { Tensor("y", 1, 2, 3) });
            var diags = new List<QgDiagnostic>();
            var plan = ModelCompiler.BuildPlan(m.Bytes(), "sym.onnx", null, new CompileOptions { Dimensions = new Dictionary<string, int> { ["batch"] = 4 } }, diags);
            Assert.Equal(new[] { 4, 3 }, plan.Inputs[0].Shape);
            diags.Clear();
            plan = ModelCompiler.BuildPlan(m.Bytes(), "sym.onnx", null, new CompileOptions(), diags);
            Assert.Equal(new[] { 1, 3 }, plan.Inputs[0].Shape);
            Assert.Contains(diags, d => d.Severity == QgSeverity.Info && d.Message.Contains("'batch'"));
        }

        [Fact]
        public void Mnist_reshaped_fc_weight_is_folded_into_a_plain_constant()
        {
            var bytes = File.ReadAllBytes(Corpus.Path_("mnist_cntk", "model.onnx"));
            var plan = ModelCompiler.BuildPlan(bytes, "model.onnx", null, new CompileOptions(), new List<QgDiagnostic>());
            var ops = plan.Steps.OfType<NodeStep>().Select(s => s.Node.OpType).ToList();
            // Conv+Add+Relu fused, MaxPool, Conv+Add+Relu, MaxPool, Reshape (view), MatMul+Add: the weight Reshape is gone.
            Assert.Equal(new[] { "Conv", "MaxPool", "Conv", "MaxPool", "Reshape", "MatMul" }, ops);
            var matmul = plan.Steps.OfType<NodeStep>().Last().Node;
            Assert.NotNull(matmul.Inputs[1]!.Constant);
            Assert.Equal(new[] { 256, 10 }, matmul.Inputs[1]!.Constant!.Shape);
            Assert.Equal("Relu", plan.Steps.OfType<NodeStep>().First().Node.FusedActivation?.OpType);
        }

        [Fact]
        public void Generated_code_is_byte_identical_from_run_to_run()
        {
            var bytes = File.ReadAllBytes(Corpus.Path_("mnist_cntk", "model.onnx"));
            var a = ModelCompiler.Compile(bytes, "model.onnx", null, new CompileOptions { ClassName = "Digits", Namespace = "My.Models" });
            var b = ModelCompiler.Compile(bytes, "model.onnx", null, new CompileOptions { ClassName = "Digits", Namespace = "My.Models" });
            Assert.True(a.Success);
            Assert.Equal(a.Source, b.Source);
            Assert.DoesNotContain("/work/", QuantGen.Tests.Infrastructure.GeneratedCode.WithoutStaticData(a.Source!));
        }
    }
}
