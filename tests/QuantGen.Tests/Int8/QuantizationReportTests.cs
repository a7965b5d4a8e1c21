using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using QuantGen.Cli;
using QuantGen.CodeGen;
using QuantGen.Graph.Quantization;

namespace QuantGen.Tests.Int8
{
    /// <summary>
    /// The quantization report: every layer's decision and error, the totals, and the end-to-end error measured on the
    /// calibration data by simulation, checked against the generated int8 code run on the same data.
    /// </summary>
    public class QuantizationReportTests
    {
        private readonly ITestOutputHelper _out;
        public QuantizationReportTests(ITestOutputHelper output) { _out = output; }

        private static double Cosine(float[] a, float[] b)
        {
            double dot = 0, na = 0, nb = 0;
            for (int i = 0; i < a.Length; i++) { dot += (double)a[i] * b[i]; na += (double)a[i] * a[i]; nb += (double)b[i] * b[i]; }
            return dot / Math.Sqrt(na * nb);
        }

        [Fact]
        public void Fashion_static_report_lists_every_layer_and_its_end_to_end_error_matches_the_generated_code()
        {
            var (images, _) = FashionStaticTests.Load();
            var bytes = File.ReadAllBytes(Corpus.Path_("fashion_mnist_cnn", "model.onnx"));
            var dims = new Dictionary<string, int> { ["batch_size"] = 100 };
            var calibration = FashionStaticTests.CalibrationFolder(images, 0, 500);
            var f32 = new Checker(bytes, "fashion.onnx", null).Compile(dims);
            var q8 = new Checker(bytes, "fashion.onnx", null, new CompileOptions { Precision = "Int8", Calibration = calibration }).Compile(dims);
            Assert.Null(f32.Report);
            var report = q8.Report!;
            _out.WriteLine(report.ToMarkdown());

            // Every Conv and Gemm is listed, with its decision; the 1-channel stem is float32 and says why.
            var layers = q8.Plan.Model.Graph.AllNodes().Where(n => n.OpType is "Conv" or "Gemm" or "MatMul").Select(n => n.Name).ToList();
            Assert.Equal(layers, report.Layers.Where(l => l.OpType != "Add").Select(l => l.Node).ToList());
            var stem = report.Layers.First();
            Assert.Equal("float32", stem.Precision);
            Assert.Contains("dot product 9 deep", stem.Reason);
            foreach (var l in report.Layers.Where(l => l.Precision == "int8"))
            {
                Assert.Equal(8, l.WeightBits);
                Assert.Equal("per-channel", l.Granularity);
                Assert.InRange(l.WeightSqnrDb!.Value, 30, 60);      // 8-bit weights: about 6 dB per bit, less the peak-to-RMS ratio
                Assert.StartsWith("uint8 s=", l.Input);
                Assert.NotNull(l.Error);
                Assert.InRange(l.Error!.IsolatedSqnrDb, 15, 80);
                Assert.True(l.Error.CumulativeSqnrDb <= l.Error.IsolatedSqnrDb + 3, $"{l.Node}: cumulative {l.Error.CumulativeSqnrDb} vs isolated {l.Error.IsolatedSqnrDb}");
                Assert.True(l.Macs > 0);
            }
            Assert.True(report.Compression > 3.0 && report.Compression < 4.0, $"compression {report.Compression}");
            Assert.True(report.Int8Macs > 10 * report.FloatMacs);

            // End to end, simulated at build time, against the generated code on the same 500 images.
            var e = report.EndToEnd!;
            Assert.Equal(5, e.Samples);   // batches of 100
            double cosineSum = 0, sumSq = 0; int agree = 0, rows = 0; double minCos = 1;
            long elements = 0;
            for (int s = 0; s < 5; s++)
            {
                // Both graph outputs (the model also returns its flattened features), as the report and quantgen check compare.
                var x = images.AsSpan(s * 78400, 78400).ToArray();
                var of = f32.Run(new Array[] { x }).Cast<float[]>().ToList();
                var oq = q8.Run(new Array[] { x }).Cast<float[]>().ToList();
                double c = Cosine(of.SelectMany(v => v).ToArray(), oq.SelectMany(v => v).ToArray());
                cosineSum += c; minCos = Math.Min(minCos, c);
                for (int o = 0; o < of.Count; o++)
                    for (int i = 0; i < of[o].Length; i++, elements++) sumSq += (of[o][i] - oq[o][i]) * (double)(of[o][i] - oq[o][i]);
                var (yf, yq) = (of[0], oq[0]);
                for (int r = 0; r < 100; r++, rows++)
                {
                    int a = 0, b = 0;
                    for (int k = 1; k < 10; k++) { if (yf[r * 10 + k] > yf[r * 10 + a]) a = k; if (yq[r * 10 + k] > yq[r * 10 + b]) b = k; }
                    if (a == b) agree++;
                }
            }
            double mse = sumSq / elements;
            _out.WriteLine($"generated code: cosine {cosineSum / 5:F6} (worst {minCos:F6}), E {mse:G4}, top-1 agreement {100.0 * agree / rows:F2}%; report: {e.MeanCosine:F6} ({e.MinCosine:F6}), E {e.Mse:G4}, {100 * e.Top1Agreement:F2}%");
            Assert.InRange(e.MeanCosine, cosineSum / 5 - 1e-4, cosineSum / 5 + 1e-4);
            Assert.InRange(e.Mse, mse * 0.9, mse * 1.1);
            Assert.InRange(e.Top1Agreement!.Value, (double)agree / rows - 0.01, (double)agree / rows + 0.01);
            Assert.Equal(500, e.Top1Rows);

            // The JSON holds the same figures.
            using var json = JsonDocument.Parse(report.ToJson());
            var root = json.RootElement;
            Assert.Equal(report.Layers.Count, root.GetProperty("layers").GetArrayLength());
            Assert.Equal(e.Mse, root.GetProperty("endToEnd").GetProperty("mse").GetDouble());
            Assert.Equal(report.StaticBytes, root.GetProperty("totals").GetProperty("staticBytes").GetInt64());
            Assert.Equal("dot product 9 deep (int8 from 32)", root.GetProperty("layers")[0].GetProperty("reason").GetString()![("float32: ").Length..]);
            Assert.DoesNotContain(q8.Diagnostics, d => d.Id == "QG0011");
        }

