using System;
using System.IO;
using System.Linq;
using QuantGen.Fuzz;

namespace QuantGen.Tests.Compiler
{
    /// <summary>
    /// The short fixed-seed pass of the structured fuzzer (tests/QuantGen.Fuzz): 1,500 mutants of the ONNX backend node tests
    /// and a corpus model through the generator's compile, up to 300 of the accepted ones compiled and run. Any crash, hang,
    /// internal error, diagnostic without the file name, uncompilable output, run-time exception other than ArgumentException
    /// or out-of-bounds write fails it, with the mutations that produced it. The long pass: README, "Reliability".
    /// </summary>
    public class FuzzTests
    {
        private readonly ITestOutputHelper _out;
        public FuzzTests(ITestOutputHelper output) { _out = output; }

        [Fact]
        public void Short_fixed_seed_pass_finds_no_defect()
        {
            var options = new FuzzOptions { Seed = 20261207, Count = 1500, MaxRuns = 300, Corpus = Corpus.Root, StageTimeout = TimeSpan.FromSeconds(180) };
            var results = new Fuzzer(options).Run();
            var summary = Fuzzer.Summary(options, results);
            _out.WriteLine(summary);
            File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "fuzz-summary.txt"), summary + "\n");
            var defects = results.Where(r => r.Outcome >= Outcome.Crash).Select(r => $"{r.Outcome} #{r.Index} {r.Source} ({r.Precision}): {string.Join("; ", r.Mutations)} -> {r.Detail}").ToList();
            Assert.True(defects.Count == 0, summary + "\n" + string.Join("\n", defects));
            // The pass must exercise both stages, not only be refused at the door.
            Assert.True(results.Count(r => r.Outcome == Outcome.Ran) >= 200, summary);
            Assert.True(results.Count(r => r.Outcome == Outcome.Rejected) >= 500, summary);
        }
    }
}
