using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using QuantGen.Kernels;

namespace QuantGen.KernelBench
{
    /// <summary>
    /// GMAC/s of QGemm (int32 output) per path and shape, next to the peak of the same instruction mix in a register-only loop
    /// (12 or 8 independent accumulators, no loads). Medians of repeated timed batches; tiered compilation is off.
    /// </summary>
    internal static class Program
    {
        private static int Main(string[] args)
        {
            if (args.Length > 0 && args[0] == "conv") return ConvBench(args.Length > 1 ? int.Parse(args[1]) : 15);
            if (args.Length > 0 && args[0] == "fconv") return FloatConvBench(args.Length > 1 ? int.Parse(args[1]) : 15);
            if (args.Length > 0 && args[0] == "lut") return LutBench(args.Length > 1 ? int.Parse(args[1]) : 15);
            if (args.Length > 0 && args[0] == "gelu") return GeluBench(args.Length > 1 ? int.Parse(args[1]) : 15);
            if (args.Length > 0 && args[0] == "norm") return NormBench(args.Length > 1 ? int.Parse(args[1]) : 15);
            if (args.Length > 0 && args[0] == "fgemm") return FloatGemm(args.Length > 1 ? int.Parse(args[1]) : 15);
            int repeats = args.Length > 0 ? int.Parse(args[0]) : 15;
            Console.WriteLine($"best path: {QuantPath.Name(QuantPath.Best)}; Avx2={Avx2.IsSupported} Avx512BW={Avx512BW.IsSupported} AvxVnni={AvxVnni.IsSupported} Vector512={Vector512.IsHardwareAccelerated}");
            if (Avx2.IsSupported)
            {
                Console.WriteLine($"peak AVX2 vpsignb+vpmaddubsw+vpmaddwd+vpaddd (sign variant), ymm: {Median(repeats, PeakAvx2Sign):s} GMAC/s");
                Console.WriteLine($"peak AVX2 vpxor+vpsubb+vpmaddubsw+vpmaddwd+vpaddd (the AVX2 kernel's mix), ymm: {Median(repeats, PeakAvx2Xor):s} GMAC/s");
                Console.WriteLine($"peak AVX2 vpmaddubsw+vpmaddwd+vpaddd (no sign), ymm:                   {Median(repeats, PeakAvx2):s} GMAC/s");
            }
            if (Avx512BW.IsSupported)
            {
                Console.WriteLine($"peak AVX-512 2 vpmovsxbw + 16 vpmaddwd + 16 vpaddd (the AVX-512 kernel's mix), zmm: {Median(repeats, PeakAvx512Kernel):s} GMAC/s");
            }
            if (AvxVnni.IsSupported)
            {
                Console.WriteLine($"peak AVX-VNNI vpdpbusd (the VNNI kernel's mix, 12 accumulators), ymm: {Median(repeats, PeakVnni):s} GMAC/s");
            }
            var paths = new List<int>();
            if (Avx2.IsSupported) paths.Add(QuantPath.X86Avx2);
            if (Avx512BW.IsSupported) paths.Add(QuantPath.X86Avx512);
            if (QuantPath.IsSupported(QuantPath.X86AvxVnni)) paths.Add(QuantPath.X86AvxVnni);
            if (paths.Count == 0) paths.Add(QuantPath.Best);
            Console.WriteLine();
            Console.WriteLine("   M     N     K  path       GMAC/s median (best)  us/call (median)");
            foreach (int k in new[] { 4608, 576 })
                foreach (int m in new[] { 1, 4, 64, 196 })
                    foreach (int path in paths)
                    {
                        double g = Gemm(m, 512, k, path, repeats, out double us, out double best);
                        Console.WriteLine($"{m,4} {512,5} {k,5}  {QuantPath.Name(path),-10} {g,8:F1} {best,8:F1} {us,9:F1}");
                    }
            Console.WriteLine();
            Console.WriteLine("fused epilogues (M=196 N=512 K=576), median us/call: int32 out | float out (dequantize) | uint8 out (requantize, per channel)");
            foreach (int path in paths) Console.WriteLine($"  {QuantPath.Name(path),-10} {FusedMicros(path, repeats)}");
            return 0;
        }

