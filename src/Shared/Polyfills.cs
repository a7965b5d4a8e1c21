// Language-feature shims for the netstandard2.0 compiler assemblies (records and init-only setters).
// Linked into each netstandard2.0 project by Directory.Build.props.
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit { }
}
