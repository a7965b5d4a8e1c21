using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using QuantGen.Cli;
using QuantGen.Graph;
using QuantGen.Onnx;
using QuantGen.Tests.Infrastructure;
using QuantGen.Tests.NodeTests;
using static QuantGen.Tests.OpTests.H;

namespace QuantGen.Tests.OpTests
{
    /// <summary>
    /// Resize (opsets 10-19) and Upsample (7, 9) against ONNX Runtime: nearest (every nearest_mode) x coordinate modes,
    /// linear (2-D, 4-D, 5-D), cubic (cubic_coeff_a, exclude_outside), upsampling and downsampling, scales and sizes,
    /// axes and keep_aspect_ratio_policy, antialias, tf_crop_and_resize (roi, extrapolation_value), int8/uint8/int32
    /// nearest. The cases keep to what ONNX Runtime implements as the ONNX reference does (scale * length integral for
    /// align_corners; ONNX Runtime's linear/cubic layouts). The ONNX backend node tests feed scales, sizes and roi as graph
    /// inputs, which QuantGen needs at build time; <see cref="Node_test_matches_the_reference_with_its_inputs_as_constants"/>
    /// runs each of them with those inputs made initializers, against the reference outputs.
    /// </summary>
    public class ResizeTests
    {
        private static string Fl(float v) => v.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture).Replace('.', 'p').Replace('-', 'm');

        private static OpCase R(int opset, int[] x, float[]? scales = null, long[]? sizes = null, float[]? roi = null, string mode = "nearest",
            string? coord = null, string? nearest = null, float? cubicA = null, bool exclude = false, float? extrap = null, long[]? axes = null,
            string? policy = null, bool antialias = false, DataType t = DataType.Float, string op = "Resize")
        {
            var name = $"{op.ToLowerInvariant()}{opset}_{DataTypes.OnnxName(t)}_{Shape(x)}_{mode}{(coord != null ? "_" + coord : "")}{(nearest != null ? "_" + nearest : "")}"
                + (scales != null ? "_scales" + string.Join("_", scales.Select(Fl)) : "") + (sizes != null ? "_sizes" + string.Join("_", sizes) : "")
                + (roi != null ? "_roi" + string.Join("_", roi.Select(Fl)) : "") + (cubicA != null ? "_A" + Fl(cubicA.Value) : "") + (exclude ? "_exclude" : "")
                + (extrap != null ? "_extrap" + Fl(extrap.Value) : "") + (axes != null ? "_axes" + string.Join("_", axes) : "") + (policy != null ? "_" + policy : "")
                + (antialias ? "_antialias" : "");
            var b = new OnnxBuilder(opset).Input("X", t, x);
            var ins = new List<string> { "X" };
            if (op == "Upsample" && opset < 9) { }
            else if (op == "Upsample" || opset < 11) { b.Initializer("scales", scales!, scales!.Length); ins.Add("scales"); }
            else
            {
                // Opset 11 requires roi and scales (empty tensors when unused); 13+ takes empty names.
                if (roi != null) { b.Initializer("roi", roi, roi.Length); ins.Add("roi"); }
                else if (opset == 11) { b.Initializer("roi", Array.Empty<float>(), 0); ins.Add("roi"); }
                else ins.Add("");
                if (scales != null) { b.Initializer("scales", scales, scales.Length); ins.Add("scales"); }
                else if (opset == 11) { b.Initializer("scales", Array.Empty<float>(), 0); ins.Add("scales"); }
                else ins.Add("");
                if (sizes != null) { b.Initializer("sizes", sizes, sizes.Length); ins.Add("sizes"); }
            }
            b.Node(op, ins.ToArray(), new[] { "Y" }, a =>
            {
                a.String("mode", mode);
                if (op == "Upsample" && opset < 9) a.Floats("scales", scales!);
                if (coord != null) a.String("coordinate_transformation_mode", coord);
                if (nearest != null) a.String("nearest_mode", nearest);
                if (cubicA != null) a.Float("cubic_coeff_a", cubicA.Value);
                if (exclude) a.Int("exclude_outside", 1);
                if (extrap != null) a.Float("extrapolation_value", extrap.Value);
                if (axes != null) a.Ints("axes", axes);
                if (policy != null) a.String("keep_aspect_ratio_policy", policy);
                if (antialias) a.Int("antialias", 1);
            });
            b.Output("Y", t);
            return new OpCase(name, b);
        }

