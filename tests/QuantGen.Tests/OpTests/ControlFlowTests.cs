using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Tests.Infrastructure;
using static QuantGen.Tests.OpTests.H;

namespace QuantGen.Tests.OpTests
{
    /// <summary>
    /// Loop (opsets 9/11/13/16/19: counter, accumulator and scan outputs, outer-scope reads, early exit through the run-time
    /// condition, run-time trip count, swapped carried values, nested loops, If in a body) and Scan (opsets 8/9/11/16/19:
    /// forward/reverse inputs and outputs, several inputs/outputs/states, scan axes other than 0, opset 8's batch axis).
    /// </summary>
    public class ControlFlowTests
    {
        /// <summary>
        /// Loop with M = 4 and cond = true (constants): carried acc (float 2x3) and counter (int64 [1]); acc' = acc * X + float(i)
        /// (X read from the outer graph); scan outputs acc' and 2 * acc (the carried input, before its update).
        /// </summary>
        private static OpCase LoopCounterAccumulator(int opset)
        {
            var body = new SubgraphBuilder("body").Input("i", I64).Input("c", B).Input("acc", F, 2, 3).Input("cnt", I64, 1)
                .Initializer("one", new[] { 1L }, 1).Initializer("two", new[] { 2f })
                .Node("Cast", "i", "fi", a => a.Int("to", (long)DataType.Float))
                .Node("Mul", new[] { "acc", "X" }, new[] { "ax" })
                .Node("Add", new[] { "ax", "fi" }, new[] { "acc_out" })
                .Node("Add", new[] { "cnt", "one" }, new[] { "cnt_out" })
                .Node("Identity", "c", "c_out")
                .Node("Mul", new[] { "acc", "two" }, new[] { "acc2" })
                .Output("c_out", B).Output("acc_out", F, S(2, 3)).Output("cnt_out", I64, S(1)).Output("acc_out", F).Output("acc2", F);
            // acc_out appears as a carried output and as a scan output.
            var b = new OnnxBuilder(opset).Input("X", F, 2, 3).Input("A0", F, 2, 3)
                .Initializer("M", new[] { 4L }).Initializer("cnt0", new[] { 10L }, 1)
                .Initializer("cond", DataType.Bool, S(), new[] { true })
                .Node("Loop", new[] { "M", "cond", "A0", "cnt0" }, new[] { "acc_f", "cnt_f", "scan_acc", "scan_acc2" }, a => a.Graph("body", body.Build()))
                .Output("acc_f", F).Output("cnt_f", I64).Output("scan_acc", F).Output("scan_acc2", F);
            return new OpCase($"loop_opset{opset}_counter_accumulator_scan_outputs_outer_read", b);
        }

        /// <summary>Early exit: s' = s + X until s' >= 3 (at most M = 10 iterations); the iteration count is carried too.</summary>
        private static OpCase LoopEarlyExit(float x, bool constM)
        {
            var body = new SubgraphBuilder("body").Input("i", I64).Input("c", B).Input("s", F, 1).Input("k", I64)
                .Initializer("limit", new[] { 3f }).Initializer("one", DataType.Int64, S(), new[] { 1L })
                .Node("Add", new[] { "s", "X" }, new[] { "s_out" })
                .Node("Less", new[] { "s_out", "limit" }, new[] { "c_out" })
                .Node("Add", new[] { "k", "one" }, new[] { "k_out" })
                .Output("c_out", B).Output("s_out", F).Output("k_out", I64);
            var b = new OnnxBuilder(13).Input("X", F, 1).Input("c0", B);
            if (constM) b.Initializer("M", new[] { 10L }); else b.Input("M", I64);
            b.Initializer("s0", new[] { 0f }, 1).Initializer("k0", DataType.Int64, S(), new[] { 0L })
                .Node("Loop", new[] { "M", "c0", "s0", "k0" }, new[] { "s_f", "k_f" }, a => a.Graph("body", body.Build()))
                .Output("s_f", F).Output("k_f", I64);
            return new OpCase($"loop_early_exit_x{x}_{(constM ? "constM" : "runtimeM")}", b, (r, d) =>
            {
                d["X"] = new[] { x };
                d["c0"] = new[] { true };
                if (!constM) d["M"] = new[] { 10L };
            });
        }

