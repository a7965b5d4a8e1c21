using System;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>CastLike (opsets 15, 19, 21): Cast to the element type of input 1 (whose values are not read).</summary>
    internal sealed class CastLike : Operator
    {
        public override string OpType => "CastLike";

        public override void Infer(Node n) => Cast.InferCast(n, In(n, 1).Type);

        public override TensorData[]? Fold(Node n) => new[] { In(n, 0).Constant!.CastTo(In(n, 1).Type) };

        public override void Emit(EmitContext ctx) => Cast.EmitCast(ctx, ctx.InValue(0).Type, ctx.InValue(1).Type);
    }
}
