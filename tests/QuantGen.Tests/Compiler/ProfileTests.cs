using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using QuantGen.Cli;
using QuantGen.CodeGen;

namespace QuantGen.Tests.Compiler
{
    /// <summary>The per-op timing build behind <c>quantgen profile</c>, and its absence from normal builds.</summary>
    public class ProfileTests
    {
        [Fact]
        public void Profile_build_marks_every_op_that_runs_and_normal_builds_have_no_timer()
        {
            var bytes = File.ReadAllBytes(Corpus.Path_("mnist_cntk", "model.onnx"));
            var dims = new System.Collections.Generic.Dictionary<string, int>();
            var plain = new Checker(bytes, "model.onnx", null).Compile(dims);
            Assert.DoesNotContain("QuantGenProfile", plain.Source);

            var profiled = new Checker(bytes, "model.onnx", null, new CompileOptions { Profile = true }).Compile(dims);
            int marks = Regex.Matches(profiled.Source, @"QuantGenProfile\.Mark\(\d+\);").Count;
            int ops = profiled.Plan.Steps.OfType<QuantGen.Graph.NodeStep>().Count(s => !s.IsView);
            Assert.True(marks > 3, $"{marks} marks");
            Assert.Equal(ops, marks);

            var set = TestSet.ReadAll(Corpus.Path_("mnist_cntk"))[0];
            var profile = profiled.ModelType!.GetNestedType("QuantGenProfile", BindingFlags.NonPublic)!;
            var ticks = (long[])profile.GetField("Ticks")!.GetValue(null)!;
            var names = (string[])profile.GetField("Names")!.GetValue(null)!;
            Assert.Equal(marks, ticks.Length);
            Assert.Equal(marks, names.Length);
            var r = Checker.Evaluate(profiled, set); // the timers change nothing in the results
            Assert.True(r.Passed, r.Reason);
            Assert.True(ticks.Sum() > 0);
            Assert.Contains(names, n => n.Contains("(Conv)", StringComparison.Ordinal));
        }
    }
}
