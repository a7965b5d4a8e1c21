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
        /// <summary>Peak int8 multiply-accumulate rates of one core of this machine, uncontended (/work/shared/TOOLCHAIN.md,
        /// "Speed limits"): vpmaddubsw + vpmaddwd (ymm or zmm) 117 GMAC/s; vpmovsxbw + vpmaddwd (zmm, the mix of QGemm's
        /// AVX-512BW path) 90 GMAC/s. tests/QuantGen.KernelBench measures them again.</summary>
        public const double PeakMaddubs = 117, PeakAvx512Widening = 90;

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
            sb.AppendLine(ci, $"Host: {CpuName()}, {Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}; " +
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
                sb.AppendLine("Batch-1 latency, median microseconds per call (ratios are of medians: below 1 means the first is faster).");
                sb.AppendLine();
                sb.AppendLine("| model | ORT float32 | generated float32 | generated int8 | int8, 7-bit weights | int8 / float32 | int8 / ORT | int8 7-bit / ORT | float32 / ORT | allocated per call (float32, int8, int8 7-bit) |");
                sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
                foreach (var (type, name) in present)
                {
                    double? ort = Median(type, "OnnxRuntime"), f32 = Median(type, "Float32"), q8 = Median(type, "Int8"), q7 = Median(type, "Int8W7");
                    sb.AppendLine(ci, $"| {name} | {Us(ort)} | {Us(f32)} | {Us(q8)} | {Us(q7)} | {Ratio(q8, f32)} | {Ratio(q8, ort)} | {Ratio(q7, ort)} | {Ratio(f32, ort)} | " +
                        $"{Alloc(type, "Float32")?.ToString(ci) ?? "?"} B, {Alloc(type, "Int8")?.ToString(ci) ?? "?"} B, {Alloc(type, "Int8W7")?.ToString(ci) ?? "?"} B |");
                }
                sb.AppendLine();
                var statics = present.Where(m => Median(m.Type, "Int8Static") != null).ToList();
                if (statics.Count > 0)
                {
                    sb.AppendLine("Static (calibrated) int8, where int8 layers chain in uint8 (Int8Boundaries), same run:");
                    sb.AppendLine();
                    sb.AppendLine("| model | generated int8, dynamic | generated int8, static | static / dynamic | static / ORT | allocated per call |");
                    sb.AppendLine("|---|---:|---:|---:|---:|---|");
                    foreach (var (type, name) in statics)
                    {
                        double? ort = Median(type, "OnnxRuntime"), q8 = Median(type, "Int8"), qs = Median(type, "Int8Static");
                        sb.AppendLine(ci, $"| {name} | {Us(q8)} | {Us(qs)} | {Ratio(qs, q8)} | {Ratio(qs, ort)} | {Alloc(type, "Int8Static")?.ToString(ci) ?? "?"} B |");
                    }
                    sb.AppendLine();
                }
            }

            var order = QGemmThroughput.Shapes.ToList();
            var gemm = reports.Where(r => r.BenchmarkCase.Descriptor.Type == typeof(QGemmThroughput))
                .OrderBy(r => (bool)r.BenchmarkCase.Parameters["NarrowWeights"]).ThenBy(r => order.IndexOf((string)r.BenchmarkCase.Parameters["Shape"])).ToList();
            if (gemm.Count > 0)
            {
                sb.AppendLine(ci, $"Int8 GEMM, QGemm.Run (int32 output, the CPU's best path: {PathName()}); MACs = M * N * K, GMAC/s = MACs / median time. " +
                    $"Peaks of one uncontended core (TOOLCHAIN.md): {PeakMaddubs} GMAC/s vpmaddubsw+vpmaddwd, {PeakAvx512Widening} GMAC/s vpmovsxbw+vpmaddwd (the AVX-512BW path's mix).");
                sb.AppendLine();
                sb.AppendLine(ci, $"| weights | M | N | K | MACs | median us | GMAC/s | % of {PeakMaddubs} | % of {PeakAvx512Widening} |");
                sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
                foreach (var r in gemm)
                {
                    var shape = (string)r.BenchmarkCase.Parameters["Shape"];
                    var (m, n, k) = QGemmThroughput.Parse(shape);
                    double? med = r.ResultStatistics?.Median;
                    double g = med is null ? double.NaN : Gmacs(shape, med.Value);
                    var weights = (bool)r.BenchmarkCase.Parameters["NarrowWeights"] ? "7-bit (narrow kernel)" : "8-bit";
                    sb.AppendLine(ci, $"| {weights} | {m} | {n} | {k} | {(long)m * n * k:N0} | {Us(med)} | {g:F1} | {100 * g / PeakMaddubs:F0}% | {100 * g / PeakAvx512Widening:F0}% |");
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

        private static string PathName()
        {
            if (System.Runtime.Intrinsics.X86.Avx512BW.IsSupported) return "AVX-512BW";
            if (System.Runtime.Intrinsics.X86.Avx2.IsSupported) return "AVX2";
            return "non-x86 or portable";
        }
    }
}
