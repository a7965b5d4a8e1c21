using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// Element-wise unary ops on float32 tensors (Abs and Neg also on integers). One table entry per op: its kernel
    /// struct (in src/QuantGen.Kernels/Elementwise.cs) and its build-time definition for constant folding.
    /// </summary>
    internal sealed class Unary : Operator
    {
        private readonly string _op;
        private readonly string? _kernelStruct;
        private readonly Func<double, double> _fold;

        public Unary(string op, string? kernelStruct, Func<double, double> fold)
        {
            _op = op; _kernelStruct = kernelStruct; _fold = fold;
        }

        public override string OpType => _op;

        private bool IntegerCapable => _op == "Abs" || _op == "Neg";

        public override void Infer(Node n)
        {
            if (IntegerCapable) RequireTypes(n, 0, DataType.Float, DataType.Int64, DataType.Int32, DataType.Int8);
            else RequireTypes(n, 0, DataType.Float);
            if (_op == "Gelu" && n.GetString("approximate", "none") is not ("none" or "tanh"))
                throw Unsupported(n, $"approximate='{n.GetString("approximate", "")}' is not supported (none or tanh)");
            SetOutput(n, 0, In(n, 0).Type, ShapeOf(n, 0));
        }

        public override TensorData[]? Fold(Node n)
        {
            var x = In(n, 0).Constant!;
            if (!x.IsFloating)
            {
                if (!IntegerCapable) return null;
                return new[] { TensorData.FromLongs(x.Type, x.Shape, x.Longs!.Select(v => _op == "Abs" ? Math.Abs(v) : -v).ToArray()) };
            }
            var p = Params(n);
            return new[] { TensorData.FromDoubles(x.Type, x.Shape, Enumerable.Range(0, x.Length).Select(i => (double)(float)Apply(p, (float)x.GetDouble(i))).ToArray()) };
        }

        /// <summary>Attribute parameters: alpha/beta, or for Gelu A = 1 when approximate is "tanh".</summary>
        private (float A, float B) Params(Node n) => _op switch
        {
            "Gelu" => (n.GetString("approximate", "none") == "tanh" ? 1f : 0f, 0f),
            "LeakyRelu" => (n.GetFloat("alpha", 0.01f), 0f),
            "HardSigmoid" => (n.GetFloat("alpha", 0.2f), n.GetFloat("beta", 0.5f)),
            "Elu" => (n.GetFloat("alpha", 1f), 0f),
            "Selu" => (n.GetFloat("alpha", 1.67326319217681884765625f), n.GetFloat("gamma", 1.05070102214813232421875f)),
            "ThresholdedRelu" => (n.GetFloat("alpha", 1f), 0f),
            _ => (0f, 0f),
        };

        private double Apply((float A, float B) p, float x) => _op switch
        {
            "LeakyRelu" => x < 0 ? x * p.A : x,
            "HardSigmoid" => Math.Max(0, Math.Min(1, p.A * x + p.B)),
            "Elu" => x < 0 ? p.A * (Math.Exp(x) - 1) : x,
            "Selu" => x > 0 ? p.B * x : p.B * (p.A * (Math.Exp(x) - 1)),
            "ThresholdedRelu" => x > p.A ? x : 0,
            "HardSwish" => x * Math.Max(0, Math.Min(1, x / 6.0 + 0.5)),
            "Gelu" when p.A == 1f => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))),
            _ => _fold(x),
        };

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            var (a, b) = Params(n);
            var k = ctx.Kernel("Elementwise");
            var t = ctx.Elem(In(n, 0).Type);
            switch (_op)
            {
                case "LeakyRelu": ctx.W.Line($"{k}.LeakyRelu({ctx.In(0)}, {ctx.Out(0)}, {CodeWriter.Float(a)});"); break;
                case "HardSigmoid": ctx.W.Line($"{k}.HardSigmoid({ctx.In(0)}, {ctx.Out(0)}, {CodeWriter.Float(a)}, {CodeWriter.Float(b)});"); break;
                case "HardSwish": ctx.W.Line($"{k}.HardSwish({ctx.In(0)}, {ctx.Out(0)});"); break;
                case "Elu": ctx.W.Line($"{k}.Elu({ctx.In(0)}, {ctx.Out(0)}, {CodeWriter.Float(a)});"); break;
                case "Selu": ctx.W.Line($"{k}.Selu({ctx.In(0)}, {ctx.Out(0)}, {CodeWriter.Float(a)}, {CodeWriter.Float(b)});"); break;
                case "ThresholdedRelu": ctx.W.Line($"{k}.ThresholdedRelu({ctx.In(0)}, {ctx.Out(0)}, {CodeWriter.Float(a)});"); break;
                case "Abs": ctx.W.Line($"{k}.Abs<{t}>({ctx.In(0)}, {ctx.Out(0)});"); break;
                case "Neg": ctx.W.Line($"{k}.Neg<{t}>({ctx.In(0)}, {ctx.Out(0)});"); break;
                case "Gelu" when a == 1f:
                    ctx.W.Line($"{k}.Unary<global::QuantGen.Kernels.GeluTanhOp>({ctx.In(0)}, {ctx.Out(0)});");
                    break;
                case "Relu":
                    ctx.W.Line($"{ctx.In(0)}.CopyTo({ctx.Out(0)});");
                    ctx.W.Line($"{ctx.Kernel("Activation")}.Apply({ctx.Out(0)}, 1, 0f, 0f);");
                    break;
                default: ctx.W.Line($"{k}.Unary<global::QuantGen.Kernels.{_kernelStruct}>({ctx.In(0)}, {ctx.Out(0)});"); break;
            }
        }

        private static double Erf(double x) => Elementwise.Erf(x);

        public static Unary[] Create() => new[]
        {
            new Unary("Relu", null, x => x < 0 ? 0 : x),
            new Unary("LeakyRelu", null, x => x),
            new Unary("HardSigmoid", null, x => x),
            new Unary("HardSwish", null, x => x),
            new Unary("Elu", null, x => x),
            new Unary("Abs", null, Math.Abs),
            new Unary("Neg", null, x => -x),
            new Unary("Sigmoid", "SigmoidOp", x => 1 / (1 + Math.Exp(-x))),
            new Unary("Tanh", "TanhOp", Math.Tanh),
            new Unary("Exp", "ExpOp", Math.Exp),
            new Unary("Log", "LogOp", Math.Log),
            new Unary("Sqrt", "SqrtOp", Math.Sqrt),
            new Unary("Erf", "ErfOp", Erf),
            new Unary("Floor", "FloorOp", Math.Floor),
            new Unary("Ceil", "CeilOp", Math.Ceiling),
            new Unary("Round", "RoundOp", x => Math.Round(x, MidpointRounding.ToEven)),
            new Unary("Reciprocal", "ReciprocalOp", x => 1 / x),
            new Unary("Softplus", "SoftplusOp", x => Math.Log(1 + Math.Exp(x))),
            new Unary("Softsign", "SoftsignOp", x => x / (1 + Math.Abs(x))),
            new Unary("Sin", "SinOp", Math.Sin),
            new Unary("Cos", "CosOp", Math.Cos),
            new Unary("Sign", "SignOp", x => Math.Sign(x)),
            new Unary("Gelu", "GeluOp", x => 0.5 * x * (1 + Erf(x / Math.Sqrt(2)))),
            new Unary("Selu", null, x => x),
            new Unary("ThresholdedRelu", null, x => x),
            new Unary("Mish", "MishOp", x => x * Math.Tanh(x > 20 ? x : Math.Log(1 + Math.Exp(x)))),
        };
    }

    /// <summary>Build-time twins of kernel math that has no netstandard2.0 equivalent.</summary>
    internal static class Elementwise
    {
        /// <summary>erf with absolute error below 1e-9 (series for small x, continued fraction for large).</summary>
        public static double Erf(double x)
        {
            double s = x < 0 ? -1 : 1;
            x = Math.Abs(x);
            if (x > 6) return s;
            if (x < 2.5)
            {
                double x2 = x * x, term = x, sum = x;
                for (int n = 1; n < 80; n++)
                {
                    term *= -x2 / n;
                    double add = term / (2 * n + 1);
                    sum += add;
                    if (Math.Abs(add) < 1e-17) break;
                }
                return s * sum * 1.1283791670955126;
            }
            // erfc continued fraction (Lentz).
            double f = x, c = x, d = 0, tiny = 1e-300;
            for (int k = 1; k < 200; k++)
            {
                double an = k / 2.0;
                d = x + an * d; if (Math.Abs(d) < tiny) d = tiny; d = 1 / d;
                c = x + an / c; if (Math.Abs(c) < tiny) c = tiny;
                double delta = c * d;
                f *= delta;
                if (Math.Abs(delta - 1) < 1e-16) break;
            }
            double erfc = Math.Exp(-x * x) / (f * Math.Sqrt(Math.PI));
            return s * (1 - erfc);
        }
    }
}