        /// <summary>Run-time trip count (0, 1 or 5) and no condition: y' = y * 0.5 + X.</summary>
        private static OpCase LoopRuntimeTripCount(long m)
        {
            var body = new SubgraphBuilder("body").Input("i", I64).Input("c", B).Input("y", F, 3)
                .Initializer("half", new[] { 0.5f })
                .Node("Mul", new[] { "y", "half" }, new[] { "yh" }).Node("Add", new[] { "yh", "X" }, new[] { "y_out" })
                .Output("c", B).Output("y_out", F);
            var b = new OnnxBuilder(16).Input("X", F, 3).Input("M", I64).Input("Y0", F, 3)
                .Node("Loop", new[] { "M", "", "Y0" }, new[] { "Y" }, a => a.Graph("body", body.Build()))
                .Output("Y", F);
            return new OpCase($"loop_runtime_trip_count_{m}_no_condition", b, (r, d) => d["M"] = new[] { m });
        }

        /// <summary>No trip count, a run-time condition: count up while k &lt; 5 (the initial condition is an input).</summary>
        private static OpCase LoopConditionOnly(bool start)
        {
            var body = new SubgraphBuilder("body").Input("i", I64).Input("c", B).Input("k", I32, 2)
                .Initializer("one", DataType.Int32, S(2), new[] { 1, 2 }).Initializer("five", DataType.Int32, S(), new[] { 5 })
                .Node("Add", new[] { "k", "one" }, new[] { "k_out" })
                .Initializer("idx1", DataType.Int64, S(), new[] { 1L })
                .Node("Gather", new[] { "k_out", "idx1" }, new[] { "kmax" }, a => a.Int("axis", 0))
                .Node("Less", new[] { "kmax", "five" }, new[] { "c_out" })
                .Output("c_out", B).Output("k_out", I32);
            var b = new OnnxBuilder(13).Input("c0", B).Input("K0", I32, 2)
                .Node("Loop", new[] { "", "c0", "K0" }, new[] { "K" }, a => a.Graph("body", body.Build()))
                .Output("K", I32);
            return new OpCase($"loop_condition_only_start_{(start ? "true" : "false")}", b, (r, d) =>
            {
                d["c0"] = new[] { start };
                d["K0"] = new[] { -3, 0 };
            });
        }

        /// <summary>Carried values swapped every iteration (a' = b, b' = a + 1), with a scan output of a.</summary>
        private static OpCase LoopSwap(long m)
        {
            var body = new SubgraphBuilder("body").Input("i", I64).Input("c", B).Input("a", F, 2).Input("b", F, 2)
                .Initializer("one", new[] { 1f })
                .Node("Add", new[] { "a", "one" }, new[] { "a1" })
                .Node("Identity", "b", "b_id")
                .Node("Identity", "a", "a_scan")
                .Output("c", B).Output("b_id", F).Output("a1", F).Output("a_scan", F);
            var b = new OnnxBuilder(13).Input("A", F, 2).Input("Bv", F, 2).Initializer("M", new[] { m })
                .Node("Loop", new[] { "M", "", "A", "Bv" }, new[] { "Af", "Bf", "As" }, a => a.Graph("body", body.Build()))
                .Output("Af", F).Output("Bf", F).Output("As", F);
            return new OpCase($"loop_swap_carried_m{m}", b);
        }

        /// <summary>A Loop whose body has an inner Loop (reading the outer loop's carried value and the iteration number) and an If.</summary>
        private static OpCase LoopNested()
        {
            var inner = new SubgraphBuilder("inner").Input("j", I64).Input("c", B).Input("t", F, 2)
                .Node("Cast", "j", "fj", a => a.Int("to", (long)DataType.Float))
                .Node("Cast", "i", "fi", a => a.Int("to", (long)DataType.Float))
                .Node("Mul", new[] { "fj", "fi" }, new[] { "ij" })
                .Node("Add", new[] { "t", "v" }, new[] { "tv" })
                .Node("Add", new[] { "tv", "ij" }, new[] { "t_out" })
                .Output("c", B).Output("t_out", F).Output("t_out", F);
            var then = new SubgraphBuilder("then").Node("Neg", "w", "wn").Output("wn", F);
            var els = new SubgraphBuilder("else").Node("Abs", "w", "wa").Output("wa", F);
            var body = new SubgraphBuilder("body").Input("i", I64).Input("c", B).Input("v", F, 2)
                .Initializer("three", new[] { 3L }).Initializer("zero", new[] { 0f, 0f }, 2).Initializer("two", DataType.Int64, S(), new[] { 2L })
                .Node("Loop", new[] { "three", "", "zero" }, new[] { "w", "ws" }, a => a.Graph("body", inner.Build()))
                .Node("Less", new[] { "i", "two" }, new[] { "early" })
                .Node("If", new[] { "early" }, new[] { "v_out" }, a => a.Graph("then_branch", then.Build()).Graph("else_branch", els.Build()))
                .Output("c", B).Output("v_out", F).Output("ws", F);
            var b = new OnnxBuilder(13).Input("V", F, 2).Initializer("M", new[] { 4L })
                .Node("Loop", new[] { "M", "", "V" }, new[] { "Vf", "Wscan" }, a => a.Graph("body", body.Build()))
                .Output("Vf", F).Output("Wscan", F);
            return new OpCase("loop_nested_loop_and_if_in_body", b);
        }

