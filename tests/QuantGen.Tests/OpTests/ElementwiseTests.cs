using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Tests.Infrastructure;
using static QuantGen.Tests.OpTests.H;

namespace QuantGen.Tests.OpTests
{
    /// <summary>
    /// Broadcasting binary/variadic ops over many shape pairs and float32/int64/int32, comparisons and logical ops,
    /// every unary op, Cast pairs, Clip (attribute and input forms) and Where.
    /// </summary>
    public class ElementwiseTests
    {
        private static readonly (int[] A, int[] B)[] ShapePairs =
        {
            (S(2, 3, 4), S(2, 3, 4)), (S(2, 3, 4), S(4)), (S(2, 3, 4), S(3, 1)), (S(1), S(2, 3)), (S(), S(2, 3)), (S(2, 3), S()),
            (S(2, 1, 4), S(1, 3, 1)), (S(5), S(1)), (S(2, 3, 1, 5), S(4, 1)), (S(3, 1), S(1, 4)), (S(1, 4, 1), S(2, 1, 3)), (S(17), S(17)),
            (S(4, 1, 9), S(4, 7, 9)),
        };

        /// <summary>Inputs for a binary op that stay in its domain (positive bases for float Pow, non-zero divisors...).</summary>
        private static Array Data(Random r, string op, int input, DataType t, int n)
        {
            if (t == B) return RandomData.Make(r, t, n);
            double lo = -3, hi = 3;
            if (op == "Pow") { if (input == 0) { lo = t == F ? 0.1 : -4; hi = t == F ? 3 : 4; } else { lo = t == F ? -2 : 0; hi = t == F ? 2 : 5; } }
            bool nonZero = input == 1 && (op == "Div" || op == "Mod");
            bool small = op is "Equal" or "Less" or "LessOrEqual" or "Greater" or "GreaterOrEqual" or "Max" or "Min";
            var vals = new double[n];
            for (int i = 0; i < n; i++)
            {
                double v = small ? r.Next(-2, 3) : t == F ? lo + r.NextDouble() * (hi - lo) : Math.Round(lo * 5 + r.NextDouble() * (hi - lo) * 5);
                if (op == "Pow" && t != F) v = r.Next((int)lo, (int)hi + 1);
                if (nonZero && Math.Abs(v) < 0.5) v = v < 0 ? -1.5 : 1.5;
                if (nonZero && t != F && v == 0) v = 3;
                vals[i] = t != F ? Math.Round(v) == 0 && nonZero ? 3 : Math.Round(v) : v;
            }
            return t switch
            {
                DataType.Float => vals.Select(v => (float)v).ToArray(),
                DataType.Int64 => vals.Select(v => (long)v).ToArray(),
                DataType.Int32 => vals.Select(v => (int)v).ToArray(),
                _ => throw new NotSupportedException(),
            };
        }

        private static OpCase Binary(string op, DataType t, int[] a, int[] b, int opset = 13, Action<AttributeList>? attrs = null, string suffix = "", bool constB = false)
        {
            var name = $"{op.ToLowerInvariant()}{suffix}_{DataTypes.OnnxName(t)}_{Shape(a)}_{Shape(b)}{(constB ? "_constB" : "")}";
            bool compare = op is "Equal" or "Less" or "LessOrEqual" or "Greater" or "GreaterOrEqual";
            var m = new OnnxBuilder(opset).Input("A", t, a);
            if (constB) m.Initializer("B", t, b, Data(Rng(name), op, 1, t, Prod(b))); else m.Input("B", t, b);
            m.Node(op, new[] { "A", "B" }, new[] { "Y" }, attrs).Output("Y", compare ? B : t);
            return new OpCase(name, m, (r, d) =>
            {
                d["A"] = Data(r, op, 0, t, Prod(a));
                if (!constB) d["B"] = Data(r, op, 1, t, Prod(b));
            });
        }

        private static OpCase Variadic(string op, DataType t, params int[][] shapes)
        {
            var name = $"{op.ToLowerInvariant()}_{DataTypes.OnnxName(t)}_{string.Join("_", shapes.Select(Shape))}";
            var ins = shapes.Select((s, i) => ("X" + i, t, s)).ToArray();
            return new OpCase(name, One(13, op, ins, t), (r, d) => { for (int i = 0; i < shapes.Length; i++) d["X" + i] = Data(r, op, 0, t, Prod(shapes[i])); });
        }

