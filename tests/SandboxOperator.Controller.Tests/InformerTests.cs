using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using SandboxOperator.Controller.Runtime;
using SandboxOperator.Testing;

namespace SandboxOperator.Controller.Tests;

/// <summary>The list-then-watch loop against a scripted source.</summary>
public sealed class InformerTests
{
    /// <summary>Lists the current objects; each watch plays the next script step, then ends, throws or waits.</summary>
    private sealed class ScriptedSource : IListWatcher<V1ConfigMap>
    {
        public ConcurrentDictionary<string, V1ConfigMap> Objects { get; } = new();

        public ConcurrentQueue<Func<string, IAsyncEnumerable<(WatchEventType, V1ConfigMap)>>> Watches { get; } = new();

        public ConcurrentQueue<string> WatchedFrom { get; } = new();

        /// <summary>When each watch started, on <see cref="Clock"/>.</summary>
        public ConcurrentQueue<DateTimeOffset> WatchedAt { get; } = new();

        public TimeProvider Clock { get; init; } = TimeProvider.System;

        public int ListCalls;

        public long Version = 10;

        /// <summary>Each list takes the next failure from here, if any, and throws it.</summary>
        public ConcurrentQueue<Exception> ListFailures { get; } = new();

        public Task<ListPage<V1ConfigMap>> ListAsync(string? continueToken, int limit, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref ListCalls);
            if (ListFailures.TryDequeue(out var failure))
            {
                throw failure;
            }

            return Task.FromResult(new ListPage<V1ConfigMap>([.. Objects.Values], Version.ToString(System.Globalization.CultureInfo.InvariantCulture), null));
        }

        public IAsyncEnumerable<(WatchEventType Type, V1ConfigMap Object)> WatchAsync(string resourceVersion, CancellationToken cancellationToken)
        {
            WatchedFrom.Enqueue(resourceVersion);
            WatchedAt.Enqueue(Clock.GetUtcNow());
            return Watches.TryDequeue(out var next) ? next(resourceVersion) : Forever(cancellationToken);
        }

