using System;
using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Graph
{
    /// <summary>
    /// Fusions on an inferred graph. Each rewrite keeps ONNX semantics exactly up to float rounding of the folded
    /// constants: BatchNormalization folded into a preceding Conv, constant per-channel Adds folded into a
    /// Conv/Gemm bias, MatMul + Add with a 2-D constant weight turned into Gemm, and elementwise activations
    /// (Relu, LeakyRelu, Clip with constant bounds) fused into the producer's epilogue.
    /// </summary>
    public static class Fusion
    {
        public static readonly string[] EpilogueActivations = { "Relu", "LeakyRelu", "Clip" };

        public static void Run(Graph g, Func<Node, bool> acceptsActivation)
        {
            var uses = Passes.UseCounts(g);
            var outputs = new HashSet<Value>(g.Outputs);
            bool SingleUse(Value v) => uses.TryGetValue(v, out var c) && c == 1 && !outputs.Contains(v);
            var consumer = new Dictionary<Value, Node>();
            foreach (var n in g.Nodes) foreach (var v in n.Inputs) if (v != null) consumer[v] = n;

            var removed = new HashSet<Node>();
            foreach (var n in g.Nodes)
            {
                if (removed.Contains(n) || n.Domain.Length != 0) continue;
                var y = n.Outputs.Count == 1 ? n.Outputs[0] : n.OpType == "Conv" ? n.Outputs[0] : null;
                if (y == null || !SingleUse(y) || !consumer.TryGetValue(y, out var next) || next.Domain.Length != 0) continue;

                if ((n.OpType == "Conv" || n.OpType == "Gemm") && next.OpType == "BatchNormalization" && next.Input(0) == y
                    && (n.OpType == "Conv" ? TryFoldBatchNorm(n, next) : TryFoldBatchNormIntoGemm(n, next)))
                {
                    Replace(n, next, removed);
                    if (!TryNext(n, out next)) continue;
                }
                if ((n.OpType == "Conv" || n.OpType == "Gemm" || IsMatMulWithConstantWeight(n)) && next.OpType == "Add" && TryFoldBias(n, next, y))
                {
                    Replace(n, next, removed);
                    if (!TryNext(n, out next)) continue;
                }
                if (n.FusedActivation == null && EpilogueActivations.Contains(next.OpType) && next.Input(0) == n.Outputs[0]
                    && acceptsActivation(n) && IsConstantActivation(next))
                {
                    n.FusedActivation = next;
                    Replace(n, next, removed);
                }

                bool TryNext(Node prod, out Node nxt)
                {
                    nxt = null!;
                    var o = prod.Outputs[0];
                    return SingleUse(o) && consumer.TryGetValue(o, out nxt!) && nxt.Domain.Length == 0;
                }
            }
            g.Nodes = g.Nodes.Where(n => !removed.Contains(n)).ToList();

            foreach (var a in g.Nodes) foreach (var attr in a.Attributes.Values) if (attr.G != null) Run(attr.G, acceptsActivation);
            if (removed.Count > 0) Passes.RemoveDeadNodes(g);
        }

        /// <summary>n's single output becomes the output of `next` (which is dropped).</summary>
        private static void Replace(Node n, Node next, HashSet<Node> removed)
        {
            var outV = next.Outputs[0];
            n.Outputs[0] = outV;
            outV.Producer = n;
            removed.Add(next);
        }

        /// <summary>MatMul by a constant 2-D weight: the MatMul op then takes an optional third input, a bias over the last axis.</summary>
        private static bool IsMatMulWithConstantWeight(Node n) =>
            n.OpType == "MatMul" && n.Inputs.Count == 2 && n.Input(1)?.Constant != null && n.Input(1)!.Shape!.Length == 2
            && n.Input(0)!.Shape!.Length >= 2 && n.Input(1)!.Type == DataType.Float;

        /// <summary>Clip bounds from attributes (opset &lt; 11) or constant inputs (opset 11+); an absent bound is infinite.</summary>
        public static (float Lo, float Hi) ClipBounds(Node clip)
        {
            if (clip.Opset < 11)
                return (clip.GetFloat("min", float.NegativeInfinity), clip.GetFloat("max", float.PositiveInfinity));
            float lo = clip.Input(1)?.Constant is TensorData l ? (float)l.GetDouble(0) : float.NegativeInfinity;
            float hi = clip.Input(2)?.Constant is TensorData h ? (float)h.GetDouble(0) : float.PositiveInfinity;
            return (lo, hi);
        }

        private static bool IsConstantActivation(Node act)
        {
            if (act.OpType != "Clip") return true;
            for (int i = 1; i < act.Inputs.Count; i++)
                if (act.Inputs[i] != null && !act.Inputs[i]!.IsConstant) return false;
            return true;
        }

        /// <summary>Conv followed by BatchNormalization: W'[o] = W[o] * s[o], B'[o] = B[o] * s[o] + t[o].</summary>
        private static bool TryFoldBatchNorm(Node conv, Node bn)
        {
            var w = conv.Input(1)?.Constant;
            var b = conv.Input(2)?.Constant;
            if (w == null || (conv.Input(2) != null && b == null) || w.Type != DataType.Float) return false;
            int cout = w.Shape[0];
            if (!BatchNormFactors(bn, cout, out var s, out var t)) return false;
            int per = w.Length / cout;
            var nw = new float[w.Length];
            var nb = new float[cout];
            for (int o = 0; o < cout; o++)
            {
                for (int k = 0; k < per; k++) nw[o * per + k] = w.Floats![o * per + k] * s[o];
                nb[o] = (float)((b?.GetDouble(o) ?? 0) * s[o] + t[o]);
            }
            conv.Inputs[1] = new Value(conv.Input(1)!.Name + "_bnfolded") { Type = DataType.Float, Shape = w.Shape, Constant = new TensorData(DataType.Float, w.Shape, nw) };
            var bv = new Value((conv.Input(2)?.Name ?? conv.Name + "_B") + "_bnfolded") { Type = DataType.Float, Shape = new[] { cout }, Constant = new TensorData(DataType.Float, new[] { cout }, nb) };
            while (conv.Inputs.Count < 3) conv.Inputs.Add(null);
            conv.Inputs[2] = bv;
            return true;
        }

        /// <summary>Per-channel factor s and shift t of an inference BatchNormalization: y = x * s + t.</summary>
        private static bool BatchNormFactors(Node bn, int channels, out float[] s, out float[] t)
        {
            s = t = Array.Empty<float>();
            if (bn.Outputs.Count > 1 && bn.Outputs.Skip(1).Any(o => !o.Name.Contains("__unused"))) return false;
            if (bn.GetInt("training_mode", 0) != 0) return false;
            var scale = bn.Input(1)?.Constant; var beta = bn.Input(2)?.Constant;
            var mean = bn.Input(3)?.Constant; var var_ = bn.Input(4)?.Constant;
            if (scale == null || beta == null || mean == null || var_ == null) return false;
            if (scale.Length != channels || beta.Length != channels || mean.Length != channels || var_.Length != channels) return false;
            float eps = bn.GetFloat("epsilon", 1e-5f);
            s = new float[channels];
            t = new float[channels];
            for (int c = 0; c < channels; c++)
            {
                s[c] = (float)(scale.GetDouble(c) / Math.Sqrt((float)var_.GetDouble(c) + eps));
                t[c] = (float)(beta.GetDouble(c) - mean.GetDouble(c) * s[c]);
            }
            return true;
        }

        /// <summary>Gemm followed by BatchNormalization over its N outputs: scale B's columns (rows when transB) and fold the shift into C.</summary>
        private static bool TryFoldBatchNormIntoGemm(Node gemm, Node bn)
        {
            var b = gemm.Input(1)?.Constant;
            if (b == null || b.Type != DataType.Float || b.Shape.Length != 2) return false;
            bool tb = gemm.GetInt("transB", 0) != 0;
            int k = tb ? b.Shape[1] : b.Shape[0], n = tb ? b.Shape[0] : b.Shape[1];
            if (!BatchNormFactors(bn, n, out var s, out var t)) return false;
            var c = gemm.Input(2);
            float beta = gemm.GetFloat("beta", 1f);
            if (c != null && (c.Constant == null || !(c.Constant.Length == 1 || c.Constant.Length == n && c.Constant.Shape[c.Constant.Shape.Length - 1] == n))) return false;
            var nb = new float[b.Length];
            for (int p = 0; p < k; p++)
                for (int j = 0; j < n; j++)
                {
                    int at = tb ? j * k + p : p * n + j;
                    nb[at] = (float)b.GetDouble(at) * s[j];
                }
            var bias = new float[n];
            for (int j = 0; j < n; j++)
            {
                double cj = c?.Constant == null ? 0 : beta * c.Constant.GetDouble(c.Constant.Length == 1 ? 0 : j);
                bias[j] = (float)(cj * s[j] + t[j]);
            }
            gemm.Inputs[1] = new Value(gemm.Input(1)!.Name + "_bnfolded") { Type = DataType.Float, Shape = b.Shape, Constant = new TensorData(DataType.Float, b.Shape, nb) };
            while (gemm.Inputs.Count < 3) gemm.Inputs.Add(null);
            gemm.Inputs[2] = new Value((c?.Name ?? gemm.Name + "_C") + "_bnfolded") { Type = DataType.Float, Shape = new[] { n }, Constant = new TensorData(DataType.Float, new[] { n }, bias) };
            gemm.Attributes.Remove("beta");
            return true;
        }

        /// <summary>Folds y + c (c constant, one value per output channel) into the bias of a Conv or Gemm.</summary>
        private static bool TryFoldBias(Node n, Node add, Value y)
        {
            var other = add.Input(0) == y ? add.Input(1) : add.Input(1) == y ? add.Input(0) : null;
            if (other?.Constant == null || other.Type != DataType.Float || y.Shape == null) return false;
            var c = other.Constant;
            var outShape = Shapes.Broadcast(y.Shape, c.Shape);
            if (outShape == null || !outShape.SequenceEqual(y.Shape)) return false;
            int channelAxis = n.OpType == "Conv" ? 1 : y.Shape.Length - 1;
            int channels = y.Shape[channelAxis];
            // c must vary only along the channel axis.
            int rank = y.Shape.Length;
            for (int i = 0; i < c.Shape.Length; i++)
            {
                int axis = i + rank - c.Shape.Length;
                if (axis != channelAxis && c.Shape[i] != 1) return false;
            }
            int cAxis = channelAxis - (rank - c.Shape.Length);
            bool perChannel = cAxis >= 0 && c.Shape[cAxis] == channels && channels > 1;
            var bias = new float[channels];
            for (int o = 0; o < channels; o++) bias[o] = (float)c.GetDouble(perChannel ? o : 0);
            if (n.OpType == "Gemm")
            {
                // Gemm computes alpha*AB + beta*C: only fold into a Gemm whose C is absent (or constant, summed).
                var existing = n.Input(2);
                if (existing != null)
                {
                    if (existing.Constant == null) return false;
                    var e = existing.Constant;
                    var eShape = Shapes.Broadcast(new[] { y.Shape[0], channels }, e.Shape);
                    if (e.Shape.Length == 2 && e.Shape[0] != 1) return false;
                    if (eShape == null) return false;
                    float beta = n.GetFloat("beta", 1f);
                    for (int o = 0; o < channels; o++) bias[o] += beta * (float)e.GetDouble(e.Length == 1 ? 0 : o);
                }
                n.Attributes.Remove("beta");
            }
            else
            {
                var existing = n.Input(2);
                if (existing != null)
                {
                    if (existing.Constant == null) return false;
                    for (int o = 0; o < channels; o++) bias[o] += (float)existing.Constant.GetDouble(o);
                }
            }
            while (n.Inputs.Count < 3) n.Inputs.Add(null);
            n.Inputs[2] = new Value(other.Name + "_bias") { Type = DataType.Float, Shape = new[] { channels }, Constant = new TensorData(DataType.Float, new[] { channels }, bias) };
            return true;
        }
    }
}
