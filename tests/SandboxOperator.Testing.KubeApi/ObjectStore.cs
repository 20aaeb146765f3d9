using System.Text.Json.Nodes;

namespace SandboxOperator.Testing.KubeApi;

/// <summary>
/// The server's storage: objects as JSON, a single global monotonically increasing resourceVersion (like etcd's
/// revision), and a bounded event history that watches replay from.
/// </summary>
/// <remarks>
/// Guarantees: every commit gets a resourceVersion greater than all earlier ones; watch subscribers receive events
/// in commit order; an update that changes nothing is not a commit (no new resourceVersion, no event).
/// Caveats: one lock serializes all commits (fine for tests); history is global and bounded, so a watch from a
/// resourceVersion older than the oldest retained event gets 410 Expired; namespaces are not required to exist.
/// </remarks>
public sealed class ObjectStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(ResourceType Type, string Namespace, string Name), StoredObject> _objects = [];
    private readonly LinkedList<StoreEvent> _history = new();
    private readonly List<WatchSubscription> _subscribers = [];
    private readonly TimeProvider _time;
    private readonly int _historyLimit;
    private long _resourceVersion;
    private long _compactedThrough;
    private TaskCompletionSource _watchesChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal ObjectStore(TimeProvider time, int historyLimit)
    {
        _time = time;
        _historyLimit = historyLimit;
    }

    /// <summary>The resourceVersion of the latest commit (0 before any).</summary>
    public long ResourceVersion
    {
        get
        {
            lock (_gate)
            {
                return _resourceVersion;
            }
        }
    }

    /// <summary>A copy of the stored object, or null. Does not count as a request.</summary>
    public JsonObject? Get(ResourceType type, string? ns, string name)
    {
        lock (_gate)
        {
            return Find(type, ns, name)?.Parse();
        }
    }

    /// <summary>Copies of all objects of <paramref name="type"/> (in <paramref name="ns"/>, or everywhere when null), ordered by namespace and name.</summary>
    public IReadOnlyList<JsonObject> List(ResourceType type, string? ns = null) => [.. ListStored(type, ns).Items.Select(o => o.Parse())];

    /// <summary>
    /// Drops the whole event history, as an etcd compaction would: a watch from any resourceVersion older than
    /// the current one then gets a 410 Expired ERROR event. Open watches are not affected.
    /// </summary>
    public void ExpireHistory()
    {
        lock (_gate)
        {
            _history.Clear();
            _compactedThrough = _resourceVersion;
        }
    }

    internal StoredObject? GetStored(ResourceType type, string? ns, string name)
    {
        lock (_gate)
        {
            return Find(type, ns, name);
        }
    }

    internal (IReadOnlyList<StoredObject> Items, long ResourceVersion) ListStored(ResourceType type, string? ns)
    {
        lock (_gate)
        {
            var items = _objects.Values
                .Where(o => o.Type == type && (ns is null || o.Namespace == ns))
                .OrderBy(o => o.Namespace, StringComparer.Ordinal).ThenBy(o => o.Name, StringComparer.Ordinal)
                .ToList();
            return (items, _resourceVersion);
        }
    }

    /// <summary>Commits a new object. The caller has resolved the name; this fills uid, timestamps, generation and resourceVersion.</summary>
    internal Outcome<StoredObject> Create(ResourceType type, JsonObject obj, bool dryRun)
    {
        var meta = ObjectMetadata.Of(obj);
        var name = ObjectMetadata.Name(obj)!;
        lock (_gate)
        {
            if (Find(type, ObjectMetadata.Namespace(obj), name) is not null)
            {
                return ApiError.AlreadyExists(type, name);
            }

            meta["uid"] = Guid.NewGuid().ToString();
            meta["creationTimestamp"] = ObjectMetadata.Timestamp(_time.GetUtcNow());
            meta["generation"] = 1;
            meta.Remove("deletionTimestamp");
            meta.Remove("deletionGracePeriodSeconds");
            if (dryRun)
            {
                return StoredObject.From(type, obj, 0);
            }

            var rv = ++_resourceVersion;
            meta["resourceVersion"] = rv.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var stored = StoredObject.From(type, obj, rv);
            _objects[Key(stored)] = stored;
            Publish(new StoreEvent(WatchEventKind.Added, stored, null));
            return stored;
        }
    }

    /// <summary>
    /// Commits <paramref name="obj"/> over the stored version if that is still <paramref name="expectedResourceVersion"/>
    /// (409 Conflict otherwise). Identity and deletion metadata are kept from the stored object; generation moves when
    /// anything but metadata and status changed. When a terminating object loses its last finalizer, it is deleted.
    /// </summary>
    internal Outcome<StoredObject> Update(ResourceType type, JsonObject obj, long expectedResourceVersion, bool dryRun)
    {
        var name = ObjectMetadata.Name(obj)!;
        lock (_gate)
        {
            if (Find(type, ObjectMetadata.Namespace(obj), name) is not { } current)
            {
                return ApiError.NotFound(type, name);
            }

            if (current.ResourceVersion != expectedResourceVersion)
            {
                return ApiError.Conflict(type, name);
            }

            var old = current.Parse();
            var oldMeta = ObjectMetadata.Of(old);
            var meta = ObjectMetadata.Of(obj);
            foreach (var field in new[] { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "namespace" })
            {
                meta.Remove(field);
                if (oldMeta[field] is { } value)
                {
                    meta[field] = value.DeepClone();
                }
            }

            var generation = ObjectMetadata.Generation(old);
            meta["generation"] = ObjectMetadata.SpecEquals(old, obj) ? generation : generation + 1;
            meta["resourceVersion"] = oldMeta["resourceVersion"]?.DeepClone();
            if (JsonNode.DeepEquals(old, obj))
            {
                return current;
            }

            var rv = dryRun ? current.ResourceVersion : _resourceVersion + 1;
            meta["resourceVersion"] = rv.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var stored = StoredObject.From(type, obj, rv);
            if (dryRun)
            {
                return stored;
            }

            _resourceVersion = rv;
            if (ObjectMetadata.IsBeingDeleted(obj) && !ObjectMetadata.HasFinalizers(obj))
            {
                _objects.Remove(Key(stored));
                Publish(new StoreEvent(WatchEventKind.Deleted, stored, current));
            }
            else
            {
                _objects[Key(stored)] = stored;
                Publish(new StoreEvent(WatchEventKind.Modified, stored, current));
            }

            return stored;
        }
    }

    /// <summary>
    /// Deletes an object, honouring preconditions. An object with finalizers is only marked (deletionTimestamp set,
    /// MODIFIED event) and goes away when its last finalizer is removed; otherwise it is removed at once (DELETED event).
    /// Caveat: there is no grace period; pods disappear immediately.
    /// </summary>
    internal Outcome<(StoredObject Object, bool Removed)> Delete(ResourceType type, string? ns, string name, string? uidPrecondition, string? rvPrecondition, bool dryRun)
    {
        lock (_gate)
        {
            if (Find(type, ns, name) is not { } current)
            {
                return ApiError.NotFound(type, name);
            }

            var obj = current.Parse();
            var meta = ObjectMetadata.Of(obj);
            if (uidPrecondition is not null && uidPrecondition != ObjectMetadata.GetString(obj, "uid"))
            {
                return ApiError.Conflict(type, name, $"Precondition failed: UID in precondition: {uidPrecondition}, UID in object meta: {ObjectMetadata.GetString(obj, "uid")}");
            }

            if (rvPrecondition is not null && rvPrecondition != ObjectMetadata.GetString(obj, "resourceVersion"))
            {
                return ApiError.Conflict(type, name, $"Precondition failed: ResourceVersion in precondition: {rvPrecondition}, ResourceVersion in object meta: {ObjectMetadata.GetString(obj, "resourceVersion")}");
            }

            bool finalizing = ObjectMetadata.HasFinalizers(obj);
            if (finalizing && ObjectMetadata.IsBeingDeleted(obj))
            {
                return (current, false);
            }

            var rv = dryRun ? current.ResourceVersion : ++_resourceVersion;
            meta["resourceVersion"] = rv.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (finalizing)
            {
                meta["deletionTimestamp"] = ObjectMetadata.Timestamp(_time.GetUtcNow());
                meta["deletionGracePeriodSeconds"] = 0;
            }

            var stored = StoredObject.From(type, obj, rv);
            if (dryRun)
            {
                return (stored, !finalizing);
            }

            if (finalizing)
            {
                _objects[Key(stored)] = stored;
                Publish(new StoreEvent(WatchEventKind.Modified, stored, current));
            }
            else
            {
                _objects.Remove(Key(stored));
                Publish(new StoreEvent(WatchEventKind.Deleted, stored, current));
            }

            return (stored, !finalizing);
        }
    }

    /// <summary>
    /// Opens a watch. Without <paramref name="fromResourceVersion"/> (or with 0) the current objects are first sent as
    /// synthetic ADDED events; otherwise retained history after that version is replayed, or 410 Expired is returned
    /// when it is older than the history.
    /// </summary>
    internal Outcome<WatchSubscription> Watch(ResourceType type, string? ns, long? fromResourceVersion)
    {
        lock (_gate)
        {
            var subscription = new WatchSubscription(type, ns, Unsubscribe);
            if (fromResourceVersion is null or 0)
            {
                foreach (var obj in _objects.Values.Where(o => o.Type == type && (ns is null || o.Namespace == ns))
                             .OrderBy(o => o.ResourceVersion))
                {
                    subscription.Offer(new WatchItem(new StoreEvent(WatchEventKind.Added, obj, null), obj.ResourceVersion, Synthetic: true));
                }
            }
            else if (fromResourceVersion < _compactedThrough)
            {
                subscription.Dispose();
                return ApiError.Expired(fromResourceVersion.Value, _compactedThrough);
            }
            else
            {
                foreach (var e in _history.Where(e => e.ResourceVersion > fromResourceVersion && subscription.Wants(e)))
                {
                    subscription.Offer(new WatchItem(e, e.ResourceVersion));
                }
            }

            subscription.Offer(new WatchItem(null, Math.Max(_resourceVersion, fromResourceVersion ?? 0)));
            _subscribers.Add(subscription);
            SignalWatchesChanged();
            return subscription;
        }
    }

    /// <summary>Ends every open watch stream.</summary>
    internal int CutWatches(WatchCutMode mode)
    {
        lock (_gate)
        {
            var cut = _subscribers.ToList();
            _subscribers.Clear();
            SignalWatchesChanged();
            foreach (var subscription in cut)
            {
                subscription.Cut(mode);
            }

            return cut.Count;
        }
    }

    /// <summary>The number of open watch streams.</summary>
    internal int OpenWatchCount
    {
        get
        {
            lock (_gate)
            {
                return _subscribers.Count;
            }
        }
    }

    /// <summary>Completes once at least <paramref name="count"/> watches are open.</summary>
    internal async Task WaitForOpenWatchesAsync(int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_subscribers.Count >= count)
                {
                    return;
                }

                changed = _watchesChanged.Task;
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    private void Unsubscribe(WatchSubscription subscription)
    {
        lock (_gate)
        {
            _subscribers.Remove(subscription);
            SignalWatchesChanged();
        }
    }

    private void SignalWatchesChanged()
    {
        var changed = _watchesChanged;
        _watchesChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.SetResult();
    }

    private void Publish(StoreEvent e)
    {
        _history.AddLast(e);
        while (_history.Count > _historyLimit)
        {
            _compactedThrough = _history.First!.Value.ResourceVersion;
            _history.RemoveFirst();
        }

        foreach (var subscription in _subscribers)
        {
            if (subscription.Wants(e))
            {
                subscription.Offer(new WatchItem(e, e.ResourceVersion));
            }
        }
    }

    private StoredObject? Find(ResourceType type, string? ns, string name) =>
        _objects.GetValueOrDefault((type, type.Namespaced ? ns ?? "" : "", name));

    private static (ResourceType, string, string) Key(StoredObject o) => (o.Type, o.Type.Namespaced ? o.Namespace : "", o.Name);
}
