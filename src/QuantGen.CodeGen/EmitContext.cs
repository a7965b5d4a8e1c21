using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen
{
    /// <summary>What an op's Emit sees: its node, expressions for its inputs/outputs/scratch, constants and kernels.</summary>
    public sealed class EmitContext
    {
        private readonly ModelEmitter _emitter;

        internal EmitContext(ModelEmitter emitter, NodeStep step, CodeWriter writer)
        {
            _emitter = emitter; Step = step; W = writer;
        }

        public NodeStep Step { get; }
        public Node Node => Step.Node;
        public CodeWriter W { get; }

        public Value InValue(int i) => Node.Input(i) ?? throw new InvalidOperationException($"{Node.Describe()}: input {i} missing");
        public bool HasInput(int i) => Node.Input(i) != null;

        /// <summary>An expression of type ReadOnlySpan&lt;T&gt; (or Span&lt;T&gt;) for input i.</summary>
        public string In(int i) => _emitter.Read(InValue(i));
        public Value OutValue(int i) => Node.Outputs[i];

        /// <summary>An expression of type Span&lt;T&gt; for output i.</summary>
        public string Out(int i) => _emitter.Write(Node.Outputs[i]);

        /// <summary>The node's scratch memory reinterpreted as T.</summary>
        public string Scratch(string elementType) =>
            Step.ScratchBytes == 0 ? $"Span<{elementType}>.Empty"
            : $"MemoryMarshal.Cast<byte, {elementType}>(workspace.Slice({Step.ScratchOffset}, {Step.ScratchBytes}))";

        /// <summary>The node's scratch memory as bytes.</summary>
        public string ScratchBytes() =>
            Step.ScratchBytes == 0 ? "Span<byte>.Empty" : $"workspace.Slice({Step.ScratchOffset}, {Step.ScratchBytes})";

        /// <summary>Registers build-time data (e.g. packed weights) and returns a ReadOnlySpan&lt;T&gt; expression for it.</summary>
        public string Const(TensorData data, string label) => _emitter.Constants.Add(data, label);

        /// <summary>Marks a kernel file as used and returns the qualified name of its class.</summary>
        public string Kernel(string name)
        {
            _emitter.UseKernel(name);
            return "global::QuantGen.Kernels." + name;
        }

        public string Elem(DataType t) => DataTypes.CSharpName(t);

        /// <summary>A local variable name unique in the generated method (several nodes may need the same kind of local).</summary>
        public string Local(string baseName) => _emitter.UniqueLocal(baseName);

        /// <summary>The fused activation as (kind, a, b) kernel arguments: kind 0 none, 1 Relu, 2 LeakyRelu(a), 3 Clip(a, b).</summary>
        public string ActivationArgs()
        {
            var act = Node.FusedActivation;
            if (act == null) return "0, 0f, 0f";
            switch (act.OpType)
            {
                case "Relu": return "1, 0f, 0f";
                case "LeakyRelu": return $"2, {CodeWriter.Float(act.GetFloat("alpha", 0.01f))}, 0f";
                case "Clip":
                {
                    var (lo, hi) = ClipBounds(act);
                    return $"3, {CodeWriter.Float(lo)}, {CodeWriter.Float(hi)}";
                }
                default: throw new InvalidOperationException(act.OpType);
            }
        }

        /// <summary>Clip bounds (<see cref="Fusion.ClipBounds"/>).</summary>
        public static (float Lo, float Hi) ClipBounds(Node clip) => Fusion.ClipBounds(clip);
    }
}
