using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;

namespace QuantGen.Generator.Tests
{
    /// <summary>
    /// What crosses incremental steps must be plain equatable data: a symbol, compilation or syntax node inside would
    /// pin a whole compilation in the cache and make every comparison fail.
    /// </summary>
    public class CacheBoundaryTests
    {
        private static readonly Type[] s_forbidden = { typeof(ISymbol), typeof(Compilation), typeof(SyntaxNode), typeof(SyntaxTree), typeof(AdditionalText), typeof(Location) };

        [Theory]
        [InlineData(typeof(ManifestText))]
        [InlineData(typeof(ModelRequest))]
        [InlineData(typeof(GeneratedModel))]
        [InlineData(typeof(DiagnosticInfo))]
        [InlineData(typeof(EquatableArray<string>))]
        public void StepData_HoldsNoSymbolCompilationOrSyntax(Type root)
        {
            var seen = new HashSet<Type>();
            var stack = new Stack<(Type Type, string Path)>();
            stack.Push((root, root.Name));
            while (stack.Count > 0)
            {
                var (type, path) = stack.Pop();
                if (!seen.Add(type)) continue;
                Assert.False(s_forbidden.Any(f => f.IsAssignableFrom(type)), $"{path} is a {type.Name}");
                if (type.IsPrimitive || type == typeof(string) || type.IsEnum) continue;
                foreach (var arg in type.IsGenericType ? type.GetGenericArguments() : Type.EmptyTypes) stack.Push((arg, path + "<" + arg.Name + ">"));
                if (type.Namespace?.StartsWith("System", StringComparison.Ordinal) == true) continue;
                foreach (var f in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                    stack.Push((f.FieldType, path + "." + f.Name));
            }
        }

        [Fact]
        public void ModelRequest_EqualsByValue_AndDiffersWhenHashOrOptionsDiffer()
        {
            ModelRequest Parse(string text) => ModelRequest.Parse("/obj/quantgen/m.quantmodel", text);
            var path = "/models/mnist.onnx";
            var a = Parse(GeneratorHarness.Manifest(path, hash: "ab", dimensions: "b=2;a=1"));
            var b = Parse(GeneratorHarness.Manifest(path, hash: "AB", dimensions: "a=1,b=2"));
            Assert.Equal(a, b);
            Assert.Equal(a.GetHashCode(), b.GetHashCode());
            Assert.NotEqual(a, Parse(GeneratorHarness.Manifest(path, hash: "cd", dimensions: "a=1,b=2")));
            Assert.NotEqual(a, Parse(GeneratorHarness.Manifest(path, hash: "ab", dimensions: "a=1,b=3")));
            Assert.NotEqual(a, Parse(GeneratorHarness.Manifest(path, hash: "ab", dimensions: "a=1,b=2", accessibility: "internal")));
        }

        [Fact]
        public void WeightBits_IsParsed_Validated_AndPartOfTheCacheKey()
        {
            ModelRequest Parse(string text) => ModelRequest.Parse("/obj/quantgen/m.quantmodel", text);
            var int8 = GeneratorHarness.Manifest("/models/mnist.onnx", hash: "ab", precision: "Int8");
            var eight = Parse(int8);
            var seven = Parse(int8 + "weightBits=7\n");
            Assert.True(seven.IsValid);
            Assert.Equal(8, eight.WeightBits);
            Assert.Equal(7, seven.WeightBits);
            Assert.Equal(7, seven.ToCompileOptions().WeightBits);
            Assert.NotEqual(eight, seven);
            Assert.Equal(eight, Parse(int8 + "weightBits=\n")); // empty metadata: the default
            Assert.False(Parse(int8 + "weightBits=6\n").IsValid);
            Assert.False(Parse(int8 + "weightBits=x\n").IsValid);
            Assert.False(Parse(GeneratorHarness.Manifest("/models/mnist.onnx", hash: "ab") + "weightBits=7\n").IsValid); // Float32
        }

        [Fact]
        public void GeneratedModel_EqualityIsTheRequest_NotTheSource()
        {
            var request = ModelRequest.Parse("/obj/m.quantmodel", GeneratorHarness.Manifest("/models/mnist.onnx", hash: "ab"));
            var x = new GeneratedModel(request, "class A {}", EquatableArray.From(new[] { "Pool" }), EquatableArray<DiagnosticInfo>.Empty);
            var y = new GeneratedModel(request, "class B {}", EquatableArray<string>.Empty, EquatableArray<DiagnosticInfo>.Empty);
            Assert.Equal(x, y);
            var other = ModelRequest.Parse("/obj/m.quantmodel", GeneratorHarness.Manifest("/models/mnist.onnx", hash: "cd"));
            Assert.NotEqual(x, new GeneratedModel(other, "class A {}", EquatableArray.From(new[] { "Pool" }), EquatableArray<DiagnosticInfo>.Empty));
        }
    }
}