        /// <summary>Scan (opset 9+): state s' = s + x_t (sum), scan output s'; directions and axes as given.</summary>
        private static OpCase ScanSum(int opset, int[] x, long inAxis, long inDir, long outAxis, long outDir)
        {
            int axis = (int)(inAxis < 0 ? inAxis + x.Length : inAxis);
            var slice = x.Where((_, d) => d != axis).ToArray();
            var body = new SubgraphBuilder("body").Input("s", F, slice).Input("xt", F, slice)
                .Node("Add", new[] { "s", "xt" }, new[] { "s_out" }).Node("Identity", "s_out", "y")
                .Output("s_out", F).Output("y", F);
            var b = new OnnxBuilder(opset).Input("S0", F, slice).Input("X", F, x)
                .Node("Scan", new[] { "S0", "X" }, new[] { "S", "Y" }, a =>
                {
                    a.Graph("body", body.Build()).Int("num_scan_inputs", 1);
                    if (inAxis != 0) a.Ints("scan_input_axes", inAxis);
                    if (inDir != 0) a.Ints("scan_input_directions", inDir);
                    if (outAxis != 0) a.Ints("scan_output_axes", outAxis);
                    if (outDir != 0) a.Ints("scan_output_directions", outDir);
                })
                .Output("S", F).Output("Y", F);
            return new OpCase($"scan_opset{opset}_sum_{Shape(x)}_inaxis{inAxis}_indir{inDir}_outaxis{outAxis}_outdir{outDir}", b);
        }

        /// <summary>
        /// Scan with two scan inputs (axes 0 and 1, the second reversed), two states (float and int64) and three scan outputs
        /// (axes 0, 1 and -1, one reversed); one scan output is a state input (before its update).
        /// </summary>
        private static OpCase ScanMulti(int opset)
        {
            var body = new SubgraphBuilder("body").Input("s", F, 3).Input("n", I64).Input("a", F, 3).Input("bt", F, 3)
                .Initializer("one", DataType.Int64, S(), new[] { 1L })
                .Node("Mul", new[] { "a", "bt" }, new[] { "ab" })
                .Node("Add", new[] { "s", "ab" }, new[] { "s_out" })
                .Node("Add", new[] { "n", "one" }, new[] { "n_out" })
                .Node("Sub", new[] { "a", "bt" }, new[] { "d" })
                .Node("Neg", "s", "sn")
                .Output("s_out", F).Output("n_out", I64).Output("ab", F).Output("sn", F).Output("d", F);
            var b = new OnnxBuilder(opset).Input("S0", F, 3).Input("A", F, 4, 3).Input("Bt", F, 3, 4)
                .Initializer("N0", DataType.Int64, S(), new[] { 7L })
                .Node("Scan", new[] { "S0", "N0", "A", "Bt" }, new[] { "S", "N", "Y0", "Y1", "Y2" }, a => a.Graph("body", body.Build())
                    .Int("num_scan_inputs", 2).Ints("scan_input_axes", 0, 1).Ints("scan_input_directions", 0, 1)
                    .Ints("scan_output_axes", 0, 1, -1).Ints("scan_output_directions", 1, 0, 0))
                .Output("S", F).Output("N", I64).Output("Y0", F).Output("Y1", F).Output("Y2", F);
            return new OpCase($"scan_opset{opset}_two_inputs_two_states_three_outputs_axes", b);
        }

        /// <summary>Scan opset 8: batch axis 0, scan axis 1, optional reversed direction, sequence_lens absent.</summary>
        private static OpCase Scan8(long dir)
        {
            var body = new SubgraphBuilder("body").Input("s", F, 2).Input("xt", F, 2)
                .Node("Mul", new[] { "s", "xt" }, new[] { "p" }).Node("Add", new[] { "p", "xt" }, new[] { "s_out" }).Node("Neg", "s", "sn")
                .Output("s_out", F).Output("sn", F);
            var b = new OnnxBuilder(8).Input("S0", F, 3, 2).Input("X", F, 3, 4, 2)
                .Node("Scan", new[] { "", "S0", "X" }, new[] { "S", "Y" }, a =>
                {
                    a.Graph("body", body.Build()).Int("num_scan_inputs", 1);
                    if (dir != 0) a.Ints("directions", dir);
                })
                .Output("S", F).Output("Y", F);
            return new OpCase($"scan_opset8_batch3_dir{dir}", b);
        }

