using System.Collections.Generic;
using System.Linq;
using QuantGen.CodeGen;
using Xunit;

namespace QuantGen.Tests.Compiler
{
    /// <summary>The &lt;QuantModel&gt; options: one list (metadata, manifest key, flag) and one parser shared by the build and the CLI.</summary>
    public class OptionsTests
    {
        [Fact]
        public void Every_option_has_its_flag_in_the_CLI_usage()
        {
            foreach (var o in QuantModelOptions.All)
                Assert.Contains(o.Flag + " ", QuantGen.Cli.Program.Usage.Replace(",", " ").Replace("\n", " ").Replace("\r", " "));
        }

        [Fact]
        public void Absent_options_give_the_CompileOptions_defaults()
        {
            var errors = new List<string>();
            var parsed = QuantModelOptions.Parse(new CompileOptions(), _ => "", errors);
            Assert.Empty(errors);
            Assert.Equal(new CompileOptions() with { Dimensions = parsed.Dimensions }, parsed);
        }

        [Fact]
        public void Values_parse_case_insensitively_and_bad_values_name_the_option()
        {
            var values = new Dictionary<string, string>
            {
                ["precision"] = "int8", ["weights"] = "per-tensor", ["weightBits"] = "7", ["groupSize"] = "64", ["activations"] = "static",
                ["calibrationMethod"] = "entropy", ["calibrationPercentile"] = "99.9", ["calibrationSamples"] = "50", ["maxError"] = "top1>=99.5%",
                ["maxErrorIsError"] = "true", ["optimize"] = "True", ["dimensions"] = "batch=4;len=10", ["exclude"] = "Conv_0;Gemm",
            };
            var errors = new List<string>();
            var o = QuantModelOptions.Parse(new CompileOptions(), k => values.TryGetValue(k, out var v) ? v : "", errors);
            Assert.Empty(errors);
            Assert.Equal(("Int8", "PerTensor", 7, 64, "Static", "Entropy"), (o.Precision, o.WeightGranularity, o.WeightBits, o.GroupSize, o.Activations, o.CalibrationMethod));
            Assert.Equal((99.9, 50, "top1>=99.5%", true, true, "Conv_0;Gemm"), (o.CalibrationPercentile, o.CalibrationSamples, o.MaxError, o.MaxErrorIsError, o.Optimize, o.Exclude));
            Assert.Equal(new[] { ("batch", 4), ("len", 10) }, o.Dimensions.OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value)));

            var bad = new Dictionary<string, string>
            {
                ["precision"] = "Float32", ["weightBits"] = "3", ["groupSize"] = "6", ["calibrationPercentile"] = "40", ["optimize"] = "yes",
                ["activations"] = "sometimes", ["dimensions"] = "batch", ["maxError"] = "accuracy>=1",
            };
            errors.Clear();
            QuantModelOptions.Parse(new CompileOptions(), k => bad.TryGetValue(k, out var v) ? v : "", errors);
            foreach (var expected in new[] { "WeightBits=\"3\"", "GroupSize=\"6\"", "CalibrationPercentile=\"40\"", "Optimize=\"yes\"", "Activations=\"sometimes\"",
                "Dimensions entry 'batch'", "MaxError", "apply to Precision=\"Int8\" only" })
                Assert.Contains(errors, e => e.Contains(expected));
        }
    }
}
