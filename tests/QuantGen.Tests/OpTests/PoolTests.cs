using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Tests.Infrastructure;
using static QuantGen.Tests.OpTests.H;

namespace QuantGen.Tests.OpTests
{
    /// <summary>MaxPool/AveragePool (1-D, 2-D and 3-D: ceil_mode, pads, count_include_pad, dilations, auto_pad) and the global pools.</summary>
    public class PoolTests
    {
        private static OpCase Pool(string op, int[] x, int[] kernel, int[]? strides = null, int[]? pads = null, bool ceil = false,
            bool includePad = false, int[]? dilations = null, string? autoPad = null, int opset = 13)
        {
            string Ints(int[]? v) => v == null ? "" : string.Join("", v);
            var name = $"{op.ToLowerInvariant()}_{Shape(x)}_k{Ints(kernel)}{(strides != null ? "_s" + Ints(strides) : "")}{(pads != null ? "_p" + Ints(pads) : "")}"
                + $"{(ceil ? "_ceil" : "")}{(includePad ? "_includepad" : "")}{(dilations != null ? "_d" + Ints(dilations) : "")}{(autoPad != null ? "_" + autoPad : "")}_opset{opset}";
            var b = One(opset, op, new[] { ("X", F, x) }, F, a =>
            {
                a.Ints("kernel_shape", kernel.Select(v => (long)v).ToArray());
                if (strides != null) a.Ints("strides", strides.Select(v => (long)v).ToArray());
                if (pads != null) a.Ints("pads", pads.Select(v => (long)v).ToArray());
                if (ceil) a.Int("ceil_mode", 1);
                if (includePad) a.Int("count_include_pad", 1);
                if (dilations != null) a.Ints("dilations", dilations.Select(v => (long)v).ToArray());
                if (autoPad != null) a.String("auto_pad", autoPad);
            });
            return new OpCase(name, b);
        }

