using System;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>Cast between float32, int64, int32, int8, uint8 and bool (float to integer truncates toward zero; integer to a narrower integer wraps).</summary>
    internal sealed class Cast : Operator
    {
        public override string OpType => "Cast";

        private static DataType To(Node n) => (DataType)n.GetInt("to", 0);

        public override void Infer(Node n) => InferCast(n, To(n));

        /// <summary>Cast and CastLike: the target type must run (or, for a constant input, fold); the output keeps the input's shape.</summary>
        internal static void InferCast(Node n, DataType to)
        {
            var from = In(n, 0).Type;
            bool constant = In(n, 0).IsConstant;
            if (!(constant ? DataTypes.IsConstantSupported(to) : DataTypes.IsRuntimeSupported(to)))
                throw new QgException(DiagnosticIds.UnsupportedType, $"{n.Describe()}: cast to {DataTypes.OnnxName(to)} is not supported");
            if (!constant && !DataTypes.IsRuntimeSupported(from))
                throw new QgException(DiagnosticIds.UnsupportedType, $"{n.Describe()}: cast from {DataTypes.OnnxName(from)} is not supported");
            SetOutput(n, 0, to, ShapeOf(n, 0));
        }

        public override TensorData[]? Fold(Node n) => new[] { In(n, 0).Constant!.CastTo(To(n)) };

        public override void Emit(EmitContext ctx) => EmitCast(ctx, ctx.InValue(0).Type, To(ctx.Node));

        /// <summary>One Cast kernel call from input 0 to output 0 (shared with CastLike).</summary>
        internal static void EmitCast(EmitContext ctx, DataType from, DataType to)
        {
            var k = ctx.Kernel("Tensor");
            if (from == to) ctx.W.Line($"{ctx.In(0)}.CopyTo({ctx.Out(0)});");
            else if (to == DataType.Bool) ctx.W.Line($"{k}.CastToBool<{ctx.Elem(from)}>({ctx.In(0)}, {ctx.Out(0)});");
            else if (from == DataType.Bool) ctx.W.Line($"{k}.CastFromBool<{ctx.Elem(to)}>({ctx.In(0)}, {ctx.Out(0)});");
            else if (DataTypes.IsInteger(from) && DataTypes.IsInteger(to)) ctx.W.Line($"{k}.CastWrap<{ctx.Elem(from)}, {ctx.Elem(to)}>({ctx.In(0)}, {ctx.Out(0)});");
            else ctx.W.Line($"{k}.Cast<{ctx.Elem(from)}, {ctx.Elem(to)}>({ctx.In(0)}, {ctx.Out(0)});");
        }
    }
}
