using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("QuantGen.Generator.Tests")]