        public static IReadOnlyList<OpCase> Cases()
        {
            var list = new List<OpCase>();
            foreach (var op in new[] { "MaxPool", "AveragePool" })
            {
                list.Add(Pool(op, S(1, 3, 8, 8), S(2, 2), S(2, 2)));
                list.Add(Pool(op, S(2, 2, 7, 7), S(3, 3), S(2, 2)));
                list.Add(Pool(op, S(2, 2, 7, 7), S(3, 3), S(2, 2), ceil: true));
                list.Add(Pool(op, S(1, 2, 6, 6), S(3, 3), S(2, 2), S(1, 1, 1, 1), ceil: true));
                list.Add(Pool(op, S(1, 2, 8, 8), S(3, 3), S(3, 3), S(1, 1, 1, 1), ceil: true));
                list.Add(Pool(op, S(1, 2, 7, 9), S(3, 2), S(1, 2), S(1, 0, 2, 1)));
                list.Add(Pool(op, S(1, 2, 5, 5), S(3, 3), null, S(1, 1, 1, 1)));
                list.Add(Pool(op, S(1, 2, 8, 8), S(3, 3), S(2, 2), autoPad: "SAME_UPPER"));
                list.Add(Pool(op, S(1, 2, 8, 8), S(2, 2), S(2, 2), autoPad: "SAME_LOWER"));
                list.Add(Pool(op, S(1, 2, 7, 7), S(4, 4), S(3, 3), autoPad: "SAME_LOWER"));
                list.Add(Pool(op, S(1, 2, 9, 9), S(3, 3), S(2, 2), autoPad: "VALID"));
                list.Add(Pool(op, S(2, 3, 12), S(3), S(2)));
                list.Add(Pool(op, S(1, 3, 12), S(4), S(3), S(1, 2), ceil: true));
                list.Add(Pool(op, S(1, 3, 11), S(3), S(2), autoPad: "SAME_UPPER"));
            }
            // Wide rows: the vectorized 2x2/2 MaxPool (8 outputs per step), with a padded left edge and a ceil_mode tail.
            list.Add(Pool("MaxPool", S(1, 3, 6, 40), S(2, 2), S(2, 2)));
            list.Add(Pool("MaxPool", S(1, 2, 5, 37), S(2, 2), S(2, 2), autoPad: "SAME_LOWER"));
            list.Add(Pool("MaxPool", S(1, 2, 4, 35), S(2, 2), S(2, 2), ceil: true));
            list.Add(Pool("MaxPool", S(1, 2, 4, 34), S(2, 2), S(2, 2), S(0, 1, 0, 1)));
            // Dilations: MaxPool from opset 10, AveragePool from opset 19.
            list.Add(Pool("MaxPool", S(1, 2, 9, 9), S(3, 3), S(1, 1), dilations: S(2, 2)));
            list.Add(Pool("MaxPool", S(1, 2, 10, 9), S(2, 3), S(2, 1), S(1, 1, 1, 1), dilations: S(2, 2), ceil: true));
            list.Add(Pool("MaxPool", S(1, 2, 15), S(3), S(2), dilations: S(3)));
            list.Add(Pool("AveragePool", S(1, 2, 9, 9), S(3, 3), S(1, 1), dilations: S(2, 2), opset: 19));
            list.Add(Pool("AveragePool", S(1, 2, 9, 9), S(3, 3), S(2, 2), S(1, 1, 1, 1), dilations: S(2, 2), includePad: true, opset: 19));
            // count_include_pad with pads, asymmetric pads and ceil_mode.
            list.Add(Pool("AveragePool", S(1, 2, 5, 5), S(3, 3), null, S(1, 1, 1, 1), includePad: true));
            list.Add(Pool("AveragePool", S(1, 2, 7, 9), S(3, 2), S(1, 2), S(1, 0, 2, 1), includePad: true));
            list.Add(Pool("AveragePool", S(1, 2, 6, 6), S(3, 3), S(2, 2), S(1, 1, 1, 1), ceil: true, includePad: true));
            list.Add(Pool("AveragePool", S(1, 2, 8, 8), S(3, 3), S(2, 2), autoPad: "SAME_UPPER", includePad: true));
            list.Add(Pool("AveragePool", S(1, 3, 12), S(4), S(3), S(1, 2), ceil: true, includePad: true));
            list.Add(Pool("AveragePool", S(1, 2, 7, 7), S(3, 3), S(2, 2), ceil: true, opset: 11));
            list.Add(Pool("MaxPool", S(1, 2, 7, 7), S(3, 3), S(2, 2), ceil: true, opset: 11));

            // 3-D (NCDHW).
            foreach (var op in new[] { "MaxPool", "AveragePool" })
            {
                list.Add(Pool(op, S(1, 2, 5, 6, 7), S(2, 2, 2), S(2, 2, 2)));
                list.Add(Pool(op, S(1, 2, 5, 6, 7), S(3, 3, 2), S(2, 1, 2), S(1, 0, 1, 1, 1, 0), ceil: true));
                list.Add(Pool(op, S(2, 1, 6, 6, 6), S(3, 3, 3), S(2, 2, 2), autoPad: "SAME_UPPER"));
                list.Add(Pool(op, S(1, 1, 7, 7, 7), S(2, 2, 2), S(1, 1, 1), dilations: S(2, 1, 2), opset: 19));
            }
            list.Add(Pool("AveragePool", S(1, 2, 5, 6, 7), S(3, 3, 3), S(2, 2, 2), S(1, 1, 1, 1, 1, 1), includePad: true, ceil: true));
            list.Add(Pool("AveragePool", S(1, 1, 8, 8, 8), S(3, 3, 3), S(3, 3, 3), S(1, 1, 1, 1, 1, 1), dilations: S(2, 2, 2), includePad: true, ceil: true, opset: 19));

            foreach (var op in new[] { "GlobalAveragePool", "GlobalMaxPool" })
                foreach (var x in new[] { S(2, 3, 5, 4), S(1, 4, 7), S(1, 2, 1, 1), S(1, 2, 3, 4, 5) })
                    list.Add(new OpCase($"{op.ToLowerInvariant()}_{Shape(x)}", One(13, op, new[] { ("X", F, x) }, F)));
            return list;
        }

        public static TheoryData<string> CaseNames => Names(Cases());

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void Pooling_matches_onnxruntime(string @case) => OpSuite.Check(typeof(PoolTests), Cases, @case);
    }
}
