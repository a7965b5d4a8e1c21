using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>Shape arithmetic shared by several op files.</summary>
    internal static class OpUtil
    {
        /// <summary>
        /// Merges adjacent output dimensions that every operand walks contiguously (or broadcasts together) and drops
        /// size-1 dimensions, so the kernel's inner loop is as long as possible.
        /// </summary>
        public static (int[] Shape, int[][] Strides) Collapse(int[] outShape, params int[][] strides)
        {
            var dims = new List<int>();
            var st = strides.Select(_ => new List<int>()).ToArray();
            for (int d = 0; d < outShape.Length; d++)
            {
                if (outShape[d] == 1) continue;
                if (dims.Count > 0)
                {
                    int last = dims.Count - 1;
                    bool merge = true;
                    for (int k = 0; k < strides.Length; k++)
                        if (st[k][last] != strides[k][d] * outShape[d]) { merge = false; break; }
                    if (merge)
                    {
                        dims[last] *= outShape[d];
                        for (int k = 0; k < strides.Length; k++) st[k][last] = strides[k][d];
                        continue;
                    }
                }
                dims.Add(outShape[d]);
                for (int k = 0; k < strides.Length; k++) st[k].Add(strides[k][d]);
            }
            if (dims.Count == 0)
            {
                dims.Add(1);
                foreach (var s in st) s.Add(0);
            }
            return (dims.ToArray(), st.Select(s => s.ToArray()).ToArray());
        }

        /// <summary>
        /// The largest dilated window and the largest pad on one spatial axis (65,536): beyond it a Conv or pooling window is
        /// refused at build time (QG0003). No real model comes near it, and such windows make the generated loops run for hours.
        /// </summary>
        public const int MaxWindowExtent = 1 << 16;

        /// <summary>Output size and begin/end pads of one spatial axis for Conv and pooling (auto_pad, pads, ceil_mode).</summary>
        public static (int Out, int PadBegin, int PadEnd) Window(Node n, string autoPad, int input, int kernel, int stride, int dilation,
            int padBegin, int padEnd, bool ceilMode)
        {
            if (stride <= 0 || dilation <= 0 || kernel <= 0)
                throw new QgException(DiagnosticIds.UnsupportedAttribute, $"{n.Describe()}: kernel, stride and dilation must be positive");
            if (padBegin < 0 || padEnd < 0)
                throw new QgException(DiagnosticIds.UnsupportedAttribute, $"{n.Describe()}: pads must not be negative (got {padBegin}, {padEnd})");
            long window = (long)(kernel - 1) * dilation + 1;
            if (window > MaxWindowExtent || padBegin > MaxWindowExtent || padEnd > MaxWindowExtent)
                throw new QgException(DiagnosticIds.UnsupportedAttribute,
                    $"{n.Describe()}: a window of {window} (kernel {kernel}, dilation {dilation}) or pads {padBegin}, {padEnd} exceed the limit of {MaxWindowExtent} per axis");
            int eff = (int)window;
            switch (autoPad)
            {
                case "NOTSET":
                {
                    long span = (long)input + padBegin + padEnd - eff;
                    if (span < 0) throw new ShapeException($"window {eff} is larger than the padded input {input + padBegin + padEnd}");
                    int o = ceilMode ? (int)((span + stride - 1) / stride) + 1 : (int)(span / stride) + 1;
                    if (ceilMode && (long)(o - 1) * stride >= input + padBegin) o--;
                    return (o, padBegin, padEnd);
                }
                case "VALID":
                {
                    long span = (long)input - eff;
                    if (span < 0) throw new ShapeException($"window {eff} is larger than the input {input}");
                    int o = ceilMode ? (int)((span + stride - 1) / stride) + 1 : (int)(span / stride) + 1;
                    return (o, 0, 0);
                }
                case "SAME_UPPER":
                case "SAME_LOWER":
                {
                    int o = (input + stride - 1) / stride;
                    int total = Math.Max(0, (o - 1) * stride + eff - input);
                    int small = total / 2, large = total - small;
                    return autoPad == "SAME_UPPER" ? (o, small, large) : (o, large, small);
                }
                default:
                    throw new QgException(DiagnosticIds.UnsupportedAttribute, $"{n.Describe()}: auto_pad '{autoPad}' is not supported");
            }
        }

        /// <summary>Reads a per-axis int attribute with a default, checking its length.</summary>
        public static int[] Ints(Node n, string name, int count, int @default)
        {
            var v = n.GetInts(name);
            if (v == null || v.Length == 0) return Enumerable.Repeat(@default, count).ToArray();
            if (v.Length != count) throw new QgException(DiagnosticIds.UnsupportedAttribute, $"{n.Describe()}: '{name}' has {v.Length} values, expected {count}");
            return v.Select(x => checked((int)x)).ToArray();
        }

        public static string ShapeLiteral(IEnumerable<int> s) => CodeWriter.Ints(s);

        public static int Prod(IEnumerable<int> s) => s.Aggregate(1, (a, b) => checked(a * b));

        /// <summary>Axes from an attribute (older opsets) or a constant input (newer opsets); null when absent.</summary>
        public static long[]? Axes(Node n, int inputIndex, int firstOpsetWithInput)
        {
            if (n.Opset >= firstOpsetWithInput)
            {
                var v = n.Input(inputIndex);
                if (v == null) return null;
                if (v.Constant == null) throw new QgException(DiagnosticIds.ShapeInference, $"{n.Describe()}: axes ('{v.Name}') must be known at build time to infer shapes");
                return v.Constant.ToLongs();
            }
            return n.GetInts("axes");
        }
    }
}