        private static float[] Fs(params float[] v) => v;

        public static IReadOnlyList<OpCase> Cases()
        {
            var list = new List<OpCase>();
            // Nearest: every coordinate mode x nearest_mode, enlarging and shrinking (scale x length integral).
            foreach (var coord in new[] { "half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel", "tf_half_pixel_for_nn" })
                foreach (var nm in new[] { "round_prefer_floor", "round_prefer_ceil", "floor", "ceil" })
                {
                    int opset = coord == "tf_half_pixel_for_nn" ? 11 : 13;
                    // ONNX Runtime does not apply the ceil modes to tf_half_pixel_for_nn as the opset-11 formula does.
                    if (coord == "tf_half_pixel_for_nn" && nm.Contains("ceil")) continue;
                    list.Add(R(opset, S(1, 2, 3, 4), Fs(1, 1, 2, 1.5f), coord: coord, nearest: nm));
                    list.Add(R(opset, S(1, 2, 6, 8), Fs(1, 1, 0.5f, 0.75f), coord: coord, nearest: nm));
                }
            list.Add(R(19, S(1, 2, 5, 4), Fs(1, 1, 1.7f, 0.7f), coord: "half_pixel_symmetric"));
            // Sizes, and the default attributes.
            list.Add(R(13, S(1, 1, 3, 5), sizes: L(1, 1, 7, 2)));
            list.Add(R(13, S(2, 3, 4, 4), sizes: L(2, 3, 9, 3), coord: "asymmetric", nearest: "floor"));
            list.Add(R(11, S(1, 2, 4, 4), sizes: L(1, 2, 8, 6)));
            list.Add(R(13, S(1, 3, 4, 5), Fs(1, 1, 3, 3), coord: "asymmetric", nearest: "floor"));
            list.Add(R(13, S(2, 5), Fs(2, 2.5f)));
            list.Add(R(13, S(1, 2, 3, 4, 5), Fs(1, 1, 2, 0.5f, 1.4f)));
            // Axes that keep their size: all of them (a copy), and a resized outer axis over a contiguous block.
            list.Add(R(13, S(1, 2, 3, 4), Fs(1, 1, 1, 1), mode: "linear"));
            list.Add(R(13, S(1, 2, 3, 4), Fs(1, 2, 1, 1)));
            list.Add(R(13, S(1, 3, 4, 5), Fs(1, 2, 1.5f, 1), mode: "linear"));
            // Element types that nearest only copies.
            foreach (var t in new[] { I8, U8, I32 })
            {
                list.Add(R(13, S(1, 2, 3, 4), Fs(1, 1, 2, 2), t: t));
                list.Add(R(13, S(1, 2, 6, 5), sizes: L(1, 2, 4, 9), coord: "align_corners", nearest: "round_prefer_ceil", t: t));
            }

            // Linear: coordinate modes, enlarging and shrinking; 2-D, 4-D (NCHW) and 5-D (NCDHW).
            foreach (var coord in new[] { "half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel" })
            {
                list.Add(R(13, S(1, 2, 3, 4), Fs(1, 1, 2, 1.5f), mode: "linear", coord: coord));
                list.Add(R(13, S(1, 2, 6, 8), Fs(1, 1, 0.5f, 0.75f), mode: "linear", coord: coord));
                list.Add(R(13, S(5, 7), sizes: L(9, 4), mode: "linear", coord: coord));
            }
            list.Add(R(19, S(1, 2, 5, 4), Fs(1, 1, 1.7f, 0.7f), mode: "linear", coord: "half_pixel_symmetric"));
            list.Add(R(13, S(1, 1, 3, 4, 5), Fs(1, 1, 2, 1.5f, 0.8f), mode: "linear"));
            list.Add(R(13, S(1, 3, 20, 33), Fs(1, 1, 2, 2), mode: "linear"));
            list.Add(R(13, S(2, 3, 17, 40), sizes: L(2, 3, 9, 25), mode: "linear", coord: "align_corners"));
            list.Add(R(11, S(1, 2, 4, 4), sizes: L(1, 2, 8, 7), mode: "linear", coord: "asymmetric"));

            // Cubic: coefficient, exclude_outside, coordinate modes.
            foreach (var coord in new[] { "half_pixel", "asymmetric", "align_corners" })
            {
                list.Add(R(13, S(1, 2, 4, 4), Fs(1, 1, 2, 1.5f), mode: "cubic", coord: coord));
                list.Add(R(13, S(1, 2, 8, 8), Fs(1, 1, 0.5f, 0.75f), mode: "cubic", coord: coord));
            }
            list.Add(R(13, S(1, 2, 4, 4), Fs(1, 1, 2, 1.5f), mode: "cubic", cubicA: -0.5f, exclude: true));
            list.Add(R(13, S(1, 2, 8, 8), Fs(1, 1, 0.5f, 0.75f), mode: "cubic", cubicA: -0.5f, exclude: true));
            list.Add(R(13, S(1, 2, 5, 6), sizes: L(1, 2, 9, 11), mode: "cubic", coord: "pytorch_half_pixel"));
            list.Add(R(13, S(6, 7), sizes: L(10, 4), mode: "cubic"));
            list.Add(R(13, S(1, 3, 16, 36), Fs(1, 1, 2, 2), mode: "cubic"));

            // Antialias (opset 18): linear and cubic shrinking, by scales and by sizes.
            list.Add(R(18, S(1, 2, 8, 8), Fs(1, 1, 0.5f, 0.75f), mode: "linear", antialias: true));
            list.Add(R(18, S(1, 2, 12, 10), sizes: L(1, 2, 5, 3), mode: "linear", antialias: true));
            list.Add(R(18, S(1, 2, 8, 8), Fs(1, 1, 0.5f, 0.75f), mode: "cubic", antialias: true));
            list.Add(R(18, S(1, 2, 12, 10), sizes: L(1, 2, 5, 3), mode: "cubic", antialias: true));
            list.Add(R(18, S(1, 2, 4, 6), Fs(1, 1, 2, 0.5f), mode: "linear", antialias: true));

            // axes and keep_aspect_ratio_policy (opset 18).
            list.Add(R(18, S(1, 2, 3, 4), Fs(2, 3), axes: L(2, 3)));
            list.Add(R(18, S(1, 2, 3, 4), Fs(3, 2), axes: L(3, 2)));
            list.Add(R(18, S(1, 2, 3, 4), Fs(2.5f), axes: L(-1), mode: "linear"));
            list.Add(R(18, S(1, 2, 4, 6), sizes: L(8, 3), axes: L(2, 3), mode: "linear"));
            foreach (var policy in new[] { "not_larger", "not_smaller", "stretch" })
            {
                list.Add(R(18, S(1, 2, 4, 6), sizes: L(1, 2, 7, 7), policy: policy));
                list.Add(R(18, S(1, 2, 4, 6), sizes: L(7, 7), axes: L(2, 3), policy: policy, mode: "linear"));
            }

            // tf_crop_and_resize: roi and extrapolation_value.
            list.Add(R(13, S(1, 1, 4, 4), sizes: L(1, 1, 3, 3), roi: Fs(0, 0, 0.4f, 0.6f, 1, 1, 0.6f, 0.8f), mode: "linear", coord: "tf_crop_and_resize"));
            list.Add(R(13, S(1, 1, 4, 4), sizes: L(1, 1, 3, 3), roi: Fs(0, 0, 0.4f, 0.6f, 1, 1, 1.2f, 1.7f), mode: "linear", coord: "tf_crop_and_resize", extrap: 10));
            list.Add(R(13, S(1, 2, 5, 5), sizes: L(1, 2, 4, 6), roi: Fs(0, 0, -0.2f, 0.1f, 1, 1, 0.9f, 1.3f), coord: "tf_crop_and_resize", extrap: -3));
            list.Add(R(18, S(1, 1, 5, 6), sizes: L(3, 4), roi: Fs(0.2f, 0.1f, 0.8f, 0.7f), axes: L(2, 3), mode: "linear", coord: "tf_crop_and_resize"));

            // Resize-10 (asymmetric; nearest floors when enlarging, ceils when shrinking) and Upsample-7/9.
            list.Add(R(10, S(1, 2, 3, 4), Fs(1, 1, 2, 1.5f)));
            list.Add(R(10, S(1, 2, 6, 8), Fs(1, 1, 0.5f, 0.75f)));
            list.Add(R(10, S(1, 2, 3, 4), Fs(1, 1, 2, 1.5f), mode: "linear"));
            list.Add(R(9, S(1, 2, 3, 4), Fs(1, 1, 2, 3), op: "Upsample"));
            list.Add(R(9, S(1, 2, 3, 4), Fs(1, 1, 2, 1.5f), mode: "linear", op: "Upsample"));
            list.Add(R(7, S(1, 2, 3, 4), Fs(1, 1, 3, 2), op: "Upsample"));
            list.Add(R(7, S(1, 2, 3, 4), Fs(1, 1, 2, 2), mode: "linear", op: "Upsample"));
            list.Add(R(9, S(1, 2, 3, 4), Fs(1, 1, 2, 2), op: "Upsample", t: U8));
            return list;
        }

