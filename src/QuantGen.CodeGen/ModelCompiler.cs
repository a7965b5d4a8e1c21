using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using QuantGen.Graph;
using QuantGen.Onnx;

namespace QuantGen.CodeGen
{
    /// <summary>Options of one &lt;QuantModel&gt; item.</summary>
    public sealed record CompileOptions
    {
        public string ClassName { get; init; } = "Model";
        /// <summary>Namespace of the generated class; empty for the global namespace.</summary>
        public string Namespace { get; init; } = "";
        /// <summary>"Float32" or "Int8".</summary>
        public string Precision { get; init; } = "Float32";
        /// <summary>"public" or "internal".</summary>
        public string Accessibility { get; init; } = "public";
        /// <summary>Values for symbolic dimensions (dim_param), e.g. batch_size=1.</summary>
        public IReadOnlyDictionary<string, int> Dimensions { get; init; } = new Dictionary<string, int>();
    }

    /// <summary>The result of compiling one model: its source (null on error), the kernels it uses, and diagnostics.</summary>
    public sealed class CompileResult
    {
        public CompileResult(string? source, IReadOnlyList<string> kernels, IReadOnlyList<QgDiagnostic> diagnostics, InferencePlan? plan)
        {
            Source = source; Kernels = kernels; Diagnostics = diagnostics; Plan = plan;
        }
        public string? Source { get; }
        public IReadOnlyList<string> Kernels { get; }
        public IReadOnlyList<QgDiagnostic> Diagnostics { get; }
        public InferencePlan? Plan { get; }
        public bool Success => Source != null;
    }

    /// <summary>
    /// The compiler's front door: ONNX bytes -> parse -> graph (inference, folding, fusion) -> plan -> C#.
    /// Never throws for bad input: every failure becomes a QG diagnostic.
    /// </summary>
    public static class ModelCompiler
    {
        public const string Version = "0.1.0";

        public static string Sha256(byte[] bytes)
        {
            using var sha = SHA256.Create();
            return string.Concat(sha.ComputeHash(bytes).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        }

        /// <summary>Parses and optimizes a model into a plan (used by the emitter, the CLI and tests).</summary>
        public static InferencePlan BuildPlan(byte[] modelBytes, string modelFileName, ExternalDataResolver? resolver,
            CompileOptions options, List<QgDiagnostic> diagnostics)
        {
            var ops = OperatorRegistry.Default;
            var proto = OnnxModelReader.Parse(modelBytes, modelFileName);
            var model = OnnxImporter.Import(proto, modelFileName, resolver, options.Dimensions, diagnostics);
            foreach (var v in model.Graph.Inputs)
            {
                if (!DataTypes.IsRuntimeSupported(v.Type))
                    throw new QgException(DiagnosticIds.UnsupportedType, $"{modelFileName}: input '{v.Name}' has element type {DataTypes.OnnxName(v.Type)}, which is not supported");
                if (v.Shape == null)
                    throw new QgException(DiagnosticIds.ShapeInference, $"{modelFileName}: input '{v.Name}' has no shape");
            }
            InferGraph(model.Graph, ops, diagnostics, modelFileName);
            Passes.CheckDeclaredOutputs(model.Graph, diagnostics, modelFileName, options.Dimensions);
            Passes.RemoveDeadNodes(model.Graph);
            Fusion.Run(model.Graph, n => ops.Get(n)?.AcceptsActivation(n) == true);
            return Planner.Plan(model, ops);
        }

        private static void InferGraph(QuantGen.Graph.Graph g, OperatorRegistry ops, List<QgDiagnostic> diagnostics, string file)
        {
            Passes.InferAndFold(g, ops, diagnostics, file);
        }

        public static CompileResult Compile(byte[] modelBytes, string modelFileName, ExternalDataResolver? resolver, CompileOptions options)
        {
            var diagnostics = new List<QgDiagnostic>();
            try
            {
                if (options.Precision != "Float32")
                    throw new QgException(DiagnosticIds.InvalidOption, $"{modelFileName}: Precision '{options.Precision}' is not supported yet (supported: Float32)");
                var plan = BuildPlan(modelBytes, modelFileName, resolver, options, diagnostics);
                var emitter = new ModelEmitter(plan, options, Sha256(modelBytes), OperatorRegistry.Default);
                var source = emitter.Emit();
                return new CompileResult(source, emitter.Kernels.ToList(), diagnostics, plan);
            }
            catch (QgException e)
            {
                diagnostics.Add(e.ToDiagnostic());
            }
            catch (ShapeException e)
            {
                diagnostics.Add(new QgDiagnostic(DiagnosticIds.ShapeInference, QgSeverity.Error, $"{modelFileName}: {e.Message}"));
            }
            catch (Exception e) when (e is OutOfMemoryException || e is OverflowException || e is InsufficientExecutionStackException)
            {
                diagnostics.Add(new QgDiagnostic(DiagnosticIds.InvalidModel, QgSeverity.Error, $"{modelFileName}: the model is too large or too deep to compile ({e.GetType().Name})"));
            }
            catch (Exception e)
            {
                diagnostics.Add(new QgDiagnostic(DiagnosticIds.InternalError, QgSeverity.Error, $"{modelFileName}: internal error in QuantGen ({e.GetType().Name}: {e.Message})"));
            }
            return new CompileResult(null, Array.Empty<string>(), diagnostics, null);
        }
    }
}