        [Fact]
        public void Without_calibration_data_the_report_gives_the_weight_figures_and_says_what_it_did_not_measure()
        {
            var bytes = File.ReadAllBytes(Corpus.Path_("mnist_cntk", "model.onnx"));
            var q8 = new Checker(bytes, "mnist.onnx", null, new CompileOptions { Precision = "Int8" }).Compile(new Dictionary<string, int>());
            var report = q8.Report!;
            Assert.Null(report.EndToEnd);
            Assert.Contains(report.Notes, n => n.Contains("no calibration data"));
            Assert.Contains("error not measured", report.Headline);
            var int8 = report.Layers.Where(l => l.Precision == "int8").ToList();
            Assert.NotEmpty(int8);
            Assert.All(int8, l => { Assert.Equal("uint8, per call", l.Input); Assert.NotNull(l.WeightSqnrDb); Assert.Null(l.Error); });
            using var json = JsonDocument.Parse(report.ToJson());
            Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("endToEnd").ValueKind);
        }

        [Fact]
        public void Exclude_keeps_the_named_nodes_and_op_types_in_float32_and_warns_about_names_it_does_not_find()
        {
            var bytes = File.ReadAllBytes(Corpus.Path_("mnist_cntk", "model.onnx"));
            var dims = new Dictionary<string, int>();
            var all = new Checker(bytes, "mnist.onnx", null, new CompileOptions { Precision = "Int8" }).Compile(dims).Report!;
            var int8 = all.Layers.Where(l => l.Precision == "int8").ToList();
            Assert.True(int8.Count >= 2);
            var byName = new Checker(bytes, "mnist.onnx", null, new CompileOptions { Precision = "Int8", Exclude = int8[0].Node + "; NoSuchNode" }).Compile(dims);
            var layer = byName.Report!.Layers.Single(l => l.Node == int8[0].Node);
            Assert.Equal("float32", layer.Precision);
            Assert.Equal("float32: excluded by the user (Exclude)", layer.Reason);
            Assert.All(byName.Report.Layers.Where(l => l.Node != int8[0].Node), l => Assert.Equal(all.Layers.Single(a => a.Node == l.Node).Precision, l.Precision));
            var warning = Assert.Single(byName.Diagnostics, d => d.Id == "QG0007");
            Assert.Equal(QgSeverity.Warning, warning.Severity);
            Assert.Contains("'NoSuchNode'", warning.Message);

            var byOp = new Checker(bytes, "mnist.onnx", null, new CompileOptions { Precision = "Int8", Exclude = int8[0].OpType }).Compile(dims);
            Assert.All(byOp.Report!.Layers.Where(l => l.OpType == int8[0].OpType), l => Assert.Equal("float32", l.Precision));
            Assert.DoesNotContain(byOp.Diagnostics, d => d.Id == "QG0007");

            // Float results where excluded: the excluded model is closer to float32 than the all-int8 one, on the model's own test set.
            var set = TestSet.ReadAll(Corpus.Path_("mnist_cntk"))[0];
            var f32 = new Checker(bytes, "mnist.onnx", null).Compile(dims);
            var x = set.Inputs.Select(i => i.Data).ToArray();
            var yf = (float[])f32.Run(x)[0];
            var everyLayer = int8.Select(l => l.OpType).Distinct();
            var none = new Checker(bytes, "mnist.onnx", null, new CompileOptions { Precision = "Int8", Exclude = string.Join(";", everyLayer) }).Compile(dims);
            Assert.All(none.Report!.Layers, l => Assert.Equal("float32", l.Precision));
            Assert.Equal(yf, (float[])none.Run(x)[0]);
        }

