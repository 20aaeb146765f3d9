using System.Collections.Concurrent;

namespace SandboxOperator.Controller.Runtime;

/// <summary>
/// An informer's store: the latest projection of every object of one resource type, indexed by namespace ("" for
/// cluster-scoped objects), with the resourceVersion it came from.
/// </summary>
/// <remarks>
/// Guarantees: reads are lock-free and never block the writer; <see cref="List"/> returns an immutable snapshot of a
/// namespace that is rebuilt lazily after a change. <see cref="Synced"/> completes once the first list has been
/// stored and stays completed across relists. Only the informer writes.
/// </remarks>
public sealed class ResourceCache<T>
    where T : class
{
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;

    /// <summary>Completes when the first list has been stored.</summary>
    public Task Synced => _synced.Task;

    /// <summary>Whether <see cref="Synced"/> has completed.</summary>
    public bool IsSynced => _synced.Task.IsCompleted;

    /// <summary>How many objects are cached.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The namespaces that currently hold objects.</summary>
    public IEnumerable<string> Namespaces => _buckets.Where(b => !b.Value.Items.IsEmpty).Select(b => b.Key);

    /// <summary>The object, or null.</summary>
    public T? Get(string @namespace, string name) =>
        _buckets.TryGetValue(@namespace, out var b) && b.Items.TryGetValue(name, out var e) ? e.Value : null;

    /// <summary>
    /// A snapshot of a namespace's objects (for cluster-scoped types pass ""). The same array instance is returned
    /// until the namespace changes, so callers may key derived data on it.
    /// </summary>
    public T[] List(string @namespace) =>
        _buckets.TryGetValue(@namespace, out var b) ? b.Snapshot() : [];

    /// <summary>Every cached object with its namespace and name; a moving view, not a snapshot.</summary>
    public IEnumerable<(string Namespace, string Name, T Value)> All()
    {
        foreach (var (ns, bucket) in _buckets)
        {
            foreach (var (name, entry) in bucket.Items)
            {
                yield return (ns, name, entry.Value);
            }
        }
    }

    internal string? VersionOf(string @namespace, string name) =>
        _buckets.TryGetValue(@namespace, out var b) && b.Items.TryGetValue(name, out var e) ? e.ResourceVersion : null;

    /// <summary>Stores an object; returns the previous one.</summary>
    internal T? Upsert(string @namespace, string name, T value, string resourceVersion)
    {
        var bucket = _buckets.GetOrAdd(@namespace, static _ => new Bucket());
        T? old = null;
        bucket.Items.AddOrUpdate(
            name,
            _ => new Entry(value, resourceVersion),
            (_, previous) =>
            {
                old = previous.Value;
                return new Entry(value, resourceVersion);
            });
        if (old is null)
        {
            Interlocked.Increment(ref _count);
        }

        bucket.Invalidate();
        return old;
    }

    /// <summary>Removes an object; returns it, or null when it was not cached.</summary>
    internal T? Remove(string @namespace, string name)
    {
        if (_buckets.TryGetValue(@namespace, out var bucket) && bucket.Items.TryRemove(name, out var old))
        {
            Interlocked.Decrement(ref _count);
            bucket.Invalidate();
            return old.Value;
        }

        return null;
    }

    internal void MarkSynced() => _synced.TrySetResult();

    private readonly record struct Entry(T Value, string ResourceVersion);

    private sealed class Bucket
    {
        private Snap? _snapshot;
        private long _version;

        public ConcurrentDictionary<string, Entry> Items { get; } = new(StringComparer.Ordinal);

        // Bumped after every write; a snapshot built from an older version is never served again.
        public void Invalidate() => Interlocked.Increment(ref _version);

        public T[] Snapshot()
        {
            var version = Interlocked.Read(ref _version);
            var s = Volatile.Read(ref _snapshot);
            if (s is not null && s.Version == version)
            {
                return s.Items;
            }

            var items = Items.Values.Select(e => e.Value).ToArray();
            Volatile.Write(ref _snapshot, new Snap(version, items));
            return items;
        }

        private sealed record Snap(long Version, T[] Items);
    }
}
