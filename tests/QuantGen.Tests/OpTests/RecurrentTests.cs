using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Tests.Infrastructure;
using static QuantGen.Tests.OpTests.H;

namespace QuantGen.Tests.OpTests
{
    /// <summary>
    /// RNN, GRU and LSTM against ONNX Runtime: directions, layouts, sequence_lens (run time), initial states, peepholes,
    /// activations with alpha/beta, clip, linear_before_reset, input_forget, output subsets, constant and run-time weights.
    /// </summary>
    public class RecurrentTests
    {
        private sealed class Rnn
        {
            public string Op = "LSTM";
            public int Seq = 4, Batch = 2, In = 3, Hidden = 5, Opset = 14, Layout;
            public string Direction = "forward";
            public bool Bias = true, ConstWeights = true, InitH, InitC, Peep, Lbr, InputForget, HiddenAttr = true;
            public int[]? SeqLens;
            public string[]? Acts;
            public float[]? Alphas, Betas;
            public float? Clip;
            public bool Y = true, Yh = true, Yc = true;
            public string Tag = "";
        }

        private static OpCase Make(Rnn c)
        {
            int gates = c.Op == "RNN" ? 1 : c.Op == "GRU" ? 3 : 4, dirs = c.Direction == "bidirectional" ? 2 : 1, gh = gates * c.Hidden;
            bool lstm = c.Op == "LSTM";
            var name = $"{c.Op.ToLowerInvariant()}_s{c.Seq}b{c.Batch}i{c.In}h{c.Hidden}_{c.Direction}_l{c.Layout}{(c.Bias ? "_B" : "")}"
                + $"{(c.ConstWeights ? "" : "_rtW")}{(c.SeqLens != null ? "_lens" + string.Join("", c.SeqLens) : "")}{(c.InitH ? "_h0" : "")}{(c.InitC ? "_c0" : "")}"
                + $"{(c.Peep ? "_P" : "")}{(c.Lbr ? "_lbr" : "")}{(c.InputForget ? "_if" : "")}{(c.Clip != null ? "_clip" + c.Clip : "")}"
                + $"{(c.Acts != null ? "_" + string.Join("-", c.Acts) : "")}_out{(c.Y ? "Y" : "")}{(c.Yh ? "H" : "")}{(lstm && c.Yc ? "C" : "")}{c.Tag}_opset{c.Opset}";
            var r = Rng(name);
            var x = c.Layout == 0 ? S(c.Seq, c.Batch, c.In) : S(c.Batch, c.Seq, c.In);
            var state = c.Layout == 0 ? S(dirs, c.Batch, c.Hidden) : S(c.Batch, dirs, c.Hidden);
            var consts = new Dictionary<string, float[]>();
            foreach (var (n, shape, on) in new[] { ("W", S(dirs, gh, c.In), true), ("R", S(dirs, gh, c.Hidden), true), ("B", S(dirs, 2 * gh), c.Bias),
                ("P", S(dirs, 3 * c.Hidden), c.Peep && lstm) })
                if (on && c.ConstWeights) consts[n] = Floats(r, shape, -0.6, 0.6);

            // ORT runs only layout 0 and needs hidden_size: its reference model for layout 1 is the layout-0 node between
            // Transposes (X, initial_h, initial_c in; Y, Y_h, Y_c out), and it always names hidden_size.
            OnnxBuilder Build(bool reference)
            {
                bool wrap = reference && c.Layout == 1;
                var b = new OnnxBuilder(c.Opset);
                b.Input("X", F, x);
                void Weight(string n, int[] shape)
                {
                    if (c.ConstWeights) b.Initializer(n, consts[n], shape);
                    else b.Input(n, F, shape);
                }
                string Into(string n)
                {
                    if (!wrap) return n;
                    b.Node("Transpose", new[] { n }, new[] { n + "_t" }, a => a.Ints("perm", 1, 0, 2));
                    return n + "_t";
                }
                Weight("W", S(dirs, gh, c.In));
                Weight("R", S(dirs, gh, c.Hidden));
                var inputs = new List<string> { Into("X"), "W", "R" };
                void Opt(bool on, string n, Action add) { if (on) add(); inputs.Add(on ? n : ""); }
                Opt(c.Bias, "B", () => Weight("B", S(dirs, 2 * gh)));
                Opt(c.SeqLens != null, "L", () => b.Input("L", I32, S(c.Batch)));
                if (c.InitH) b.Input("H0", F, state);
                inputs.Add(c.InitH ? Into("H0") : "");
                if (lstm)
                {
                    if (c.InitC) b.Input("C0", F, state);
                    inputs.Add(c.InitC ? Into("C0") : "");
                    Opt(c.Peep, "P", () => Weight("P", S(dirs, 3 * c.Hidden)));
                }
                while (inputs.Count > 3 && inputs[^1] == "") inputs.RemoveAt(inputs.Count - 1);
                var outs = new List<string> { c.Y ? "Y" : "", c.Yh ? "Y_h" : "" };
                if (lstm) outs.Add(c.Yc ? "Y_c" : "");
                while (outs[^1] == "") outs.RemoveAt(outs.Count - 1);
                b.Node(c.Op, inputs.ToArray(), outs.Select(o => wrap && o != "" ? o + "_l0" : o).ToArray(), a =>
                {
                    if (c.HiddenAttr || reference) a.Int("hidden_size", c.Hidden);
                    if (c.Direction != "forward") a.String("direction", c.Direction);
                    if (c.Layout != 0 && !wrap) a.Int("layout", c.Layout);
                    if (c.Acts != null) a.Strings("activations", c.Acts);
                    if (c.Alphas != null) a.Floats("activation_alpha", c.Alphas);
                    if (c.Betas != null) a.Floats("activation_beta", c.Betas);
                    if (c.Clip != null) a.Float("clip", c.Clip.Value);
                    if (c.Lbr) a.Int("linear_before_reset", 1);
                    if (c.InputForget) a.Int("input_forget", 1);
                });
                foreach (var o in outs.Where(o => o != ""))
                {
                    if (wrap) b.Node("Transpose", new[] { o + "_l0" }, new[] { o }, a => a.Ints("perm", o == "Y" ? new long[] { 2, 0, 1, 3 } : new long[] { 1, 0, 2 }));
                    b.Output(o, F);
                }
                return b;
            }
            var model = Build(false);
            if (c.Layout == 1 || !c.HiddenAttr) s_reference[name] = Build(true).ToBytes();
            return new OpCase(name, model, (rr, given) =>
            {
                if (c.SeqLens != null) given["L"] = c.SeqLens;
                if (!c.ConstWeights)
                {
                    given["W"] = RandomData.Floats(rr, dirs * gh * c.In, -0.6, 0.6);
                    given["R"] = RandomData.Floats(rr, dirs * gh * c.Hidden, -0.6, 0.6);
                    if (c.Bias) given["B"] = RandomData.Floats(rr, dirs * 2 * gh, -0.6, 0.6);
                    if (c.Peep) given["P"] = RandomData.Floats(rr, dirs * 3 * c.Hidden, -0.6, 0.6);
                }
            });
        }

