using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using Subgraph = QuantGen.Graph.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// Loop (opsets 1-19, tensors only): the body is inferred, optimized and planned once, like an If branch, and runs as a
    /// C# loop (<see cref="LoopStep"/>). Loop-carried values must keep their type and shape. The trip count M and the
    /// condition may be run-time values; scan outputs (stacked along a new axis 0) need a static length: M constant and
    /// the condition provably true on every iteration (absent or constant true, and the body passes it through or
    /// returns constant true).
    /// </summary>
    internal sealed class Loop : Operator
    {
        public override string OpType => "Loop";

        public override void Infer(Node n)
        {
            var body = ControlFlow.Body(n);
            int carried = n.Inputs.Count - 2;
            if (carried < 0) throw Invalid(n, "Loop needs the inputs M and cond (each may be empty)");
            if (body.Inputs.Count != carried + 2)
                throw Invalid(n, $"the body has {body.Inputs.Count} inputs, expected {carried + 2} (iteration number, condition, {carried} loop-carried values)");
            int scans = body.Outputs.Count - 1 - carried;
            if (scans < 0) throw Invalid(n, $"the body has {body.Outputs.Count} outputs, expected at least {carried + 1}");
            if (n.Outputs.Count != carried + scans)
                throw Invalid(n, $"the node has {n.Outputs.Count} outputs, the body gives {carried} loop-carried values and {scans} scan outputs");
            var m = n.Input(0);
            var cond = n.Input(1);
            if (m != null)
            {
                RequireTypes(n, 0, DataType.Int64);
                if (Shapes.Size(ShapeOf(n, 0)) != 1) throw Invalid(n, "the trip count M must hold one element");
            }
            if (cond != null)
            {
                RequireTypes(n, 1, DataType.Bool);
                if (Shapes.Size(ShapeOf(n, 1)) != 1) throw Invalid(n, "the condition must hold one element");
            }
            if (m == null && cond == null)
                throw Unsupported(n, "a Loop with neither a trip count nor a condition never ends");

            ControlFlow.BindInput(n, body, 0, DataType.Int64, Array.Empty<int>());
            ControlFlow.BindInput(n, body, 1, DataType.Bool, Array.Empty<int>());
            for (int i = 0; i < carried; i++)
            {
                var init = n.Input(2 + i) ?? throw new QgException(DiagnosticIds.UnsupportedOp, $"{n.Describe()}: an absent (optional) loop-carried value is not supported");
                ControlFlow.BindInput(n, body, 2 + i, init.Type, ShapeOf(n, 2 + i));
            }
            ControlFlow.InferBody(n, body);

            var condOut = body.Outputs[0];
            if (condOut.Type != DataType.Bool || Shapes.Size(condOut.Shape!) != 1)
                throw Invalid(n, $"the body's condition output {condOut} must be one bool");
            for (int i = 0; i < carried; i++)
                ControlFlow.CheckCarried(n, body.Inputs[2 + i], body.Outputs[1 + i]);
            for (int i = 0; i < carried; i++) SetOutput(n, i, body.Inputs[2 + i].Type, body.Inputs[2 + i].Shape!);
            if (scans == 0) return;

            // Scan outputs: their length is the number of iterations, which must be known at build time.
            if (m == null || !m.IsConstant)
                throw new QgException(DiagnosticIds.ShapeInference, $"{n.Describe()}: the trip count M ('{m?.Name ?? ""}') must be known at build time when the Loop has scan outputs");
            bool condTrue = (cond == null || (cond.IsConstant && cond.Constant!.GetLong(0) != 0)) && AlwaysTrue(body);
            if (!condTrue)
                throw new QgException(DiagnosticIds.ShapeInference, $"{n.Describe()}: the number of iterations (set by the run-time condition) must be known at build time when the Loop has scan outputs");
            long trips = Math.Max(0, m.Constant!.GetLong(0));
            if (trips > Shapes.MaxElements) throw new QgException(DiagnosticIds.ShapeInference, $"{n.Describe()}: trip count {trips} is too large for scan outputs");
            for (int k = 0; k < scans; k++)
            {
                var s = body.Outputs[1 + carried + k];
                ControlFlow.RequireRuntimeType(n, s);
                SetOutput(n, carried + k, s.Type, new[] { (int)trips }.Concat(s.Shape!).ToArray());
            }
        }

        /// <summary>True when the body's condition output is constant true or the condition input passed through (Identity).</summary>
        private static bool AlwaysTrue(Subgraph body)
        {
            var v = body.Outputs[0];
            while (true)
            {
                if (v.IsConstant) return v.Constant!.GetLong(0) != 0;
                if (ReferenceEquals(v, body.Inputs[1])) return true;
                var p = v.Producer;
                if (p != null && p.OpType == "Identity" && p.Domain.Length == 0 && p.Input(0) != null) { v = p.Input(0)!; continue; }
                return false;
            }
        }

        public override void Emit(EmitContext ctx) => throw new InvalidOperationException("Loop is emitted by the model emitter");
    }

    /// <summary>
    /// Scan: opsets 9-19 (scan_input_axes/directions, scan_output_axes/directions) and opset 8 (batch axis 0, scan axis 1,
    /// directions; sequence_lens absent or all equal to the sequence length). The body is planned once and runs as a C#
    /// loop over the static sequence length (and, in opset 8, over the batch).
    /// </summary>
    internal sealed class Scan : Operator
    {
        public override string OpType => "Scan";

        public override void Infer(Node n)
        {
            var body = ControlFlow.Body(n);
            bool batched = n.Opset < 9;
            int first = batched ? 1 : 0;
            if (!n.Has("num_scan_inputs")) throw Invalid(n, "num_scan_inputs is required");
            long mScans = n.GetInt("num_scan_inputs", 0);
            int carried = n.Inputs.Count - first - (int)Math.Min(mScans, int.MaxValue);
            if (mScans < 1 || carried < 0) throw Unsupported(n, $"num_scan_inputs {mScans} is out of range for {n.Inputs.Count - first} inputs");
            int m = (int)mScans;
            if (body.Inputs.Count != carried + m) throw Invalid(n, $"the body has {body.Inputs.Count} inputs, expected {carried + m}");
            int k = body.Outputs.Count - carried;
            if (k < 0 || n.Outputs.Count != carried + k)
                throw Invalid(n, $"the node has {n.Outputs.Count} outputs and the body {body.Outputs.Count}, with {carried} state variables");

            var inAxes = ControlFlow.Ints(n, batched ? null : "scan_input_axes", m, 0, exact: true);
            var inDirs = ControlFlow.Ints(n, batched ? "directions" : "scan_input_directions", m, 0, exact: true);
            var outAxes = ControlFlow.Ints(n, batched ? null : "scan_output_axes", k, 0, exact: true);
            var outDirs = ControlFlow.Ints(n, batched ? null : "scan_output_directions", k, 0, exact: true);
            foreach (var d in inDirs.Concat(outDirs))
                if (d != 0 && d != 1) throw Unsupported(n, $"direction {d} (must be 0 or 1)");

            int batch = -1;
            int[] Strip(int input, string what)
            {
                var v = n.Input(input) ?? throw new QgException(DiagnosticIds.UnsupportedOp, $"{n.Describe()}: an absent {what} is not supported");
                var shape = ShapeOf(n, input);
                if (!batched) return shape;
                if (shape.Length < 1) throw Invalid(n, $"{what} '{v.Name}' needs a batch axis");
                if (batch >= 0 && shape[0] != batch) throw Invalid(n, $"{what} '{v.Name}' has batch size {shape[0]}, expected {batch}");
                batch = shape[0];
                return shape.Skip(1).ToArray();
            }

            for (int i = 0; i < carried; i++)
            {
                var shape = Strip(first + i, "initial state");
                ControlFlow.BindInput(n, body, i, In(n, first + i).Type, shape);
            }
            int length = -1;
            for (int j = 0; j < m; j++)
            {
                var shape = Strip(first + carried + j, "scan input");
                var name = In(n, first + carried + j).Name;
                int axis = batched ? 0 : AxisOf(n, inAxes[j], shape.Length, $"scan_input_axes[{j}]");
                if (length >= 0 && shape[axis] != length)
                    throw Invalid(n, $"scan input '{name}' has {shape[axis]} elements along its scan axis, expected {length}");
                length = shape[axis];
                ControlFlow.BindInput(n, body, carried + j, In(n, first + carried + j).Type, shape.Where((_, d) => d != axis).ToArray());
            }
            if (batched)
            {
                var lens = n.Input(0);
                if (lens != null)
                {
                    RequireTypes(n, 0, DataType.Int64);
                    if (!lens.IsConstant || lens.Constant!.ToLongs().Any(l => l != length))
                        throw Unsupported(n, $"sequence_lens must be absent or constant and equal to the sequence length {length} (shorter sequences are not supported)");
                }
            }
            ControlFlow.InferBody(n, body);

            for (int i = 0; i < carried; i++)
            {
                ControlFlow.CheckCarried(n, body.Inputs[i], body.Outputs[i]);
                SetOutput(n, i, In(n, first + i).Type, ShapeOf(n, first + i));
            }
            for (int j = 0; j < k; j++)
            {
                var s = body.Outputs[carried + j];
                ControlFlow.RequireRuntimeType(n, s);
                int[] shape;
                if (batched) shape = new[] { batch, length }.Concat(s.Shape!).ToArray();
                else
                {
                    int axis = AxisOf(n, outAxes[j], s.Shape!.Length + 1, $"scan_output_axes[{j}]");
                    var list = s.Shape!.ToList();
                    list.Insert(axis, length);
                    shape = list.ToArray();
                }
                SetOutput(n, carried + j, s.Type, shape);
            }
        }

        private static int AxisOf(Node n, long axis, int rank, string what)
        {
            long a = axis < 0 ? axis + rank : axis;
            if (a < 0 || a >= rank) throw new QgException(DiagnosticIds.UnsupportedAttribute, $"{n.Describe()}: {what} = {axis} is out of range for rank {rank}");
            return (int)a;
        }

        /// <summary>The scan axis of scan input j (in the input's shape without the opset-8 batch axis).</summary>
        internal static int InputAxis(Node n, int j, int rank) =>
            n.Opset < 9 ? 0 : AxisOf(n, ControlFlow.Ints(n, "scan_input_axes", j + 1, 0)[j], rank, "scan_input_axes");

        /// <summary>The scan axis of scan output j (in the output's shape without the opset-8 batch axis).</summary>
        internal static int OutputAxis(Node n, int j, int rank) =>
            n.Opset < 9 ? 0 : AxisOf(n, ControlFlow.Ints(n, "scan_output_axes", j + 1, 0)[j], rank, "scan_output_axes");

        internal static bool InputReversed(Node n, int j) => ControlFlow.Ints(n, n.Opset < 9 ? "directions" : "scan_input_directions", j + 1, 0)[j] == 1;

        internal static bool OutputReversed(Node n, int j) => n.Opset >= 9 && ControlFlow.Ints(n, "scan_output_directions", j + 1, 0)[j] == 1;

        public override void Emit(EmitContext ctx) => throw new InvalidOperationException("Scan is emitted by the model emitter");
    }

    /// <summary>What Loop and Scan share: binding body inputs, inferring the body, checking loop-carried values.</summary>
    internal static class ControlFlow
    {
        public static Subgraph Body(Node n) =>
            n.Attributes.TryGetValue("body", out var b) && b.G != null ? b.G
            : throw new QgException(DiagnosticIds.InvalidModel, $"{n.Describe()}: the body attribute (a graph) is required");

        /// <summary>Gives a body input the type and shape the node feeds it (a declared type must agree).</summary>
        public static void BindInput(Node n, Subgraph body, int i, DataType type, int[] shape)
        {
            var v = body.Inputs[i];
            if (v.Type != DataType.Undefined && v.Type != type)
                throw new QgException(DiagnosticIds.InvalidModel, $"{n.Describe()}: body input '{v.Name}' is declared {DataTypes.OnnxName(v.Type)}, the node feeds {DataTypes.OnnxName(type)}");
            if (!DataTypes.IsRuntimeSupported(type))
                throw new QgException(DiagnosticIds.UnsupportedType, $"{n.Describe()}: body input '{v.Name}' has element type {DataTypes.OnnxName(type)}, which is not supported");
            v.Type = type;
            v.Shape = shape;
        }

        public static void InferBody(Node n, Subgraph body)
        {
            var diagnostics = new List<QgDiagnostic>();
            Passes.InferAndFold(body, OperatorRegistry.Default, diagnostics, n.Name);
            Passes.RemoveDeadNodes(body);
        }

        /// <summary>A loop-carried value must keep its element type and shape from one iteration to the next.</summary>
        public static void CheckCarried(Node n, Value input, Value output)
        {
            if (input.Type != output.Type || !Shapes.Same(input.Shape, output.Shape))
                throw new QgException(DiagnosticIds.UnsupportedOp,
                    $"{n.Describe()}: loop-carried value '{input.Name}' is {input} on entry and {output} after an iteration; loop-carried values must keep their type and shape");
        }

        public static void RequireRuntimeType(Node n, Value v)
        {
            if (!DataTypes.IsRuntimeSupported(v.Type))
                throw new QgException(DiagnosticIds.UnsupportedType, $"{n.Describe()}: scan output '{v.Name}' has element type {DataTypes.OnnxName(v.Type)}, which is not supported");
        }

        /// <summary>An ints attribute of a given length, or the default for each element when absent.</summary>
        public static long[] Ints(Node n, string? name, int count, long @default, bool exact = false)
        {
            var a = name == null ? null : n.GetInts(name);
            if (a == null) return Enumerable.Repeat(@default, count).ToArray();
            if (exact ? a.Length != count : a.Length < count)
                throw new QgException(DiagnosticIds.UnsupportedAttribute, $"{n.Describe()}: {name} has {a.Length} values, expected {count}");
            return a;
        }
    }
}