        public static IReadOnlyList<OpCase> Cases()
        {
            var list = new List<OpCase>();
            foreach (var opset in new[] { 9, 11, 13, 16, 19 }) list.Add(LoopCounterAccumulator(opset));
            list.Add(LoopEarlyExit(0.7f, true));
            list.Add(LoopEarlyExit(0.7f, false));
            list.Add(LoopEarlyExit(0.1f, true)); // never reaches the limit: all 10 iterations
            list.Add(LoopEarlyExit(5f, true));   // exits after the first iteration
            foreach (var m in new[] { 0L, 1L, 5L }) list.Add(LoopRuntimeTripCount(m));
            list.Add(LoopConditionOnly(true));
            list.Add(LoopConditionOnly(false));
            list.Add(LoopSwap(3));
            list.Add(LoopSwap(0));
            list.Add(LoopNested());
            foreach (var opset in new[] { 9, 11, 16, 19 }) list.Add(ScanSum(opset, S(5, 3), 0, 0, 0, 0));
            list.Add(ScanSum(16, S(5, 3), 0, 1, 0, 0));
            list.Add(ScanSum(16, S(5, 3), 0, 0, 0, 1));
            list.Add(ScanSum(16, S(5, 3), 0, 1, 0, 1));
            list.Add(ScanSum(16, S(2, 5, 3), 1, 0, 1, 0));
            list.Add(ScanSum(16, S(2, 5, 3), -2, 1, 2, 1));
            list.Add(ScanSum(16, S(2, 3, 5), -1, 0, -1, 0));
            list.Add(ScanSum(11, S(4, 2, 3), 2, 0, 0, 1));
            foreach (var opset in new[] { 9, 11, 13, 16 }) list.Add(ScanMulti(opset));
            list.Add(Scan8(0));
            list.Add(Scan8(1));
            return list;
        }

        public static TheoryData<string> CaseNames => Names(Cases());

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void Loop_and_Scan_match_onnxruntime(string @case) => OpSuite.Check(typeof(ControlFlowTests), Cases, @case);

        /// <summary>
        /// The build-time reference evaluator (calibration, error analysis) runs Loop and Scan too: its outputs equal the
        /// generated code's (which the theory above checks against ONNX Runtime).
        /// </summary>
        [Theory]
        [MemberData(nameof(CaseNames))]
        public void Reference_evaluator_matches_the_generated_code(string @case)
        {
            var c = Cases().Single(x => x.Name == @case);
            var entry = OpSuite.Entry(typeof(ControlFlowTests), Cases, @case);
            Assert.True(entry.Ready, entry.Failure);
            var plan = entry.Plan!;
            var inputs = c.Inputs.Select(i => ToTensor(i.Value.Data, plan.Inputs[c.Inputs.IndexOf(i)])).ToList();
            var values = ReferenceEvaluator.Run(plan.Model.Graph, QuantGen.CodeGen.OperatorRegistry.Default, inputs);
            var actual = entry.Run(c.Inputs.Select(i => i.Value.Data).ToList());
            for (int o = 0; o < plan.Outputs.Count; o++)
            {
                var r = values[plan.Outputs[o]];
                Assert.Equal(actual[o].Length, r.Length);
                for (int i = 0; i < r.Length; i++)
                {
                    double a = Convert.ToDouble(actual[o].GetValue(i)), b = r.GetDouble(i);
                    Assert.True(Math.Abs(a - b) <= 1e-5 + 1e-5 * Math.Abs(b), $"{@case} output {o}[{i}]: generated {a}, reference {b}");
                }
            }
        }

        private static TensorData ToTensor(Array data, Value v) => data switch
        {
            float[] f => new TensorData(v.Type, v.Shape!, f),
            bool[] b => TensorData.FromLongs(v.Type, v.Shape!, b.Select(x => x ? 1L : 0L).ToArray()),
            _ => TensorData.FromLongs(v.Type, v.Shape!, data.Cast<object>().Select(Convert.ToInt64).ToArray()),
        };

