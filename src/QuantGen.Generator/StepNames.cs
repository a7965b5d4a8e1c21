namespace QuantGen.Generator
{
    /// <summary>
    /// Tracking names of the incremental pipeline steps (<c>WithTrackingName</c>); tests read them from
    /// <c>GeneratorRunResult.TrackedSteps</c> to prove that a no-op edit reuses every step.
    /// </summary>
    public static class StepNames
    {
        /// <summary>The text of each model manifest (AdditionalFiles ending in <see cref="ModelRequest.ManifestExtension"/>).</summary>
        public const string Manifests = nameof(Manifests);
        /// <summary>Each manifest parsed and validated into a <see cref="ModelRequest"/>.</summary>
        public const string ModelRequests = nameof(ModelRequests);
        /// <summary>Each request compiled into a <see cref="GeneratedModel"/> (the expensive step: reads and compiles the model).</summary>
        public const string GeneratedModels = nameof(GeneratedModels);
        /// <summary>Generated class names that more than one item uses (each such item gets QG0007 instead of a file).</summary>
        public const string DuplicateClasses = nameof(DuplicateClasses);
        /// <summary>The kernel names each generated model uses.</summary>
        public const string KernelNames = nameof(KernelNames);
        /// <summary>The union of the kernel names of all models (kernels are emitted once per compilation).</summary>
        public const string KernelUnion = nameof(KernelUnion);
    }
}
