using System.Globalization;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen
{
    /// <summary>Loop and Scan: the body's steps inside a C# for loop (see <see cref="LoopStep"/>).</summary>
    public sealed partial class ModelEmitter
    {
        private static string Int(long v) => v.ToString(CultureInfo.InvariantCulture);

        private void EmitLoop(LoopStep ls, CodeWriter w)
        {
            var n = ls.Node;
            var body = ls.BodyGraph;
            int scans = n.Outputs.Count - ls.Carried;
            var line = ls.IsScan
                ? $"{n.Name}: Scan over {body.Inputs.Count - ls.Carried} input(s), {ls.Carried} state(s), {scans} scan output(s) -> {string.Join(", ", n.Outputs.Select(o => Shapes.Format(o.Shape)))}"
                : $"{n.Name}: Loop, {ls.Carried} loop-carried value(s), {scans} scan output(s) -> {string.Join(", ", n.Outputs.Select(o => Shapes.Format(o.Shape)))}";
            _remarks.Add(CodeWriter.Comment(line));
            w.Line($"// {CodeWriter.LineComment(line)}");
            foreach (var v in ls.Defined) Declare(v, w);
            if (ls.IsScan) EmitScanLoop(ls, w);
            else EmitLoopLoop(ls, w);
        }

        private void EmitLoopLoop(LoopStep ls, CodeWriter w)
        {
            var n = ls.Node;
            var body = ls.BodyGraph;
            var m = n.Input(0);
            var cond = n.Input(1);
            var c = UniqueLocal("loopCond");
            var i = UniqueLocal("loopIter");
            w.Line($"bool {c} = {(cond == null ? "true" : Read(cond) + "[0]")};");
            string bound = "";
            if (m != null)
            {
                var trips = UniqueLocal("loopTrips");
                w.Line($"long {trips} = {Read(m)}[0];");
                bound = $"{i} < {trips} && ";
            }
            for (int k = 0; k < ls.Carried; k++) Copy(n.Inputs[ls.FirstInitial + k]!, ls.CarriedIn(k), w);
            w.Open($"for (long {i} = 0; {bound}{c}; {i}++)");
            w.Line($"{Write(body.Inputs[0])}[0] = {i};");
            w.Line($"{Write(body.Inputs[1])}[0] = true;");
            EmitSteps(ls.Body, w);
            // The condition first (it may be a loop-carried value), then the scan outputs (they may read the carried
            // inputs), then the carried values.
            w.Line($"{c} = {Read(body.Outputs[0])}[0];");
            int j = 0;
            foreach (var s in ls.ScanOutputs)
            {
                long size = Shapes.Size(s.Shape!);
                w.Line($"{Read(s)}.CopyTo({Write(n.Outputs[ls.Carried + j])}.Slice((int){i} * {Int(size)}, {Int(size)}));");
                j++;
            }
            EmitCarriedCopies(ls, w);
            w.Close();
        }

        private void EmitScanLoop(LoopStep ls, CodeWriter w)
        {
            var n = ls.Node;
            var body = ls.BodyGraph;
            bool batched = ls.IsBatchedScan;
            int first = ls.FirstInitial;
            int mScans = body.Inputs.Count - ls.Carried;
            var x0 = n.Inputs[first + ls.Carried]!;
            var x0Shape = batched ? x0.Shape!.Skip(1).ToArray() : x0.Shape!;
            int length = x0Shape[Ops.Scan.InputAxis(n, 0, x0Shape.Length)];
            int batch = batched ? x0.Shape![0] : 1;
            var b = UniqueLocal("scanRow");
            var t = UniqueLocal("scanStep");

            // One batch row of a value (opset 8), or the whole value.
            string Row(string span, Value v) =>
                batched ? $"{span}.Slice({b} * {Int(Shapes.Size(v.Shape!) / batch)}, {Int(Shapes.Size(v.Shape!) / batch)})" : span;

            if (batched) w.Open($"for (int {b} = 0; {b} < {batch}; {b}++)");
            for (int k = 0; k < ls.Carried; k++)
            {
                var init = n.Inputs[first + k]!;
                if (batched) w.Line($"{Row(Read(init), init)}.CopyTo({Write(ls.CarriedIn(k))});");
                else Copy(init, ls.CarriedIn(k), w);
            }
            w.Open($"for (int {t} = 0; {t} < {length}; {t}++)");
            for (int j = 0; j < mScans; j++)
            {
                var x = n.Inputs[first + ls.Carried + j]!;
                var shape = batched ? x.Shape!.Skip(1).ToArray() : x.Shape!;
                int axis = Ops.Scan.InputAxis(n, j, shape.Length);
                var pos = Ops.Scan.InputReversed(n, j) ? $"{length - 1} - {t}" : t;
                EmitSlice(take: true, Row(Read(x), x), Write(body.Inputs[ls.Carried + j]), x.Type, shape, axis, pos, w);
            }
            EmitSteps(ls.Body, w);
            int o = 0;
            foreach (var s in ls.ScanOutputs)
            {
                var y = n.Outputs[ls.Carried + o];
                var shape = batched ? y.Shape!.Skip(1).ToArray() : y.Shape!;
                int axis = Ops.Scan.OutputAxis(n, o, shape.Length);
                var pos = Ops.Scan.OutputReversed(n, o) ? $"{length - 1} - {t}" : t;
                EmitSlice(take: false, Read(s), Row(Write(y), y), y.Type, shape, axis, pos, w);
                o++;
            }
            EmitCarriedCopies(ls, w);
            w.Close();
            if (batched)
            {
                for (int k = 0; k < ls.Carried; k++)
                    w.Line($"{Read(ls.CarriedIn(k))}.CopyTo({Row(Write(n.Outputs[k]), n.Outputs[k])});");
                w.Close();
            }
        }

        /// <summary>Reads (take) or writes one position along a scan axis of a [outer, length, inner] tensor.</summary>
        private void EmitSlice(bool take, string from, string to, DataType type, int[] shape, int axis, string pos, CodeWriter w)
        {
            long outer = 1, inner = 1;
            for (int d = 0; d < axis; d++) outer *= shape[d];
            for (int d = axis + 1; d < shape.Length; d++) inner *= shape[d];
            if (outer == 1)
            {
                if (take) w.Line($"{from}.Slice(({pos}) * {Int(inner)}, {Int(inner)}).CopyTo({to});");
                else w.Line($"{from}.CopyTo({to}.Slice(({pos}) * {Int(inner)}, {Int(inner)}));");
                return;
            }
            UseKernel("Scan");
            w.Line($"global::QuantGen.Kernels.Scan.{(take ? "Take" : "Put")}<{DataTypes.CSharpName(type)}>({from}, {to}, {Int(outer)}, {Int(shape[axis])}, {Int(inner)}, {pos});");
        }

        /// <summary>Carried outputs back into the carried inputs; a carried output that is another carried input goes through its staging buffer.</summary>
        private void EmitCarriedCopies(LoopStep ls, CodeWriter w)
        {
            foreach (var kv in ls.Staged.OrderBy(k => k.Key)) Copy(ls.CarriedOut(kv.Key), kv.Value, w);
            for (int k = 0; k < ls.Carried; k++)
                if (!ls.Staged.ContainsKey(k)) Copy(ls.CarriedOut(k), ls.CarriedIn(k), w);
            foreach (var kv in ls.Staged.OrderBy(k => k.Key)) Copy(kv.Value, ls.CarriedIn(kv.Key), w);
        }

        /// <summary>Copies a value into another's storage, unless both already share it.</summary>
        private void Copy(Value from, Value to, CodeWriter w)
        {
            if (!from.IsConstant && _plan.Storage.TryGetValue(from, out var a) && _plan.Storage.TryGetValue(to, out var b)
                && ReferenceEquals(a.Root, b.Root) && a.Kind == b.Kind) return;
            w.Line($"{Read(from)}.CopyTo({Write(to)}); // {CodeWriter.LineComment(from.Name)} -> {CodeWriter.LineComment(to.Name)}");
        }
    }
}
