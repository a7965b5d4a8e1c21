using System;
using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Graph
{
    /// <summary>
    /// The build-time semantics of one ONNX operator: attribute checks and shape/type inference, optional
    /// constant evaluation (for folding) and whether its output is a view of its first input.
    /// Code emission lives in the CodeGen phase, which derives from this.
    /// </summary>
    public abstract class OpDefinition
    {
        public abstract string OpType { get; }
        public virtual string Domain => "";

        /// <summary>Checks attributes and input types, and sets the type and shape of every output.</summary>
        public abstract void Infer(Node node);

        /// <summary>Evaluates the node at build time when every input is constant; null where this op does not fold.</summary>
        public virtual TensorData[]? Fold(Node node) => null;

        /// <summary>True when output 0 is the same elements as input 0 in the same order (Reshape, Flatten, Identity...).</summary>
        public virtual bool IsView(Node node) => false;

        /// <summary>Temporary bytes the generated code needs while this node runs (e.g. im2col columns).</summary>
        public virtual long ScratchBytes(Node node) => 0;

        // ---- helpers shared by the op files ----

        protected static Value In(Node n, int i) =>
            n.Input(i) ?? throw new QgException(DiagnosticIds.InvalidModel, $"{n.Describe()}: input {i} is required");

        protected static int[] ShapeOf(Node n, int i) =>
            In(n, i).Shape ?? throw new QgException(DiagnosticIds.ShapeInference, $"{n.Describe()}: the shape of input {i} ('{In(n, i).Name}') is unknown");

        protected static void SetOutput(Node n, int i, DataType type, int[] shape)
        {
            if (i >= n.Outputs.Count) return;
            Shapes.Size(shape);
            n.Outputs[i].Type = type;
            n.Outputs[i].Shape = shape;
        }

        protected static QgException Unsupported(Node n, string what) =>
            new QgException(DiagnosticIds.UnsupportedAttribute, $"{n.Describe()}: {what}");

        protected static QgException Invalid(Node n, string what) =>
            new QgException(DiagnosticIds.InvalidModel, $"{n.Describe()}: {what}");

        protected static void RequireTypes(Node n, int input, params DataType[] allowed)
        {
            var t = In(n, input).Type;
            if (Array.IndexOf(allowed, t) < 0)
                throw new QgException(DiagnosticIds.UnsupportedType,
                    $"{n.Describe()}: input {input} has element type {DataTypes.OnnxName(t)}; supported: {string.Join(", ", allowed.Select(DataTypes.OnnxName))}");
        }

        /// <summary>The constant value of an input, or a QG0004 error when the op needs it at build time.</summary>
        protected static TensorData ConstInput(Node n, int i, string what)
        {
            var v = In(n, i);
            return v.Constant ?? throw new QgException(DiagnosticIds.ShapeInference,
                $"{n.Describe()}: {what} ('{v.Name}') must be known at build time to infer shapes");
        }

        protected static bool AllInputsConstant(Node n) => n.Inputs.All(v => v == null || v.IsConstant);
    }

    /// <summary>Looks up the definition of an op (domain, type) for a given opset.</summary>
    public interface IOpRegistry
    {
        OpDefinition? Find(Node node);
    }
}
