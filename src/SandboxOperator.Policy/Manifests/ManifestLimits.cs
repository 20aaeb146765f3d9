namespace SandboxOperator.Policy.Manifests;

/// <summary>
/// Bounds on what the manifest and review decoders accept, so hostile input (deep nesting, alias
/// bombs, huge documents) is refused with a clear error instead of exhausting memory or the stack.
/// </summary>
public static class ManifestLimits
{
    /// <summary>Maximum nesting of mappings and sequences (Kubernetes objects need fewer than 20).</summary>
    public const int MaxDepth = 64;

    /// <summary>Maximum nodes in one document after alias expansion.</summary>
    public const int MaxNodes = 1_000_000;
}