        private static async IAsyncEnumerable<(WatchEventType, V1ConfigMap)> Forever([EnumeratorCancellation] CancellationToken ct)
        {
            await Task.Delay(Timeout.Infinite, ct);
            yield break;
        }
    }

    private static V1ConfigMap Obj(string name, string rv) => new() { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "ns", ResourceVersion = rv } };

    private static async IAsyncEnumerable<(WatchEventType, V1ConfigMap)> Events(Exception? end, params (WatchEventType, V1ConfigMap)[] events)
    {
        foreach (var e in events)
        {
            yield return e;
        }

        await Task.Yield();
        if (end is not null)
        {
            throw end;
        }
    }

    private static Informer<V1ConfigMap, V1ConfigMap> Start(ScriptedSource source, List<CacheChange<V1ConfigMap>> changes, CancellationToken ct, out Task run)
    {
        var cache = new ResourceCache<V1ConfigMap>();
        var informer = new Informer<V1ConfigMap, V1ConfigMap>("test", source, o => o, cache,
            new InformerOptions { InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(100) }, NullLogger.Instance);
        informer.OnChange(c =>
        {
            lock (changes)
            {
                changes.Add(c);
            }
        });
        run = informer.RunAsync(ct);
        return informer;
    }

    [Fact]
    public async Task A_failed_watch_resumes_from_the_last_resourceVersion_without_relisting()
    {
        var source = new ScriptedSource();
        source.Objects["a"] = Obj("a", "5");
        source.Watches.Enqueue(_ => Events(new HttpRequestException("connection reset"),
            (WatchEventType.Added, Obj("b", "11")),
            (WatchEventType.Bookmark, Obj("", "15"))));
        var changes = new List<CacheChange<V1ConfigMap>>();
        using var stop = new CancellationTokenSource();
        var informer = Start(source, changes, stop.Token, out var run);

        await Eventually.HoldsAsync(() => source.WatchedFrom.Count >= 2, "the watch is resumed");
        Assert.Equal(["10", "15"], source.WatchedFrom.Take(2));
        Assert.Equal(1, source.ListCalls);
        Assert.True(informer.Synced.IsCompleted);
        Assert.NotNull(informer.Cache.Get("ns", "b"));
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Gone_relists_and_reports_what_changed_meanwhile_as_changes()
    {
        var source = new ScriptedSource();
        source.Objects["keep"] = Obj("keep", "3");
        source.Objects["doomed"] = Obj("doomed", "4");
        source.Watches.Enqueue(_ =>
        {
            // While disconnected: one object deleted, one added; then the server says 410.
            source.Objects.TryRemove("doomed", out V1ConfigMap? _);
            source.Objects["new"] = Obj("new", "30");
            source.Version = 31;
            return Events(new KubernetesException(new V1Status { Code = 410, Reason = "Expired", Message = "too old resource version" }));
        });
        var changes = new List<CacheChange<V1ConfigMap>>();
        using var stop = new CancellationTokenSource();
        var informer = Start(source, changes, stop.Token, out var run);

        await Eventually.HoldsAsync(() => source.ListCalls == 2 && source.WatchedFrom.Count >= 2, "the informer relists after 410 and watches again");
        Assert.Equal(["10", "31"], source.WatchedFrom.Take(2));
        Assert.Null(informer.Cache.Get("ns", "doomed"));
        Assert.NotNull(informer.Cache.Get("ns", "new"));
        lock (changes)
        {
            Assert.Contains(changes, c => c.Name == "doomed" && c.New is null && c.Old is not null);
            Assert.Contains(changes, c => c.Name == "new" && c.Old is null);
            Assert.Single(changes, c => c.Name == "keep");
        }

        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task BrokenFor_counts_from_the_first_failure_until_the_watch_delivers_again()
    {
        var source = new ScriptedSource();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        for (var i = 0; i < 3; i++)
        {
            source.Watches.Enqueue(_ => Events(new HttpRequestException("refused")));
        }

        source.Watches.Enqueue(_ => Events(null, (WatchEventType.Bookmark, Obj("", "20"))));
        var informer = new Informer<V1ConfigMap, V1ConfigMap>("configmaps", source, o => o, new ResourceCache<V1ConfigMap>(),
            new InformerOptions { Time = time, InitialBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(1) }, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);

        // Listed, then the first watch fails: broken from that moment on the informer's clock.
        await Eventually.HoldsAsync(() => informer.BrokenFor is not null, "the failed watch is reported");
        Assert.Equal(TimeSpan.Zero, informer.BrokenFor);

        // Each retry fails again after its backoff: still counted from the first failure.
        await Eventually.HoldsAsync(() => AdvanceUntil(time, () => source.WatchedFrom.Count >= 3), "the watch is retried");
        Assert.True(informer.BrokenFor >= TimeSpan.FromSeconds(2), $"broken for {informer.BrokenFor}");

        // The fourth watch delivers a bookmark: working again.
        await Eventually.HoldsAsync(() => AdvanceUntil(time, () => informer.BrokenFor is null), "the bookmark ends the outage");
        Assert.Equal(1, source.ListCalls);
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task LastError_explains_a_refused_list_until_a_list_completes()
    {
        var source = new ScriptedSource();
        source.ListFailures.Enqueue(Refused(HttpStatusCode.NotFound));
        source.ListFailures.Enqueue(Refused(HttpStatusCode.Forbidden));
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var informer = new Informer<V1ConfigMap, V1ConfigMap>("sandboxexceptions", source, o => o, new ResourceCache<V1ConfigMap>(),
            new InformerOptions { Time = time, InitialBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(1) }, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);

        await Eventually.HoldsAsync(() => informer.LastError is not null, "the refused list is reported");
        Assert.StartsWith("list failed: the API server does not serve sandboxexceptions (404 Not Found): is its CustomResourceDefinition installed?", informer.LastError);
        Assert.False(informer.Synced.IsCompleted);

        await Eventually.HoldsAsync(() => AdvanceUntil(time, () => informer.LastError?.Contains("403", StringComparison.Ordinal) == true), "the second refusal replaces the first");
        Assert.Equal("list failed: the operator may not list and watch sandboxexceptions (403 Forbidden): check the ClusterRole bound to its ServiceAccount", informer.LastError);

        await Eventually.HoldsAsync(() => AdvanceUntil(time, () => informer.Synced.IsCompleted), "the third list completes");
        Assert.Null(informer.LastError);
        Assert.Null(informer.BrokenFor);
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public void A_failure_without_an_answer_is_explained_by_its_message()
    {
        Assert.Equal("Connection refused (127.0.0.1:6443)", ApiErrors.Explain(new HttpRequestException("Connection refused (127.0.0.1:6443)"), "pods"));
        Assert.Equal("the API server answered 500 InternalServerError", ApiErrors.Explain(Refused(HttpStatusCode.InternalServerError), "pods"));
        Assert.Equal("the API server does not accept the operator's credentials (401 Unauthorized)", ApiErrors.Explain(Refused(HttpStatusCode.Unauthorized), "pods"));
    }

    private static k8s.Autorest.HttpOperationException Refused(HttpStatusCode status) => new($"Operation returned an invalid status code '{status}'")
    {
        Response = new k8s.Autorest.HttpResponseMessageWrapper(new HttpResponseMessage(status), ""),
    };

    private static bool AdvanceUntil(Microsoft.Extensions.Time.Testing.FakeTimeProvider time, Func<bool> condition)
    {
        if (!condition())
        {
            time.Advance(TimeSpan.FromSeconds(1));
        }

        return condition();
    }

    [Fact]
    public async Task Repeated_failures_back_off()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var source = new ScriptedSource { Clock = time };
        for (var i = 0; i < 4; i++)
        {
            source.Watches.Enqueue(_ => Events(new HttpRequestException("refused")));
        }

        var informer = new Informer<V1ConfigMap, V1ConfigMap>("test", source, o => o, new ResourceCache<V1ConfigMap>(),
            new InformerOptions { Time = time, InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(100) }, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);

        // Time moves only when the test moves it, so each retry's start on that clock is at or after its due time.
        await Eventually.HoldsAsync(() => source.WatchedFrom.Count >= 5 || Advance(time, TimeSpan.FromMilliseconds(5)), "the watch is retried four times");

        // 20, 40, 80 and 100 ms nominal, each jittered down by at most half.
        var starts = source.WatchedAt.ToList();
        TimeSpan[] least = [TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(40), TimeSpan.FromMilliseconds(50)];
        for (var i = 0; i < least.Length; i++)
        {
            Assert.True(starts[i + 1] - starts[i] >= least[i], $"retry {i + 1} came {(starts[i + 1] - starts[i]).TotalMilliseconds} ms after the failure, under {least[i].TotalMilliseconds} ms");
        }

        await stop.CancelAsync();
        await run;
    }

    /// <summary>Moves <paramref name="time"/> on; false, so it can stand in a condition that keeps polling.</summary>
    private static bool Advance(Microsoft.Extensions.Time.Testing.FakeTimeProvider time, TimeSpan by)
    {
        time.Advance(by);
        return false;
    }
}
