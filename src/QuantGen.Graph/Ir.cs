using System;
using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Graph
{
    /// <summary>A tensor value in the graph: a graph input, an initializer (constant) or a node output.</summary>
    public sealed class Value
    {
        public Value(string name) { Name = name; }
        public string Name { get; set; }
        public DataType Type { get; set; }
        /// <summary>Static shape once inferred; null before inference.</summary>
        public int[]? Shape { get; set; }
        /// <summary>Symbolic shape declared by the model (dim_param names or null per dim), for inputs and outputs.</summary>
        public string?[]? SymbolicDims { get; set; }
        /// <summary>Build-time data when the value is a constant.</summary>
        public TensorData? Constant { get; set; }
        public Node? Producer { get; set; }
        /// <summary>
        /// Set on the float constant that replaced a DequantizeLinear of constant int8 weights in a pre-quantized (QDQ) model:
        /// the model's own quantized values and scales (<see cref="Quantization.QdqModel.MarkWeights"/>).
        /// </summary>
        public Quantization.QuantizedTensor? QuantizedSource { get; set; }
        public bool IsConstant => Constant != null;
        public override string ToString() => $"{Name}:{DataTypes.OnnxName(Type)}{Shapes.Format(Shape)}";
    }

    public enum AttributeKind { Float, Int, String, Tensor, Graph, Floats, Ints, Strings, Tensors, Graphs, Other }

    public sealed class NodeAttribute
    {
        public NodeAttribute(string name, AttributeKind kind) { Name = name; Kind = kind; }
        public string Name { get; }
        public AttributeKind Kind { get; }
        public float F { get; set; }
        public long I { get; set; }
        public string S { get; set; } = "";
        public TensorData? T { get; set; }
        public Graph? G { get; set; }
        public float[] Floats { get; set; } = Array.Empty<float>();
        public long[] Ints { get; set; } = Array.Empty<long>();
        public string[] Strings { get; set; } = Array.Empty<string>();
    }

    public sealed class Node
    {
        public Node(string name, string opType, string domain) { Name = name; OpType = opType; Domain = domain; }
        public string Name { get; set; }
        public string OpType { get; }
        public string Domain { get; }
        /// <summary>Inputs in order; null for an omitted optional input.</summary>
        public List<Value?> Inputs { get; } = new List<Value?>();
        public List<Value> Outputs { get; } = new List<Value>();
        public Dictionary<string, NodeAttribute> Attributes { get; } = new Dictionary<string, NodeAttribute>(StringComparer.Ordinal);
        /// <summary>The opset version of this node's domain in force for the model.</summary>
        public int Opset { get; set; }

        /// <summary>The precision and quantization parameters decided for this node (null: float32).</summary>
        public Quantization.LayerQuantization? Quantization { get; set; }

        /// <summary>Activation fused into this node's epilogue by the fusion pass (op type, attributes).</summary>
        public Node? FusedActivation { get; set; }

        public string Describe() => $"node '{Name}' ({(Domain.Length == 0 ? "" : Domain + ":")}{OpType}, opset {Opset})";

        public Value? Input(int i) => i < Inputs.Count ? Inputs[i] : null;

        public bool Has(string attr) => Attributes.ContainsKey(attr);

        public long GetInt(string name, long @default) => Attributes.TryGetValue(name, out var a) ? a.I : @default;
        public float GetFloat(string name, float @default) => Attributes.TryGetValue(name, out var a) ? a.F : @default;
        public string GetString(string name, string @default) => Attributes.TryGetValue(name, out var a) ? a.S : @default;
        public long[]? GetInts(string name) => Attributes.TryGetValue(name, out var a) ? a.Ints : null;
        public float[]? GetFloats(string name) => Attributes.TryGetValue(name, out var a) ? a.Floats : null;

        public override string ToString() => Describe();
    }

    /// <summary>A graph (the main graph or an If branch). Subgraphs may read values of enclosing graphs by name.</summary>
    public sealed class Graph
    {
        public Graph(string name, Graph? parent) { Name = name; Parent = parent; }
        public string Name { get; }
        public Graph? Parent { get; }
        public List<Node> Nodes { get; set; } = new List<Node>();
        public List<Value> Inputs { get; } = new List<Value>();
        public List<Value> Outputs { get; } = new List<Value>();
        /// <summary>Every value defined in this graph, by name.</summary>
        public Dictionary<string, Value> Values { get; } = new Dictionary<string, Value>(StringComparer.Ordinal);

        public Value? Lookup(string name)
        {
            for (var g = this; g != null; g = g.Parent)
                if (g.Values.TryGetValue(name, out var v)) return v;
            return null;
        }

        /// <summary>Every node in this graph and its subgraphs.</summary>
        public IEnumerable<Node> AllNodes()
        {
            foreach (var n in Nodes)
            {
                yield return n;
                foreach (var a in n.Attributes.Values)
                    if (a.G != null)
                        foreach (var m in a.G.AllNodes()) yield return m;
            }
        }

        /// <summary>Values this graph reads from enclosing graphs (for subgraphs).</summary>
        public IEnumerable<Value> OuterReferences()
        {
            var seen = new HashSet<Value>();
            foreach (var n in AllNodes())
                foreach (var v in n.Inputs)
                    if (v != null && !OwnsRecursively(v) && seen.Add(v)) yield return v;
            foreach (var v in Outputs)
                if (!OwnsRecursively(v) && seen.Add(v)) yield return v;
        }

        private bool OwnsRecursively(Value v)
        {
            if (Values.TryGetValue(v.Name, out var mine) && ReferenceEquals(mine, v)) return true;
            foreach (var n in Nodes)
                foreach (var a in n.Attributes.Values)
                    if (a.G != null && a.G.OwnsRecursively(v)) return true;
            return false;
        }
    }

    /// <summary>A parsed model: the main graph, opset imports and identity.</summary>
    public sealed class Model
    {
        public Model(string fileName, Graph graph, IReadOnlyDictionary<string, int> opsets)
        {
            FileName = fileName; Graph = graph; Opsets = opsets;
        }
        public string FileName { get; }
        public Graph Graph { get; }
        public IReadOnlyDictionary<string, int> Opsets { get; }
        public string Producer { get; set; } = "";
        public long IrVersion { get; set; }
    }
}
