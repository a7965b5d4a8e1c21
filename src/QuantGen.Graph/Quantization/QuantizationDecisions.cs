using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Graph.Quantization
{
    /// <summary>
    /// What <see cref="QuantizationPlanner.Decide"/> decided, as read-only data: every layer's precision, reason and parameters
    /// in graph order, and the float/uint8 boundaries <see cref="Int8Boundaries"/> placed. The emitter reads the int8
    /// decisions from <see cref="Node.Quantization"/>; the report and the error analysis read this.
    /// </summary>
    public sealed class QuantizationDecisions
    {
        private QuantizationDecisions(IReadOnlyList<LayerQuantization> layers, Int8Boundaries.Placement boundaries, bool preQuantized)
        {
            Layers = layers; Boundaries = boundaries; PreQuantized = preQuantized;
        }

        /// <summary>A QDQ model: its own int8 weights and scales were used (there is no float model to compare with).</summary>
        public bool PreQuantized { get; }

        /// <summary>Int8 layers (uint8 Adds included) and the weight layers kept in float32, in graph order (an If's branch layers right after it).</summary>
        public IReadOnlyList<LayerQuantization> Layers { get; }
        public Int8Boundaries.Placement Boundaries { get; }

        internal static QuantizationDecisions Collect(Graph g, IReadOnlyDictionary<Node, LayerQuantization> floats, Int8Boundaries.Placement placed, bool preQuantized)
        {
            var layers = new List<LayerQuantization>();
            foreach (var n in g.AllNodes())
            {
                if (n.Quantization != null) layers.Add(n.Quantization);
                else if (floats.TryGetValue(n, out var f)) layers.Add(f);
            }
            return new QuantizationDecisions(layers, placed, preQuantized);
        }
    }
}
