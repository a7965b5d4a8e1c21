using System.Collections.Generic;
using System.Linq;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// The op table. To add an op: write Ops/NewOp.cs deriving from <see cref="Operator"/> (Infer: check attributes and
    /// types, set output shapes; Fold: optional build-time evaluation; Emit: call a kernel from src/QuantGen.Kernels),
    /// add it here, add an ORT oracle test in tests/QuantGen.Tests/OpTests, and list it in README.md.
    /// </summary>
    internal static class All
    {
        public static IEnumerable<Operator> Create()
        {
            var ops = new List<Operator>
            {
                new Conv(), new Gemm(), new MatMul(), new MaxPool(), new AveragePool(), new GlobalPool(false), new GlobalPool(true),
                new Reshape(), new Flatten(), new Squeeze(), new Unsqueeze(), new Identity("Identity"), new Identity("Dropout"),
                new Transpose(), new Concat(), new Slice(), new Gather(), new Cast(), new ShapeOp(false), new ShapeOp(true),
                new ConstantOfShape(), new ConstantOp(), new Expand(), new Where(), new Clip(),
                new Softmax(false), new Softmax(true), new BatchNormalization(), new If(), new Loop(), new Scan(),
                new QuantizeLinear(), new DequantizeLinear(), new DynamicQuantizeLinear(), new MatMulInteger(), new ConvInteger(),
                new QLinearMatMul(), new QLinearConv(), new LookupTable(), new Resize(false), new Resize(true),
                new Pad(), new Split(), new Tile(), new Range(), new CastLike(), new DepthToSpace(false), new DepthToSpace(true), new Trilu(), new OneHot(),
                new ConvTranspose(), new LayerNormalization(false), new LayerNormalization(true), new GroupNormalization(false),
                new GroupNormalization(true), new LpNormalization(), new PRelu(), new Predicate("IsNaN"), new Predicate("IsInf"), new Predicate("Not"),
                new ArgMinMax(true), new ArgMinMax(false), new TopK(), new CumSum(), new GatherElements(), new GatherND(),
                new ScatterElements("ScatterElements"), new ScatterElements("Scatter"), new ScatterND(), new Einsum(),
                new Attention(), new RotaryEmbedding(), new GridSample(),
            };
            ops.AddRange(Unary.Create());
            ops.AddRange(Binary.Create());
            ops.AddRange(Reduce.Create());
            ops.AddRange(Recurrent.Create());
            ops.AddRange(MiscOps.Create());
            return ops;
        }
    }
}
