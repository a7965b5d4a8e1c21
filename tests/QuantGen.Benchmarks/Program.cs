using System;
using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// dotnet run -c Release --project tests/QuantGen.Benchmarks -- --table [Mnist Fashion WakeEmbedding ResNet18 MiniLm QGemmThroughput]
    ///   runs the chosen classes (default: all) with a short in-process job (3 warmup, 10 measured iterations) and prints
    ///   BenchmarkDotNet's summary, then markdown tables of medians and ratios (notes/benchmarks.md quotes them).
    /// dotnet run -c Release --project tests/QuantGen.Benchmarks -- [BenchmarkDotNet arguments, e.g. --filter *ResNet18*]
    ///   the usual BenchmarkSwitcher (default job, in process as well).
    /// In process: an out-of-process job would rebuild this project (and regenerate ResNet18's C#) for every run.
    /// </summary>
    internal static class Program
    {
        private static readonly Type[] All = [typeof(Mnist), typeof(Fashion), typeof(WakeEmbedding), typeof(ResNet18), typeof(MiniLm), typeof(QGemmThroughput)];

        private static int Main(string[] args)
        {
            if (args.Length > 0 && args[0] == "--table")
            {
                var chosen = args.Length == 1 ? All : args.Skip(1).Select(n => All.FirstOrDefault(t => t.Name.Equals(n, StringComparison.OrdinalIgnoreCase))
                    ?? throw new ArgumentException($"unknown benchmark class {n}; known: {string.Join(", ", All.Select(t => t.Name))}")).ToArray();
                var job = Job.Default.WithId("Short").WithWarmupCount(3).WithIterationCount(10).WithToolchain(InProcessEmitToolchain.Instance);
                var summaries = BenchmarkRunner.Run(chosen, Config(job));
                Console.WriteLine();
                Console.WriteLine(Table.Markdown(summaries));
                return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success) || s.Reports.Length == 0) ? 1 : 0;
            }
            var switcher = BenchmarkSwitcher.FromTypes(All).Run(args, Config(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)));
            return switcher.Any(s => s.Reports.Any(r => !r.Success)) ? 1 : 0;
        }

        private static IConfig Config(Job job) => ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddColumn(StatisticColumn.Median, new GmacColumn())
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddLogger(ConsoleLogger.Default)
            .AddExporter(MarkdownExporter.GitHub)
            .WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));
    }

    /// <summary>GMAC/s of <see cref="QGemmThroughput"/> cases in BenchmarkDotNet's own summary: M * N * K / median time.</summary>
    internal sealed class GmacColumn : IColumn
    {
        public string Id => "GMACs";
        public string ColumnName => "GMAC/s";
        public bool AlwaysShow => false;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "Int8 multiply-accumulates per second, M * N * K / median (QGemmThroughput only)";
        public bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(b => b.Descriptor.Type == typeof(QGemmThroughput));
        public bool IsDefault(Summary summary, BenchmarkDotNet.Running.BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkDotNet.Running.BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

        public string GetValue(Summary summary, BenchmarkDotNet.Running.BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var median = summary[benchmarkCase]?.ResultStatistics?.Median;
            if (benchmarkCase.Descriptor.Type != typeof(QGemmThroughput) || median is null) return "-";
            return Table.Gmacs((string)benchmarkCase.Parameters["Shape"], median.Value).ToString("F1");
        }
    }
}
