using System;
using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Graph
{
    /// <summary>Helpers for static shapes (int arrays, row-major).</summary>
    public static class Shapes
    {
        /// <summary>Largest element count of one tensor the compiler accepts (keeps build memory bounded).</summary>
        public const long MaxElements = 1L << 30;

        public static int Size(IReadOnlyList<int> shape)
        {
            long n = 1;
            foreach (var d in shape)
            {
                n *= d;
                if (n > MaxElements) throw new ShapeException($"tensor of shape {Format(shape)} is larger than {MaxElements} elements");
            }
            return (int)n;
        }

        public static string Format(IReadOnlyList<int>? shape) => shape == null ? "[?]" : "[" + string.Join(",", shape) + "]";

        public static int[] Strides(IReadOnlyList<int> shape)
        {
            var s = new int[shape.Count];
            int acc = 1;
            for (int i = shape.Count - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
            return s;
        }

        /// <summary>Numpy-style multidirectional broadcast of two shapes, or null when they are incompatible.</summary>
        public static int[]? Broadcast(IReadOnlyList<int> a, IReadOnlyList<int> b)
        {
            int r = Math.Max(a.Count, b.Count);
            var o = new int[r];
            for (int i = 0; i < r; i++)
            {
                int da = i < r - a.Count ? 1 : a[i - (r - a.Count)];
                int db = i < r - b.Count ? 1 : b[i - (r - b.Count)];
                if (da == db || db == 1) o[i] = da;
                else if (da == 1) o[i] = db;
                else return null;
            }
            return o;
        }

        public static int[]? Broadcast(IEnumerable<IReadOnlyList<int>> shapes)
        {
            int[]? acc = Array.Empty<int>();
            foreach (var s in shapes)
            {
                acc = Broadcast(acc!, s);
                if (acc == null) return null;
            }
            return acc;
        }

        /// <summary>Strides of <paramref name="shape"/> seen from a broadcast output of rank <paramref name="rank"/> (0 on broadcast dims).</summary>
        public static int[] BroadcastStrides(IReadOnlyList<int> shape, IReadOnlyList<int> outShape)
        {
            int rank = outShape.Count;
            var strides = Strides(shape);
            var o = new int[rank];
            for (int i = 0; i < rank; i++)
            {
                int j = i - (rank - shape.Count);
                o[i] = j < 0 || shape[j] == 1 ? 0 : strides[j];
            }
            return o;
        }

        /// <summary>Normalizes a possibly negative axis into [0, rank).</summary>
        public static int Axis(long axis, int rank)
        {
            long a = axis < 0 ? axis + rank : axis;
            if (a < 0 || a >= rank) throw new ShapeException($"axis {axis} is out of range for rank {rank}");
            return (int)a;
        }

        public static bool Same(IReadOnlyList<int>? a, IReadOnlyList<int>? b) =>
            a != null && b != null && a.SequenceEqual(b);
    }

    /// <summary>A shape rule was violated; becomes a QG diagnostic naming the node.</summary>
    public sealed class ShapeException : Exception
    {
        public ShapeException(string message) : base(message) { }
    }
}
