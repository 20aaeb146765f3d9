namespace SandboxOperator.Controller.Runtime;

/// <summary>
/// One change to a <see cref="ResourceCache{T}"/>: <see cref="Old"/> is null for an addition, <see cref="New"/> null
/// for a deletion. Handlers map it to work-queue keys; they must not care which kind of change it was beyond that.
/// </summary>
public readonly record struct CacheChange<T>(string Namespace, string Name, T? Old, T? New)
    where T : class;
