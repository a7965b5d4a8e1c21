using System;
using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Graph.Quantization
{
    /// <summary>
    /// Static activation calibration: runs the float model (<see cref="ReferenceEvaluator"/>) on calibration samples and
    /// chooses each float tensor's range [lo, hi]. MinMax takes the observed extremes. The other methods make a second
    /// pass that builds a 2048-bin histogram per tensor over [min, max]: Percentile keeps the central
    /// <see cref="QuantizationOptions.Percentile"/> percent; Mse picks the clipping range whose uint8 quantization
    /// minimizes E = mean (x - x_hat)^2 over the histogram; Entropy picks the threshold minimizing the KL divergence
    /// between the clipped distribution and its quantized form (the classic TensorRT procedure).
    /// Cost: one reference evaluation per sample (two for the histogram methods), single-threaded scalar code.
    /// </summary>
    public static class Calibrator
    {
        public const int Bins = 2048;

        public static Dictionary<Value, (double Min, double Max)> Calibrate(Graph g, IOpRegistry ops, IReadOnlyList<IReadOnlyList<TensorData>> samples,
            QuantizationOptions options)
        {
            var min = new Dictionary<Value, double>();
            var max = new Dictionary<Value, double>();
            foreach (var s in samples)
                ReferenceEvaluator.Run(g, ops, s, (v, d) =>
                {
                    if (!d.IsFloating) return;
                    double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
                    for (int i = 0; i < d.Length; i++)
                    {
                        double x = d.GetDouble(i);
                        if (double.IsNaN(x) || double.IsInfinity(x)) continue;
                        if (x < lo) lo = x;
                        if (x > hi) hi = x;
                    }
                    min[v] = Math.Min(min.TryGetValue(v, out var m0) ? m0 : double.PositiveInfinity, lo);
                    max[v] = Math.Max(max.TryGetValue(v, out var m1) ? m1 : double.NegativeInfinity, hi);
                });
            var ranges = min.Keys.Where(v => !double.IsInfinity(min[v])).ToDictionary(v => v, v => (Math.Min(0, min[v]), Math.Max(0, max[v])));
            if (options.Method == CalibrationMethod.MinMax) return ranges;

            var hist = ranges.Keys.ToDictionary(v => v, _ => new long[Bins]);
            foreach (var s in samples)
                ReferenceEvaluator.Run(g, ops, s, (v, d) =>
                {
                    if (!hist.TryGetValue(v, out var h)) return;
                    var (lo, hi) = ranges[v];
                    double width = (hi - lo) / Bins;
                    if (width <= 0) return;
                    for (int i = 0; i < d.Length; i++)
                    {
                        double x = d.GetDouble(i);
                        if (double.IsNaN(x)) continue;
                        int b = (int)((x - lo) / width);
                        h[b < 0 ? 0 : b >= Bins ? Bins - 1 : b]++;
                    }
                });
            var result = new Dictionary<Value, (double, double)>();
            foreach (var kv in ranges)
            {
                var h = hist[kv.Key];
                result[kv.Key] = options.Method switch
                {
                    CalibrationMethod.Percentile => Percentile(h, kv.Value.Item1, kv.Value.Item2, options.Percentile),
                    CalibrationMethod.Mse => MinimumMse(h, kv.Value.Item1, kv.Value.Item2),
                    _ => Entropy(h, kv.Value.Item1, kv.Value.Item2),
                };
            }
            return result;
        }

        private static double Edge(double lo, double hi, double bin) => lo + (hi - lo) * bin / Bins;

        /// <summary>Keeps the central p percent of the mass: the lower tail cut only when the tensor has negative values.</summary>
        public static (double Min, double Max) Percentile(long[] h, double lo, double hi, double p)
        {
            long total = h.Sum();
            if (total == 0) return (lo, hi);
            double tail = (100 - p) / 100 * total;
            if (lo < 0) tail /= 2;
            int upper = Bins - 1; double acc = 0;
            while (upper > 0 && acc + h[upper] <= tail) acc += h[upper--];
            int lower = 0; acc = 0;
            if (lo < 0) while (lower < upper && acc + h[lower] <= tail) acc += h[lower++];
            return (Math.Min(0, lo < 0 ? Edge(lo, hi, lower) : lo), Math.Max(0, Edge(lo, hi, upper + 1)));
        }

        /// <summary>Scans clipping ranges [lo*f, hi*f] and keeps the one with the smallest expected squared quantization error.</summary>
        public static (double Min, double Max) MinimumMse(long[] h, double lo, double hi)
        {
            double best = double.PositiveInfinity;
            (double, double) bestRange = (lo, hi);
            for (int step = 100; step >= 5; step--)
            {
                double f = step / 100.0;
                var q = ActivationQuant.FromRange(lo * f, hi * f);
                double err = 0;
                for (int b = 0; b < Bins; b++)
                {
                    if (h[b] == 0) continue;
                    double x = Edge(lo, hi, b + 0.5);
                    double qv = Math.Max(0, Math.Min(255, Math.Round(x / q.Scale, MidpointRounding.ToEven) + q.ZeroPoint));
                    double d = x - (qv - q.ZeroPoint) * q.Scale;
                    err += h[b] * d * d;
                }
                if (err < best) { best = err; bestRange = (Math.Min(0, lo * f), Math.Max(0, hi * f)); }
            }
            return bestRange;
        }

        /// <summary>
        /// KL-divergence threshold search. For a non-negative tensor, over [0, t] with 256 levels; otherwise over |x| with 128
        /// levels per side (symmetric range [-t, t]).
        /// </summary>
        public static (double Min, double Max) Entropy(long[] h, double lo, double hi)
        {
            // Fold into a histogram of |x| over [0, m] when the tensor is signed.
            bool signed = lo < 0;
            double m = signed ? Math.Max(-lo, hi) : hi;
            if (m <= 0) return (lo, hi);
            var a = new double[Bins];
            for (int b = 0; b < Bins; b++)
            {
                if (h[b] == 0) continue;
                double x = Math.Abs(Edge(lo, hi, b + 0.5));
                int k = (int)(x / m * Bins);
                a[k >= Bins ? Bins - 1 : k] += h[b];
            }
            int levels = signed ? 128 : 256;
            double bestKl = double.PositiveInfinity;
            int bestI = Bins;
            for (int i = levels; i <= Bins; i += 16)
            {
                var p = new double[i];
                Array.Copy(a, p, i);
                for (int k = i; k < Bins; k++) p[i - 1] += a[k];
                // Quantize p into `levels` groups, spreading each group's mass over its non-empty bins.
                var q = new double[i];
                double per = (double)i / levels;
                for (int l = 0; l < levels; l++)
                {
                    int s = (int)Math.Floor(l * per), e = l == levels - 1 ? i : (int)Math.Floor((l + 1) * per);
                    double mass = 0; int nonEmpty = 0;
                    for (int k = s; k < e; k++) { mass += a[k] * (k < i - 1 ? 1 : 0) + (k == i - 1 ? p[k] : 0); if (p[k] > 0) nonEmpty++; }
                    for (int k = s; k < e; k++) if (p[k] > 0) q[k] = mass / nonEmpty;
                }
                double ps = p.Sum(), qs = q.Sum(), kl = 0;
                if (ps == 0 || qs == 0) continue;
                for (int k = 0; k < i; k++)
                {
                    if (p[k] == 0) continue;
                    double pk = p[k] / ps, qk = q[k] / qs;
                    kl += qk == 0 ? 1e9 : pk * Math.Log(pk / qk);
                }
                if (kl < bestKl) { bestKl = kl; bestI = i; }
            }
            double t = m * bestI / Bins;
            return signed ? (-Math.Min(t, -lo), Math.Min(t, hi)) : (0, Math.Min(t, hi));
        }
    }
}
