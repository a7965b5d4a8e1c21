using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Kernels;

namespace QuantGen.Tests.Kernels
{
    /// <summary>Broadcast and Tensor kernels on edge shapes (rank 0, size-1 and empty dimensions, vector tails, zero and negative strides) against index-arithmetic references.</summary>
    public class TensorKernelTests
    {
        /// <summary>Reference: y[i] = f(a[sum idx_d * sa_d], b[sum idx_d * sb_d]) with the index of i taken apart dimension by dimension.</summary>
        private static float[] ReferenceBinary(float[] a, float[] b, int[] shape, int[] sa, int[] sb, Func<float, float, float> f)
        {
            int total = shape.Aggregate(1, (x, y) => x * y);
            var y = new float[total];
            for (int i = 0; i < total; i++)
            {
                int rem = i, oa = 0, ob = 0;
                for (int d = shape.Length - 1; d >= 0; d--)
                {
                    int id = rem % shape[d]; rem /= shape[d];
                    oa += id * sa[d]; ob += id * sb[d];
                }
                y[i] = f(a[oa], b[ob]);
            }
            return y;
        }

        private static float[] Data(int n, int seed)
        {
            var r = new Random(seed);
            return Enumerable.Range(0, Math.Max(n, 1)).Select(_ => (float)(r.NextDouble() * 4 - 2)).ToArray();
        }

        public static TheoryData<int[], int[], int[]> BroadcastShapes()
        {
            var d = new TheoryData<int[], int[], int[]>();
            foreach (var n in new[] { 1, 3, 4, 7, 8, 9, 15, 16, 17, 33 })
            {
                d.Add(new[] { n }, new[] { 1 }, new[] { 1 });
                d.Add(new[] { n }, new[] { 1 }, new[] { 0 });
                d.Add(new[] { n }, new[] { 0 }, new[] { 1 });
                d.Add(new[] { 3, n }, new[] { n, 1 }, new[] { 0, 1 });
                d.Add(new[] { 2, 3, n }, new[] { 0, n, 1 }, new[] { 3 * n, 0, 1 });
                d.Add(new[] { n, 3 }, new[] { 1, n }, new[] { 3, 1 }); // transposed read of a
            }
            d.Add(new int[] { 1 }, new[] { 0 }, new[] { 0 });
            d.Add(new[] { 2, 1, 5 }, new[] { 5, 0, 1 }, new[] { 0, 0, 1 });
            return d;
        }

        [Theory]
        [MemberData(nameof(BroadcastShapes))]
        public void BinaryVec_and_Binary_match_the_index_reference(int[] shape, int[] sa, int[] sb)
        {
            int total = shape.Aggregate(1, (x, y) => x * y);
            int aLen = 1 + shape.Select((s, i) => (s - 1) * sa[i]).Sum(), bLen = 1 + shape.Select((s, i) => (s - 1) * sb[i]).Sum();
            var a = Data(aLen, total + 1); var b = Data(bLen, total + 2);
            var expected = ReferenceBinary(a, b, shape, sa, sb, (x, y) => x - y);
            var vec = new float[total];
            Broadcast.BinaryVec<SubF>(a, b, vec, shape, sa, sb);
            Assert.Equal(expected, vec);
            var scalar = new float[total];
            Broadcast.Binary<float, float, SubOp<float>>(a, b, scalar, shape, sa, sb);
            Assert.Equal(expected, scalar);
        }

