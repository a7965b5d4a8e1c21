using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Tests.Infrastructure;
using static QuantGen.Tests.OpTests.H;

namespace QuantGen.Tests.OpTests
{
    /// <summary>Gemm (transA/transB/alpha/beta, every C shape, constant and runtime B and C) and MatMul (1-D, 2-D, batched, broadcast; constant and activation x activation).</summary>
    public class GemmMatMulTests
    {
        private static OpCase Gemm(bool ta, bool tb, float alpha, float beta, int[]? cShape, bool constB, bool constC, int m = 3, int k = 5, int n = 4)
        {
            var name = $"gemm_{m}x{k}x{n}_tA{(ta ? 1 : 0)}_tB{(tb ? 1 : 0)}_alpha{alpha}_beta{beta}_C{(cShape == null ? "none" : Shape(cShape))}{(cShape != null ? (constC ? "const" : "runtime") : "")}_B{(constB ? "const" : "runtime")}";
            var r = Rng(name);
            var aShape = ta ? S(k, m) : S(m, k);
            var bShape = tb ? S(n, k) : S(k, n);
            var b = new OnnxBuilder(13).Input("A", F, aShape);
            if (constB) b.Initializer("B", Floats(r, bShape), bShape); else b.Input("B", F, bShape);
            var ins = new List<string> { "A", "B" };
            if (cShape != null)
            {
                if (constC) b.Initializer("C", Floats(r, cShape), cShape); else b.Input("C", F, cShape);
                ins.Add("C");
            }
            b.Node("Gemm", ins.ToArray(), new[] { "Y" }, a =>
            {
                if (ta) a.Int("transA", 1);
                if (tb) a.Int("transB", 1);
                if (alpha != 1f) a.Float("alpha", alpha);
                if (beta != 1f) a.Float("beta", beta);
            }).Output("Y", F);
            return new OpCase(name, b);
        }

        private static OpCase MatMul(int[] a, int[] bShape, bool constB)
        {
            var name = $"matmul_{Shape(a)}_by_{Shape(bShape)}_{(constB ? "const" : "runtime")}";
            var r = Rng(name);
            var b = new OnnxBuilder(13).Input("A", F, a);
            if (constB) b.Initializer("B", Floats(r, bShape), bShape); else b.Input("B", F, bShape);
            b.Node("MatMul", new[] { "A", "B" }, new[] { "Y" }).Output("Y", F);
            return new OpCase(name, b);
        }

        public static IReadOnlyList<OpCase> Cases()
        {
            var list = new List<OpCase>();
            int[][] cShapes = { S(), S(4), S(1, 4), S(3, 1), S(3, 4) };
            foreach (var ta in new[] { false, true })
                foreach (var tb in new[] { false, true })
                    foreach (var constB in new[] { true, false })
                    {
                        list.Add(Gemm(ta, tb, 1f, 1f, null, constB, true));
                        list.Add(Gemm(ta, tb, 0.5f, 2f, S(3, 4), constB, true));
                    }
            foreach (var c in cShapes)
                foreach (var constC in new[] { true, false })
                {
                    list.Add(Gemm(false, true, 1f, 1f, c, true, constC));
                    list.Add(Gemm(true, false, 1.5f, -0.5f, c, false, constC));
                }
            list.Add(Gemm(false, false, 1f, 0f, S(3, 4), true, false));
            list.Add(Gemm(false, true, 1f, 1f, S(17), true, true, m: 1, k: 33, n: 17));
            list.Add(Gemm(true, true, 2f, 1f, S(1, 20), false, true, m: 9, k: 16, n: 20));
            list.Add(Gemm(false, false, 1f, 1f, S(1, 1), true, false, m: 1, k: 3, n: 1));

            foreach (var constB in new[] { true, false })
            {
                list.Add(MatMul(S(5), S(5), constB));
                list.Add(MatMul(S(5), S(5, 3), constB));
                list.Add(MatMul(S(4, 5), S(5), constB));
                list.Add(MatMul(S(4, 5), S(5, 3), constB));
                list.Add(MatMul(S(2, 4, 5), S(5, 3), constB));
                list.Add(MatMul(S(2, 3, 4, 5), S(2, 3, 5, 6), constB));
                list.Add(MatMul(S(2, 1, 4, 5), S(3, 5, 6), constB));
                list.Add(MatMul(S(4, 5), S(2, 5, 6), constB));
                list.Add(MatMul(S(3, 5), S(2, 1, 5, 7), constB));
                list.Add(MatMul(S(2, 5), S(3, 5, 1), constB));
                list.Add(MatMul(S(1, 17), S(17, 33), constB));
                list.Add(MatMul(S(7, 1, 9), S(9, 20), constB));
            }
            list.Add(MatMul(S(5), S(2, 5, 3), false));
            list.Add(MatMul(S(2, 4, 5), S(5), false));
            return list;
        }

        public static TheoryData<string> CaseNames => Names(Cases());

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void Gemm_and_MatMul_match_onnxruntime(string @case) => OpSuite.Check(typeof(GemmMatMulTests), Cases, @case);
    }
}
