namespace SandboxOperator.Testing.KubeApi;

/// <summary>The kind of a watch event.</summary>
public enum WatchEventKind
{
    /// <summary>An object was created (or, for a filtered watch, started to match).</summary>
    Added,

    /// <summary>An object was changed.</summary>
    Modified,

    /// <summary>An object was deleted (or, for a filtered watch, stopped matching).</summary>
    Deleted,
}

/// <summary>A committed change, kept in the history that watches replay from.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Current">The object after the change (for deletes: the last state, carrying the delete's resourceVersion).</param>
/// <param name="Previous">The object before the change, for modifications; lets filtered watches see transitions.</param>
internal sealed record StoreEvent(WatchEventKind Kind, StoredObject Current, StoredObject? Previous)
{
    public long ResourceVersion => Current.ResourceVersion;
}
