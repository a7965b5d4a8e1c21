using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Cli;
using QuantGen.CodeGen;

namespace QuantGen.Tests.Int8
{
    /// <summary>
    /// The openWakeWord chain on the 21 clips, as it streams: audio -> melspectrogram (float32: its 80 dB log-power range
    /// is beyond int8, see the README) -> x/10 + 2 -> windows of 76 frames, stride 8 -> embedding model -> every run of
    /// 16/22/34 consecutive embeddings -> each wake-word head; a head detects when its score reaches 0.5 at any position.
    /// The int8 chain (embedding and heads in int8) must make the same decision as the float32 chain for every head and
    /// clip; the float chain's best score is also checked to reach the ONNX Runtime score stored in each head's test set.
    /// </summary>
    public class OpenWakeWordChainTests
    {
        private readonly ITestOutputHelper _out;
        public OpenWakeWordChainTests(ITestOutputHelper output) { _out = output; }

        private static readonly string[] Heads = { "alexa_v0.1", "hey_jarvis_v0.1", "hey_mycroft_v0.1", "hey_rhasspy_v0.1", "timer_v0.1", "weather_v0.1" };

        private static Checker.Compiled Compile(string folder, string precision, Dictionary<string, int> dims, int weightBits = 8)
        {
            var dir = Corpus.Path_("openwakeword", folder);
            var bytes = File.ReadAllBytes(Path.Combine(dir, "model.onnx"));
            return new Checker(bytes, folder + ".onnx", null, new CompileOptions { Precision = precision, WeightBits = weightBits }).Compile(dims);
        }

        [Theory]
        [InlineData(8)]
        [InlineData(7)]
        public void Int8_embedding_and_heads_make_the_same_decisions_as_float_on_all_21_clips(int weightBits)
        {
            var melSets = TestSet.ReadAll(Corpus.Path_("openwakeword", "melspectrogram"));
            Assert.Equal(21, melSets.Count);
            var headsF = Heads.ToDictionary(h => h, h => Compile(h, "Float32", new Dictionary<string, int>()));
            var headsQ = Heads.ToDictionary(h => h, h => Compile(h, "Int8", new Dictionary<string, int>(), weightBits));
            var headSets = Heads.ToDictionary(h => h, h => TestSet.ReadAll(Corpus.Path_("openwakeword", h)));
            var mels = new Dictionary<int, Checker.Compiled>();
            var embF = new Dictionary<int, Checker.Compiled>();
            var embQ = new Dictionary<int, Checker.Compiled>();
            int decisions = 0, fired = 0;
            for (int clip = 0; clip < melSets.Count; clip++)
            {
                var audio = (float[])melSets[clip].Inputs[0].Data;
                if (!mels.TryGetValue(audio.Length, out var mel))
                    mels[audio.Length] = mel = Compile("melspectrogram", "Float32", new Dictionary<string, int> { ["batch_size"] = 1, ["samples"] = audio.Length });
                var frames = ((float[])mel.Run(new Array[] { audio })[0]).Select(v => v / 10f + 2f).ToArray();
                int frameCount = frames.Length / 32, windows = (frameCount - 76) / 8 + 1;
                var batch = new float[windows * 76 * 32];
                for (int w = 0; w < windows; w++) Array.Copy(frames, w * 8 * 32, batch, w * 76 * 32, 76 * 32);
                var dims = new Dictionary<string, int> { ["unk__314"] = windows };
                if (!embF.ContainsKey(windows)) { embF[windows] = Compile("embedding_model", "Float32", dims); embQ[windows] = Compile("embedding_model", "Int8", dims, weightBits); }
                var featuresF = (float[])embF[windows].Run(new Array[] { batch })[0];
                var featuresQ = (float[])embQ[windows].Run(new Array[] { batch })[0];
                foreach (var h in Heads)
                {
                    float bestF = BestScore(headsF[h], featuresF, windows), bestQ = BestScore(headsQ[h], featuresQ, windows);
                    float expected = (float)headSets[h][clip].Outputs[0].Get(0);
                    _out.WriteLine($"clip {clip} {h}: float {bestF:F4} (ORT {expected:F4}) int8 {bestQ:F4}");
                    // The stored ORT score is at one position; the float chain's best over all positions is at least that.
                    Assert.True(bestF >= expected - 1e-3, $"clip {clip} {h}: float chain best score {bestF} below the ONNX Runtime score {expected}");
                    Assert.True(bestQ >= 0.5f == bestF >= 0.5f, $"clip {clip} ({headSets[h][clip].Name}) {h}: int8 score {bestQ} vs float {bestF}");
                    decisions++;
                    if (bestF >= 0.5f) fired++;
                }
            }
            Assert.Equal(21 * Heads.Length, decisions);
            Assert.True(fired >= 12, $"only {fired} positive decisions: the chain is not exercising detections");
        }

        /// <summary>The head's highest score over every run of consecutive embeddings it takes.</summary>
        private static float BestScore(Checker.Compiled head, float[] features, int windows)
        {
            int rows = head.Plan.Inputs[0].Shape![1];
            float best = float.NegativeInfinity;
            for (int off = 0; off + rows <= windows; off++)
                best = Math.Max(best, ((float[])head.Run(new Array[] { features.Skip(off * 96).Take(rows * 96).ToArray() })[0])[0]);
            return best;
        }
    }
}
