using System;
using System.Globalization;
using System.Linq;
using System.Text;
using BenchmarkDotNet.Reports;

namespace QuantGen.Benchmarks
{
    /// <summary>The markdown tables of the --table mode, from BenchmarkDotNet's summaries (medians).</summary>
    internal static class Table
    {
        public static double Gmacs(string shape, double medianNs)
        {
            var (m, n, k) = QGemmThroughput.Parse(shape);
            return (double)m * n * k / medianNs;
        }

        public static string Markdown(Summary[] summaries)
        {
            var ci = CultureInfo.InvariantCulture;
            var reports = summaries.SelectMany(s => s.Reports).ToList();
            var sb = new StringBuilder();
            sb.AppendLine(ci, $"Host: {CpuName()} (AVX-VNNI {(System.Runtime.Intrinsics.X86.AvxVnni.IsSupported ? "yes" : "no")}, " +
                $"AVX-512BW {(System.Runtime.Intrinsics.X86.Avx512BW.IsSupported ? "yes" : "no")}), {Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}; " +
                $"BenchmarkDotNet {typeof(Summary).Assembly.GetName().Version}, in process, 3 warmup + 10 measured iterations; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.");
            sb.AppendLine();

            double? Median(Type t, string method) =>
                reports.FirstOrDefault(r => r.BenchmarkCase.Descriptor.Type == t && r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method)?.ResultStatistics?.Median;
            long? Alloc(Type t, string method)
            {
                var r = reports.FirstOrDefault(r => r.BenchmarkCase.Descriptor.Type == t && r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method);
                return r?.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase);
            }
            string Us(double? ns) => ns is null ? "n/a" : (ns.Value / 1000).ToString(ns.Value < 100_000 ? "N2" : ns.Value < 10_000_000 ? "N1" : "N0", ci);
            string Ratio(double? a, double? b) => a is null || b is null ? "n/a" : (a.Value / b.Value).ToString("F2", ci);

            var models = new (Type Type, string Name)[]
            {
                (typeof(Mnist), "mnist_cntk"), (typeof(Fashion), "fashion_mnist_cnn (batch 1)"),
                (typeof(WakeEmbedding), "openWakeWord embedding (1 window)"), (typeof(ResNet18), "ResNet18"),
            };
            var present = models.Where(m => reports.Any(r => r.BenchmarkCase.Descriptor.Type == m.Type)).ToList();
            if (present.Count > 0)
            {
                sb.AppendLine("Batch-1 latency, median microseconds per call (ratios are of medians: below 1 means the first is faster). ORT int8 is ONNX " +
                    "Runtime on the QDQ models of ../shared/corpus/ort_int8; generated int8 static is calibrated, 8-bit weights (the package default); 4-bit weights are in groups of 32, round to nearest.");
                sb.AppendLine();
                sb.AppendLine("| model | ORT float32 | ORT int8 (QDQ) | generated float32 | generated int8 from the QDQ model | generated int8 static | generated int8 dynamic | int8 dynamic, 7-bit weights | int8 dynamic, 4-bit weights | 4-bit / 8-bit | QDQ / ORT int8 | static / ORT int8 | float32 / ORT float32 | allocated per call (float32, QDQ, static) |");
                sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
                foreach (var (type, name) in present)
                {
                    double? ort = Median(type, "OnnxRuntime"), ortQ = Median(type, "OnnxRuntimeInt8"), f32 = Median(type, "Float32"), q8 = Median(type, "Int8"),
                        q7 = Median(type, "Int8W7"), q4 = Median(type, "Int8W4"), qs = Median(type, "Int8Static"), qq = Median(type, "Int8Qdq");
                    sb.AppendLine(ci, $"| {name} | {Us(ort)} | {Us(ortQ)} | {Us(f32)} | {Us(qq)} | {Us(qs)} | {Us(q8)} | {Us(q7)} | {Us(q4)} | {Ratio(q4, q8)} | {Ratio(qq, ortQ)} | {Ratio(qs, ortQ)} | {Ratio(f32, ort)} | " +
                        $"{Alloc(type, "Float32")?.ToString(ci) ?? "?"} B, {Alloc(type, "Int8Qdq")?.ToString(ci) ?? "?"} B, {Alloc(type, "Int8Static")?.ToString(ci) ?? "?"} B |");
                }
                sb.AppendLine();
            }

            var order = QGemmThroughput.Shapes.ToList();
            var gemm = reports.Where(r => r.BenchmarkCase.Descriptor.Type == typeof(QGemmThroughput))
                .OrderBy(r => (bool)r.BenchmarkCase.Parameters["NarrowWeights"]).ThenBy(r => order.IndexOf((string)r.BenchmarkCase.Parameters["Shape"])).ToList();
            if (gemm.Count > 0)
            {
                string path = QuantGen.Kernels.QuantPath.Name(QuantGen.Kernels.QuantPath.Best);
                sb.AppendLine(ci, $"Int8 GEMM, QGemm.Run (int32 output, the CPU's best path: {path}); MACs = M * N * K, GMAC/s = MACs / median time. Each path's own instruction-mix peak: tests/QuantGen.KernelBench, run on the same host.");
                sb.AppendLine();
                sb.AppendLine("| weights | M | N | K | MACs | median us | GMAC/s |");
                sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
                foreach (var r in gemm)
                {
                    var shape = (string)r.BenchmarkCase.Parameters["Shape"];
                    var (m, n, k) = QGemmThroughput.Parse(shape);
                    double? med = r.ResultStatistics?.Median;
                    double g = med is null ? double.NaN : Gmacs(shape, med.Value);
                    var weights = (bool)r.BenchmarkCase.Parameters["NarrowWeights"] ? "7-bit (narrow kernel without VNNI)" : "8-bit";
                    sb.AppendLine(ci, $"| {weights} | {m} | {n} | {k} | {(long)m * n * k:N0} | {Us(med)} | {g:F1} |");
                }
            }
            return sb.ToString();
        }

        private static string CpuName()
        {
            try
            {
                var line = System.IO.File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
                if (line != null) return line.Substring(line.IndexOf(':') + 1).Trim();
            }
            catch (System.IO.IOException) { }
            catch (UnauthorizedAccessException) { }
            return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
        }
    }
}
