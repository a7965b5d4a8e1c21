using System.Text.RegularExpressions;

namespace QuantGen.Tests.Infrastructure
{
    /// <summary>Generated source for text assertions: the static data's base64 literals removed (random text can contain any short word).</summary>
    public static class GeneratedCode
    {
        private static readonly Regex Base64Literal = new Regex("\"[A-Za-z0-9+/=]*\"u8", RegexOptions.Compiled);

        public static string WithoutStaticData(string source) => Base64Literal.Replace(source, "\"\"u8");
    }
}
