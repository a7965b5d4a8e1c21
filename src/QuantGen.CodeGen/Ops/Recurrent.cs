using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// ONNX RNN, GRU and LSTM (opsets 1, 3 (GRU), 7, 14, 22; float32): direction forward / reverse / bidirectional,
    /// every activation of the spec with activation_alpha/activation_beta, clip, hidden_size, input_forget (LSTM),
    /// linear_before_reset (GRU), layout 0 and 1 (opset 14), the optional inputs B, sequence_lens (int32, run time),
    /// initial_h, initial_c, P and any subset of the outputs Y, Y_h, Y_c. Constant W and R are transposed at build
    /// time; run-time W and R are transposed into scratch at each call. Kernel: Recurrent.Run.
    /// </summary>
    internal sealed class Recurrent : Operator
    {
        private readonly int _cell;

        private Recurrent(string op, int cell) { OpType = op; _cell = cell; }

        public override string OpType { get; }

        public static Recurrent[] Create() => new[] { new Recurrent("RNN", 0), new Recurrent("GRU", 1), new Recurrent("LSTM", 2) };

        /// <summary>Kernel activation codes (Recurrent.Relu...) by lower-case ONNX name, with ORT's alpha/beta use and defaults.</summary>
        private static readonly Dictionary<string, (int Code, bool UsesAlpha, bool UsesBeta, float Alpha, float Beta)> s_activations =
            new Dictionary<string, (int, bool, bool, float, float)>(StringComparer.Ordinal)
            {
                ["relu"] = (0, false, false, 0f, 0f),
                ["tanh"] = (1, false, false, 0f, 0f),
                ["sigmoid"] = (2, false, false, 0f, 0f),
                ["affine"] = (3, true, true, 1f, 0f),
                ["leakyrelu"] = (4, true, false, 0.01f, 0f),
                ["thresholdedrelu"] = (5, true, false, 1f, 0f),
                ["scaledtanh"] = (6, true, true, 1f, 1f),
                ["hardsigmoid"] = (7, true, true, 0.2f, 0.5f),
                ["elu"] = (8, true, false, 1f, 0f),
                ["softsign"] = (9, false, false, 0f, 0f),
                ["softplus"] = (10, false, false, 0f, 0f),
            };

        private sealed class Spec
        {
            public int Gates, Seq, Batch, In, H, Dirs, Layout;
            public bool ReverseOnly, LinearBeforeReset, InputForget;
            public float Clip = float.PositiveInfinity;
            public int[] Acts = Array.Empty<int>();
            public float[] Alphas = Array.Empty<float>(), Betas = Array.Empty<float>();
        }

        private Spec Resolve(Node n)
        {
            var s = new Spec { Gates = _cell == 0 ? 1 : _cell == 1 ? 3 : 4 };
            s.Layout = (int)n.GetInt("layout", 0);
            if (s.Layout != 0 && (n.Opset < 14 || s.Layout != 1))
                throw Unsupported(n, $"layout {s.Layout} is not valid (0, or 1 from opset 14)");
            var dir = n.GetString("direction", "forward");
            switch (dir)
            {
                case "forward": s.Dirs = 1; break;
                case "reverse": s.Dirs = 1; s.ReverseOnly = true; break;
                case "bidirectional": s.Dirs = 2; break;
                default: throw Unsupported(n, $"direction '{dir}' is not supported (forward, reverse, bidirectional)");
            }
            var x = ShapeOf(n, 0);
            var w = ShapeOf(n, 1);
            var r = ShapeOf(n, 2);
            if (x.Length != 3) throw Invalid(n, $"X {Shapes.Format(x)} must be 3-D");
            (s.Seq, s.Batch, s.In) = s.Layout == 0 ? (x[0], x[1], x[2]) : (x[1], x[0], x[2]);
            if (r.Length != 3 || r[0] != s.Dirs || r[1] != s.Gates * r[2])
                throw Invalid(n, $"R {Shapes.Format(r)} must be [{s.Dirs}, {s.Gates}*hidden_size, hidden_size]");
            s.H = r[2];
            if (n.Has("hidden_size") && n.GetInt("hidden_size", 0) != s.H)
                throw Invalid(n, $"hidden_size {n.GetInt("hidden_size", 0)} does not match R {Shapes.Format(r)}");
            if (s.H <= 0) throw Invalid(n, "hidden_size must be positive");
            if (w.Length != 3 || w[0] != s.Dirs || w[1] != s.Gates * s.H || w[2] != s.In)
                throw Invalid(n, $"W {Shapes.Format(w)} must be [{s.Dirs}, {s.Gates * s.H}, {s.In}]");
            void Check(int i, string name, int[] shape)
            {
                if (n.Input(i) == null) return;
                RequireTypes(n, i, i == 4 ? DataType.Int32 : DataType.Float);
                var sh = ShapeOf(n, i);
                if (!sh.SequenceEqual(shape)) throw Invalid(n, $"{name} {Shapes.Format(sh)} must be {Shapes.Format(shape)}");
            }
            RequireTypes(n, 0, DataType.Float);
            RequireTypes(n, 1, DataType.Float);
            RequireTypes(n, 2, DataType.Float);
            var state = s.Layout == 0 ? new[] { s.Dirs, s.Batch, s.H } : new[] { s.Batch, s.Dirs, s.H };
            Check(3, "B", new[] { s.Dirs, 2 * s.Gates * s.H });
            Check(4, "sequence_lens", new[] { s.Batch });
            Check(5, "initial_h", state);
            if (_cell == 2)
            {
                Check(6, "initial_c", state);
                Check(7, "P", new[] { s.Dirs, 3 * s.H });
            }
            else if (n.Inputs.Count > 6 && n.Inputs.Skip(6).Any(v => v != null)) throw Invalid(n, $"{OpType} has at most 6 inputs");

            if (n.Has("clip"))
            {
                s.Clip = n.GetFloat("clip", 0f);
                if (!(s.Clip > 0f)) throw Unsupported(n, $"clip {s.Clip} must be positive");
            }
            s.LinearBeforeReset = _cell == 1 && n.GetInt("linear_before_reset", 0) != 0;
            s.InputForget = _cell == 2 && n.GetInt("input_forget", 0) != 0;

            // Activations: f (RNN), f g (GRU), f g h (LSTM) per direction; alphas and betas are consumed in order by the
            // functions that take them, the others get the ONNX defaults (as ONNX Runtime reads them).
            int per = s.Gates == 4 ? 3 : s.Gates == 3 ? 2 : 1;
            var names = n.Attributes.TryGetValue("activations", out var aa) ? aa.Strings : Array.Empty<string>();
            if (names.Length == 0) names = _cell == 0 ? new[] { "Tanh" } : _cell == 1 ? new[] { "Sigmoid", "Tanh" } : new[] { "Sigmoid", "Tanh", "Tanh" };
            var alphas = n.GetFloats("activation_alpha") ?? Array.Empty<float>();
            var betas = n.GetFloats("activation_beta") ?? Array.Empty<float>();
            int ai = 0, bi = 0;
            var resolved = new List<(int, float, float)>();
            foreach (var name in names)
            {
                if (!s_activations.TryGetValue(name.ToLowerInvariant(), out var e))
                    throw Unsupported(n, $"activation '{name}' is not supported (Relu, Tanh, Sigmoid, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, Softplus)");
                float a = e.UsesAlpha && ai < alphas.Length ? alphas[ai++] : e.Alpha;
                float b = e.UsesBeta && bi < betas.Length ? betas[bi++] : e.Beta;
                resolved.Add((e.Code, a, b));
            }
            if (resolved.Count == per && s.Dirs == 2) resolved.AddRange(resolved.ToList());
            else if (_cell == 0 && s.Dirs == 1 && resolved.Count == 2) resolved.RemoveAt(1); // RNN's old default lists two
            if (resolved.Count != per * s.Dirs)
                throw Unsupported(n, $"{names.Length} activations given; {OpType} takes {per} per direction ({per * s.Dirs} here)");
            s.Acts = new int[3 * s.Dirs];
            s.Alphas = new float[3 * s.Dirs];
            s.Betas = new float[3 * s.Dirs];
            for (int d = 0; d < s.Dirs; d++)
                for (int k = 0; k < 3; k++)
                {
                    var (code, a, b) = k < per ? resolved[d * per + k] : (1, 0f, 0f);
                    s.Acts[d * 3 + k] = code; s.Alphas[d * 3 + k] = a; s.Betas[d * 3 + k] = b;
                }
            return s;
        }

        private static bool Wanted(Node n, int i) => i < n.Outputs.Count && !n.Outputs[i].Name.Contains("__unused");

        public override void Infer(Node n)
        {
            var s = Resolve(n);
            if (n.Outputs.Count > (_cell == 2 ? 3 : 2)) throw Invalid(n, $"{OpType} has at most {(_cell == 2 ? 3 : 2)} outputs");
            var y = s.Layout == 0 ? new[] { s.Seq, s.Dirs, s.Batch, s.H } : new[] { s.Batch, s.Seq, s.Dirs, s.H };
            var state = s.Layout == 0 ? new[] { s.Dirs, s.Batch, s.H } : new[] { s.Batch, s.Dirs, s.H };
            if (Wanted(n, 0)) SetOutput(n, 0, DataType.Float, y);
            if (Wanted(n, 1)) SetOutput(n, 1, DataType.Float, state);
            if (Wanted(n, 2)) SetOutput(n, 2, DataType.Float, state);
        }

        /// <summary>Floats of transposed run-time weights, then the kernel's own scratch (Recurrent.ScratchFloats).</summary>
        private static (long Weights, long Total) ScratchFloats(Node n, Spec s)
        {
            long gh = (long)s.Gates * s.H;
            long weights = (n.Input(1)!.IsConstant ? 0 : s.Dirs * s.In * gh) + (n.Input(2)!.IsConstant ? 0 : s.Dirs * s.H * gh);
            long kernel = (long)s.Seq * s.Batch * gh + s.Batch * gh + 4L * s.Batch * s.H + 2 * gh;
            return (weights, weights + kernel);
        }

        public override long ScratchBytes(Node n) => 4 * ScratchFloats(n, Resolve(n)).Total;

        public override string Describe(Node n)
        {
            var s = Resolve(n);
            return $"seq {s.Seq}, batch {s.Batch}, input {s.In}, hidden {s.H}, {n.GetString("direction", "forward")}{(s.Layout == 1 ? ", layout 1" : "")}";
        }

        /// <summary>[dirs, rows, cols] -> [dirs, cols, rows].</summary>
        private static float[] TransposeLast2(TensorData t, int dirs, int rows, int cols)
        {
            var v = t.ToFloats();
            var o = new float[v.Length];
            for (int d = 0; d < dirs; d++)
                for (int i = 0; i < rows; i++)
                    for (int j = 0; j < cols; j++)
                        o[(d * cols + j) * rows + i] = v[(d * rows + i) * cols + j];
            return o;
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var s = Resolve(n);
            var w = ctx.W;
            int gh = s.Gates * s.H;
            var (weightFloats, total) = ScratchFloats(n, s);
            var scratch = ctx.Local("rnnScratch");
            w.Line($"var {scratch} = {ctx.Scratch("float")};");
            long at = 0;
            string Weights(int input, int rows, int cols, string label)
            {
                var v = ctx.InValue(input);
                if (v.Constant != null)
                    return ctx.Const(new TensorData(DataType.Float, new[] { s.Dirs, cols, rows }, TransposeLast2(v.Constant, s.Dirs, rows, cols)),
                        $"{v.Name} transposed to [{s.Dirs}, {cols}, {rows}] ({label})");
                var local = ctx.Local(label);
                long len = (long)s.Dirs * rows * cols;
                w.Line($"var {local} = {scratch}.Slice({at}, {len});");
                w.Line($"{ctx.Kernel("Tensor")}.StridedCopy<float>({ctx.In(input)}, 0, {local}, [{s.Dirs}, {cols}, {rows}], [{rows * cols}, 1, {cols}]);");
                at += len;
                return local;
            }
            var wt = Weights(1, gh, s.In, "rnnWt");
            var rt = Weights(2, gh, s.H, "rnnRt");
            string Opt(int i, string type) => ctx.HasInput(i) ? ctx.In(i) : $"ReadOnlySpan<{type}>.Empty";
            string OptOut(int i) => Wanted(n, i) ? ctx.Out(i) : "Span<float>.Empty";
            string Floats(float[] v) => "[" + string.Join(", ", v.Select(CodeWriter.Float)) + "]";
            w.Line($"{ctx.Kernel("Recurrent")}.Run({_cell}, {s.Seq}, {s.Batch}, {s.In}, {s.H}, {s.Dirs}, {(s.ReverseOnly ? "true" : "false")}, {s.Layout},");
            w.Line($"    {ctx.In(0)}, {wt}, {rt}, {Opt(3, "float")}, {Opt(4, "int")}, {Opt(5, "float")}, {(_cell == 2 ? Opt(6, "float") : "ReadOnlySpan<float>.Empty")}, {(_cell == 2 ? Opt(7, "float") : "ReadOnlySpan<float>.Empty")},");
            w.Line($"    {OptOut(0)}, {OptOut(1)}, {(_cell == 2 ? OptOut(2) : "Span<float>.Empty")},");
            w.Line($"    {CodeWriter.Ints(s.Acts)}, {Floats(s.Alphas)}, {Floats(s.Betas)}, {(float.IsPositiveInfinity(s.Clip) ? "float.PositiveInfinity" : CodeWriter.Float(s.Clip))},");
            w.Line($"    {(s.LinearBeforeReset ? "true" : "false")}, {(s.InputForget ? "true" : "false")}, {scratch}.Slice({weightFloats}, {total - weightFloats}));");
        }
    }
}