        public static TheoryData<string> CaseNames => Names(Cases());

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void Resize_matches_onnxruntime(string @case) => OpSuite.Check(typeof(ResizeTests), Cases, @case);

        // ---- the ONNX backend node tests, with scales/sizes/roi bound at build time ----

        private static List<string> NodeTests() =>
            Directory.GetDirectories(BackendNodeTests.NodeRoot).Select(d => Path.GetFileName(d)!)
                .Where(d => d.StartsWith("test_resize_", StringComparison.Ordinal) || d.StartsWith("test_upsample_", StringComparison.Ordinal))
                .OrderBy(s => s, StringComparer.Ordinal).ToList();

        public static TheoryData<string> NodeTestNames
        {
            get
            {
                var d = new TheoryData<string>();
                foreach (var t in NodeTests()) d.Add(t);
                return d;
            }
        }

        private static readonly Lazy<Dictionary<string, (ModelBatch.Entry Entry, TestSet Set)>> s_nodeTests = new(() =>
        {
            var all = new Dictionary<string, (ModelBatch.Entry, TestSet)>(StringComparer.Ordinal);
            foreach (var name in NodeTests())
            {
                var dir = Path.Combine(BackendNodeTests.NodeRoot, name);
                var model = OnnxModelReader.Parse(File.ReadAllBytes(Path.Combine(dir, "model.onnx")), name);
                var set = TestSet.ReadAll(dir).First();
                // Every graph input after X becomes an initializer holding the test's value.
                var kept = new List<HostTensor>();
                var inputs = model.Graph.Input.ToList();
                for (int i = 0; i < inputs.Count; i++)
                {
                    if (i == 0) { kept.Add(set.Inputs[i]); continue; }
                    var v = set.Inputs[i];
                    model.Graph.Initializer.Add(OnnxBuilder.Tensor(inputs[i].Name, v.Type, v.Shape, v.Data));
                    model.Graph.Input.Remove(inputs[i]);
                }
                all[name] = (new ModelBatch.Entry(name, model.ToByteArray()), new TestSet(set.Name, kept, set.Outputs));
            }
            ModelBatch.Compile(all.Values.Select(v => v.Item1).ToList());
            return all;
        });

        [Theory]
        [MemberData(nameof(NodeTestNames))]
        public void Node_test_matches_the_reference_with_its_inputs_as_constants(string test)
        {
            var (entry, set) = s_nodeTests.Value[test];
            var failure = BackendNodeTests.Evaluate(entry, set);
            Assert.True(failure == null, $"{test}: {failure}");
        }
    }
}