        public static IReadOnlyList<OpCase> Cases()
        {
            var list = new List<OpCase>();
            foreach (var op in new[] { "RNN", "GRU", "LSTM" })
            {
                // Directions x layouts, with and without bias, constant and run-time weights.
                foreach (var dir in new[] { "forward", "reverse", "bidirectional" })
                    foreach (var layout in new[] { 0, 1 })
                    {
                        list.Add(Make(new Rnn { Op = op, Direction = dir, Layout = layout }));
                        list.Add(Make(new Rnn { Op = op, Direction = dir, Layout = layout, Bias = false, ConstWeights = false, InitH = true, InitC = true, Seq = 3, Batch = 3 }));
                    }
                // sequence_lens (run time), with initial states, all directions and both layouts.
                foreach (var dir in new[] { "forward", "reverse", "bidirectional" })
                {
                    list.Add(Make(new Rnn { Op = op, Direction = dir, Seq = 5, Batch = 3, SeqLens = S(5, 2, 3) }));
                    list.Add(Make(new Rnn { Op = op, Direction = dir, Seq = 5, Batch = 3, SeqLens = S(1, 5, 4), InitH = true, InitC = true, Layout = 1 }));
                }
                // Output subsets.
                list.Add(Make(new Rnn { Op = op, Y = false, Direction = "bidirectional" }));
                list.Add(Make(new Rnn { Op = op, Yh = false, Yc = false }));
                if (op == "LSTM") list.Add(Make(new Rnn { Op = op, Y = false, Yh = false, Tag = "_conly" }));
                // Clip; the opset-7 form; hidden_size taken from R; a larger hidden size (GEMM panels and tails).
                list.Add(Make(new Rnn { Op = op, Clip = 0.4f, Direction = "bidirectional" }));
                list.Add(Make(new Rnn { Op = op, Opset = 7, Direction = "reverse", InitH = true }));
                list.Add(Make(new Rnn { Op = op, HiddenAttr = false, Tag = "_nohs" }));
                list.Add(Make(new Rnn { Op = op, Seq = 7, Batch = 4, In = 19, Hidden = 37, Direction = "bidirectional", InitH = true, SeqLens = S(7, 3, 6, 1) }));
                list.Add(Make(new Rnn { Op = op, Seq = 1, Batch = 1, In = 1, Hidden = 1 }));
            }

            // Activations with alpha/beta (consumed in order by the functions that take them).
            list.Add(Make(new Rnn { Op = "RNN", Acts = new[] { "Relu" } }));
            list.Add(Make(new Rnn { Op = "RNN", Acts = new[] { "Sigmoid" } }));
            list.Add(Make(new Rnn { Op = "RNN", Acts = new[] { "Affine" }, Alphas = new[] { 0.7f }, Betas = new[] { 0.2f } }));
            list.Add(Make(new Rnn { Op = "RNN", Acts = new[] { "LeakyRelu" }, Alphas = new[] { 0.3f } }));
            list.Add(Make(new Rnn { Op = "RNN", Acts = new[] { "ThresholdedRelu" }, Alphas = new[] { 0.1f } }));
            list.Add(Make(new Rnn { Op = "RNN", Acts = new[] { "ScaledTanh" }, Alphas = new[] { 1.5f }, Betas = new[] { 0.6f } }));
            list.Add(Make(new Rnn { Op = "RNN", Acts = new[] { "HardSigmoid" }, Alphas = new[] { 0.3f }, Betas = new[] { 0.4f } }));
            list.Add(Make(new Rnn { Op = "RNN", Acts = new[] { "Elu" }, Alphas = new[] { 0.8f } }));
            list.Add(Make(new Rnn { Op = "RNN", Acts = new[] { "Softsign" } }));
            list.Add(Make(new Rnn { Op = "RNN", Acts = new[] { "Softplus" } }));
            list.Add(Make(new Rnn { Op = "RNN", Acts = new[] { "Relu", "Tanh" }, Direction = "bidirectional" }));
            list.Add(Make(new Rnn { Op = "GRU", Acts = new[] { "HardSigmoid", "Softsign" }, Alphas = new[] { 0.25f }, Betas = new[] { 0.45f } }));
            list.Add(Make(new Rnn { Op = "GRU", Acts = new[] { "Sigmoid", "Elu", "HardSigmoid", "ScaledTanh" }, Alphas = new[] { 0.5f, 0.3f, 1.2f }, Betas = new[] { 0.5f, 0.8f },
                Direction = "bidirectional" }));
            list.Add(Make(new Rnn { Op = "LSTM", Acts = new[] { "HardSigmoid", "Affine", "LeakyRelu" }, Alphas = new[] { 0.2f, 0.9f, 0.05f }, Betas = new[] { 0.5f, 0.1f } }));
            list.Add(Make(new Rnn { Op = "LSTM", Acts = new[] { "Sigmoid", "Softplus", "ThresholdedRelu", "Sigmoid", "Tanh", "Relu" }, Alphas = new[] { 0.2f },
                Direction = "bidirectional" }));

            // GRU linear_before_reset; LSTM peepholes and input_forget.
            foreach (var dir in new[] { "forward", "reverse", "bidirectional" })
            {
                list.Add(Make(new Rnn { Op = "GRU", Direction = dir, Lbr = true, InitH = true }));
                list.Add(Make(new Rnn { Op = "GRU", Direction = dir, Lbr = true, SeqLens = S(2, 4), Layout = 1, ConstWeights = false }));
                list.Add(Make(new Rnn { Op = "LSTM", Direction = dir, Peep = true, InitH = true, InitC = true }));
                list.Add(Make(new Rnn { Op = "LSTM", Direction = dir, Peep = true, SeqLens = S(3, 1), ConstWeights = false, Layout = 1 }));
            }
            list.Add(Make(new Rnn { Op = "GRU", Lbr = true, Clip = 0.5f, Direction = "bidirectional", Opset = 7 }));
            list.Add(Make(new Rnn { Op = "LSTM", InputForget = true }));
            list.Add(Make(new Rnn { Op = "LSTM", InputForget = true, Peep = true, Clip = 0.7f, Direction = "bidirectional" }));
            return list;
        }