        [Fact]
        public void A_model_that_loses_accuracy_in_int8_gets_QG0011_naming_the_worst_layers()
        {
            // The openWakeWord melspectrogram: its 80 dB log-power range does not survive int8 (cosine 0.92-0.95 to float).
            var dir = Corpus.Path_("openwakeword", "melspectrogram");
            var sets = TestSet.ReadAll(dir).Take(2).ToList();
            var audio = (float[])sets[0].Inputs[0].Data;
            var calibration = FashionStaticTests.CalibrationFolder(audio, new[] { 1, audio.Length });
            var bytes = File.ReadAllBytes(Path.Combine(dir, "model.onnx"));
            var dims = new Dictionary<string, int> { ["batch_size"] = 1, ["samples"] = audio.Length };
            var result = ModelCompiler.Compile(bytes, "melspectrogram.onnx", null, new CompileOptions
            {
                Precision = "Int8", Activations = "Dynamic", Calibration = calibration, Dimensions = dims, ClassName = "Mel",
            });
            Assert.True(result.Success);
            var e = result.Report!.EndToEnd!;
            _out.WriteLine(result.Report.Headline);
            Assert.True(e.MinCosine < QuantizationReport.DefaultMinCosine, $"cosine {e.MinCosine}");
            var warning = Assert.Single(result.Diagnostics, d => d.Id == "QG0011");
            Assert.Equal(QgSeverity.Warning, warning.Severity);
            var worst = result.Report.Layers.Where(l => l.Error != null && l.Precision == "int8").OrderBy(l => l.Error!.IsolatedSqnrDb).First();
            Assert.Contains($"'{worst.Node}'", warning.Message);
        }