        /// <summary>The body is planned once and emitted as a C# loop, not unrolled.</summary>
        [Fact]
        public void The_body_is_emitted_once_inside_a_loop()
        {
            var entry = OpSuite.Entry(typeof(ControlFlowTests), Cases, "loop_opset13_counter_accumulator_scan_outputs_outer_read");
            Assert.True(entry.Ready, entry.Failure);
            var src = entry.Source!;
            Assert.Contains("for (long loopIter", src);
            Assert.Equal(1, CountOf(src, "// cast_0: Cast"));
            var scan = OpSuite.Entry(typeof(ControlFlowTests), Cases, "scan_opset16_sum_5x3_inaxis0_indir0_outaxis0_outdir0").Source!;
            Assert.Contains("for (int scanStep", scan);
            Assert.Equal(1, CountOf(scan, "// add_0: Add"));
        }

        private static int CountOf(string s, string what)
        {
            int n = 0;
            for (int i = s.IndexOf(what, StringComparison.Ordinal); i >= 0; i = s.IndexOf(what, i + 1, StringComparison.Ordinal)) n++;
            return n;
        }

        /// <summary>What cannot be static is refused with a diagnostic naming it.</summary>
        [Fact]
        public void Unsupported_variants_get_clear_diagnostics()
        {
            // Scan outputs with a run-time trip count: their length is not known at build time.
            var scanBody = new SubgraphBuilder("body").Input("i", I64).Input("c", B).Input("y", F, 2)
                .Node("Identity", "y", "y_out").Output("c", B).Output("y_out", F).Output("y_out", F);
            var runtimeM = new OnnxBuilder(13).Input("M", I64).Input("Y0", F, 2)
                .Node("Loop", new[] { "M", "", "Y0" }, new[] { "Y", "Ys" }, a => a.Graph("body", scanBody.Build())).Output("Y", F).Output("Ys", F);
            // Scan outputs with a run-time condition that may stop early.
            var condBody = new SubgraphBuilder("body").Input("i", I64).Input("c", B).Input("y", F, 1)
                .Initializer("lim", new[] { 1f })
                .Node("Less", new[] { "y", "lim" }, new[] { "c_out" }).Node("Identity", "y", "y_out").Output("c_out", B).Output("y_out", F).Output("y_out", F);
            var runtimeCond = new OnnxBuilder(13).Input("Y0", F, 1).Initializer("M", new[] { 3L })
                .Node("Loop", new[] { "M", "", "Y0" }, new[] { "Y", "Ys" }, a => a.Graph("body", condBody.Build())).Output("Y", F).Output("Ys", F);
            // A loop-carried value that grows.
            var growBody = new SubgraphBuilder("body").Input("i", I64).Input("c", B).Input("y", F, 2)
                .Node("Concat", new[] { "y", "y" }, new[] { "y_out" }, a => a.Int("axis", 0)).Output("c", B).Output("y_out", F);
            var grow = new OnnxBuilder(13).Input("Y0", F, 2).Initializer("M", new[] { 3L })
                .Node("Loop", new[] { "M", "", "Y0" }, new[] { "Y" }, a => a.Graph("body", growBody.Build())).Output("Y", F);
            // Opset 8 Scan with sequence lengths shorter than the sequence.
            var s8Body = new SubgraphBuilder("body").Input("s", F, 2).Input("xt", F, 2)
                .Node("Add", new[] { "s", "xt" }, new[] { "s_out" }).Output("s_out", F);
            var s8 = new OnnxBuilder(8).Input("S0", F, 1, 2).Input("X", F, 1, 4, 2).Initializer("lens", new[] { 3L }, 1)
                .Node("Scan", new[] { "lens", "S0", "X" }, new[] { "S" }, a => a.Graph("body", s8Body.Build()).Int("num_scan_inputs", 1)).Output("S", F);
            var entries = new[] { ("runtime_m", runtimeM), ("runtime_cond", runtimeCond), ("grow", grow), ("scan8_lens", s8) }
                .Select(e => new ModelBatch.Entry(e.Item1 + ".onnx", e.Item2.ToBytes())).ToList();
            ModelBatch.Compile(entries);
            string Error(int i) => string.Join("; ", entries[i].CompileErrors?.Select(d => d.Id + " " + d.Message) ?? new[] { "compiled" });
            Assert.StartsWith("QG0004", Error(0));
            Assert.Contains("trip count M ('M') must be known at build time", Error(0));
            Assert.StartsWith("QG0004", Error(1));
            Assert.Contains("must be known at build time", Error(1));
            Assert.StartsWith("QG0002", Error(2));
            Assert.Contains("loop-carried values must keep their type and shape", Error(2));
            Assert.StartsWith("QG0003", Error(3));
            Assert.Contains("sequence_lens", Error(3));
        }
    }
}
