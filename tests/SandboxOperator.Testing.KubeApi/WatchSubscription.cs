using System.Threading.Channels;

namespace SandboxOperator.Testing.KubeApi;

/// <summary>How <see cref="FaultInjector.CutWatches"/> ends the open watch streams.</summary>
public enum WatchCutMode
{
    /// <summary>Reset the TCP connection mid-stream, as a network failure would; clients see an I/O error.</summary>
    AbortConnection,

    /// <summary>Finish the HTTP response cleanly, as an API server does on graceful shutdown; clients see the stream end.</summary>
    CloseStream,
}

/// <summary>
/// One open watch: an unbounded queue of store events for one resource type (and namespace), fed under the store
/// lock so events arrive in resourceVersion order. Dispose to unsubscribe.
/// </summary>
internal sealed class WatchSubscription : IDisposable
{
    private readonly Channel<WatchItem> _items = Channel.CreateUnbounded<WatchItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Action<WatchSubscription> _unsubscribe;

    public WatchSubscription(ResourceType type, string? ns, Action<WatchSubscription> unsubscribe)
    {
        Type = type;
        Namespace = ns;
        _unsubscribe = unsubscribe;
    }

    public ResourceType Type { get; }

    /// <summary>The namespace watched, or null for all namespaces / cluster-scoped types.</summary>
    public string? Namespace { get; }

    /// <summary>How the stream was cut, once it was.</summary>
    public WatchCutMode? CutMode { get; private set; }

    public ChannelReader<WatchItem> Items => _items.Reader;

    public bool Wants(StoreEvent e) => e.Current.Type == Type && (Namespace is null || e.Current.Namespace == Namespace);

    public void Offer(WatchItem item) => _items.Writer.TryWrite(item);

    public void Cut(WatchCutMode mode)
    {
        CutMode = mode;
        _items.Writer.TryComplete();
    }

    public void Dispose()
    {
        _items.Writer.TryComplete();
        _unsubscribe(this);
    }
}

/// <summary>
/// An item in a watch queue: a store event, or a progress mark saying that every event up to
/// <see cref="ProgressResourceVersion"/> has been queued (what bookmarks may safely report).
/// </summary>
internal sealed record WatchItem(StoreEvent? Event, long ProgressResourceVersion, bool Synthetic = false);
