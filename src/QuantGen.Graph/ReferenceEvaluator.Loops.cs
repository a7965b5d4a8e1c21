using System;
using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Graph
{
    /// <summary>Loop and Scan in the reference evaluator (calibration, error analysis): the body run once per iteration.</summary>
    public static partial class ReferenceEvaluator
    {
        private static bool IsLoopNode(Node n) => (n.OpType == "Loop" || n.OpType == "Scan") && n.Domain.Length == 0;

        private static void RunLoop(Node n, IOpRegistry ops, Dictionary<Value, TensorData> values, Action<Value, TensorData>? observe,
            Func<Node, Func<Value, TensorData>, TensorData[]?>? interpret)
        {
            var body = n.Attributes["body"].G!;
            void Bind(Value v, TensorData d) { values[v] = d; observe?.Invoke(v, d); }
            void Set(int output, TensorData d) { if (output < n.Outputs.Count) Bind(n.Outputs[output], d); }
            if (n.OpType == "Loop")
            {
                long trips = n.Input(0) != null ? Get(n.Input(0)!, values).GetLong(0) : long.MaxValue;
                bool cond = n.Input(1) == null || Get(n.Input(1)!, values).GetLong(0) != 0;
                int carried = n.Inputs.Count - 2;
                var state = Enumerable.Range(0, carried).Select(i => Get(n.Inputs[2 + i]!, values)).ToList();
                var parts = Enumerable.Range(0, n.Outputs.Count - carried).Select(_ => new List<TensorData>()).ToList();
                for (long i = 0; i < trips && cond; i++)
                {
                    Bind(body.Inputs[0], TensorData.FromLongs(DataType.Int64, Array.Empty<int>(), new[] { i }));
                    Bind(body.Inputs[1], TensorData.FromLongs(DataType.Bool, Array.Empty<int>(), new[] { 1L }));
                    for (int k = 0; k < carried; k++) Bind(body.Inputs[2 + k], state[k]);
                    RunGraph(body, ops, values, observe, interpret);
                    cond = Get(body.Outputs[0], values).GetLong(0) != 0;
                    for (int k = 0; k < carried; k++) state[k] = Get(body.Outputs[1 + k], values);
                    for (int k = 0; k < parts.Count; k++) parts[k].Add(Get(body.Outputs[1 + carried + k], values));
                }
                for (int k = 0; k < carried; k++) Set(k, state[k]);
                for (int k = 0; k < parts.Count; k++)
                {
                    var y = n.Outputs[carried + k];
                    var b = new Assembled(y.Type, y.Shape!);
                    int size = Shapes.Size(body.Outputs[1 + carried + k].Shape!);
                    for (int i = 0; i < parts[k].Count; i++) b.Put(parts[k][i], Enumerable.Range(i * size, size).ToArray());
                    Set(carried + k, b.Build());
                }
                return;
            }

            // Scan: opset 9+ (axes and directions), opset 8 (batch axis 0, scan axis 1, input directions).
            bool batched = n.Opset < 9;
            int first = batched ? 1 : 0;
            int m = (int)n.GetInt("num_scan_inputs", 0);
            int n0 = n.Inputs.Count - first - m;
            int kOut = n.Outputs.Count - n0;
            long[] Attr(string? name, int count) => (name == null ? null : n.GetInts(name)) ?? new long[count];
            var inAxes = Attr(batched ? null : "scan_input_axes", m);
            var inDirs = Attr(batched ? "directions" : "scan_input_directions", m);
            var outAxes = Attr(batched ? null : "scan_output_axes", kOut);
            var outDirs = Attr(batched ? null : "scan_output_directions", kOut);
            var xs = Enumerable.Range(0, m).Select(j => Get(n.Inputs[first + n0 + j]!, values)).ToList();
            int rows = batched ? xs[0].Shape[0] : 1;
            int[] Row(int[] shape) => batched ? shape.Skip(1).ToArray() : shape;
            int Axis(long a, int rank) => (int)(a < 0 ? a + rank : a);
            int length = Row(xs[0].Shape)[Axis(inAxes[0], Row(xs[0].Shape).Length)];
            var states = Enumerable.Range(0, n0).Select(i => new Assembled(n.Outputs[i].Type, n.Outputs[i].Shape!)).ToList();
            var scans = Enumerable.Range(0, kOut).Select(k => new Assembled(n.Outputs[n0 + k].Type, n.Outputs[n0 + k].Shape!)).ToList();
            for (int r = 0; r < rows; r++)
            {
                var state = new List<TensorData>();
                for (int i = 0; i < n0; i++)
                {
                    var init = Get(n.Inputs[first + i]!, values);
                    int size = init.Length / rows;
                    state.Add(init.Select(Row(init.Shape), Enumerable.Range(r * size, size).ToArray()));
                }
                for (int t = 0; t < length; t++)
                {
                    for (int i = 0; i < n0; i++) Bind(body.Inputs[i], state[i]);
                    for (int j = 0; j < m; j++)
                    {
                        var shape = Row(xs[j].Shape);
                        int axis = Axis(inAxes[j], shape.Length);
                        int pos = inDirs[j] == 1 ? length - 1 - t : t;
                        Bind(body.Inputs[n0 + j], xs[j].Select(shape.Where((_, d) => d != axis).ToArray(), SliceIndices(r * Shapes.Size(shape), shape, axis, pos)));
                    }
                    RunGraph(body, ops, values, observe, interpret);
                    for (int i = 0; i < n0; i++) state[i] = Get(body.Outputs[i], values);
                    for (int k = 0; k < kOut; k++)
                    {
                        var shape = Row(n.Outputs[n0 + k].Shape!);
                        int axis = Axis(outAxes[k], shape.Length);
                        int pos = outDirs[k] == 1 ? length - 1 - t : t;
                        scans[k].Put(Get(body.Outputs[n0 + k], values), SliceIndices(r * Shapes.Size(shape), shape, axis, pos));
                    }
                }
                for (int i = 0; i < n0; i++) states[i].Put(state[i], Enumerable.Range(r * state[i].Length, state[i].Length).ToArray());
            }
            for (int i = 0; i < n0; i++) Set(i, states[i].Build());
            for (int k = 0; k < kOut; k++) Set(n0 + k, scans[k].Build());
        }

        /// <summary>Flat indices of position <paramref name="pos"/> along <paramref name="axis"/> of a tensor of <paramref name="shape"/> at <paramref name="offset"/>.</summary>
        private static int[] SliceIndices(int offset, int[] shape, int axis, int pos)
        {
            int outer = 1, inner = 1, len = shape[axis];
            for (int d = 0; d < axis; d++) outer *= shape[d];
            for (int d = axis + 1; d < shape.Length; d++) inner *= shape[d];
            var r = new int[outer * inner];
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++) r[o * inner + i] = offset + (o * len + pos) * inner + i;
            return r;
        }

        /// <summary>A tensor filled part by part (scan outputs, stacked states).</summary>
        private sealed class Assembled
        {
            private readonly DataType _type;
            private readonly int[] _shape;
            private readonly double[]? _doubles;
            private readonly long[]? _longs;

            public Assembled(DataType type, int[] shape)
            {
                _type = type; _shape = shape;
                if (DataTypes.IsFloating(type)) _doubles = new double[Shapes.Size(shape)]; else _longs = new long[Shapes.Size(shape)];
            }

            public void Put(TensorData part, int[] indices)
            {
                for (int i = 0; i < indices.Length; i++)
                {
                    if (_doubles != null) _doubles[indices[i]] = part.GetDouble(i);
                    else _longs![indices[i]] = part.GetLong(i);
                }
            }

            public TensorData Build() => _doubles != null ? TensorData.FromDoubles(_type, _shape, _doubles) : TensorData.FromLongs(_type, _shape, _longs!);
        }
    }
}
