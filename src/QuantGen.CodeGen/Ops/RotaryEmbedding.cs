using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// RotaryEmbedding (opset 23) on float32: 4-D input [batch, heads, seq, head_size] or 3-D [batch, seq, hidden] with the
    /// num_heads attribute; the first rotary_embedding_dim (default: head_size) channels of each head are rotated, in
    /// halves or interleaved pairs; cos/sin caches [max_position, dim / 2] indexed by int64 position_ids [batch, seq]
    /// (checked at run time), or [batch, seq, dim / 2] without position_ids.
    /// </summary>
    internal sealed class RotaryEmbedding : Operator
    {
        public override string OpType => "RotaryEmbedding";

        private sealed class Plan
        {
            public int B, H, S, D, Rot, MaxPos;
            public bool ThreeD, Interleaved, HasPos;
        }

        private static Plan Resolve(Node n)
        {
            if (n.Opset < 23) throw new QgException(DiagnosticIds.UnsupportedOp, $"{n.Describe()}: RotaryEmbedding exists from opset 23");
            for (int i = 0; i < 3; i++) RequireTypes(n, i, DataType.Float);
            var x = ShapeOf(n, 0);
            var p = new Plan { ThreeD = x.Length == 3, Interleaved = n.GetInt("interleaved", 0) != 0 };
            long heads = n.GetInt("num_heads", 0);
            if (x.Length == 4)
            {
                p.B = x[0]; p.H = x[1]; p.S = x[2]; p.D = x[3];
                if (heads != 0 && heads != p.H) throw Invalid(n, $"num_heads {heads} disagrees with the 4-D input {Shapes.Format(x)}");
            }
            else if (x.Length == 3)
            {
                if (heads <= 0) throw Unsupported(n, "a 3-D input needs a positive num_heads attribute");
                if (heads > x[2] || x[2] % heads != 0) throw Invalid(n, $"hidden size {x[2]} is not a multiple of num_heads {heads}");
                p.B = x[0]; p.S = x[1]; p.H = (int)heads; p.D = x[2] / p.H;
            }
            else throw Invalid(n, $"input {Shapes.Format(x)} must be 3-D or 4-D");
            long rot = n.GetInt("rotary_embedding_dim", 0);
            if (rot < 0 || rot > p.D || rot % 2 != 0) throw Unsupported(n, $"rotary_embedding_dim {rot} must be even and at most the head size {p.D}");
            p.Rot = rot == 0 ? p.D : (int)rot;
            if (p.Rot % 2 != 0) throw Unsupported(n, $"head size {p.D} is odd; the rotary dimension must be even");
            int half = p.Rot / 2;
            var cos = ShapeOf(n, 1); var sin = ShapeOf(n, 2);
            if (!cos.SequenceEqual(sin)) throw Invalid(n, $"cos_cache {Shapes.Format(cos)} and sin_cache {Shapes.Format(sin)} differ");
            if (n.Input(3) != null)
            {
                RequireTypes(n, 3, DataType.Int64);
                var pos = ShapeOf(n, 3);
                if (pos.Length != 2 || pos[0] != p.B || pos[1] != p.S) throw Invalid(n, $"position_ids {Shapes.Format(pos)} must be [{p.B}, {p.S}]");
                if (cos.Length != 2 || cos[1] != half) throw Invalid(n, $"cos_cache {Shapes.Format(cos)} must be [max_position, {half}] with position_ids");
                p.HasPos = true; p.MaxPos = cos[0];
                if (In(n, 3).Constant is TensorData c)
                    foreach (var i in c.ToLongs())
                        if (i < 0 || i >= p.MaxPos) throw Invalid(n, $"position id {i} is out of range for a cache of {p.MaxPos} positions");
            }
            else if (cos.Length != 3 || cos[0] != p.B || cos[1] != p.S || cos[2] != half)
                throw Invalid(n, $"cos_cache {Shapes.Format(cos)} must be [{p.B}, {p.S}, {half}] without position_ids");
            return p;
        }

        public override void Infer(Node n)
        {
            Resolve(n);
            SetOutput(n, 0, DataType.Float, ShapeOf(n, 0));
        }

        public override string Describe(Node n)
        {
            var p = Resolve(n);
            return $"{p.H} heads of {p.D}, rotary dim {p.Rot}{(p.Interleaved ? ", interleaved" : "")}";
        }

        public override void Emit(EmitContext ctx)
        {
            var p = Resolve(ctx.Node);
            var dims = new[] { p.B, p.H, p.S, p.D, p.Rot, p.ThreeD ? 1 : 0, p.Interleaved ? 1 : 0, p.HasPos ? 1 : 0, p.MaxPos };
            string pos = p.HasPos ? ctx.In(3) : "ReadOnlySpan<long>.Empty";
            ctx.W.Line($"{ctx.Kernel("RotaryEmbedding")}.Run({ctx.In(0)}, {ctx.In(1)}, {ctx.In(2)}, {pos}, {ctx.Out(0)}, {CodeWriter.Ints(dims)});");
        }
    }
}
