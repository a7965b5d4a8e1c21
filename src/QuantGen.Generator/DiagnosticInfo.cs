using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace QuantGen.Generator
{
    /// <summary>
    /// A diagnostic as plain equatable data (it crosses incremental steps); it becomes a Roslyn
    /// <see cref="Diagnostic"/> only at output. <see cref="FilePath"/> is the file the diagnostic is about (the model,
    /// or the manifest when the model path is unknown); it is shown as the diagnostic's location.
    /// </summary>
    internal sealed record DiagnosticInfo(string Id, QgSeverity Severity, string Message, string FilePath)
    {
        public static DiagnosticInfo From(QgDiagnostic d, string filePath) => new DiagnosticInfo(d.Id, d.Severity, d.Message, filePath);

        public static DiagnosticInfo Error(string id, string message, string filePath) => new DiagnosticInfo(id, QgSeverity.Error, message, filePath);

        public Diagnostic ToDiagnostic()
        {
            var descriptor = DiagnosticDescriptors.ForId(Id);
            var location = FilePath.Length == 0
                ? Location.None
                : Location.Create(FilePath, default(TextSpan), default(LinePositionSpan));
            var message = descriptor.Id == Id ? Message : $"{Id}: {Message}";
            return Diagnostic.Create(descriptor, location, DiagnosticDescriptors.ToRoslyn(Severity), additionalLocations: null, properties: null, message);
        }

        public override string ToString() => $"{Id} {Severity}: {Message}";
    }
}
