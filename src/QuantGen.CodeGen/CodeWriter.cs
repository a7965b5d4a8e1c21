using System;
using System.Globalization;
using System.Text;

namespace QuantGen.CodeGen
{
    /// <summary>An indented text writer for C# source ("\n" line endings, 4-space indent).</summary>
    public sealed class CodeWriter
    {
        private readonly StringBuilder _sb = new StringBuilder();
        private int _indent;

        public int Indent { get => _indent; set => _indent = value; }

        public CodeWriter Line(string text = "")
        {
            if (text.Length > 0) _sb.Append(' ', _indent * 4).Append(text);
            _sb.Append('\n');
            return this;
        }

        public CodeWriter Open(string text)
        {
            Line(text);
            Line("{");
            _indent++;
            return this;
        }

        public CodeWriter Close(string suffix = "")
        {
            _indent--;
            return Line("}" + suffix);
        }

        public CodeWriter Raw(string text)
        {
            _sb.Append(text);
            return this;
        }

        public override string ToString() => _sb.ToString();

        public static string Float(float f)
        {
            if (float.IsNaN(f)) return "float.NaN";
            if (float.IsPositiveInfinity(f)) return "float.PositiveInfinity";
            if (float.IsNegativeInfinity(f)) return "float.NegativeInfinity";
            var s = f.ToString("R", CultureInfo.InvariantCulture);
            if (s.IndexOf('E') < 0 && s.IndexOf('.') < 0) s += ".0";
            return s + "f";
        }

        public static string Long(long v) => v == long.MinValue ? "long.MinValue" : v.ToString(CultureInfo.InvariantCulture) + "L";

        public static string Int(long v) => v.ToString(CultureInfo.InvariantCulture);

        public static string Ints(System.Collections.Generic.IEnumerable<int> values) => "[" + string.Join(", ", values) + "]";

        /// <summary>A C# string literal.</summary>
        public static string Str(string s)
        {
            var sb = new StringBuilder("\"");
            foreach (var c in s)
            {
                if (c == '"' || c == '\\') sb.Append('\\').Append(c);
                else if (c < 32 || c > 126) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                else sb.Append(c);
            }
            return sb.Append('"').ToString();
        }

        /// <summary>Text safe inside a // comment: one line.</summary>
        public static string LineComment(string s)
        {
            var sb = new StringBuilder();
            foreach (var c in s) sb.Append(c < 32 || c == '\u0085' || c == '\u2028' || c == '\u2029' ? ' ' : c);
            return sb.ToString();
        }

        /// <summary>Text safe inside an XML doc comment (one line, markup escaped).</summary>
        public static string Comment(string s)
        {
            var sb = new StringBuilder();
            foreach (var c in s)
            {
                if (c < 32 || c == '\u0085' || c == '\u2028' || c == '\u2029') sb.Append(' ');
                else if (c == '<') sb.Append("&lt;");
                else if (c == '>') sb.Append("&gt;");
                else if (c == '&') sb.Append("&amp;");
                else sb.Append(c);
            }
            return sb.ToString();
        }
    }
}
