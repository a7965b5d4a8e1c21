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
                var diagnostics = EquatableArray.From(result.Diagnostics.Select(d => DiagnosticInfo.From(d, request.ModelPath)));
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

        // RS1035 bans file IO in analyzers because the compiler cannot track such inputs. Here the input is tracked
        // another way: an ONNX model is binary and cannot be an AdditionalFile (CS2015), so build/QuantGen.targets
        // hashes it (GetFileHash, SHA256) into a small text manifest that IS an AdditionalFile. The manifest's content
        // (path + hash + options) is the cache key of this step, so an edited model yields a new manifest and a re-run.
        // These two methods are the only file IO in the generator.
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