        public static TheoryData<string> CaseNames => Names(Cases());

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void Recurrent_matches_onnxruntime(string @case)
        {
            var cases = Cases();
            if (!s_reference.TryGetValue(@case, out var reference)) { OpSuite.Check(typeof(RecurrentTests), () => cases, @case); return; }
            // The model under test (layout 1 or no hidden_size) against ORT running its layout-0 equivalent on the same inputs.
            var c = cases.Single(k => k.Name == @case);
            var entry = OpSuite.Entry(typeof(RecurrentTests), () => cases, @case);
            Assert.True(entry.Ready, $"{@case}: QuantGen could not compile the model: {entry.Failure}");
            var expected = Ort.Run(reference, c.Inputs);
            var plan = entry.Plan!;
            Assert.Equal(expected.Count, plan.Outputs.Count);
            var actual = entry.Run(c.Inputs.Select(i => i.Value.Data).ToList());
            var failures = new List<string>();
            for (int o = 0; o < expected.Count; o++)
            {
                var diff = TensorCompare.Diff($"output {o} ('{plan.Outputs[o].Name}')", actual[o], plan.Outputs[o].Shape!, expected[o].Data, expected[o].Shape, false);
                if (diff != null) failures.Add(diff);
            }
            Assert.True(failures.Count == 0, $"{@case}: generated code differs from ONNX Runtime:\n" + string.Join("\n", failures));
        }

        /// <summary>ORT's model for the cases it cannot run as written (layout 1, hidden_size omitted), by case name.</summary>
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> s_reference = new();
    }
}