        [Fact]
        public void MaxError_search_keeps_the_melspectrogram_within_cosine_0_99_on_its_calibration_clips()
        {
            // The five clips of one length (75520 samples) are the calibration data; the search names the layers kept in float.
            var dir = Corpus.Path_("openwakeword", "melspectrogram");
            var sets = TestSet.ReadAll(dir).Where(t => ((float[])t.Inputs[0].Data).Length == 75520).ToList();
            Assert.Equal(5, sets.Count);
            var data = sets.SelectMany(t => (float[])t.Inputs[0].Data).ToArray();
            var calibration = FashionStaticTests.CalibrationFolder(data, new[] { 5, 75520 });
            var bytes = File.ReadAllBytes(Path.Combine(dir, "model.onnx"));
            var dims = new Dictionary<string, int> { ["batch_size"] = 1, ["samples"] = 75520 };
            var result = ModelCompiler.Compile(bytes, "melspectrogram.onnx", null, new CompileOptions
            {
                Precision = "Int8", Activations = "Dynamic", Calibration = calibration, Dimensions = dims, ClassName = "Mel", MaxError = "cosine>=0.99",
            });
            Assert.True(result.Success, string.Join("\n", result.Diagnostics));
            var report = result.Report!;
            _out.WriteLine(report.Headline);
            Assert.True(report.Budget!.Met);
            Assert.True(report.EndToEnd!.MinCosine >= 0.99, $"cosine {report.EndToEnd.MinCosine}");
            Assert.DoesNotContain(result.Diagnostics, d => d.Id == "QG0011");
            var kept = report.Layers.Where(l => l.Reason.Contains("by MaxError")).ToList();
            Assert.NotEmpty(kept);
            Assert.Contains(report.Layers, l => l.Precision == "int8");
            Assert.Contains("MaxError cosine>=0.99", report.ToMarkdown());
            Assert.Contains("\"met\": true", report.ToJson());
        }

        /// <summary>
        /// The acceptance case of per-shape calibration: the budget is searched on clips 0-4 (two lengths; each measured on the
        /// model prepared at its own length), and the layers it keeps in float hold cosine >= 0.99 to float on all 21 clips
        /// (9 lengths), each length compiled with those layers excluded.
        /// </summary>
        [Fact]
        public void MaxError_calibrated_on_five_clips_at_their_own_lengths_holds_cosine_0_99_on_all_21_clips()
        {
            var dir = Corpus.Path_("openwakeword", "melspectrogram");
            var calibration = Directory.CreateTempSubdirectory("qg-mel").FullName;
            for (int i = 0; i < 5; i++)
            {
                var set = Directory.CreateDirectory(Path.Combine(calibration, $"test_data_set_{i}")).FullName;
                File.Copy(Path.Combine(dir, $"test_data_set_{i}", "input_0.pb"), Path.Combine(set, "input_0.pb"));
            }
            var bytes = File.ReadAllBytes(Path.Combine(dir, "model.onnx"));
            var sets = TestSet.ReadAll(dir);
            Assert.Equal(21, sets.Count);
            var first = Checker.BindDims(bytes, "melspectrogram.onnx", sets[0].Inputs);
            var budget = new Checker(bytes, "melspectrogram.onnx", null, new CompileOptions
            {
                Precision = "Int8", Activations = "Dynamic", Calibration = calibration, MaxError = "cosine>=0.99",
            }).Compile(first);
            var report = budget.Report!;
            _out.WriteLine(report.Headline);
            Assert.Equal(5, report.EndToEnd!.Samples);
            Assert.True(report.Budget!.Met);
            Assert.True(report.EndToEnd.MinCosine >= 0.99, $"cosine {report.EndToEnd.MinCosine}");
            var kept = report.Layers.Where(l => l.Precision == "float32" && l.Reason.Contains("kept in float32 by MaxError")).Select(l => l.Node).ToList();
            Assert.NotEmpty(kept);
            Assert.Contains(report.Layers, l => l.Precision == "int8");
            var summary = Path.Combine(AppContext.BaseDirectory, "mel-budget-21.txt");
            File.WriteAllText(summary, report.Headline + "\nkept in float32: " + string.Join(", ", kept) + "\n");
            var lengths = new List<int>();
            foreach (var group in sets.GroupBy(t => t.Inputs[0].Data.Length))
            {
                var model = new Checker(bytes, "melspectrogram.onnx", null, new CompileOptions
                {
                    Precision = "Int8", Activations = "Dynamic", Exclude = string.Join(";", kept),
                }).Compile(Checker.BindDims(bytes, "melspectrogram.onnx", group.First().Inputs));
                foreach (var set in group)
                {
                    var r = Checker.Evaluate(model, set, 0.99);
                    File.AppendAllText(summary, $"{set.Name} {group.Key} samples: cosine {r.Cosine:F6}\n");
                    Assert.True(r.Passed, $"{set.Name}: {r.Reason} cosine {r.Cosine}");
                }
                lengths.Add(group.Key);
            }
            Assert.True(lengths.Count >= 5, $"{lengths.Count} lengths");
        }

