using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// QuantGen's own uint8 lookup table (domain com.quantgen, never in an ONNX file): inputs x (uint8) and a constant
    /// uint8[256] table; y = table[x], same shape. Made by <see cref="QuantGen.Graph.Quantization.QdqModel.FuseLookupTables"/>
    /// from a DequantizeLinear -> elementwise float ops -> QuantizeLinear chain.
    /// </summary>
    internal sealed class LookupTable : Operator
    {
        public const string OpDomain = QuantGen.Graph.Quantization.QdqModel.Domain;
        public override string Domain => OpDomain;
        public override string OpType => QuantGen.Graph.Quantization.QdqModel.LookupTableOp;

        public override void Infer(Node n)
        {
            RequireTypes(n, 0, DataType.UInt8);
            var t = ConstInput(n, 1, "table");
            if (t.Type != DataType.UInt8 || t.Length != 256) throw Invalid(n, "the table must be a constant uint8[256]");
            SetOutput(n, 0, DataType.UInt8, ShapeOf(n, 0));
        }

        public override string Describe(Node n) => "uint8 lookup table";

        public override void Emit(EmitContext ctx) =>
            ctx.W.Line($"{ctx.Kernel("Lut")}.Run({ctx.In(0)}, {ctx.Out(0)}, {ctx.In(1)});");
    }
}
