using System;
using System.Globalization;
using System.IO;
using System.Linq;

namespace QuantGen.Fuzz
{
    /// <summary>
    /// quantgen-fuzz [--seed N] [--count N] [--runs N] [--timeout SECONDS] [--save FOLDER] [--corpus FOLDER]:
    /// runs the structured fuzzer and prints one line per defect and the summary; exit code 1 when there is any defect.
    /// </summary>
    public static class Program
    {
        public static int Main(string[] args)
        {
            string Arg(string name, string fallback)
            {
                int i = Array.IndexOf(args, name);
                return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
            }
            int Int(string name, int fallback) => int.Parse(Arg(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
            var options = new FuzzOptions
            {
                Seed = Int("--seed", 1),
                Count = Int("--count", 10000),
                MaxRuns = Int("--runs", 2500),
                StageTimeout = TimeSpan.FromSeconds(Int("--timeout", 120)),
                SaveFolder = Arg("--save", "fuzz-defects"),
                Corpus = Array.IndexOf(args, "--corpus") >= 0 ? Arg("--corpus", "") : FindCorpus(),
                Log = Console.WriteLine,
            };
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var results = new Fuzzer(options).Run();
            Console.WriteLine(Fuzzer.Summary(options, results) + $" in {clock.Elapsed.TotalSeconds:F0} s");
            foreach (var g in results.GroupBy(r => r.Outcome).OrderBy(g => g.Key))
                Console.WriteLine($"  {g.Key}: {g.Count()}");
            // Value-dependent refusals at run time, by message: each must be a check of input values, not of the model.
            foreach (var g in results.Where(r => r.Outcome == Outcome.InputGuard).GroupBy(r => r.Detail).OrderByDescending(g => g.Count()))
                Console.WriteLine($"  input guard x{g.Count()}: {g.Key} (e.g. mutant {g.First().Index} of {g.First().Source}: {string.Join("; ", g.First().Mutations)})");
            // Threads of a hung stage may still run: end the process.
            Environment.Exit(results.Any(r => r.Outcome >= Outcome.Crash) ? 1 : 0);
            return 0;
        }

        private static string FindCorpus()
        {
            var env = Environment.GetEnvironmentVariable("QUANTGEN_CORPUS");
            if (!string.IsNullOrEmpty(env)) return env;
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "QuantGen.sln"))) return Path.GetFullPath(Path.Combine(d.FullName, "..", "shared", "corpus"));
            throw new DirectoryNotFoundException("../shared/corpus not found next to the repository (set QUANTGEN_CORPUS or --corpus)");
        }
    }
}
