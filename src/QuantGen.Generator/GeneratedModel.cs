using System;
using System.IO;
using System.Linq;
using System.Threading;
using QuantGen.CodeGen;
using QuantGen.Onnx;

namespace QuantGen.Generator
{
    /// <summary>
    /// The generated code of one model, its kernel names and its diagnostics. Equality is the request's (content hash
    /// and options): comparing megabytes of source on every run would cost more than it saves, and the same request
    /// always produces the same output (the compiler is deterministic).
    /// </summary>
    internal sealed class GeneratedModel : IEquatable<GeneratedModel>
    {
        public GeneratedModel(ModelRequest request, string? source, EquatableArray<string> kernels, EquatableArray<DiagnosticInfo> diagnostics)
        {
            Request = request; Source = source; Kernels = kernels; Diagnostics = diagnostics;
        }

        public ModelRequest Request { get; }
        /// <summary>The model class source; null when the model could not be compiled (see <see cref="Diagnostics"/>).</summary>
        public string? Source { get; }
        /// <summary>Names of the kernel files the source uses, sorted (empty when <see cref="Source"/> is null).</summary>
        public EquatableArray<string> Kernels { get; }
        public EquatableArray<DiagnosticInfo> Diagnostics { get; }

        /// <summary>Hint name of the generated file: <c>[Namespace.]ClassName.g.cs</c> (unique per generated class).</summary>
        public string HintName => Request.FullClassName + ".g.cs";

        public bool Equals(GeneratedModel? other) => other is not null && Request.Equals(other.Request);
        public override bool Equals(object? obj) => Equals(obj as GeneratedModel);
        public override int GetHashCode() => Request.GetHashCode();

