using System;

namespace QuantGen
{
    public enum QgSeverity { Info, Warning, Error }

    /// <summary>One diagnostic raised while compiling a model: plain equatable data (it crosses incremental steps).</summary>
    public sealed record QgDiagnostic(string Id, QgSeverity Severity, string Message)
    {
        public override string ToString() => $"{Id} {Severity.ToString().ToLowerInvariant()}: {Message}";
    }

    /// <summary>The catalog of QuantGen diagnostics. IDs are stable; AnalyzerReleases.Shipped.md mirrors this list.</summary>
    public static class DiagnosticIds
    {
        /// <summary>The model file cannot be read or is not a valid ONNX model.</summary>
        public const string InvalidModel = "QG0001";
        /// <summary>An operator (op type, domain or opset) is not supported.</summary>
        public const string UnsupportedOp = "QG0002";
        /// <summary>An attribute value is not supported or is invalid.</summary>
        public const string UnsupportedAttribute = "QG0003";
        /// <summary>A tensor shape cannot be inferred statically.</summary>
        public const string ShapeInference = "QG0004";
        /// <summary>External tensor data is outside the model's folder or missing.</summary>
        public const string ExternalData = "QG0005";
        /// <summary>An element type is not supported.</summary>
        public const string UnsupportedType = "QG0006";
        /// <summary>The &lt;QuantModel&gt; item has an invalid option.</summary>
        public const string InvalidOption = "QG0007";
        /// <summary>The model file named by a &lt;QuantModel&gt; item was not found.</summary>
        public const string ModelNotFound = "QG0008";
        /// <summary>A shape declared in the model disagrees with the inferred one (the inferred one is used).</summary>
        public const string DeclaredShapeMismatch = "QG0009";
        /// <summary>An unexpected failure inside QuantGen (a bug): reported instead of crashing the compiler.</summary>
        public const string InternalError = "QG0010";
        /// <summary>The quantized model's error on the calibration data exceeds the accuracy budget (cosine 0.99 by default).</summary>
        public const string AccuracyBudget = "QG0011";
        /// <summary>The model's static data cannot be stored: over 2 GB, or its file cannot be written for the build to embed.</summary>
        public const string StaticData = "QG0012";
    }

    /// <summary>Thrown inside the compiler phases; caught at the boundary and turned into a <see cref="QgDiagnostic"/>.</summary>
    public sealed class QgException : Exception
    {
        public string Id { get; }
        public QgException(string id, string message) : base(message) { Id = id; }
        public QgDiagnostic ToDiagnostic() => new QgDiagnostic(Id, QgSeverity.Error, Message);
    }
}