        private static OpCase Unary(string op, int[] shape, Action<AttributeList>? attrs = null, DataType t = DataType.Float, double lo = -4, double hi = 4, int opset = 13, string suffix = "")
        {
            var name = $"{op.ToLowerInvariant()}{suffix}_{DataTypes.OnnxName(t)}_{Shape(shape)}";
            return new OpCase(name, One(opset, op, new[] { ("X", t, shape) }, t, attrs), (r, d) =>
            {
                int n = Prod(shape);
                if (t == F)
                {
                    var v = RandomData.Floats(r, n, lo, hi);
                    if (op is "Round" or "Floor" or "Ceil" or "Sign") for (int i = 0; i < n; i += 3) v[i] = (float)Math.Round(v[i] * 2) / 2; // ties and integers
                    d["X"] = v;
                }
            });
        }

        private static OpCase Cast(DataType from, DataType to)
        {
            var name = $"cast_{DataTypes.OnnxName(from)}_to_{DataTypes.OnnxName(to)}";
            var shape = S(3, 7);
            return new OpCase(name, One(13, "Cast", new[] { ("X", from, shape) }, to, a => a.Int("to", (int)to)), (r, d) =>
            {
                if (from == F)
                {
                    // In range of the target (C++ casts out of range are undefined), with ties, integers, negatives and zero.
                    double lo = to == U8 ? 0 : to == I8 ? -120 : -1000, hi = to == U8 ? 250 : to == I8 ? 120 : 1000;
                    var v = RandomData.Floats(r, Prod(shape), lo, hi);
                    v[0] = 0; v[1] = lo == 0 ? 0.5f : -0.5f; v[2] = 2.5f; v[3] = lo == 0 ? 1.999f : -1.999f; v[4] = 7;
                    d["X"] = v;
                }
            });
        }

        /// <summary>Pow whose exponent has another element type than the base (opset 15); positive integer bases keep the result finite (0^-x would be a cast of infinity, undefined in C++).</summary>
        private static OpCase PowMixed(DataType bt, DataType et, bool constE)
        {
            var name = $"pow_mixed_{DataTypes.OnnxName(bt)}_base_{DataTypes.OnnxName(et)}_exponent{(constE ? "_const" : "")}_3x4_4";
            Array Make(Random r, DataType t, int n, bool exponent) => t switch
            {
                DataType.Float => RandomData.Floats(r, n, exponent ? -2 : 0.1, exponent ? 2.5 : 3),
                DataType.Int64 => Enumerable.Range(0, n).Select(_ => (long)r.Next(exponent ? 0 : 1, exponent ? 4 : 6)).ToArray(),
                _ => Enumerable.Range(0, n).Select(_ => r.Next(exponent ? 0 : 1, exponent ? 4 : 6)).ToArray(),
            };
            var m = new OnnxBuilder(15).Input("A", bt, S(3, 4));
            if (constE) m.Initializer("B", et, S(4), Make(Rng(name), et, 4, true)); else m.Input("B", et, S(4));
            m.Node("Pow", new[] { "A", "B" }, new[] { "Y" }).Output("Y", bt);
            return new OpCase(name, m, (r, d) =>
            {
                d["A"] = Make(r, bt, 12, false);
                if (!constE) d["B"] = Make(r, et, 4, true);
            });
        }

        private static OpCase ClipAttr(float? min, float? max)
        {
            var name = $"clip_opset6_min{(min?.ToString() ?? "none")}_max{(max?.ToString() ?? "none")}";
            return new OpCase(name, One(6, "Clip", new[] { ("X", F, S(4, 5)) }, F, a =>
            {
                if (min != null) a.Float("min", min.Value);
                if (max != null) a.Float("max", max.Value);
            }));
        }