        /// <summary>Reads the model named by the request and compiles it. Never throws (except on cancellation).</summary>
        public static GeneratedModel Generate(ModelRequest request, CancellationToken cancellationToken)
        {
            if (!request.IsValid) return Failed(request, request.Errors);
            try
            {
                if (!ModelFileExists(request.ModelPath))
                    return Failed(request, DiagnosticInfo.Error(DiagnosticIds.ModelNotFound,
                        $"<QuantModel Include=\"{request.Item}\">: the model file '{request.ModelPath}' was not found", request.ModelPath));
                var bytes = ReadModel(request.ModelPath);
                cancellationToken.ThrowIfCancellationRequested();
                var folder = Path.GetDirectoryName(request.ModelPath) ?? ".";
                var result = ModelCompiler.Compile(bytes, Path.GetFileName(request.ModelPath), OnnxModelReader.FolderResolver(folder), request.ToCompileOptions());
                cancellationToken.ThrowIfCancellationRequested();
                var reportDiagnostics = WriteReport(request, result.Report);
                var dataDiagnostics = result.StaticData is null ? Array.Empty<QgDiagnostic>() : WriteStaticData(request, result.StaticData);
                var diagnostics = EquatableArray.From(result.Diagnostics.Concat(reportDiagnostics).Concat(dataDiagnostics).Select(d => DiagnosticInfo.From(d, request.ModelPath)));
                var kernels = EquatableArray.From(result.Kernels.Distinct(StringComparer.Ordinal).OrderBy(k => k, StringComparer.Ordinal));
                return result.Source is null
                    ? new GeneratedModel(request, null, EquatableArray<string>.Empty, diagnostics)
                    : new GeneratedModel(request, result.Source, kernels, diagnostics);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (IOException e)
            {
                return Failed(request, DiagnosticInfo.Error(DiagnosticIds.InvalidModel,
                    $"<QuantModel Include=\"{request.Item}\">: cannot read '{request.ModelPath}': {e.Message}", request.ModelPath));
            }
            catch (UnauthorizedAccessException e)
            {
                return Failed(request, DiagnosticInfo.Error(DiagnosticIds.InvalidModel,
                    $"<QuantModel Include=\"{request.Item}\">: cannot read '{request.ModelPath}': {e.Message}", request.ModelPath));
            }
            catch (Exception e)
            {
                return Failed(request, DiagnosticInfo.Error(DiagnosticIds.InternalError,
                    $"<QuantModel Include=\"{request.Item}\">: internal error in QuantGen ({e.GetType().Name}: {e.Message})", request.DiagnosticFile));
            }
        }

        /// <summary>Where the report of a request goes: beside its manifest, in the intermediate output folder.</summary>
        public static string ReportPath(ModelRequest request, string extension) =>
            Path.Combine(Path.GetDirectoryName(request.ManifestPath) ?? ".", request.FullClassName + extension);

        /// <summary>The one-line summary the build prints (QuantGen.targets reads it after CoreCompile).</summary>
        public static string SummaryPath(ModelRequest request) => request.ManifestPath + ".report";

        // The quantization report is an output for people and tools, not for the compilation: Roslyn has no API to emit a
        // file other than source, so the generator writes it into the intermediate folder that build/QuantGen.targets owns,
        // from the cached step (it runs only when the manifest, i.e. model, options or calibration data, changes). Files are
        // rewritten only when their content differs; a float32 build removes a stale summary. A failure to write is a
        // warning, never a failed build.
#pragma warning disable RS1035 // Do not use APIs banned for analyzers: see the comment above.
        private static QgDiagnostic[] WriteReport(ModelRequest request, QuantizationReport? report)
        {
            // Only beside a manifest that build/QuantGen.targets wrote (it creates the folder); never create folders elsewhere.
            if (request.ManifestPath.Length == 0 || !Directory.Exists(Path.GetDirectoryName(request.ManifestPath))) return Array.Empty<QgDiagnostic>();
            try
            {
                var summary = SummaryPath(request);
                if (report == null)
                {
                    if (File.Exists(summary)) File.Delete(summary);
                    return Array.Empty<QgDiagnostic>();
                }
                var md = ReportPath(request, ".quantgen.md");
                WriteIfDifferent(md, report.ToMarkdown());
                WriteIfDifferent(ReportPath(request, ".quantgen.json"), report.ToJson());
                WriteIfDifferent(summary, "QuantGen report " + md + ": " + report.Headline + "\n");
                return Array.Empty<QgDiagnostic>();
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return new[] { new QgDiagnostic(DiagnosticIds.InvalidOption, QgSeverity.Warning, $"<QuantModel Include=\"{request.Item}\">: cannot write the quantization report: {e.Message}") };
            }
        }

        private static void WriteIfDifferent(string path, string text)
        {
            if (File.Exists(path) && File.ReadAllText(path) == text) return;
            File.WriteAllText(path, text);
        }

        /// <summary>Where the static data of a request goes: beside its manifest (build/QuantGen.targets embeds this file).</summary>
        public static string StaticDataPath(ModelRequest request) => request.ManifestPath + ".staticdata";

        // The static data (request.Resource set): the weights leave the compilation, so an edit of the consumer's own code no
        // longer binds and emits megabytes of literals. Roslyn can add only source to a compilation, so the generator writes the
        // bytes into the intermediate folder and build/QuantGen.targets passes that file to the same csc call as an embedded
        // resource (/resource:), which the compiler reads when it emits the assembly, after the generators ran. The targets
        // create an empty placeholder before the first compile, so the compiler never misses the file; should a compiler
        // read it before the generator rewrote it, the generated code's length and checksum check turns that into an
        // exception at first use, never into wrong weights. Written from the cached step, rewritten only when different (the
        // timestamp of an unchanged file stays, so the compile stays up to date). Unlike the report, a failure is an error.
        private static QgDiagnostic[] WriteStaticData(ModelRequest request, byte[] data)
        {
            var path = StaticDataPath(request);
            try
            {
                if (!Directory.Exists(Path.GetDirectoryName(path)))
                    throw new DirectoryNotFoundException($"the folder of '{path}' does not exist (build/QuantGen.targets creates it)");
                if (!(File.Exists(path) && new FileInfo(path).Length == data.Length && File.ReadAllBytes(path).AsSpan().SequenceEqual(data)))
                    File.WriteAllBytes(path, data);
                return Array.Empty<QgDiagnostic>();
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return new[] { new QgDiagnostic(DiagnosticIds.StaticData, QgSeverity.Error, $"<QuantModel Include=\"{request.Item}\">: cannot write the static data file: {e.Message}") };
            }
        }
#pragma warning restore RS1035

        // RS1035 bans file IO in analyzers because the compiler cannot track such inputs. Here the input is tracked
        // another way: an ONNX model is binary and cannot be an AdditionalFile (CS2015), so build/QuantGen.targets
        // hashes it (GetFileHash, SHA256) into a small text manifest that IS an AdditionalFile. The manifest's content
        // (path + hash + options) is the cache key of this step, so an edited model yields a new manifest and a re-run.
        // These two methods and the report and static data writers above are the only file IO in the generator.
#pragma warning disable RS1035 // Do not use APIs banned for analyzers: see the comment above.
        private static bool ModelFileExists(string path) => File.Exists(path);

        private static byte[] ReadModel(string path) => File.ReadAllBytes(path);
#pragma warning restore RS1035

        private static GeneratedModel Failed(ModelRequest request, params DiagnosticInfo[] diagnostics) =>
            Failed(request, EquatableArray.From(diagnostics));

        private static GeneratedModel Failed(ModelRequest request, EquatableArray<DiagnosticInfo> diagnostics) =>
            new GeneratedModel(request, null, EquatableArray<string>.Empty, diagnostics);
    }
}
