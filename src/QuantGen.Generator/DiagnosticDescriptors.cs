using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace QuantGen.Generator
{
    /// <summary>
    /// The one catalog of QuantGen diagnostics (IDs from <see cref="DiagnosticIds"/>, in sequence), mirrored in
    /// AnalyzerReleases.Shipped.md / AnalyzerReleases.Unshipped.md. The compiler phases produce plain
    /// <see cref="QgDiagnostic"/> records; they become Roslyn diagnostics only at output, with their own severity
    /// (an info from the compiler, such as a symbolic dimension bound to 1, stays an info).
    /// </summary>
    internal static class DiagnosticDescriptors
    {
        public const string Category = "QuantGen";

        private static DiagnosticDescriptor Create(string id, string title, DiagnosticSeverity severity) =>
            new DiagnosticDescriptor(id, title, "{0}", Category, severity, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor InvalidModel =
            Create(DiagnosticIds.InvalidModel, "The model file cannot be read or is not a valid ONNX model", DiagnosticSeverity.Error);
        public static readonly DiagnosticDescriptor UnsupportedOp =
            Create(DiagnosticIds.UnsupportedOp, "An operator is not supported", DiagnosticSeverity.Error);
        public static readonly DiagnosticDescriptor UnsupportedAttribute =
            Create(DiagnosticIds.UnsupportedAttribute, "An attribute value is not supported", DiagnosticSeverity.Error);
        public static readonly DiagnosticDescriptor ShapeInference =
            Create(DiagnosticIds.ShapeInference, "A tensor shape cannot be inferred statically", DiagnosticSeverity.Error);
        public static readonly DiagnosticDescriptor ExternalData =
            Create(DiagnosticIds.ExternalData, "External tensor data is missing or outside the model's folder", DiagnosticSeverity.Error);
        public static readonly DiagnosticDescriptor UnsupportedType =
            Create(DiagnosticIds.UnsupportedType, "An element type is not supported", DiagnosticSeverity.Error);
        public static readonly DiagnosticDescriptor InvalidOption =
            Create(DiagnosticIds.InvalidOption, "A <QuantModel> item has an invalid option", DiagnosticSeverity.Error);
        public static readonly DiagnosticDescriptor ModelNotFound =
            Create(DiagnosticIds.ModelNotFound, "The model file of a <QuantModel> item was not found", DiagnosticSeverity.Error);
        public static readonly DiagnosticDescriptor DeclaredShapeMismatch =
            Create(DiagnosticIds.DeclaredShapeMismatch, "A declared shape disagrees with the inferred one", DiagnosticSeverity.Warning);
        public static readonly DiagnosticDescriptor InternalError =
            Create(DiagnosticIds.InternalError, "Internal error in QuantGen", DiagnosticSeverity.Error);
        public static readonly DiagnosticDescriptor AccuracyBudget =
            Create(DiagnosticIds.AccuracyBudget, "The quantized model's error on the calibration data exceeds the accuracy budget", DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor StaticData =
            Create(DiagnosticIds.StaticData, "The model's static data cannot be stored", DiagnosticSeverity.Error);

        private static readonly Dictionary<string, DiagnosticDescriptor> s_byId = new Dictionary<string, DiagnosticDescriptor>
        {
            [DiagnosticIds.InvalidModel] = InvalidModel,
            [DiagnosticIds.UnsupportedOp] = UnsupportedOp,
            [DiagnosticIds.UnsupportedAttribute] = UnsupportedAttribute,
            [DiagnosticIds.ShapeInference] = ShapeInference,
            [DiagnosticIds.ExternalData] = ExternalData,
            [DiagnosticIds.UnsupportedType] = UnsupportedType,
            [DiagnosticIds.InvalidOption] = InvalidOption,
            [DiagnosticIds.ModelNotFound] = ModelNotFound,
            [DiagnosticIds.DeclaredShapeMismatch] = DeclaredShapeMismatch,
            [DiagnosticIds.InternalError] = InternalError,
            [DiagnosticIds.AccuracyBudget] = AccuracyBudget,
            [DiagnosticIds.StaticData] = StaticData,
        };

        /// <summary>All descriptors, in ID order.</summary>
        public static IReadOnlyCollection<DiagnosticDescriptor> All => s_byId.Values;

        /// <summary>The descriptor of an ID; an unknown ID (a compiler bug) maps to QG0010.</summary>
        public static DiagnosticDescriptor ForId(string id) =>
            s_byId.TryGetValue(id, out var d) ? d : InternalError;

        public static DiagnosticSeverity ToRoslyn(QgSeverity severity) => severity switch
        {
            QgSeverity.Info => DiagnosticSeverity.Info,
            QgSeverity.Warning => DiagnosticSeverity.Warning,
            _ => DiagnosticSeverity.Error,
        };
    }
}
