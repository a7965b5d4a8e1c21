using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using QuantGen.Onnx.Proto;

namespace QuantGen.Graph.Quantization
{
    /// <summary>
    /// Calibration samples from a folder: either test_data_set_*/input_k.pb folders (one TensorProto per graph input, as in
    /// the ONNX backend-test layout) or .npy files (one per graph input, in name order, float32/float64/int64/int32/uint8).
    /// A tensor holding k times the model input's elements (e.g. a batch of images for a batch-1 model) is split into k
    /// samples along its first axis. A set whose tensors bind the model's symbolic dimensions (dim_param) to other sizes than
    /// the compiled shape (an audio clip of another length) is one sample at its own shapes: the caller evaluates it on the
    /// model prepared at those sizes.
    /// </summary>
    public static class CalibrationData
    {
        /// <summary>The files a folder's calibration data consists of (for hashing), sorted.</summary>
        public static IReadOnlyList<string> Files(string folder)
        {
            var sets = Directory.GetDirectories(folder, "test_data_set_*").OrderBy(d => d, StringComparer.Ordinal)
                .SelectMany(d => Directory.GetFiles(d, "input_*.pb").OrderBy(f => f, StringComparer.Ordinal));
            return sets.Concat(Directory.GetFiles(folder, "*.npy").OrderBy(f => f, StringComparer.Ordinal)).ToList();
        }

        /// <param name="symbolic">Per graph input, which axes are symbolic in the model (null: none are).</param>
        public static List<IReadOnlyList<TensorData>> Load(string folder, IReadOnlyList<Value> inputs, int maxSamples = int.MaxValue,
            IReadOnlyList<bool[]>? symbolic = null)
        {
            if (!Directory.Exists(folder))
                throw new QgException(DiagnosticIds.InvalidOption, $"calibration folder '{folder}' was not found");
            var raw = new List<List<TensorData>>();
            foreach (var d in Directory.GetDirectories(folder, "test_data_set_*").OrderBy(d => d, StringComparer.Ordinal))
            {
                var files = Directory.GetFiles(d, "input_*.pb").OrderBy(f => Index(f)).ToList();
                raw.Add(files.Select(f => OnnxImporter.DecodeStandalone(TensorProto.Parser.ParseFrom(File.ReadAllBytes(f)), Path.GetFileName(f))).ToList());
            }
            var npy = Directory.GetFiles(folder, "*.npy").OrderBy(f => f, StringComparer.Ordinal).ToList();
            if (npy.Count > 0) raw.Add(npy.Select(f => ReadNpy(File.ReadAllBytes(f), Path.GetFileName(f))).ToList());
            if (raw.Count == 0)
                throw new QgException(DiagnosticIds.InvalidOption, $"calibration folder '{folder}' holds no test_data_set_* folders and no .npy files");

            var samples = new List<IReadOnlyList<TensorData>>();
            foreach (var set in raw)
            {
                if (set.Count != inputs.Count)
                    throw new QgException(DiagnosticIds.InvalidOption, $"calibration data in '{folder}' has {set.Count} inputs, the model {inputs.Count}");
                if (OwnShape(set, inputs, symbolic))
                {
                    if (samples.Count < maxSamples)
                        samples.Add(inputs.Select((v, i) => set[i].Type == v.Type ? set[i] : set[i].CastTo(v.Type)).ToList());
                    continue;
                }
                int count = -1;
                for (int i = 0; i < inputs.Count; i++)
                {
                    int need = Shapes.Size(inputs[i].Shape!);
                    if (need == 0 || set[i].Length % need != 0)
                        throw new QgException(DiagnosticIds.InvalidOption, $"calibration tensor {i} has {set[i].Length} elements, not a multiple of input '{inputs[i].Name}' {Shapes.Format(inputs[i].Shape)}");
                    int k = set[i].Length / need;
                    if (count >= 0 && k != count) throw new QgException(DiagnosticIds.InvalidOption, "calibration tensors hold different numbers of samples");
                    count = k;
                }
                for (int s = 0; s < count && samples.Count < maxSamples; s++)
                    samples.Add(inputs.Select((v, i) => Slice(set[i], s, Shapes.Size(v.Shape!), v.Shape!, v.Type)).ToList());
            }
            return samples;
        }

