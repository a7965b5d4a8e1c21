using System;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.CodeGen.Ops
{
    /// <summary>
    /// Scalar float32 reference implementations of the compute-heavy ops, used at build time to fold constants and to
    /// run the float model on calibration data. They follow the same definitions as the run-time kernels; they are
    /// written for clarity, not speed.
    /// </summary>
    internal static class Reference
    {
        public static float Activate(Node? act, float v)
        {
            if (act == null) return v;
            switch (act.OpType)
            {
                case "Relu": return v < 0f ? 0f : v;
                case "LeakyRelu": return v < 0f ? v * act.GetFloat("alpha", 0.01f) : v;
                case "Clip":
                {
                    var (lo, hi) = EmitContext.ClipBounds(act);
                    return v < lo ? lo : v > hi ? hi : v;
                }
                default: throw new InvalidOperationException(act.OpType);
            }
        }

        public static float[] Conv(float[] x, float[] w, float[]? bias, Conv.Geometry g, Node? act)
        {
            int cinG = g.Cin / g.Group, coutG = g.Cout / g.Group;
            var y = new float[g.Batch * g.Cout * g.OH * g.OW];
            for (int b = 0; b < g.Batch; b++)
                for (int o = 0; o < g.Cout; o++)
                {
                    int grp = o / coutG;
                    for (int oy = 0; oy < g.OH; oy++)
                        for (int ox = 0; ox < g.OW; ox++)
                        {
                            float acc = bias?[o] ?? 0f;
                            for (int c = 0; c < cinG; c++)
                            {
                                int plane = (b * g.Cin + grp * cinG + c) * g.H * g.W;
                                int wb = (o * cinG + c) * g.KH * g.KW;
                                for (int i = 0; i < g.KH; i++)
                                {
                                    int iy = oy * g.SH - g.PadTop + i * g.DH;
                                    if ((uint)iy >= (uint)g.H) continue;
                                    for (int j = 0; j < g.KW; j++)
                                    {
                                        int ix = ox * g.SW - g.PadLeft + j * g.DW;
                                        if ((uint)ix >= (uint)g.W) continue;
                                        acc += x[plane + iy * g.W + ix] * w[wb + i * g.KW + j];
                                    }
                                }
                            }
                            y[((b * g.Cout + o) * g.OH + oy) * g.OW + ox] = Activate(act, acc);
                        }
                }
            return y;
        }

        /// <summary>C[m,n] = sum_k A[aOff + i*k + p] * B[bOff + p*n + j] for each batch entry, plus bias over n.</summary>
        public static float[] MatMul(float[] a, float[] b, int[] aOffsets, int[] bOffsets, int m, int n, int k, float[]? bias, Node? act)
        {
            var y = new float[aOffsets.Length * m * n];
            for (int e = 0; e < aOffsets.Length; e++)
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                    {
                        float acc = bias?[j] ?? 0f;
                        for (int p = 0; p < k; p++) acc += a[aOffsets[e] + i * k + p] * b[bOffsets[e] + p * n + j];
                        y[(e * m + i) * n + j] = Activate(act, acc);
                    }
            return y;
        }

        public static float[] Pool(float[] x, PoolBase.Geometry g, bool max, bool countIncludePad)
        {
            var y = new float[g.Planes * g.OH * g.OW];
            for (int p = 0; p < g.Planes; p++)
                for (int oy = 0; oy < g.OH; oy++)
                    for (int ox = 0; ox < g.OW; ox++)
                    {
                        float m = float.NegativeInfinity, sum = 0f;
                        int count = 0, padded = 0;
                        for (int i = 0; i < g.KH; i++)
                        {
                            int iy = oy * g.SH - g.PadTop + i * g.DH;
                            for (int j = 0; j < g.KW; j++)
                            {
                                int ix = ox * g.SW - g.PadLeft + j * g.DW;
                                if (iy >= -g.PadTop && iy < g.H + g.PadBottom && ix >= -g.PadLeft && ix < g.W + g.PadRight) padded++;
                                if ((uint)iy >= (uint)g.H || (uint)ix >= (uint)g.W) continue;
                                float v = x[(p * g.H + iy) * g.W + ix];
                                m = (float)Math.Max(m, (double)v); // IEEE maximum, as the MaxPool kernels (exact in double)
                                sum += v;
                                count++;
                            }
                        }
                        int div = countIncludePad ? padded : count;
                        y[(p * g.OH + oy) * g.OW + ox] = max ? m : div == 0 ? 0f : sum / div;
                    }
            return y;
        }

        /// <summary>Reduction of x viewed as [outer, n, inner] (kinds as in the Reduce kernel).</summary>
        public static float[] Reduce(float[] x, int outer, int n, int inner, int kind)
        {
            var y = new float[outer * inner];
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    var vals = Enumerable.Range(0, n).Select(k => x[(o * n + k) * inner + i]).ToArray();
                    double r = kind switch
                    {
                        0 => vals.Sum(v => (double)v),
                        1 => vals.Sum(v => (double)v) / n,
                        2 => vals.Length == 0 ? float.NegativeInfinity : vals.Max(),
                        3 => vals.Length == 0 ? float.PositiveInfinity : vals.Min(),
                        4 => vals.Aggregate(1.0, (acc, v) => acc * v),
                        5 => vals.Sum(v => (double)v * v),
                        6 => vals.Sum(v => Math.Abs((double)v)),
                        7 => Math.Sqrt(vals.Sum(v => (double)v * v)),
                        8 => Math.Log(vals.Sum(v => (double)v)),
                        _ => Math.Log(vals.Sum(v => Math.Exp(v))),
                    };
                    y[o * inner + i] = (float)r;
                }
            return y;
        }

        public static float[] Softmax(float[] x, int outer, int n, int inner, bool log)
        {
            var y = new float[x.Length];
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    double max = double.NegativeInfinity;
                    for (int k = 0; k < n; k++) max = Math.Max(max, x[(o * n + k) * inner + i]);
                    double sum = 0;
                    for (int k = 0; k < n; k++) sum += Math.Exp(x[(o * n + k) * inner + i] - max);
                    for (int k = 0; k < n; k++)
                    {
                        double v = x[(o * n + k) * inner + i] - max;
                        y[(o * n + k) * inner + i] = (float)(log ? v - Math.Log(sum) : Math.Exp(v) / sum);
                    }
                }
            return y;
        }

        public static TensorData Float(int[] shape, float[] values) => new TensorData(DataType.Float, shape, values);
    }
}
