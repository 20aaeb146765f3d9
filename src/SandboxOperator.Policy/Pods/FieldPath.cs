namespace SandboxOperator.Policy.Pods;

/// <summary>
/// A field path such as <c>spec.containers[2].securityContext.privileged</c>, kept in parts and
/// formatted only when an error needs it, so reading a valid pod allocates no path strings.
/// </summary>
internal readonly record struct FieldPath(string Base, int Index = -1, string? Tail = null)
{
    public static implicit operator FieldPath(string path) => new(path);

    /// <summary>This path with <paramref name="tail"/> appended (allocates only when the path already has a tail).</summary>
    public FieldPath Then(string tail) => Tail is null ? this with { Tail = tail } : this with { Tail = Tail + "." + tail };

    public override string ToString() =>
        Base + (Index >= 0 ? $"[{Index}]" : "") + (Tail is null ? "" : "." + Tail);
}
