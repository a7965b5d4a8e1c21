using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen
{
    /// <summary>
    /// One ONNX operator: attribute checks and shapes (from <see cref="OpDefinition"/>), optional constant folding,
    /// and C# emission. Each op lives in its own file under Ops/ and is registered in <see cref="OperatorRegistry"/>.
    /// </summary>
    public abstract class Operator : OpDefinition
    {
        /// <summary>Writes the statements that compute the node's outputs.</summary>
        public abstract void Emit(EmitContext ctx);

        /// <summary>True when the op can apply a fused Relu/LeakyRelu/Clip epilogue to its float output.</summary>
        public virtual bool AcceptsActivation(Node node) => false;

        /// <summary>A one-line description for the per-op comment in generated code.</summary>
        public virtual string Describe(Node node) => "";
    }

    /// <summary>The ops QuantGen supports, by (domain, op type). A table, not an if-chain: add an op by adding a line.</summary>
    public sealed class OperatorRegistry : IOpRegistry
    {
        private readonly Dictionary<string, Operator> _ops = new Dictionary<string, Operator>(StringComparer.Ordinal);

        public static OperatorRegistry Default { get; } = CreateDefault();

        private static OperatorRegistry CreateDefault()
        {
            var r = new OperatorRegistry();
            foreach (var op in Ops.All.Create()) r._ops[Key(op.Domain, op.OpType)] = op;
            return r;
        }

        private static string Key(string domain, string opType) => domain + ":" + opType;

        public OpDefinition? Find(Node node) => Get(node);

        public Operator? Get(Node node) => _ops.TryGetValue(Key(node.Domain, node.OpType), out var op) ? op : null;

        public IEnumerable<string> SupportedOps => _ops.Values.Select(o => o.OpType).OrderBy(s => s, StringComparer.Ordinal);

        public bool IsSupported(string domain, string opType) => _ops.ContainsKey(Key(domain == "ai.onnx" ? "" : domain, opType));
    }
}