        /// <summary>The budget search's sensitivity runs: a layer quantized alone, with the float values it cannot reach reused, gives the same outputs as a full run.</summary>
        [Fact]
        public void A_layer_quantized_alone_reuses_the_float_values_it_cannot_reach_and_gives_the_same_outputs()
        {
            var dir = Corpus.Path_("mnist_cntk");
            var plan = ModelCompiler.BuildPlan(File.ReadAllBytes(Path.Combine(dir, "model.onnx")), "mnist.onnx", null,
                new CompileOptions { Precision = "Int8", Calibration = dir }, new List<QgDiagnostic>());
            var g = plan.Model.Graph;
            var decisions = plan.Quantization!;
            var sim = new ErrorAnalysis.Simulator(g, OperatorRegistry.Default, decisions);
            var layers = decisions.Layers.Where(l => l.Precision == Precision.Int8).ToList();
            Assert.True(layers.Count >= 2);
            foreach (var sample in CalibrationData.Load(dir, g.Inputs, 3))
            {
                var f = sim.RunFloat(sample);
                foreach (var l in layers)
                {
                    var full = sim.RunOnly(sample, l.Node);
                    var reused = sim.RunOnly(sample, l.Node, f);
                    foreach (var o in g.Outputs) Assert.Equal(full[o].ToFloats(), reused[o].ToFloats());
                    Assert.NotEqual(f[g.Outputs[0]].ToFloats(), reused[g.Outputs[0]].ToFloats());
                }
            }
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void A_budget_that_cannot_be_met_warns_naming_the_resisting_layers_and_MaxErrorIsError_fails(bool isError)
        {
            var dir = Corpus.Path_("mnist_cntk");
            var bytes = File.ReadAllBytes(Path.Combine(dir, "model.onnx"));
            var result = ModelCompiler.Compile(bytes, "mnist.onnx", null, new CompileOptions
            {
                Precision = "Int8", Calibration = dir, ClassName = "Mnist", MaxError = "mse<=0", MaxErrorIsError = isError,
            });
            var d = Assert.Single(result.Diagnostics, x => x.Id == "QG0011");
            _out.WriteLine(d.ToString());
            Assert.Equal(isError ? QgSeverity.Error : QgSeverity.Warning, d.Severity);
            Assert.Contains("MaxError=\"mse<=0\" is not met", d.Message);
            Assert.Contains("resist", d.Message);
            Assert.False(result.Report!.Budget!.Met);
        }

        [Theory]
        [InlineData("cosine>=1.5")]
        [InlineData("accuracy>=0.9")]
        [InlineData("mse<=abc")]
        public void A_malformed_budget_is_QG0007(string budget)
        {
            var dir = Corpus.Path_("mnist_cntk");
            var result = ModelCompiler.Compile(File.ReadAllBytes(Path.Combine(dir, "model.onnx")), "mnist.onnx", null,
                new CompileOptions { Precision = "Int8", Calibration = dir, MaxError = budget });
            Assert.False(result.Success);
            Assert.Contains(result.Diagnostics, x => x.Id == "QG0007" && x.Message.Contains("MaxError"));
        }

        /// <summary>
        /// Optimize on the MNIST CNN with 4-bit weights (calibrated on its test sets): every int8 layer is tuned, its output error on
        /// the calibration columns does not grow, the end-to-end error falls, the bias corrections reach the generated code, and
        /// two builds generate the same source (fixed seed and iteration order).
        /// </summary>
        [Fact]
        public void Optimize_tunes_every_int8_layer_lowers_the_error_and_is_deterministic()
        {
            var dir = Corpus.Path_("mnist_cntk");
            var bytes = File.ReadAllBytes(Path.Combine(dir, "model.onnx"));
            var options = new CompileOptions { Precision = "Int8", Calibration = dir, ClassName = "Mnist", WeightBits = 4, GroupSize = 32, Activations = "Dynamic" };
            var nearest = ModelCompiler.Compile(bytes, "mnist.onnx", null, options);
            var tuned = ModelCompiler.Compile(bytes, "mnist.onnx", null, options with { Optimize = true });
            var again = ModelCompiler.Compile(bytes, "mnist.onnx", null, options with { Optimize = true });
            Assert.True(tuned.Success && again.Success, string.Join("; ", tuned.Diagnostics));
            Assert.Equal(tuned.Source, again.Source);
            var report = tuned.Report!;
            var int8 = report.Layers.Where(l => l.Precision == "int8").ToList();
            Assert.NotEmpty(int8);
            Assert.All(int8, l => Assert.NotNull(l.Tuned));
            Assert.All(int8, l => Assert.True(l.Tuned!.TunedError <= l.Tuned.NearestError, $"{l.Node}: {l.Tuned.NearestError} -> {l.Tuned.TunedError}"));
            Assert.Contains(int8, l => l.Tuned!.Flipped > 0);
            Assert.NotNull(report.OptimizeSeconds);
            Assert.Contains("layer bias + bias correction", tuned.Source);
            Assert.Contains("Optimize", report.ToMarkdown());
            Assert.Contains("\"tuned\": {", report.ToJson());
            // The 4-bit layers are counted, with what 4 bits cost in speed; the 8-bit build has no such row.
            Assert.Equal(int8.Where(l => l.WeightBits == 4).Sum(l => l.Macs), report.FourBitMacs);
            Assert.True(report.FourBitMacs > 0);
            Assert.Contains("| 4-bit weights | ", report.ToMarkdown());
            Assert.Contains("\"fourBitMacs\": " + report.FourBitMacs.ToString(System.Globalization.CultureInfo.InvariantCulture), report.ToJson());
            Assert.DoesNotContain("| 4-bit weights | ", ModelCompiler.Compile(bytes, "mnist.onnx", null, options with { WeightBits = 8 }).Report!.ToMarkdown());
            var line = $"MNIST 4-bit: calibration E {nearest.Report!.EndToEnd!.Mse:G4} -> {report.EndToEnd!.Mse:G4}, cosine {nearest.Report.EndToEnd.MinCosine:F5} -> {report.EndToEnd.MinCosine:F5}";
            _out.WriteLine(line);
            Assert.True(report.EndToEnd.Mse < nearest.Report.EndToEnd.Mse, line);
        }

        [Fact]
        public void Optimize_without_calibration_data_is_QG0007()
        {
            var dir = Corpus.Path_("mnist_cntk");
            var result = ModelCompiler.Compile(File.ReadAllBytes(Path.Combine(dir, "model.onnx")), "mnist.onnx", null,
                new CompileOptions { Precision = "Int8", Optimize = true });
            Assert.False(result.Success);
            Assert.Contains(result.Diagnostics, x => x.Id == "QG0007" && x.Message.Contains("Optimize"));
        }
    }
}