        private static string FusedMicros(int path, int repeats)
        {
            const int m = 196, n = 512, k = 576;
            var rng = new Random(2);
            var a = new byte[m * k];
            rng.NextBytes(a);
            var b = new sbyte[k * n];
            for (int i = 0; i < b.Length; i++) b[i] = (sbyte)rng.Next(-127, 128);
            var packed = new sbyte[QGemm.PackedLength(k, n)];
            var sums = new int[QGemm.ColSumsLength(n)];
            QGemm.Pack(b, k, n, packed, sums);
            var c = new int[m * n];
            var yf = new float[m * n];
            var yq = new byte[m * n];
            var scale = new float[n];
            var bias = new float[n];
            var ibias = new int[n];
            var m0 = new int[n];
            var sh = new int[n];
            for (int j = 0; j < n; j++)
            {
                scale[j] = 0.001f + j * 1e-6f;
                bias[j] = j * 0.01f;
                ibias[j] = j * 10 - 2000;
                (m0[j], sh[j]) = Requantization.QuantizeMultiplier(3e-5 * (1 + j % 7));
            }
            double T(Action f)
            {
                f();
                var t = new double[repeats];
                for (int r = 0; r < repeats; r++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    for (int i = 0; i < 5; i++) f();
                    t[r] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds / 5;
                }
                Array.Sort(t);
                return t[repeats / 2];
            }
            double ti = T(() => QGemm.RunPath(m, n, k, a, k, 90, packed, sums, c, n, path));
            double tf = T(() => QGemm.RunDequantizePath(m, n, k, a, k, 90, packed, sums, 0.02f, scale, bias, yf, n, 0f, float.PositiveInfinity, path));
            double tq = T(() => QGemm.RunRequantizePath(m, n, k, a, k, 90, packed, sums, ibias, m0, sh, 7, yq, n, 0, 255, path));
            return $"{ti,8:F1} | {tf,8:F1} | {tq,8:F1}";
        }