        private static OpCase ClipInputs(DataType t, bool hasMin, bool hasMax, bool runtimeBounds)
        {
            var name = $"clip_opset13_{DataTypes.OnnxName(t)}_{(hasMin ? "min" : "nomin")}_{(hasMax ? "max" : "nomax")}{(runtimeBounds ? "_runtime_bounds" : "")}";
            var m = new OnnxBuilder(13).Input("X", t, S(4, 5));
            Array Scalar(double v) => t == F ? new[] { (float)v } : t == I64 ? new[] { (long)v } : new[] { (int)v };
            var ins = new List<string> { "X" };
            if (hasMin) { if (runtimeBounds) m.Input("lo", t); else m.Initializer("lo", t, S(), Scalar(-1)); ins.Add("lo"); } else if (hasMax) ins.Add("");
            if (hasMax) { if (runtimeBounds) m.Input("hi", t); else m.Initializer("hi", t, S(), Scalar(2)); ins.Add("hi"); }
            m.Node("Clip", ins.ToArray(), new[] { "Y" }).Output("Y", t);
            return new OpCase(name, m, (r, d) => { d["lo"] = Scalar(-2); d["hi"] = Scalar(1); });
        }

        public static IReadOnlyList<OpCase> Cases()
        {
            var list = new List<OpCase>();
            foreach (var (a, b) in ShapePairs)
            {
                foreach (var op in new[] { "Add", "Sub", "Mul", "Div" })
                {
                    list.Add(Binary(op, F, a, b));
                    list.Add(Binary(op, I64, a, b));
                }
                list.Add(Binary("Add", I32, a, b));
                list.Add(Binary("Div", I32, a, b));
                list.Add(Binary("Pow", F, a, b));
                list.Add(Binary("Less", F, a, b));
                list.Add(Binary("Equal", I64, a, b));
                list.Add(Binary("And", B, a, b));
                list.Add(Binary("Max", F, a, b));
            }
            foreach (var (a, b) in new[] { (S(2, 3, 4), S(4)), (S(3, 1), S(1, 4)), (S(), S(5)) })
            {
                list.Add(Binary("Sub", F, a, b, constB: true));
                list.Add(Binary("Mul", I64, a, b, constB: true));
                list.Add(Binary("Mul", I32, a, b));
                list.Add(Binary("Sub", I32, a, b));
                list.Add(Binary("Pow", I64, a, b));
                list.Add(Binary("Pow", I32, a, b));
                list.Add(Binary("Mod", I64, a, b));
                list.Add(Binary("Mod", I32, a, b));
                list.Add(Binary("Mod", I64, a, b, attrs: x => x.Int("fmod", 1), suffix: "_fmod"));
                list.Add(Binary("Mod", F, a, b, attrs: x => x.Int("fmod", 1), suffix: "_fmod"));
                foreach (var op in new[] { "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual" })
                {
                    list.Add(Binary(op, F, a, b));
                    list.Add(Binary(op, I64, a, b));
                    list.Add(Binary(op, I32, a, b));
                }
                list.Add(Binary("Equal", B, a, b));
                foreach (var op in new[] { "And", "Or", "Xor" }) list.Add(Binary(op, B, a, b));
                foreach (var op in new[] { "Max", "Min" })
                {
                    list.Add(Binary(op, I64, a, b));
                    list.Add(Binary(op, I32, a, b));
                }
            }
            list.Add(Binary("Pow", F, S(2, 3), S(), constB: true));
            foreach (var op in new[] { "Max", "Min", "Sum", "Mean" })
            {
                list.Add(Variadic(op, F, S(2, 3, 4), S(3, 1), S(4)));
                list.Add(Variadic(op, F, S(3, 4)));
                list.Add(Variadic(op, F, S(1, 4), S(3, 1)));
            }
            list.Add(Variadic("Max", I32, S(2, 3), S(3), S(2, 1)));

            var shape = S(3, 4, 5);
            foreach (var op in new[] { "Relu", "Abs", "Neg", "Sigmoid", "Tanh", "Exp", "Floor", "Ceil", "Round", "Reciprocal", "Softplus", "Softsign", "Sin", "Cos", "Sign", "Erf" })
                list.Add(Unary(op, shape));
            list.Add(Unary("HardSwish", shape, opset: 14));
            list.Add(Unary("Erf", S(200), lo: -6, hi: 6, suffix: "_wide"));
            list.Add(Unary("Sigmoid", S(100), lo: -30, hi: 30, suffix: "_wide"));
            list.Add(Unary("Softplus", S(100), lo: -30, hi: 30, suffix: "_wide"));
            list.Add(Unary("Exp", S(50), lo: -20, hi: 20, suffix: "_wide"));
            list.Add(Unary("Log", shape, lo: 0.01, hi: 10));
            list.Add(Unary("Sqrt", shape, lo: 0, hi: 10));
            list.Add(Unary("LeakyRelu", shape));
            list.Add(Unary("LeakyRelu", shape, a => a.Float("alpha", 0.3f), suffix: "_alpha0.3"));
            list.Add(Unary("HardSigmoid", shape));
            list.Add(Unary("HardSigmoid", shape, a => a.Float("alpha", 0.4f).Float("beta", 0.3f), suffix: "_alpha0.4_beta0.3"));
            list.Add(Unary("Elu", shape));
            list.Add(Unary("Elu", shape, a => a.Float("alpha", 0.5f), suffix: "_alpha0.5"));
            list.Add(Unary("Gelu", shape, opset: 20));
            list.Add(Unary("Gelu", shape, a => a.String("approximate", "tanh"), opset: 20, suffix: "_tanh"));
            foreach (var (bt, et, constE) in new[] { (F, I64, false), (F, I32, false), (I64, F, false), (I32, F, false), (I64, F, true), (I32, I64, false), (F, I64, true) })
                list.Add(PowMixed(bt, et, constE));
            foreach (var t in new[] { I64, I32 })
            {
                list.Add(Unary("Abs", shape, t: t));
                list.Add(Unary("Neg", shape, t: t));
            }

            foreach (var (from, to) in new[] { (F, I64), (F, I32), (F, I8), (F, U8), (F, B), (I64, F), (I64, I32), (I64, B), (I32, I64), (I32, F),
                (B, F), (B, I64), (B, I32), (U8, F), (U8, I64), (I8, I32), (I8, F), (F, F), (I64, I64), (I64, U8), (I32, I8) })
                list.Add(Cast(from, to));

            list.Add(ClipAttr(-1f, 1.5f));
            list.Add(ClipAttr(0f, null));
            list.Add(ClipAttr(null, 0.5f));
            list.Add(ClipAttr(null, null));
            var inverted = new OnnxBuilder(13).Input("X", F, S(4, 5)).Initializer("lo", new[] { 2f }).Initializer("hi", new[] { 1f });
            inverted.Node("Clip", new[] { "X", "lo", "hi" }, new[] { "Y" }).Output("Y", F);
            list.Add(new OpCase("clip_opset13_min_greater_than_max", inverted));
            foreach (var t in new[] { F, I64, I32 })
            {
                list.Add(ClipInputs(t, true, true, false));
                list.Add(ClipInputs(t, true, false, false));
                list.Add(ClipInputs(t, false, true, false));
                list.Add(ClipInputs(t, false, false, false));
            }
            list.Add(ClipInputs(F, true, true, true));
            list.Add(ClipInputs(F, false, true, true));

            foreach (var t in new[] { F, I64, I32 })
            {
                var m = new OnnxBuilder(13).Input("C", B, S(3, 1)).Input("X", t, S(1, 4)).Input("Y0", t, S(2, 3, 4));
                m.Node("Where", new[] { "C", "X", "Y0" }, new[] { "Y" }).Output("Y", t);
                list.Add(new OpCase($"where_{DataTypes.OnnxName(t)}_broadcast_3x1_1x4_2x3x4", m));
            }
            var w2 = new OnnxBuilder(13).Input("C", B, S(5)).Input("X", F, S(5)).Input("Y0", F, S());
            w2.Node("Where", new[] { "C", "X", "Y0" }, new[] { "Y" }).Output("Y", F);
            list.Add(new OpCase("where_float32_scalar_else", w2));
            return list.GroupBy(c => c.Name).Select(g => g.First()).ToList(); // the sweeps overlap on a few cases

        }

        public static TheoryData<string> CaseNames => Names(Cases());

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void Elementwise_op_matches_onnxruntime(string @case) => OpSuite.Check(typeof(ElementwiseTests), Cases, @case);
    }
}
