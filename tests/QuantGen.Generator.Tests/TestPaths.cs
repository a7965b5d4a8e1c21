using System;
using System.IO;

namespace QuantGen.Generator.Tests
{
    /// <summary>Locates the repository root (the folder holding QuantGen.sln) and ../shared/corpus beside it.</summary>
    public static class TestPaths
    {
        public static string RepoRoot { get; } = FindRepo();

        public static string CorpusRoot { get; } = FindCorpus();

        public static string Corpus(params string[] parts) => Path.Combine(CorpusRoot, Path.Combine(parts));

        public static string MnistModel => Corpus("mnist_cntk", "model.onnx");

        private static string FindRepo()
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "QuantGen.sln"))) return d.FullName;
            throw new DirectoryNotFoundException("repository root (QuantGen.sln) not found above " + AppContext.BaseDirectory);
        }

        private static string FindCorpus()
        {
            var env = Environment.GetEnvironmentVariable("QUANTGEN_CORPUS");
            if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return Path.GetFullPath(env);
            var candidate = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "corpus"));
            if (Directory.Exists(candidate)) return candidate;
            throw new DirectoryNotFoundException("../shared/corpus not found next to the repository (set QUANTGEN_CORPUS)");
        }

        /// <summary>A fresh temporary folder, deleted by <see cref="IDisposable.Dispose"/>.</summary>
        public sealed class TempFolder : IDisposable
        {
            public TempFolder(string prefix)
            {
                Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), prefix + "-" + Guid.NewGuid().ToString("N").Substring(0, 8));
                Directory.CreateDirectory(Path);
            }

            public string Path { get; }

            public void Dispose()
            {
                try { Directory.Delete(Path, recursive: true); }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
        }
    }
}
