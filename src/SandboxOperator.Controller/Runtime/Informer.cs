using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace SandboxOperator.Controller.Runtime;

/// <summary>
/// Keeps a <see cref="ResourceCache{T}"/> in step with the API server: list (paged), then watch from the list's
/// resourceVersion with bookmarks; relist on 410 Gone; on any other failure wait with jittered exponential backoff
/// (800 ms → 30 s, reset after <see cref="InformerOptions.HealthyAfter"/> without failures) and resume the watch from
/// the last resourceVersion seen. Objects are projected to <typeparamref name="TCached"/> as they arrive so the full
/// API object is not retained.
/// </summary>
/// <remarks>
/// Guarantees: every change is applied to the cache before handlers see it; a relist replaces the cache (objects
/// that vanished are reported as deletions, unchanged resourceVersions are not reported); handlers run on the
/// informer's loop, one at a time, and must only enqueue work. <see cref="BrokenFor"/> says how long the cache has
/// been without a working watch: it starts at the first failed list or watch (or a watch the server keeps closing
/// at once) and ends when a list completes or a watch delivers an event, bookmarks included. Caveats: a relist
/// compares resourceVersions only for equality, never order; a watch resumed after a failure proves itself only
/// with its first event, so on a cluster where nothing changes it counts as broken until the API server's next
/// bookmark.
/// </remarks>
public sealed class Informer<TSource, TCached> : IInformer<TCached>
    where TSource : IKubernetesObject<V1ObjectMeta>
    where TCached : class
{
    private readonly IListWatcher<TSource> _source;
    private readonly Func<TSource, TCached> _project;
    private readonly InformerOptions _options;
    private readonly ILogger _logger;
    private readonly List<Action<CacheChange<TCached>>> _handlers = [];
    private int _relists;
    private int _watchStarts;
    private long _brokenSince;
    private volatile string? _lastError;

    public Informer(string name, IListWatcher<TSource> source, Func<TSource, TCached> project, ResourceCache<TCached> cache, InformerOptions options, ILogger logger)
    {
        Name = name;
        _source = source;
        _project = project;
        Cache = cache;
        _options = options;
        _logger = logger;
    }

    public string Name { get; }

    public ResourceCache<TCached> Cache { get; }

    public Task Synced => Cache.Synced;

    /// <summary>Completed lists (the first one included).</summary>
    public int Lists => Volatile.Read(ref _relists);

    /// <summary>Watch requests started.</summary>
    public int WatchStarts => Volatile.Read(ref _watchStarts);

    /// <summary>
    /// How long the watch has been broken (since the first failure not yet followed by a completed list or a
    /// delivered event), measured on <see cref="InformerOptions.Time"/>; null while it works.
    /// </summary>
    public TimeSpan? BrokenFor
    {
        get
        {
            var since = Volatile.Read(ref _brokenSince);
            return since == 0 ? null : _options.Time.GetElapsedTime(since);
        }
    }

    /// <summary>
    /// Why the last list or watch failed (e.g. <c>list failed: the API server does not serve ... (404 Not Found)</c>),
    /// while the informer is broken; null while it works.
    /// </summary>
    public string? LastError => _lastError;

    /// <summary>The resourceVersion the next watch resumes from.</summary>
    public string? ResourceVersion { get; private set; }

    /// <summary>Registers a handler; register before <see cref="RunAsync"/>.</summary>
    public void OnChange(Action<CacheChange<TCached>> handler) => _handlers.Add(handler);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = new Backoff(_options.InitialBackoff, _options.MaxBackoff, 0.5, _options.Time);
        string? rv = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            backoff.ResetIfHealthyFor(_options.HealthyAfter);
            try
            {
                if (rv is null)
                {
                    rv = await ListAsync(cancellationToken).ConfigureAwait(false);
                    ResourceVersion = rv;
                }

                var started = _options.Time.GetTimestamp();
                var events = 0;
                Interlocked.Increment(ref _watchStarts);
                await foreach (var (type, obj) in _source.WatchAsync(rv, cancellationToken).ConfigureAwait(false))
                {
                    MarkWorking();
                    events++;
                    rv = Apply(type, obj) ?? rv;
                    ResourceVersion = rv;
                }

                // A stream the server closed normally is resumed at once, unless it closes straight away again and again.
                if (events == 0 && _options.Time.GetElapsedTime(started) < TimeSpan.FromSeconds(1))
                {
                    MarkBroken();
                    _lastError = "watch failed: the API server closed it at once";
                    await DelayAsync(backoff.Next(), cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (ApiErrors.IsGone(e))
            {
                MarkBroken();
                _lastError = $"watch failed: resourceVersion {rv} expired (410 Gone); relisting";
                _logger.LogInformation("{Informer}: resourceVersion {ResourceVersion} expired (410 Gone); relisting", Name, rv);
                rv = null;
            }
            catch (Exception e)
            {
                MarkBroken();
                var delay = backoff.Next();
                var phase = rv is null ? "list" : "watch";
                var error = ApiErrors.Explain(e, Name);
                _lastError = $"{phase} failed: {error}";

                // An answer from the API server is explained in full by its status; only a failure without one keeps its stack.
                _logger.LogWarning(ApiErrors.StatusOf(e) is null ? e : null, "{Informer}: {Phase} failed ({Failures} in a row): {Error}; retrying in {Delay} ms",
                    Name, phase, backoff.Failures, error, (int)delay.TotalMilliseconds);
                await DelayAsync(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<string> ListAsync(CancellationToken cancellationToken)
    {
        var seen = new HashSet<(string, string)>();
        string? token = null;
        string rv;
        do
        {
            var page = await _source.ListAsync(token, _options.PageSize, cancellationToken).ConfigureAwait(false);
            rv = page.ResourceVersion;
            token = string.IsNullOrEmpty(page.Continue) ? null : page.Continue;
            foreach (var item in page.Items)
            {
                var (ns, name) = KeyOf(item);
                seen.Add((ns, name));
                var itemRv = item.Metadata.ResourceVersion ?? "";
                if (Cache.VersionOf(ns, name) == itemRv)
                {
                    continue;
                }

                var projected = _project(item);
                var old = Cache.Upsert(ns, name, projected, itemRv);
                Notify(new CacheChange<TCached>(ns, name, old, projected));
            }
        }
        while (token is not null);

        foreach (var (ns, name, _) in Cache.All().ToList())
        {
            if (!seen.Contains((ns, name)) && Cache.Remove(ns, name) is { } gone)
            {
                Notify(new CacheChange<TCached>(ns, name, gone, null));
            }
        }

        Interlocked.Increment(ref _relists);
        Cache.MarkSynced();
        MarkWorking();
        _logger.LogDebug("{Informer}: listed {Count} objects at resourceVersion {ResourceVersion}", Name, Cache.Count, rv);
        return rv;
    }

    private string? Apply(WatchEventType type, TSource obj)
    {
        var rv = obj.Metadata?.ResourceVersion;
        if (type == WatchEventType.Bookmark)
        {
            return rv;
        }

        if (type == WatchEventType.Error)
        {
            // IListWatcher implementations throw on ERROR events; reaching here means one did not.
            throw new InvalidOperationException($"{Name}: the watch delivered an ERROR event");
        }

        var (ns, name) = KeyOf(obj);
        if (type == WatchEventType.Deleted)
        {
            if (Cache.Remove(ns, name) is { } old)
            {
                Notify(new CacheChange<TCached>(ns, name, old, null));
            }
        }
        else
        {
            var projected = _project(obj);
            var old = Cache.Upsert(ns, name, projected, rv ?? "");
            Notify(new CacheChange<TCached>(ns, name, old, projected));
        }

        return rv;
    }

    private void MarkBroken()
    {
        if (Volatile.Read(ref _brokenSince) == 0)
        {
            // Never 0: that value means "working".
            Volatile.Write(ref _brokenSince, Math.Max(1, _options.Time.GetTimestamp()));
        }
    }

    private void MarkWorking()
    {
        var since = Volatile.Read(ref _brokenSince);
        if (since != 0)
        {
            _lastError = null;
            Volatile.Write(ref _brokenSince, 0);
            _logger.LogInformation("{Informer}: watching again after {Seconds:0.#} s", Name, _options.Time.GetElapsedTime(since).TotalSeconds);
        }
    }

    private void Notify(CacheChange<TCached> change)
    {
        foreach (var h in _handlers)
        {
            h(change);
        }
    }

    private static (string Namespace, string Name) KeyOf(TSource obj) =>
        (obj.Metadata?.NamespaceProperty ?? "", obj.Metadata?.Name ?? "");

    private async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _options.Time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}

/// <summary>What the runtime needs of an informer without knowing its types.</summary>
public interface IInformer
{
    string Name { get; }

    Task Synced { get; }

    /// <summary>Completed lists, the first included; more than one means the informer relisted.</summary>
    int Lists { get; }

    /// <summary>How long the watch has been broken; null while it works.</summary>
    TimeSpan? BrokenFor { get; }

    /// <summary>Why the last list or watch failed, while the informer is broken; null while it works.</summary>
    string? LastError { get; }

    Task RunAsync(CancellationToken cancellationToken);
}

/// <summary>An informer whose cache holds <typeparamref name="T"/>, as a source of changes a watch map subscribes to.</summary>
public interface IInformer<T> : IInformer
    where T : class
{
    /// <summary>Calls <paramref name="handler"/> after every change of the cache (add, update, delete, relist).</summary>
    void OnChange(Action<CacheChange<T>> handler);
}
