using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Tests.Infrastructure;

namespace QuantGen.Tests.OpTests
{
    /// <summary>Short names and data helpers for the ORT oracle cases.</summary>
    internal static class H
    {
        public const DataType F = DataType.Float, I64 = DataType.Int64, I32 = DataType.Int32, B = DataType.Bool, U8 = DataType.UInt8, I8 = DataType.Int8;

        /// <summary>A generator for initializer data, seeded from the case name.</summary>
        public static Random Rng(string name) => new Random(RandomData.Seed(name + "#init"));

        public static int Prod(params int[] s) => s.Aggregate(1, (a, b) => a * b);

        public static float[] Floats(Random r, int[] shape, double lo = -1, double hi = 1) => RandomData.Floats(r, Prod(shape), lo, hi);

        public static long[] L(params long[] v) => v;

        public static int[] S(params int[] v) => v;

        public static TheoryData<string> Names(IEnumerable<OpCase> cases)
        {
            var d = new TheoryData<string>();
            foreach (var c in cases) d.Add(c.Name);
            return d;
        }

        /// <summary>A one-node model: inputs X0..Xn-1 (or given names), output Y.</summary>
        public static OnnxBuilder One(int opset, string op, (string Name, DataType Type, int[] Shape)[] inputs, DataType outType,
            Action<AttributeList>? attrs = null, int outputs = 1)
        {
            var b = new OnnxBuilder(opset);
            foreach (var (n, t, s) in inputs) b.Input(n, t, s);
            var outNames = Enumerable.Range(0, outputs).Select(i => i == 0 ? "Y" : "Y" + i).ToArray();
            b.Node(op, inputs.Select(i => i.Name).ToArray(), outNames, attrs);
            foreach (var o in outNames) b.Output(o, outType);
            return b;
        }

        public static string Shape(int[] s) => s.Length == 0 ? "scalar" : string.Join("x", s);
    }
}