        [Fact]
        public void Binary_handles_rank_zero_and_empty_outputs()
        {
            var y = new float[1];
            Broadcast.Binary<float, float, MulOp<float>>(new[] { 3f }, new[] { 4f }, y, ReadOnlySpan<int>.Empty, ReadOnlySpan<int>.Empty, ReadOnlySpan<int>.Empty);
            Assert.Equal(12f, y[0]);
            Broadcast.BinaryVec<AddF>(new[] { 3f }, new[] { 4f }, y, ReadOnlySpan<int>.Empty, ReadOnlySpan<int>.Empty, ReadOnlySpan<int>.Empty);
            Assert.Equal(7f, y[0]);
            var empty = Array.Empty<float>();
            Broadcast.BinaryVec<AddF>(new[] { 1f }, new[] { 1f }, empty, new[] { 3, 0 }, new[] { 0, 0 }, new[] { 0, 0 });
            Broadcast.Binary<float, float, AddOp<float>>(new[] { 1f }, new[] { 1f }, empty, new[] { 0 }, new[] { 0 }, new[] { 0 });
        }

        [Fact]
        public void Integer_ops_follow_onnx_semantics()
        {
            var y = new long[4];
            Broadcast.Binary<long, long, ModOp<long>>(new long[] { 7, -7, 7, -7 }, new long[] { 3, 3, -3, -3 }, y, new[] { 4 }, new[] { 1 }, new[] { 1 });
            Assert.Equal(new long[] { 1, 2, -2, -1 }, y); // sign of the divisor
            Broadcast.Binary<long, long, FModOp<long>>(new long[] { 7, -7, 7, -7 }, new long[] { 3, 3, -3, -3 }, y, new[] { 4 }, new[] { 1 }, new[] { 1 });
            Assert.Equal(new long[] { 1, -1, 1, -1 }, y); // sign of the dividend
            Broadcast.Binary<long, long, DivOp<long>>(new long[] { 7, -7, 7, -7 }, new long[] { 2, 2, -2, -2 }, y, new[] { 4 }, new[] { 1 }, new[] { 1 });
            Assert.Equal(new long[] { 3, -3, -3, 3 }, y); // truncation toward zero
            Broadcast.Binary<long, long, PowIntOp<long>>(new long[] { 2, -3, 5, 0 }, new long[] { 10, 3, 0, 0 }, y, new[] { 4 }, new[] { 1 }, new[] { 1 });
            Assert.Equal(new long[] { 1024, -27, 1, 1 }, y);
            var b = new bool[3];
            Broadcast.Binary<float, bool, EqualFloatOp>(new[] { float.NaN, 0f, 1f }, new[] { float.NaN, -0f, 2f }, b, new[] { 3 }, new[] { 1 }, new[] { 1 });
            Assert.Equal(new[] { false, true, false }, b);
        }

        [Fact]
        public void Where_broadcasts_all_three_operands()
        {
            var c = new[] { true, false, true };
            var a = new[] { 1f, 2f };
            var e = new[] { -1f };
            var y = new float[6];
            // shape [3, 2]: cond varies along rows, a along columns, else is a scalar.
            Broadcast.Where<float>(c, a, e, y, new[] { 3, 2 }, new[] { 1, 0 }, new[] { 0, 1 }, new[] { 0, 0 });
            Assert.Equal(new[] { 1f, 2f, -1f, -1f, 1f, 2f }, y);
        }

        [Theory]
        [InlineData(new[] { 3, 4 }, new[] { 1, 3 }, 0)]                  // transpose of [4, 3]
        [InlineData(new[] { 2, 3, 4 }, new[] { 0, 4, 1 }, 0)]            // broadcast outer dimension
        [InlineData(new[] { 5 }, new[] { -1 }, 4)]                      // reversed
        [InlineData(new[] { 3, 2 }, new[] { -4, -2 }, 11)]               // reversed both, step 2
        [InlineData(new[] { 4, 1 }, new[] { 3, 0 }, 1)]                  // inner size 1
        [InlineData(new[] { 2, 3 }, new[] { 0, 0 }, 5)]                  // fill from one element
        [InlineData(new int[0], new int[0], 6)]                           // rank 0
        public void StridedCopy_matches_the_index_reference(int[] shape, int[] strides, int offset)
        {
            var x = Enumerable.Range(0, 12).Select(i => (long)i * 10).ToArray();
            int total = shape.Aggregate(1, (p, q) => p * q);
            var expected = new long[total];
            for (int i = 0; i < total; i++)
            {
                int rem = i, o = offset;
                for (int d = shape.Length - 1; d >= 0; d--) { o += rem % shape[d] * strides[d]; rem /= shape[d]; }
                expected[i] = x[o];
            }
            var y = new long[total];
            Tensor.StridedCopy<long>(x, offset, y, shape, strides);
            Assert.Equal(expected, y);
        }

