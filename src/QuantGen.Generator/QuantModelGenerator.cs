using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using QuantGen.CodeGen;

namespace QuantGen.Generator
{
    /// <summary>
    /// Compiles the ONNX models of &lt;QuantModel&gt; items into C#. The whole pipeline is in <see cref="Initialize"/>:
    /// <code>
    /// manifest AdditionalFiles -> text -> ModelRequest (path, hash, options) -> GeneratedModel -> "[Ns.]Class.g.cs" + diagnostics
    ///                                                  \-> class names -> Collect -> duplicates -/
    ///                                                                            GeneratedModel -> kernel names -> Collect -> union -> kernel files, once
    /// </code>
    /// The generator never throws: any failure is a QG diagnostic (QG0010 for bugs).
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class QuantModelGenerator : IIncrementalGenerator
    {
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            // 1. The manifests written by build/QuantGen.targets (one per <QuantModel>). The .onnx files themselves are
            //    not AdditionalFiles: they are binary (CS2015).
            var manifests = context.AdditionalTextsProvider
                .Where(static file => file.Path.EndsWith(ModelRequest.ManifestExtension, StringComparison.OrdinalIgnoreCase))
                .Select(static (file, ct) => new ManifestText(file.Path, file.GetText(ct)?.ToString() ?? ""))
                .WithTrackingName(StepNames.Manifests);

            // 2. Parse and validate the options: the equatable cache key of the expensive step.
            var requests = manifests
                .Select(static (manifest, _) => ModelRequest.Parse(manifest.Path, manifest.Text))
                .WithTrackingName(StepNames.ModelRequests);

            // 3. Read the model and compile it to C# (runs again only when a manifest's hash or options change).
            var models = requests
                .Select(static (request, ct) => GeneratedModel.Generate(request, ct))
                .WithTrackingName(StepNames.GeneratedModels);

            // 4. Generated class names used by more than one item (a hint name can be added once; reported as QG0007).
            var duplicateClasses = requests
                .Select(static (request, _) => request.IsValid ? request.FullClassName : "")
                .Collect()
                .Select(static (names, _) => EquatableArray.From(names.Where(n => n.Length > 0)
                    .GroupBy(n => n, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1)
                    .Select(g => g.Key).OrderBy(n => n, StringComparer.Ordinal)))
                .WithTrackingName(StepNames.DuplicateClasses);

            // 5. One file per model, plus its diagnostics.
            context.RegisterSourceOutput(models.Combine(duplicateClasses), static (spc, pair) => EmitModel(spc, pair.Left, pair.Right));

            // 6. Kernels are internal classes in one namespace: emit them once for the union of all models' kernels.
            var kernels = models
                .Select(static (model, _) => model.Kernels)
                .WithTrackingName(StepNames.KernelNames)
                .Collect()
                .Select(static (sets, _) => EquatableArray.From(sets.SelectMany(s => s).Distinct(StringComparer.Ordinal).OrderBy(k => k, StringComparer.Ordinal)))
                .WithTrackingName(StepNames.KernelUnion);
            context.RegisterSourceOutput(kernels, static (spc, names) => EmitKernels(spc, names));
        }

        private static void EmitModel(SourceProductionContext context, GeneratedModel model, EquatableArray<string> duplicateClasses)
        {
            try
            {
                foreach (var d in model.Diagnostics) context.ReportDiagnostic(d.ToDiagnostic());
                if (model.Source is null) return;
                if (duplicateClasses.Any(c => string.Equals(c, model.Request.FullClassName, StringComparison.OrdinalIgnoreCase)))
                {
                    context.ReportDiagnostic(DiagnosticInfo.Error(DiagnosticIds.InvalidOption,
                        $"<QuantModel Include=\"{model.Request.Item}\">: another <QuantModel> item also generates the class '{model.Request.FullClassName}' (names compare ignoring case); set a different ClassName or Namespace",
                        model.Request.DiagnosticFile).ToDiagnostic());
                    return;
                }
                context.AddSource(model.HintName, SourceText.From(model.Source, Encoding.UTF8));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                context.ReportDiagnostic(DiagnosticInfo.Error(DiagnosticIds.InternalError,
                    $"internal error in QuantGen while adding '{model.HintName}' ({e.GetType().Name}: {e.Message})", model.Request.DiagnosticFile).ToDiagnostic());
            }
        }

        private static void EmitKernels(SourceProductionContext context, EquatableArray<string> names)
        {
            if (names.Count == 0) return;
            try
            {
                foreach (var file in KernelLibrary.Emit(names))
                    context.AddSource(file.Key, SourceText.From(file.Value, Encoding.UTF8));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                context.ReportDiagnostic(DiagnosticInfo.Error(DiagnosticIds.InternalError,
                    $"internal error in QuantGen while emitting kernels {string.Join(", ", names)} ({e.GetType().Name}: {e.Message})", "").ToDiagnostic());
            }
        }
    }

    /// <summary>The path and text of one manifest AdditionalFile (equatable, unlike <see cref="AdditionalText"/>).</summary>
    internal sealed record ManifestText(string Path, string Text);
}
