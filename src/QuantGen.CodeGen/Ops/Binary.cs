using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// Element-wise binary and variadic ops with numpy broadcasting: arithmetic (Add, Sub, Mul, Div, Pow, Mod),
    /// Max/Min/Sum/Mean (variadic), comparisons (bool output) and logical ops. One table entry per op; the
    /// kernel is src/QuantGen.Kernels/Broadcast.cs with the op struct from Elementwise.cs.
    /// </summary>
    internal sealed class Binary : Operator
    {
        private enum Kind { Arithmetic, Variadic, Compare, Logical }

        private readonly string _op;
        private readonly Kind _kind;
        private readonly string _struct;
        private readonly string? _vectorStruct;

        private Binary(string op, Kind kind, string kernelStruct, string? vectorStruct = null)
        {
            _op = op; _kind = kind; _struct = kernelStruct; _vectorStruct = vectorStruct;
        }

        public override string OpType => _op;

        private static readonly DataType[] Numeric = { DataType.Float, DataType.Int64, DataType.Int32, DataType.Int8, DataType.UInt8 };

        public override void Infer(Node n)
        {
            if (n.Inputs.Any(v => v == null)) throw Invalid(n, "an input is empty (''); every input is required");
            var inputs = n.Inputs.Select(v => v!).ToList();
            if (inputs.Count == 0 || (_kind != Kind.Variadic && inputs.Count != 2))
                throw Invalid(n, $"expects {(_kind == Kind.Variadic ? "at least one input" : "two inputs")}, has {inputs.Count}");
            var t = inputs[0].Type;
            if (_kind == Kind.Logical) RequireTypes(n, 0, DataType.Bool);
            else if (_op == "Pow") RequireTypes(n, 0, DataType.Float, DataType.Int64, DataType.Int32);
            else if (_kind == Kind.Compare && _op == "Equal") RequireTypes(n, 0, Numeric.Concat(new[] { DataType.Bool }).ToArray());
            else RequireTypes(n, 0, Numeric);
            // Pow (opset 12+) may have an exponent of another numeric type; the result has the base's type.
            if (_op == "Pow") RequireTypes(n, 1, DataType.Float, DataType.Int64, DataType.Int32);
            for (int i = 1; i < inputs.Count; i++)
            {
                if (inputs[i].Type != t && _op != "Pow")
                    throw new QgException(DiagnosticIds.UnsupportedType, $"{n.Describe()}: input {i} is {DataTypes.OnnxName(inputs[i].Type)} but input 0 is {DataTypes.OnnxName(t)}");
            }
            var shape = Shapes.Broadcast(inputs.Select(v => (IReadOnlyList<int>)v.Shape!))
                ?? throw new QgException(DiagnosticIds.ShapeInference, $"{n.Describe()}: shapes {string.Join(" and ", inputs.Select(v => Shapes.Format(v.Shape)))} do not broadcast");
            SetOutput(n, 0, _kind == Kind.Compare ? DataType.Bool : t, shape);
        }

        public override bool AcceptsActivation(Node n) =>
            (_op == "Add" || _op == "Sub" || _op == "Mul") && n.Outputs[0].Type == DataType.Float && n.Inputs.Count == 2 && _vectorStruct != null;

        public override TensorData[]? Fold(Node n)
        {
            var inputs = n.Inputs.Where(v => v != null).Select(v => v!.Constant!).ToList();
            var outShape = n.Outputs[0].Shape!;
            int size = Shapes.Size(outShape);
            var outType = n.Outputs[0].Type;
            bool floating = inputs[0].IsFloating;
            // Pow with a base and exponent of different kinds (float vs integer) is computed in double, then converted.
            bool mixedPow = _op == "Pow" && inputs[1].IsFloating != floating;
            var strides = inputs.Select(c => Shapes.BroadcastStrides(c.Shape, outShape)).ToList();
            var idx = new int[outShape.Length];
            var accD = new double[size];
            var accL = new long[size];
            var boolOut = new long[size];
            for (int i = 0; i < size; i++)
            {
                var offs = strides.Select(s => { int o = 0; for (int d = 0; d < idx.Length; d++) o += idx[d] * s[d]; return o; }).ToArray();
                if (mixedPow)
                    accD[i] = Math.Pow(inputs[0].GetDouble(offs[0]), inputs[1].GetDouble(offs[1]));
                else if (floating)
                {
                    double r = (float)inputs[0].GetDouble(offs[0]);
                    for (int k = 1; k < inputs.Count; k++)
                    {
                        double b = (float)inputs[k].GetDouble(offs[k]);
                        if (_kind == Kind.Compare) { boolOut[i] = Compare(r, b) ? 1 : 0; break; }
                        r = (float)ApplyD(r, b);
                    }
                    if (_op == "Mean") r = (float)(r / inputs.Count);
                    accD[i] = r;
                }
                else
                {
                    long r = inputs[0].GetLong(offs[0]);
                    for (int k = 1; k < inputs.Count; k++)
                    {
                        long b = inputs[k].GetLong(offs[k]);
                        if (_kind == Kind.Compare) { boolOut[i] = Compare(r, b) ? 1 : 0; break; }
                        if ((_op == "Div" || _op == "Mod") && b == 0) return null; // leave the run-time behaviour
                        r = ApplyL(r, b);
                    }
                    if (_op == "Mean") r /= inputs.Count;
                    accL[i] = r;
                }
                for (int d = idx.Length - 1; d >= 0; d--) { if (++idx[d] < outShape[d]) break; idx[d] = 0; }
            }
            if (_kind == Kind.Compare) return new[] { new TensorData(DataType.Bool, outShape, boolOut) };
            if (n.FusedActivation != null && floating)
                for (int i = 0; i < size; i++) accD[i] = Reference.Activate(n.FusedActivation, (float)accD[i]);
            return new[] { floating || mixedPow ? TensorData.FromDoubles(outType, outShape, accD) : TensorData.FromLongs(outType, outShape, accL) };
        }

        private bool Compare(double a, double b) => _op switch
        {
            "Equal" => a == b, "Less" => a < b, "LessOrEqual" => a <= b, "Greater" => a > b, _ => a >= b,
        };

        private double ApplyD(double a, double b) => _op switch
        {
            "Add" or "Sum" or "Mean" => a + b,
            "Sub" => a - b,
            "Mul" => a * b,
            "Div" => a / b,
            "Pow" => Math.Pow(a, b),
            "Mod" => a % b,
            "Max" => Math.Max(a, b), // IEEE 754 maximum/minimum (NaN propagates, +0 > -0), as the float kernels (MaxF/MinF)
            "Min" => Math.Min(a, b),
            _ => throw new InvalidOperationException(_op),
        };

        private long ApplyL(long a, long b) => _op switch
        {
            "Add" or "Sum" or "Mean" => unchecked(a + b),
            "Sub" => unchecked(a - b),
            "Mul" => unchecked(a * b),
            "Div" => a / b,
            "Pow" => (long)Math.Pow(a, b),
            "Mod" => ModL(a, b),
            "Max" => Math.Max(a, b),
            "Min" => Math.Min(a, b),
            "And" => a & b,
            "Or" => a | b,
            "Xor" => a ^ b,
            _ => throw new InvalidOperationException(_op),
        };

        private long ModL(long a, long b)
        {
            long r = a % b;
            return r != 0 && (r < 0) != (b < 0) ? r + b : r;
        }

        public override void Emit(EmitContext ctx)
        {
            var n = ctx.Node;
            if (n.Quantization?.Add is Graph.Quantization.AddQuantization aq && n.Quantization.Requantized is Graph.Quantization.OutputRequantization r)
            {
                // A uint8 Add in an int8 chain (Int8Boundaries): integer sum of the two rescaled inputs, then the one rule.
                ctx.W.Line($"{ctx.Kernel("AddQ8")}.Run({ctx.In(0)}, {ctx.In(1)}, {ctx.Out(0)}, {aq.FactorA}, {aq.ZeroA}, {aq.FactorB}, {aq.ZeroB}, " +
                    $"{r.Multipliers[0]}, {r.Shifts[0]}, {r.ZeroPoint}, {r.QMin}, {r.QMax});");
                return;
            }
            var inputs = n.Inputs.Where(v => v != null).Select(v => v!).ToList();
            var outShape = n.Outputs[0].Shape!;
            var t = inputs[0].Type;
            var cs = DataTypes.CSharpName(t);
            var outCs = DataTypes.CSharpName(n.Outputs[0].Type);
            var y = ctx.Out(0);
            if (inputs.Count == 1)
            {
                ctx.W.Line($"{ctx.In(0)}.CopyTo({y});");
                return;
            }
            if (_op == "Pow" && inputs[1].Type != t && !(t == DataType.Float && inputs[1].IsConstant))
            {
                // Base and exponent of different types: computed in double and converted to the base type, as ONNX Runtime does.
                var (pshape, pst) = OpUtil.Collapse(outShape, Shapes.BroadcastStrides(inputs[0].Shape!, outShape), Shapes.BroadcastStrides(inputs[1].Shape!, outShape));
                ctx.W.Line($"{ctx.Kernel("Broadcast")}.PowMixed<{cs}, {ctx.Elem(inputs[1].Type)}>({ctx.In(0)}, {ctx.In(1)}, {y}, {CodeWriter.Ints(pshape)}, {CodeWriter.Ints(pst[0])}, {CodeWriter.Ints(pst[1])});");
                return;
            }
            string op = OpStruct(t, n);
            bool vector = _vectorStruct != null && t == DataType.Float && !(_op == "Mod");
            for (int k = 1; k < inputs.Count; k++)
            {
                // Variadic ops fold left into y: y = op(x0, x1), then y = op(y, x2), ...
                var aVal = k == 1 ? inputs[0] : n.Outputs[0];
                var aShape = k == 1 ? inputs[0].Shape! : outShape;
                var sa = Shapes.BroadcastStrides(aShape, outShape);
                var sb = Shapes.BroadcastStrides(inputs[k].Shape!, outShape);
                var (shape, st) = OpUtil.Collapse(outShape, sa, sb);
                string a = k == 1 ? ctx.In(0) : y;
                string b = ReadExponentAware(ctx, n, k, inputs[k], t);
                if (vector)
                    ctx.W.Line($"{ctx.Kernel("Broadcast")}.BinaryVec<global::QuantGen.Kernels.{_vectorStruct}>({a}, {b}, {y}, {CodeWriter.Ints(shape)}, {CodeWriter.Ints(st[0])}, {CodeWriter.Ints(st[1])});");
                else
                    ctx.W.Line($"{ctx.Kernel("Broadcast")}.Binary<{cs}, {outCs}, {op}>({a}, {b}, {y}, {CodeWriter.Ints(shape)}, {CodeWriter.Ints(st[0])}, {CodeWriter.Ints(st[1])});");
            }
            if (_op == "Mean")
                ctx.W.Line($"{ctx.Kernel("Broadcast")}.BinaryVec<global::QuantGen.Kernels.MulF>({y}, [{CodeWriter.Float(1f / inputs.Count)}], {y}, [{Shapes.Size(outShape)}], [1], [0]);");
            if (n.FusedActivation != null)
                ctx.W.Line($"{ctx.Kernel("Activation")}.Apply({y}, {ctx.ActivationArgs()});");
        }

        /// <summary>A float Pow with a constant exponent of another type reads the exponent converted to float.</summary>
        private static string ReadExponentAware(EmitContext ctx, Node n, int k, Value v, DataType t)
        {
            if (v.Type == t) return ctx.In(k);
            return ctx.Const(v.Constant!.CastTo(t), v.Name + " as " + DataTypes.OnnxName(t));
        }

        private string OpStruct(DataType t, Node n)
        {
            var cs = DataTypes.CSharpName(t);
            string s = _op switch
            {
                "Pow" => t == DataType.Float ? "PowOp" : $"PowIntOp<{cs}>",
                "Mod" => n.GetInt("fmod", 0) != 0 || t == DataType.Float ? $"FModOp<{cs}>" : $"ModOp<{cs}>",
                "Equal" => t == DataType.Float ? "EqualFloatOp" : $"EqualOp<{cs}>",
                _ when _kind == Kind.Logical => _struct,
                _ => $"{_struct}<{cs}>",
            };
            return "global::QuantGen.Kernels." + s;
        }

        public static Binary[] Create() => new[]
        {
            new Binary("Add", Kind.Arithmetic, "AddOp", "AddF"),
            new Binary("Sub", Kind.Arithmetic, "SubOp", "SubF"),
            new Binary("Mul", Kind.Arithmetic, "MulOp", "MulF"),
            new Binary("Div", Kind.Arithmetic, "DivOp", "DivF"),
            new Binary("Pow", Kind.Arithmetic, "PowOp"),
            new Binary("Mod", Kind.Arithmetic, "ModOp"),
            new Binary("Max", Kind.Variadic, "MaxOp", "MaxF"),
            new Binary("Min", Kind.Variadic, "MinOp", "MinF"),
            new Binary("Sum", Kind.Variadic, "AddOp", "AddF"),
            new Binary("Mean", Kind.Variadic, "AddOp", "AddF"),
            new Binary("Equal", Kind.Compare, "EqualOp"),
            new Binary("Less", Kind.Compare, "LessOp"),
            new Binary("LessOrEqual", Kind.Compare, "LessOrEqualOp"),
            new Binary("Greater", Kind.Compare, "GreaterOp"),
            new Binary("GreaterOrEqual", Kind.Compare, "GreaterOrEqualOp"),
            new Binary("And", Kind.Logical, "AndOp"),
            new Binary("Or", Kind.Logical, "OrOp"),
            new Binary("Xor", Kind.Logical, "XorOp"),
        };
    }
}
