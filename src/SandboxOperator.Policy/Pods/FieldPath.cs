namespace SandboxOperator.Policy.Pods;

/// <summary>
/// A field path such as <c>spec.containers[2].securityContext.privileged</c>, kept in parts and
/// formatted only when an error needs it, so reading a valid pod allocates no path strings. Up to two
/// list indices: <c>Base[Index].Tail[SubIndex].SubTail</c>.
/// </summary>
internal readonly record struct FieldPath(string Base, int Index = -1, string? Tail = null, int SubIndex = -1, string? SubTail = null)
{
    public static implicit operator FieldPath(string path) => new(path);

    /// <summary>This path with <paramref name="tail"/> appended (allocates only when the path already has a tail at that level).</summary>
    public FieldPath Then(string tail) =>
        SubIndex >= 0 ? this with { SubTail = SubTail is null ? tail : SubTail + "." + tail }
        : Tail is null ? this with { Tail = tail }
        : this with { Tail = Tail + "." + tail };

    /// <summary>
    /// The path of field <paramref name="tail"/> of element <paramref name="index"/> of the list this
    /// path names, e.g. <c>…terms[0].matchExpressions</c> → <c>…terms[0].matchExpressions[1].key</c>.
    /// </summary>
    public FieldPath Element(int index, string? tail = null)
    {
        if (Index < 0 || Tail is null || SubIndex >= 0)
        {
            throw new InvalidOperationException($"{this} is not a list inside a list element");
        }

        return this with { SubIndex = index, SubTail = tail };
    }

    public override string ToString() =>
        Base + (Index >= 0 ? $"[{Index}]" : "") + (Tail is null ? "" : "." + Tail)
        + (SubIndex >= 0 ? $"[{SubIndex}]" : "") + (SubTail is null ? "" : "." + SubTail);
}
