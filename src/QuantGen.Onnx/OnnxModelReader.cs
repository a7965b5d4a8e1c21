using System;
using System.Collections.Generic;
using System.IO;
using Google.Protobuf;
using QuantGen.Onnx.Proto;

namespace QuantGen.Onnx
{
    /// <summary>Resolves a tensor's external data location (relative to the model's folder) to bytes.</summary>
    public delegate byte[]? ExternalDataResolver(string relativePath);

    /// <summary>Parses ONNX model bytes into <see cref="ModelProto"/> with the checks QuantGen relies on.</summary>
    public static class OnnxModelReader
    {
        public static ModelProto Parse(byte[] bytes, string modelName)
        {
            if (bytes.Length == 0)
                throw new QgException(DiagnosticIds.InvalidModel, $"{modelName}: the file is empty");
            ModelProto model;
            try
            {
                model = ModelProto.Parser.WithDiscardUnknownFields(true).ParseFrom(bytes);
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new QgException(DiagnosticIds.InvalidModel, $"{modelName}: not a valid ONNX protobuf ({e.Message})");
            }
            if (model.Graph == null || (model.Graph.Node.Count == 0 && model.Graph.Output.Count == 0))
                throw new QgException(DiagnosticIds.InvalidModel, $"{modelName}: the model has no graph");
            if (model.IrVersion <= 0)
                throw new QgException(DiagnosticIds.InvalidModel, $"{modelName}: ir_version is missing (not an ONNX model?)");
            return model;
        }

        /// <summary>
        /// Checks that an external-data location stays inside the model's folder: a relative path with no
        /// "..", no rooted or drive path, no backslash tricks. Returns the normalized relative path.
        /// </summary>
        public static string ValidateExternalLocation(string location, string tensorName)
        {
            string refuse(string why) => throw new QgException(DiagnosticIds.ExternalData,
                $"tensor '{tensorName}': external data location '{location}' is refused ({why}); only relative paths inside the model's folder are allowed");
            if (string.IsNullOrWhiteSpace(location)) return refuse("empty");
            if (location.IndexOf('\0') >= 0) return refuse("contains NUL");
            var norm = location.Replace('\\', '/');
            if (norm.StartsWith("/", StringComparison.Ordinal) || Path.IsPathRooted(location) || (norm.Length > 1 && norm[1] == ':'))
                return refuse("absolute path");
            foreach (var part in norm.Split('/'))
                if (part == "..") return refuse("'..' leaves the model's folder");
            return norm;
        }

        /// <summary>
        /// Reads the bytes of a tensor stored as external data. Its entries are validated as a unit before any file is touched:
        /// the location (inside the model's folder), then offset and length (decimal integers, offset &gt;= 0, length &gt;= 0 when given),
        /// each key at most once.
        /// </summary>
        public static byte[] ReadExternal(TensorProto t, ExternalDataResolver? resolver)
        {
            string? location = null, offsetText = null, lengthText = null;
            QgException Bad(string why) => new QgException(DiagnosticIds.ExternalData, $"tensor '{t.Name}': external data {why}");
            foreach (var kv in t.ExternalData)
            {
                ref string? field = ref location;
                if (kv.Key == "offset") field = ref offsetText;
                else if (kv.Key == "length") field = ref lengthText;
                else if (kv.Key != "location") continue; // checksum and unknown keys carry no location or range
                if (field != null) throw Bad($"has '{kv.Key}' more than once");
                field = kv.Value ?? "";
            }
            if (location == null) throw Bad("without a location");
            var rel = ValidateExternalLocation(location, t.Name);
            long Number(string key, string? text, long absent)
            {
                if (text == null) return absent;
                // NumberStyles.None: ASCII digits only (no sign, blanks, hex or exponent); too many digits overflow and fail too.
                if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v))
                    throw Bad($"{key} '{text}' is not a decimal number of bytes");
                return v;
            }
            long offset = Number("offset", offsetText, 0), length = Number("length", lengthText, -1);
            var all = resolver?.Invoke(rel) ?? throw Bad($"file '{rel}' was not found beside the model");
            if (offset > all.Length || length > all.Length - offset)
                throw Bad($"range [{offset}, +{length}) is outside '{rel}' ({all.Length} bytes)");
            long n = length >= 0 ? length : all.Length - offset;
            var r = new byte[n];
            Array.Copy(all, offset, r, 0, n);
            return r;
        }

        /// <summary>A resolver that reads files inside <paramref name="folder"/>, refusing links that point outside it.</summary>
        public static ExternalDataResolver FolderResolver(string folder) => rel =>
        {
            var root = Path.GetFullPath(folder);
            var full = Path.GetFullPath(Path.Combine(root, rel));
            var rootWithSep = root.EndsWith(Path.DirectorySeparatorChar.ToString(), StringComparison.Ordinal) ? root : root + Path.DirectorySeparatorChar;
            if (!full.StartsWith(rootWithSep, StringComparison.Ordinal))
                throw new QgException(DiagnosticIds.ExternalData, $"external data '{rel}' resolves outside the model's folder");
            // A link between the model's folder and the file (the file itself or a subfolder) could lead anywhere: refuse it.
            for (var p = full; p != null && p.Length > root.Length; p = Path.GetDirectoryName(p))
            {
                FileSystemInfo info = Directory.Exists(p) ? new DirectoryInfo(p) : new FileInfo(p);
                if (info.Exists && info.Attributes.HasFlag(FileAttributes.ReparsePoint))
                    throw new QgException(DiagnosticIds.ExternalData, $"external data '{rel}' goes through a link ('{p.Substring(root.Length).TrimStart(Path.DirectorySeparatorChar)}'); links are refused");
            }
            if (!File.Exists(full)) return null;
            return File.ReadAllBytes(full);
        };
    }
}
