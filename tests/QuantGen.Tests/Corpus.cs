using System;
using System.IO;

namespace QuantGen.Tests
{
    /// <summary>Locates ../shared/corpus (next to the repository) from the test binary's folder.</summary>
    public static class Corpus
    {
        public static string Root { get; } = Find();

        private static string Find()
        {
            var env = Environment.GetEnvironmentVariable("QUANTGEN_CORPUS");
            if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return Path.GetFullPath(env);
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            {
                var candidate = Path.Combine(d.FullName, "..", "shared", "corpus");
                if (Directory.Exists(candidate) && File.Exists(Path.Combine(d.FullName, "QuantGen.sln"))) return Path.GetFullPath(candidate);
            }
            throw new DirectoryNotFoundException("../shared/corpus not found next to the repository (set QUANTGEN_CORPUS)");
        }

        public static string RepoRoot { get; } = FindRepo();

        private static string FindRepo()
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "QuantGen.sln"))) return d.FullName;
            throw new DirectoryNotFoundException("repository root not found");
        }

        public static string Path_(params string[] parts) => System.IO.Path.Combine(Root, System.IO.Path.Combine(parts));
    }
}
