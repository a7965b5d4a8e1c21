using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// DepthToSpace (opsets 1, 11, 13; modes DCR and CRD) and SpaceToDepth (opsets 1, 13) on [N, C, H, W] inputs: each is a
    /// reshape to 6-D, a transpose and a reshape back, so it runs as one strided copy.
    /// </summary>
    internal sealed class DepthToSpace : Operator
    {
        private readonly bool _toDepth;
        public DepthToSpace(bool toDepth) { _toDepth = toDepth; }
        public override string OpType => _toDepth ? "SpaceToDepth" : "DepthToSpace";

        /// <summary>The 4-D output shape, and the 6-D transposed shape with the input strides that produce it.</summary>
        private (int[] OutShape, int[] Shape6, int[] Strides6) Plan(Node n)
        {
            var x = ShapeOf(n, 0);
            if (x.Length != 4) throw Invalid(n, $"the input must be 4-D (got {Shapes.Format(x)})");
            if (!n.Has("blocksize")) throw Invalid(n, "blocksize is required");
            long bl = n.GetInt("blocksize", 0);
            if (bl <= 0 || bl > int.MaxValue) throw Invalid(n, $"blocksize {bl} must be positive");
            int b = (int)bl;
            int N = x[0], C = x[1], H = x[2], W = x[3];
            int[] view, perm, outShape;
            if (_toDepth)
            {
                if (H % b != 0 || W % b != 0) throw Invalid(n, $"H {H} and W {W} must be multiples of blocksize {b}");
                view = new[] { N, C, H / b, b, W / b, b };
                perm = new[] { 0, 3, 5, 1, 2, 4 };
                outShape = new[] { N, C * b * b, H / b, W / b };
            }
            else
            {
                if (C % (b * b) != 0) throw Invalid(n, $"C {C} must be a multiple of blocksize^2 {b * b}");
                int c = C / (b * b);
                var mode = n.Opset >= 11 ? n.GetString("mode", "DCR") : "DCR";
                if (mode == "DCR") { view = new[] { N, b, b, c, H, W }; perm = new[] { 0, 3, 4, 1, 5, 2 }; }
                else if (mode == "CRD") { view = new[] { N, c, b, b, H, W }; perm = new[] { 0, 1, 4, 2, 5, 3 }; }
                else throw Unsupported(n, $"mode '{mode}' is not supported (DCR or CRD)");
                outShape = new[] { N, c, H * b, W * b };
            }
            var vs = Shapes.Strides(view);
            return (outShape, perm.Select(a => view[a]).ToArray(), perm.Select(a => vs[a]).ToArray());
        }

        public override void Infer(Node n) => SetOutput(n, 0, In(n, 0).Type, Plan(n).OutShape);

        public override TensorData[]? Fold(Node n)
        {
            var (outShape, shape6, strides6) = Plan(n);
            return new[] { In(n, 0).Constant!.Select(outShape, Transpose.StridedIndices(0, shape6, strides6)) };
        }

        public override void Emit(EmitContext ctx)
        {
            var (outShape, shape6, strides6) = Plan(ctx.Node);
            if (Shapes.Size(outShape) == 0) { ctx.W.Line("// empty output"); return; }
            var (shape, st) = OpUtil.Collapse(shape6, strides6);
            ctx.W.Line($"{ctx.Kernel("Tensor")}.StridedCopy<{ctx.Elem(ctx.InValue(0).Type)}>({ctx.In(0)}, 0, {ctx.Out(0)}, {CodeWriter.Ints(shape)}, {CodeWriter.Ints(st[0])});");
        }
    }
}
