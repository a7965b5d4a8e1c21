using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// GridSample on float32. Opset 16: 4-D input, mode bilinear/nearest/bicubic. Opset 20 and later: 1 to 3 spatial axes
    /// (3-D to 5-D input), mode linear/nearest/cubic. padding_mode zeros/border/reflection, align_corners. The grid is a
    /// run-time float32 tensor [N, out..., spatial] whose last axis lists coordinates innermost axis first (x, y, z).
    /// </summary>
    internal sealed class GridSample : Operator
    {
        public override string OpType => "GridSample";

        private sealed class Plan
        {
            public int Mode, Padding, Spatial;
            public bool AlignCorners;
            public int[] OutShape = Array.Empty<int>();
        }

        private static Plan Resolve(Node n)
        {
            if (n.Opset < 16) throw new QgException(DiagnosticIds.UnsupportedOp, $"{n.Describe()}: GridSample exists from opset 16");
            RequireTypes(n, 0, DataType.Float);
            RequireTypes(n, 1, DataType.Float);
            var x = ShapeOf(n, 0); var grid = ShapeOf(n, 1);
            bool v16 = n.Opset < 20;
            var p = new Plan { Spatial = x.Length - 2, AlignCorners = n.GetInt("align_corners", 0) != 0 };
            if (v16 ? x.Length != 4 : (p.Spatial < 1 || p.Spatial > 3))
                throw Unsupported(n, $"input {Shapes.Format(x)} is not supported; supported: {(v16 ? "4-D (opset 16)" : "3-D to 5-D")}");
            if (grid.Length != x.Length || grid[0] != x[0] || grid[grid.Length - 1] != p.Spatial)
                throw Invalid(n, $"grid {Shapes.Format(grid)} must be [{x[0]}, out..., {p.Spatial}] for input {Shapes.Format(x)}");
            var mode = n.GetString("mode", v16 ? "bilinear" : "linear");
            p.Mode = (v16, mode) switch
            {
                (_, "nearest") => 0,
                (true, "bilinear") or (false, "linear") => 1,
                (true, "bicubic") or (false, "cubic") => 2,
                _ => throw Unsupported(n, $"mode '{mode}' is not one of {(v16 ? "bilinear, nearest, bicubic" : "linear, nearest, cubic")} (opset {n.Opset})"),
            };
            var padding = n.GetString("padding_mode", "zeros");
            p.Padding = padding switch
            {
                "zeros" => 0, "border" => 1, "reflection" => 2,
                _ => throw Unsupported(n, $"padding_mode '{padding}' is not one of zeros, border, reflection"),
            };
            p.OutShape = new[] { x[0], x[1] }.Concat(grid.Skip(1).Take(p.Spatial)).ToArray();
            return p;
        }

        public override void Infer(Node n) => SetOutput(n, 0, DataType.Float, Resolve(n).OutShape);

        public override string Describe(Node n)
        {
            var p = Resolve(n);
            return $"{new[] { "nearest", "linear", "cubic" }[p.Mode]}, padding {new[] { "zeros", "border", "reflection" }[p.Padding]}{(p.AlignCorners ? ", align_corners" : "")}";
        }

        public override void Emit(EmitContext ctx)
        {
            var p = Resolve(ctx.Node);
            var x = ShapeOf(ctx.Node, 0);
            var dims = new[] { x[0], x[1], OpUtil.Prod(p.OutShape.Skip(2)), p.Mode, p.Padding, p.AlignCorners ? 1 : 0 }.Concat(x.Skip(2)).ToArray();
            ctx.W.Line($"{ctx.Kernel("GridSample")}.Run({ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, {CodeWriter.Ints(dims)});");
        }
    }
}