        /// <summary>
        /// GMAC/s of whole uint8 -> uint8 convolutions (ConvQ8.Conv2DRequantize: NCHW in and out, the path the CPU selects) on the
        /// layer shapes of the benchmark models, MACs = OH * OW * Cout * Cin/group * KH * KW.
        /// </summary>
        private static int ConvBench(int repeats)
        {
            Console.WriteLine($"path: {QuantPath.Name(QuantPath.Best)}; uint8 -> uint8 convolution, NCHW in and out, batch 1");
            Console.WriteLine("layer                          cin cout   h   w  k     s  GMAC/s median   us median");
            foreach (var (name, cin, cout, h, w, kh, kw, s, pad) in new[]
            {
                ("resnet18 stem 7x7/2", 3, 64, 224, 224, 7, 7, 2, 3),
                ("resnet18 layer1 3x3", 64, 64, 56, 56, 3, 3, 1, 1),
                ("resnet18 layer2 3x3/2", 64, 128, 56, 56, 3, 3, 2, 1),
                ("resnet18 layer2 3x3", 128, 128, 28, 28, 3, 3, 1, 1),
                ("resnet18 layer2 1x1/2", 64, 128, 56, 56, 1, 1, 2, 0),
                ("resnet18 layer3 3x3", 256, 256, 14, 14, 3, 3, 1, 1),
                ("resnet18 layer4 3x3", 512, 512, 7, 7, 3, 3, 1, 1),
                ("fashion conv 32->64 3x3", 32, 64, 26, 26, 3, 3, 1, 0),
                ("fashion conv 64->128 3x3", 64, 128, 12, 12, 3, 3, 1, 0),
                ("embedding 24->24 1x3", 24, 24, 74, 32, 1, 3, 1, 1),
                ("embedding 48->48 3x1", 48, 48, 36, 16, 3, 1, 1, 0),
                ("embedding 96->96 1x3", 96, 96, 12, 4, 1, 3, 1, 1),
                ("mnist conv 8->16 5x5", 8, 16, 14, 14, 5, 5, 1, 2),
            })
            {
                int padH = kh == 1 ? 0 : pad, padW = kw == 1 ? 0 : pad;
                int oh = (h + 2 * padH - kh) / s + 1, ow = (w + 2 * padW - kw) / s + 1, k = cin * kh * kw;
                var rng = new Random(3);
                var x = new byte[cin * h * w];
                rng.NextBytes(x);
                var b = new sbyte[k * cout];
                for (int i = 0; i < b.Length; i++) b[i] = (sbyte)rng.Next(-127, 128);
                var packed = new sbyte[QGemm.PackedLength(k, cout)];
                var sums = new int[QGemm.ColSumsLength(cout)];
                QGemm.Pack(b, k, cout, packed, sums);
                var bias = new int[cout];
                var m0 = new int[cout];
                var sh = new int[cout];
                for (int j = 0; j < cout; j++) (m0[j], sh[j]) = Requantization.QuantizeMultiplier(3e-4 * (1 + j % 5));
                var y = new byte[cout * oh * ow];
                var scratch = new byte[Int8Layout.ConvU8ScratchBytes(1, cin, h, w, oh, ow, kh, kw, 1, cout)];
                void Run() => ConvQ8.Conv2DRequantize(x, packed, sums, bias, m0, sh, y, scratch, 1, cin, h, w, cout, oh, ow, kh, kw, s, s, 1, 1, padH, padW, 1, 90, 7, 0, 255);
                double macs = (double)oh * ow * cout * k;
                int calls = Math.Max(1, (int)(2e8 / macs));
                Run();
                var t = new double[repeats];
                for (int r = 0; r < repeats; r++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    for (int i = 0; i < calls; i++) Run();
                    t[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds / calls;
                }
                Array.Sort(t);
                double med = t[repeats / 2];
                Console.WriteLine($"{name,-28} {cin,5} {cout,4} {h,3} {w,3} {kh}x{kw} {s,3} {macs / med / 1e9,14:F1} {med * 1e6,11:F1}");
                if (Environment.GetEnvironmentVariable("CONV_PHASES") == "1")
                {
                    var nhwc = new byte[x.Length];
                    var rows = new byte[oh * ow * k];
                    double Ph(Action f)
                    {
                        f();
                        var pt = new double[repeats];
                        for (int r = 0; r < repeats; r++) { long t0 = Stopwatch.GetTimestamp(); for (int i = 0; i < 10; i++) f(); pt[r] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds / 10; }
                        Array.Sort(pt);
                        return pt[repeats / 2];
                    }
                    Console.WriteLine($"    transpose in {Ph(() => ConvQ8.Transpose(x, nhwc, cin, h * w)):F1} us, im2row {Ph(() => ConvQ8.Im2RowNhwc(nhwc, rows, cin, 0, cin, h, w, oh, ow, kh, kw, s, s, 1, 1, padH, padW, 90)):F1} us, " +
                        $"gemm+requantize {Ph(() => QGemm.RunRequantize(oh * ow, cout, k, rows, k, 90, packed, sums, bias, m0, sh, 7, y, cout, 0, 255)):F1} us, transpose out {Ph(() => ConvQ8.Transpose(y, nhwc.AsSpan(0, y.Length <= nhwc.Length ? y.Length : 0), oh * ow, y.Length <= nhwc.Length ? cout : 0)):F1} us");
                }
            }
            return 0;
        }

        /// <summary>GMAC/s of float32 convolutions (ConvF32.Conv2D: im2col + GemmF32, NCHW) on the benchmark models' layer shapes.</summary>
        private static int FloatConvBench(int repeats)
        {
            Console.WriteLine($"float32 convolution, NCHW, batch 1; Vector512={Vector512.IsHardwareAccelerated} Fma={Fma.IsSupported}");
            Console.WriteLine("layer                          cin cout   h   w  k     s  GMAC/s median   us median");
            foreach (var (name, cin, cout, h, w, kh, kw, s, pad) in new[]
            {
                ("resnet18 stem 7x7/2", 3, 64, 224, 224, 7, 7, 2, 3),
                ("resnet18 layer1 3x3", 64, 64, 56, 56, 3, 3, 1, 1),
                ("resnet18 layer2 3x3", 128, 128, 28, 28, 3, 3, 1, 1),
                ("resnet18 layer3 3x3", 256, 256, 14, 14, 3, 3, 1, 1),
                ("resnet18 layer4 3x3", 512, 512, 7, 7, 3, 3, 1, 1),
                ("fashion conv 1->32 3x3", 1, 32, 28, 28, 3, 3, 1, 0),
                ("fashion conv 32->64 3x3", 32, 64, 26, 26, 3, 3, 1, 0),
                ("embedding 24->24 1x3", 24, 24, 74, 32, 1, 3, 1, 1),
                ("mnist conv 1->8 5x5", 1, 8, 28, 28, 5, 5, 1, 2),
                ("mnist conv 8->16 5x5", 8, 16, 14, 14, 5, 5, 1, 2),
            })
            {
                int padH = kh == 1 ? 0 : pad, padW = kw == 1 ? 0 : pad;
                int oh = (h + 2 * padH - kh) / s + 1, ow = (w + 2 * padW - kw) / s + 1, k = cin * kh * kw;
                var rng = new Random(4);
                var x = new float[cin * h * w];
                for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
                var wt = new float[cout * k];
                for (int i = 0; i < wt.Length; i++) wt[i] = (float)(rng.NextDouble() - 0.5);
                var bias = new float[cout];
                var y = new float[cout * oh * ow];
                var cols = new float[ConvF32.ScratchFloats(cin, kh, kw, oh, ow, false)];
                void Run() => ConvF32.Conv2D(x, wt, bias, y, cols, 1, cin, h, w, cout, oh, ow, kh, kw, s, s, 1, 1, padH, padW, 1, Activation.Relu, 0f, 0f);
                double macs = (double)oh * ow * cout * k;
                int calls = Math.Max(1, (int)(5e7 / macs));
                Run();
                var t = new double[repeats];
                for (int r = 0; r < repeats; r++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    for (int i = 0; i < calls; i++) Run();
                    t[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds / calls;
                }
                Array.Sort(t);
                double med = t[repeats / 2];
                Console.WriteLine($"{name,-28} {cin,5} {cout,4} {h,3} {w,3} {kh}x{kw} {s,3} {macs / med / 1e9,14:F1} {med * 1e6,11:F1}");
            }
            return 0;
        }

        /// <summary>The uint8 lookup table (Lut.Run) on 64 KB of random bytes: median GB/s.</summary>
        private static int LutBench(int repeats)
        {
            var rng = new Random(3);
            var x = new byte[65536]; rng.NextBytes(x);
            var table = new byte[256]; rng.NextBytes(table);
            var y = new byte[x.Length];
            Lut.Run(x, y, table);
            var t = new double[repeats];
            for (int r = 0; r < repeats; r++)
            {
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < 200; i++) Lut.Run(x, y, table);
                t[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds / 200;
            }
            Array.Sort(t);
            Console.WriteLine($"Lut.Run (Avx512Vbmi={Avx512Vbmi.IsSupported}, Avx2={Avx2.IsSupported}): {x.Length / t[repeats / 2] / 1e9:F2} GB/s, {t[repeats / 2] * 1e6:F1} us per 64 KB");
            return 0;
        }

        /// <summary>Erf/Gelu and last-axis Softmax per width (256, 128, scalar): median ns per element over a MiniLM-sized tensor.</summary>
        private static int GeluBench(int repeats)
        {
            var rng = new Random(7);
            var x = new float[128 * 1536];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 8 - 4);
            var y = new float[x.Length];
            foreach (int width in new[] { 256, 128, 0 })
            {
                double Time(Action f)
                {
                    f();
                    var t = new double[repeats];
                    for (int r = 0; r < repeats; r++)
                    {
                        long t0 = Stopwatch.GetTimestamp();
                        for (int i = 0; i < 5; i++) f();
                        t[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds / 5;
                    }
                    Array.Sort(t);
                    return t[repeats / 2] * 1e9 / x.Length;
                }
                double gelu = Time(() => Elementwise.ErfSpan(x, y, true, width));
                double softmax = Time(() => Reduce.Softmax(x, y, 1536, 128, 1, false, width));
                Console.WriteLine($"width {width,3}: Gelu {gelu:F2} ns per element, Softmax (rows of 128) {softmax:F2} ns per element");
            }
            return 0;
        }

        /// <summary>LayerNormalization rows (MiniLM 32 x 128 tokens of 384): median ns per element.</summary>
        private static int NormBench(int repeats)
        {
            var rng = new Random(8);
            int rows = 4096, n = 384;
            var x = new float[rows * n];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 4 - 2);
            var y = new float[x.Length];
            var scale = new float[n];
            var bias = new float[n];
            for (int i = 0; i < n; i++) { scale[i] = 1f + i * 1e-3f; bias[i] = i * 1e-3f; }
            var t = new double[repeats];
            for (int r = -1; r < repeats; r++)
            {
                long t0 = Stopwatch.GetTimestamp();
                Normalize.Rows(x, y, scale, 0, bias, 0, default, default, rows, n, 1e-12f, false);
                if (r >= 0) t[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            }
            Array.Sort(t);
            Console.WriteLine($"LayerNormalization {rows} x {n}: {t[repeats / 2] * 1e9 / x.Length:F2} ns per element");
            return 0;
        }

        /// <summary>The float GEMM on convolution shapes (m = Cout, n = pixels, k = Cin x kernel): median GMAC/s.</summary>
        private static int FloatGemm(int repeats)
        {
            foreach (var (m, n, k) in new[] { (64, 12544, 147), (64, 3136, 576), (128, 784, 1152), (256, 196, 2304), (512, 49, 4608), (32, 676, 9), (64, 576, 288), (24, 2368, 72), (8, 784, 25), (16, 196, 200) })
            {
                var rng = new Random(5);
                var a = new float[m * k]; var b = new float[k * n]; var c = new float[m * n]; var bias = new float[m];
                for (int i = 0; i < a.Length; i++) a[i] = (float)rng.NextDouble();
                for (int i = 0; i < b.Length; i++) b[i] = (float)rng.NextDouble();
                double macs = (double)m * n * k;
                int calls = Math.Max(1, (int)(3e7 / macs));
                var t = new double[repeats];
                for (int r = -1; r < repeats; r++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    for (int i = 0; i < calls; i++) GemmF32.Run(m, n, k, a, k, b, n, c, n, bias, GemmF32.BiasPerRow, 1, 0f, 0f);
                    if (r >= 0) t[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds / calls;
                }
                Array.Sort(t);
                Console.WriteLine($"m={m,4} n={n,5} k={k,5}: {macs / t[repeats / 2] / 1e9,6:F1} GMAC/s, {t[repeats / 2] * 1e6,9:F1} us");
            }
            return 0;
        }

        /// <summary>"median (best)" of repeated runs: the machine is shared, so the best run shows the uncontended speed.</summary>
        private static string Median(int repeats, Func<double> f)
        {
            f();
            var r = new double[repeats];
            for (int i = 0; i < repeats; i++) r[i] = f();
            Array.Sort(r);
            return $"{r[repeats / 2],6:F1} ({r[repeats - 1]:F1})";
        }

        private static double Gemm(int m, int n, int k, int path, int repeats, out double usPerCall, out double bestGmacs)
        {
            var rng = new Random(1);
            var a = new byte[m * k];
            rng.NextBytes(a);
            var b = new sbyte[k * n];
            for (int i = 0; i < b.Length; i++) b[i] = (sbyte)rng.Next(-127, 128);
            var packed = new sbyte[QGemm.PackedLength(k, n)];
            var sums = new int[QGemm.ColSumsLength(n)];
            QGemm.Pack(b, k, n, packed, sums);
            var c = new int[m * n];
            double macs = (double)m * n * k;
            int calls = Math.Max(1, (int)(2e8 / macs)); // ~2 ms per batch at 100 GMAC/s
            double best = 0;
            var times = new double[repeats];
            QGemm.RunPath(m, n, k, a, k, 77, packed, sums, c, n, path);
            var reference = new int[m * n];
            QGemm.Reference(m, n, k, a, k, 77, packed, reference, n);
            if (!reference.AsSpan().SequenceEqual(c)) throw new InvalidOperationException($"{QuantPath.Name(path)} differs from the reference at M={m} K={k}");
            for (int r = 0; r < repeats; r++)
            {
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < calls; i++) QGemm.RunPath(m, n, k, a, k, 77, packed, sums, c, n, path);
                times[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds / calls;
            }
            Array.Sort(times);
            bestGmacs = macs / times[0] / 1e9;
            best = times[repeats / 2];
            usPerCall = best * 1e6;
            return macs / best / 1e9;
        }

        private const int PeakIters = 2_000_000;

        // Register-only loops. Operands that would be loop-invariant are bumped once per iteration (a vpaddb each), otherwise the
        // JIT hoists or CSEs the multiplies; every chain multiplies a distinct operand pair.

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int PeakAvx2SignLoop(int iters)
        {
            // The AVX2 4x16 kernel per k-group: 2 B vectors (vary) x 4 rows (s, u): vpsignb, vpmaddubsw, vpmaddwd, vpaddd per chain.
            var one = Vector256.Create((sbyte)1); var ones = Vector256.Create((short)1);
            Vector256<sbyte> b0 = Vector256.Create((sbyte)1), b1 = Vector256.Create((sbyte)-2);
            Vector256<sbyte> s0 = Vector256.Create((sbyte)1), s1 = Vector256.Create((sbyte)-1), s2 = Vector256.Create((sbyte)3), s3 = Vector256.Create((sbyte)-4);
            Vector256<byte> u0 = Vector256.Create((byte)1), u1 = Vector256.Create((byte)1), u2 = Vector256.Create((byte)3), u3 = Vector256.Create((byte)4);
            Vector256<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
            for (int i = 0; i < iters; i++)
            {
                c0 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u0, Avx2.Sign(b0, s0)), ones);
                c1 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u0, Avx2.Sign(b1, s0)), ones);
                c2 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u1, Avx2.Sign(b0, s1)), ones);
                c3 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u1, Avx2.Sign(b1, s1)), ones);
                c4 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u2, Avx2.Sign(b0, s2)), ones);
                c5 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u2, Avx2.Sign(b1, s2)), ones);
                c6 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u3, Avx2.Sign(b0, s3)), ones);
                c7 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u3, Avx2.Sign(b1, s3)), ones);
                b0 += one; b1 += one;
            }
            return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7).ToScalar();
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int PeakAvx2XorLoop(int iters)
        {
            // The AVX2 4x16 kernel per k-group: 2 B vectors (vary) x 4 rows (s, u): vpxor, vpsubb, vpmaddubsw, vpmaddwd, vpaddd per chain.
            var one = Vector256.Create((sbyte)1); var ones = Vector256.Create((short)1);
            Vector256<sbyte> b0 = Vector256.Create((sbyte)1), b1 = Vector256.Create((sbyte)-2);
            Vector256<sbyte> s0 = Vector256.Create((sbyte)1), s1 = Vector256.Create((sbyte)-1), s2 = Vector256.Create((sbyte)3), s3 = Vector256.Create((sbyte)-4);
            Vector256<byte> u0 = Vector256.Create((byte)1), u1 = Vector256.Create((byte)1), u2 = Vector256.Create((byte)3), u3 = Vector256.Create((byte)4);
            Vector256<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
            for (int i = 0; i < iters; i++)
            {
                c0 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u0, Avx2.Subtract(Avx2.Xor(b0, s0), s0)), ones);
                c1 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u0, Avx2.Subtract(Avx2.Xor(b1, s0), s0)), ones);
                c2 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u1, Avx2.Subtract(Avx2.Xor(b0, s1), s1)), ones);
                c3 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u1, Avx2.Subtract(Avx2.Xor(b1, s1), s1)), ones);
                c4 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u2, Avx2.Subtract(Avx2.Xor(b0, s2), s2)), ones);
                c5 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u2, Avx2.Subtract(Avx2.Xor(b1, s2), s2)), ones);
                c6 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u3, Avx2.Subtract(Avx2.Xor(b0, s3), s3)), ones);
                c7 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u3, Avx2.Subtract(Avx2.Xor(b1, s3), s3)), ones);
                b0 += one; b1 += one;
            }
            return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7).ToScalar();
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int PeakAvx2Loop(int iters)
        {
            // vpmaddubsw + vpmaddwd + vpaddd, 12 chains (3 varying u x 4 b), the TOOLCHAIN.md reference mix.
            var one = Vector256.Create((byte)1); var ones = Vector256.Create((short)1);
            Vector256<byte> u0 = Vector256.Create((byte)1), u1 = Vector256.Create((byte)2), u2 = Vector256.Create((byte)3);
            Vector256<sbyte> b0 = Vector256.Create((sbyte)1), b1 = Vector256.Create((sbyte)2), b2 = Vector256.Create((sbyte)3), b3 = Vector256.Create((sbyte)4);
            Vector256<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
            Vector256<int> c8 = default, c9 = default, c10 = default, c11 = default;
            for (int i = 0; i < iters; i++)
            {
                c0 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u0, b0), ones);
                c1 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u0, b1), ones);
                c2 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u0, b2), ones);
                c3 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u0, b3), ones);
                c4 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u1, b0), ones);
                c5 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u1, b1), ones);
                c6 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u1, b2), ones);
                c7 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u1, b3), ones);
                c8 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u2, b0), ones);
                c9 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u2, b1), ones);
                c10 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u2, b2), ones);
                c11 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u2, b3), ones);
                u0 += one; u1 += one; u2 += one;
            }
            return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11).ToScalar();
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int PeakAvx512KernelLoop(int iters)
        {
            // The AVX-512 8x16 kernel per k-group: 2 vpmovsxbw (B halves, vary) and 8 rows x 2 (vpmaddwd + vpaddd).
            var one = Vector256.Create((sbyte)1);
            var lo = Vector256.Create((sbyte)3); var hi = Vector256.Create((sbyte)-5);
            var x0 = Vector512.Create((short)200); var x1 = Vector512.Create((short)100); var x2 = Vector512.Create((short)7); var x3 = Vector512.Create((short)9);
            var x4 = Vector512.Create((short)20); var x5 = Vector512.Create((short)10); var x6 = Vector512.Create((short)70); var x7 = Vector512.Create((short)90);
            Vector512<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
            Vector512<int> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default, d6 = default, d7 = default;
            for (int i = 0; i < iters; i++)
            {
                var w0 = Avx512BW.ConvertToVector512Int16(lo);
                var w1 = Avx512BW.ConvertToVector512Int16(hi);
                c0 += Avx512BW.MultiplyAddAdjacent(w0, x0); c1 += Avx512BW.MultiplyAddAdjacent(w1, x0);
                c2 += Avx512BW.MultiplyAddAdjacent(w0, x1); c3 += Avx512BW.MultiplyAddAdjacent(w1, x1);
                c4 += Avx512BW.MultiplyAddAdjacent(w0, x2); c5 += Avx512BW.MultiplyAddAdjacent(w1, x2);
                c6 += Avx512BW.MultiplyAddAdjacent(w0, x3); c7 += Avx512BW.MultiplyAddAdjacent(w1, x3);
                d0 += Avx512BW.MultiplyAddAdjacent(w0, x4); d1 += Avx512BW.MultiplyAddAdjacent(w1, x4);
                d2 += Avx512BW.MultiplyAddAdjacent(w0, x5); d3 += Avx512BW.MultiplyAddAdjacent(w1, x5);
                d4 += Avx512BW.MultiplyAddAdjacent(w0, x6); d5 += Avx512BW.MultiplyAddAdjacent(w1, x6);
                d6 += Avx512BW.MultiplyAddAdjacent(w0, x7); d7 += Avx512BW.MultiplyAddAdjacent(w1, x7);
                lo += one; hi += one;
            }
            return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + d0 + d1 + d2 + d3 + d4 + d5 + d6 + d7).ToScalar();
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int PeakVnniLoop(int iters)
        {
            // The VNNI 6x16 kernel per k-group: 2 B vectors (vary) x 6 broadcast rows, one vpdpbusd per accumulator.
            var one = Vector256.Create((sbyte)1);
            Vector256<sbyte> b0 = Vector256.Create((sbyte)1), b1 = Vector256.Create((sbyte)-2);
            Vector256<byte> a0 = Vector256.Create((byte)1), a1 = Vector256.Create((byte)2), a2 = Vector256.Create((byte)3);
            Vector256<byte> a3 = Vector256.Create((byte)4), a4 = Vector256.Create((byte)5), a5 = Vector256.Create((byte)6);
            Vector256<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
            Vector256<int> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
            for (int i = 0; i < iters; i++)
            {
                c0 = AvxVnni.MultiplyWideningAndAdd(c0, a0, b0); c1 = AvxVnni.MultiplyWideningAndAdd(c1, a0, b1);
                c2 = AvxVnni.MultiplyWideningAndAdd(c2, a1, b0); c3 = AvxVnni.MultiplyWideningAndAdd(c3, a1, b1);
                c4 = AvxVnni.MultiplyWideningAndAdd(c4, a2, b0); c5 = AvxVnni.MultiplyWideningAndAdd(c5, a2, b1);
                c6 = AvxVnni.MultiplyWideningAndAdd(c6, a3, b0); c7 = AvxVnni.MultiplyWideningAndAdd(c7, a3, b1);
                c8 = AvxVnni.MultiplyWideningAndAdd(c8, a4, b0); c9 = AvxVnni.MultiplyWideningAndAdd(c9, a4, b1);
                c10 = AvxVnni.MultiplyWideningAndAdd(c10, a5, b0); c11 = AvxVnni.MultiplyWideningAndAdd(c11, a5, b1);
                b0 += one; b1 += one;
            }
            return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11).ToScalar();
        }

        private static double Time(Func<int, int> loop, double macsPerIter)
        {
            long t0 = Stopwatch.GetTimestamp();
            Sink(loop(PeakIters));
            return PeakIters * macsPerIter / Stopwatch.GetElapsedTime(t0).TotalSeconds / 1e9;
        }

        private static double PeakAvx2Sign() => Time(PeakAvx2SignLoop, 8.0 * 32);
        private static double PeakAvx2Xor() => Time(PeakAvx2XorLoop, 8.0 * 32);
        private static double PeakAvx2() => Time(PeakAvx2Loop, 12.0 * 32);
        private static double PeakAvx512Kernel() => Time(PeakAvx512KernelLoop, 16.0 * 32);
        private static double PeakVnni() => Time(PeakVnniLoop, 12.0 * 32);

        private static int s_sink;

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void Sink(int v) => s_sink ^= v;
    }
}
