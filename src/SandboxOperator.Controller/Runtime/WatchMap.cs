namespace SandboxOperator.Controller.Runtime;

/// <summary>
/// What one reconcile loop watches, declared in the spirit of controller-runtime's builder:
/// <see cref="For{T}"/> its own kind (a change queues that object's key) and <see cref="Watches{T}"/> other kinds with
/// a map from a change to the keys it affects; <see cref="Seed"/> says which keys a new leadership term and every
/// resync queue. The <see cref="Manager.ControllerManager"/> runs the loop while this replica leads.
/// </summary>
/// <remarks>
/// Guarantees: a change queues keys only while the loop is active (<see cref="ReconcileLoop.Active"/>), and a
/// mapped watch does not even run its map otherwise: a new term seeds every key anyway. Maps run on the informer's
/// thread and must only read caches, never block or perform I/O.
/// </remarks>
public sealed class WatchMap
{
    private readonly List<string> _sources = [];
    private Func<IEnumerable<(string Namespace, string Name)>> _seed = static () => [];

    public WatchMap(ReconcileLoop loop, bool enabled = true)
    {
        Loop = loop;
        Enabled = enabled;
    }

    public ReconcileLoop Loop { get; }

    /// <summary>Whether the manager runs the loop at all (a reconciler switched off by the policy is not).</summary>
    public bool Enabled { get; }

    /// <summary>The informers this loop watches, its own kind first, for logs and tests.</summary>
    public IReadOnlyList<string> Sources => _sources;

    /// <summary>The loop's own kind: every change of an object queues its key.</summary>
    public WatchMap For<T>(IInformer<T> informer)
        where T : class
    {
        _sources.Add(informer.Name);
        informer.OnChange(change => Loop.Enqueue(change.Namespace, change.Name));
        return this;
    }

    /// <summary>Another kind: every change queues the keys <paramref name="map"/> returns for it.</summary>
    public WatchMap Watches<T>(IInformer<T> informer, Func<CacheChange<T>, IEnumerable<(string Namespace, string Name)>> map)
        where T : class
    {
        _sources.Add(informer.Name);
        informer.OnChange(change =>
        {
            if (!Loop.Active)
            {
                return;
            }

            foreach (var (ns, name) in map(change))
            {
                Loop.Enqueue(ns, name);
            }
        });
        return this;
    }

    /// <summary>The keys queued when a leadership term starts and on every resync.</summary>
    public WatchMap Seed(Func<IEnumerable<(string Namespace, string Name)>> keys)
    {
        _seed = keys;
        return this;
    }

    /// <summary>Queues every key of <see cref="Seed"/> (nothing while the loop is inactive or disabled).</summary>
    public void EnqueueAll()
    {
        if (!Enabled)
        {
            return;
        }

        foreach (var (ns, name) in _seed())
        {
            Loop.Enqueue(ns, name);
        }
    }
}
