using System.Collections.Concurrent;

namespace SandboxOperator.Testing.KubeApi;

/// <summary>
/// The set of resource types a server serves, keyed by group, version and plural. Thread-safe; types can be
/// registered while the server runs (objects of a type registered later simply start empty).
/// </summary>
public sealed class ResourceRegistry
{
    private readonly ConcurrentDictionary<(string Group, string Version, string Plural), ResourceType> _types = new();
    private readonly ConcurrentQueue<ResourceType> _order = new();

    /// <summary>Registers <paramref name="type"/>; registering an equal type twice is a no-op.</summary>
    /// <exception cref="InvalidOperationException">A different type is already registered under the same group, version and plural.</exception>
    public void Register(ResourceType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var existing = _types.GetOrAdd((type.Group, type.Version, type.Plural), type);
        if (ReferenceEquals(existing, type))
        {
            _order.Enqueue(type);
        }
        else if (existing != type)
        {
            throw new InvalidOperationException($"{type.Plural} in {type.ApiVersion} is already registered as {existing}.");
        }
    }

    /// <summary>Finds the type served at group/version/plural, or null.</summary>
    public ResourceType? Find(string group, string version, string plural) =>
        _types.TryGetValue((group, version, plural), out var type) ? type : null;

    /// <summary>All registered types in registration order.</summary>
    public IReadOnlyList<ResourceType> All => [.. _order];
}