        /// <summary>
        /// Whether a set is one sample at its own shapes: every tensor has its input's rank, differs from the compiled shape only on
        /// symbolic axes and at least one does, and the set is not a batch of compiled-shape samples (equal but for a first axis
        /// that holds a multiple of the compiled one).
        /// </summary>
        private static bool OwnShape(IReadOnlyList<TensorData> set, IReadOnlyList<Value> inputs, IReadOnlyList<bool[]>? symbolic)
        {
            if (symbolic == null || symbolic.Count != inputs.Count || set.Count != inputs.Count) return false;
            bool differs = false, batch = true;
            for (int i = 0; i < inputs.Count; i++)
            {
                int[] want = inputs[i].Shape!, have = set[i].Shape;
                if (have.Length != want.Length || symbolic[i].Length != want.Length) return false;
                for (int d = 0; d < want.Length; d++)
                {
                    if (have[d] == want[d]) continue;
                    if (!symbolic[i][d] || have[d] <= 0) return false;
                    differs = true;
                    if (d > 0 || want[0] == 0 || have[0] % want[0] != 0) batch = false;
                }
            }
            return differs && !batch;
        }

        private static int Index(string path)
        {
            var name = Path.GetFileNameWithoutExtension(path);
            return int.TryParse(name.Substring(name.LastIndexOf('_') + 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : 0;
        }

        private static TensorData Slice(TensorData t, int sample, int count, int[] shape, DataType type)
        {
            var idx = Enumerable.Range(sample * count, count).ToArray();
            var s = t.Select(shape, idx);
            return s.Type == type ? s : s.CastTo(type);
        }

        /// <summary>Reads a little-endian, C-order .npy array (version 1-3).</summary>
        public static TensorData ReadNpy(byte[] b, string name)
        {
            if (b.Length < 10 || b[0] != 0x93 || Encoding.ASCII.GetString(b, 1, 5) != "NUMPY")
                throw new QgException(DiagnosticIds.InvalidOption, $"'{name}' is not a .npy file");
            int major = b[6];
            int headerLen = major == 1 ? BitConverter.ToUInt16(b, 8) : BitConverter.ToInt32(b, 8);
            int start = major == 1 ? 10 : 12;
            var header = Encoding.ASCII.GetString(b, start, headerLen);
            string Field(string key)
            {
                int i = header.IndexOf("'" + key + "'", StringComparison.Ordinal);
                if (i < 0) throw new QgException(DiagnosticIds.InvalidOption, $"'{name}': .npy header lacks '{key}'");
                return header.Substring(header.IndexOf(':', i) + 1).TrimStart();
            }
            var descr = Field("descr");
            descr = descr.Substring(1, descr.IndexOf('\'', 1) - 1);
            if (Field("fortran_order").StartsWith("True", StringComparison.Ordinal))
                throw new QgException(DiagnosticIds.InvalidOption, $"'{name}': Fortran-order .npy is not supported");
            var shapeText = Field("shape");
            shapeText = shapeText.Substring(1, shapeText.IndexOf(')') - 1);
            var shape = shapeText.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s.Trim(), CultureInfo.InvariantCulture)).ToArray();
            int n = Shapes.Size(shape);
            int at = start + headerLen;
            switch (descr)
            {
                case "<f4": { var f = new float[n]; Buffer.BlockCopy(b, at, f, 0, n * 4); return new TensorData(DataType.Float, shape, f); }
                case "<f8": { var d = new double[n]; Buffer.BlockCopy(b, at, d, 0, n * 8); return new TensorData(DataType.Float, shape, d.Select(x => (float)x).ToArray()); }
                case "<i8": { var l = new long[n]; Buffer.BlockCopy(b, at, l, 0, n * 8); return new TensorData(DataType.Int64, shape, l); }
                case "<i4": { var l = new int[n]; Buffer.BlockCopy(b, at, l, 0, n * 4); return new TensorData(DataType.Int32, shape, l.Select(x => (long)x).ToArray()); }
                case "|u1": return new TensorData(DataType.UInt8, shape, Enumerable.Range(0, n).Select(i => (long)b[at + i]).ToArray());
                default: throw new QgException(DiagnosticIds.InvalidOption, $"'{name}': .npy element type '{descr}' is not supported");
            }
        }
    }
}