        [Fact]
        public void StridedCopy_with_an_empty_dimension_writes_nothing()
        {
            Tensor.StridedCopy<float>(new[] { 1f }, 0, Array.Empty<float>(), new[] { 2, 0 }, new[] { 1, 1 });
        }

        [Fact]
        public void Gather_supports_negative_indices_and_rejects_out_of_range()
        {
            var x = Enumerable.Range(0, 12).Select(i => (float)i).ToArray(); // [2, 3, 2] gathered on axis 1
            var y = new float[2 * 2 * 2];
            Tensor.Gather<float>(x, new long[] { -1, 0 }, y, 2, 3, 2);
            Assert.Equal(new[] { 4f, 5f, 0f, 1f, 10f, 11f, 6f, 7f }, y);
            Tensor.Gather<float>(x, new[] { 2, -3 }, y, 2, 3, 2);
            Assert.Equal(new[] { 4f, 5f, 0f, 1f, 10f, 11f, 6f, 7f }, y);
            Assert.Throws<ArgumentException>(() => Tensor.Gather<float>(x, new long[] { 3 }, new float[4], 2, 3, 2));
            Assert.Throws<ArgumentException>(() => Tensor.Gather<float>(x, new[] { -4 }, new float[4], 2, 3, 2));
        }

        [Fact]
        public void ConcatPart_places_blocks_at_the_output_stride()
        {
            var y = new int[10];
            Tensor.ConcatPart<int>(new[] { 1, 2, 3, 4 }, y, 2, 2, 5, 0);
            Tensor.ConcatPart<int>(new[] { 5, 6, 7, 8, 9, 10 }, y, 2, 3, 5, 2);
            Assert.Equal(new[] { 1, 2, 5, 6, 7, 3, 4, 8, 9, 10 }, y);
        }

        [Fact]
        public void Cast_kernels_truncate_wrap_and_map_bools_as_onnx_does()
        {
            var l = new long[4];
            Tensor.Cast<float, long>(new[] { -1.7f, 1.7f, 2.5f, -0.0f }, l);
            Assert.Equal(new long[] { -1, 1, 2, 0 }, l);
            var u = new byte[4];
            Tensor.CastWrap<long, byte>(new long[] { 300, -1, 255, 256 }, u);
            Assert.Equal(new byte[] { 44, 255, 255, 0 }, u);
            var s = new sbyte[3];
            Tensor.CastWrap<int, sbyte>(new[] { 128, -129, 127 }, s);
            Assert.Equal(new sbyte[] { -128, 127, 127 }, s);
            var b = new bool[4];
            Tensor.CastToBool<float>(new[] { 0f, -0f, float.NaN, 0.1f }, b);
            Assert.Equal(new[] { false, false, true, true }, b);
            var f = new float[2];
            Tensor.CastFromBool<float>(new[] { true, false }, f);
            Assert.Equal(new[] { 1f, 0f }, f);
        }

        [Fact]
        public void Clip_with_min_above_max_gives_max_and_passes_nan()
        {
            var y = new float[3];
            Elementwise.Clip(new[] { -1f, 5f, float.NaN }, y, 2f, 1f);
            Assert.Equal(1f, y[0]); Assert.Equal(1f, y[1]); Assert.True(float.IsNaN(y[2]));
            var act = Enumerable.Range(0, 19).Select(i => (float)i - 9).ToArray();
            Activation.Apply(act, Activation.Clip, 2f, 1f); // vector and scalar tail agree
            Assert.All(act, v => Assert.Equal(1f, v));
        }
    }
}
