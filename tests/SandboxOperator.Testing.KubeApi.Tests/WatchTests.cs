using k8s;
using k8s.Models;

namespace SandboxOperator.Testing.KubeApi.Tests;

public class WatchTests
{
    private static V1Pod Pod(string name, IDictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "main", Image = "busybox" }] },
    };

    private static async Task<List<(WatchEventType Type, V1Pod Pod)>> Collect(IAsyncEnumerable<(WatchEventType, V1Pod)> watch, int count)
    {
        var events = new List<(WatchEventType, V1Pod)>();
        await foreach (var e in watch)
        {
            events.Add(e);
            if (events.Count == count)
            {
                break;
            }
        }

        return events;
    }

    /// <summary>Passes events through, completing <paramref name="first"/> when the first one arrives.</summary>
    private static async IAsyncEnumerable<(WatchEventType, V1Pod)> Signal(IAsyncEnumerable<(WatchEventType, V1Pod)> watch, TaskCompletionSource first)
    {
        await foreach (var e in watch)
        {
            yield return e;
            first.TrySetResult();
        }
    }

    [Fact]
    public async Task Watch_streams_added_modified_deleted_in_order()
    {
        await using var api = await ApiScope.StartAsync();
        var rv = (await api.Client.CoreV1.ListNamespacedPodAsync("default", cancellationToken: api.Timeout)).Metadata.ResourceVersion;
        var watching = Collect(api.Client.CoreV1.WatchListNamespacedPodAsync("default", resourceVersion: rv, onError: e => throw e, cancellationToken: api.Timeout), 3);
        await api.Server.WaitForOpenWatchesAsync(1, api.Timeout);

        await api.Client.CoreV1.CreateNamespacedPodAsync(Pod("p"), "default", cancellationToken: api.Timeout);
        await api.Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"x":"1"}}}""", V1Patch.PatchType.MergePatch), "p", "default", cancellationToken: api.Timeout);
        await api.Client.CoreV1.DeleteNamespacedPodAsync("p", "default", cancellationToken: api.Timeout);
        var events = await watching;

        Assert.Equal([WatchEventType.Added, WatchEventType.Modified, WatchEventType.Deleted], events.Select(e => e.Type));
        Assert.All(events, e => Assert.Equal("p", e.Pod.Metadata.Name));
        var versions = events.Select(e => long.Parse(e.Pod.Metadata.ResourceVersion)).ToList();
        Assert.Equal(versions.Order(), versions);
        Assert.Equal(3, versions.Distinct().Count());
    }

    [Fact]
    public async Task Watch_without_resourceVersion_starts_with_the_current_objects()
    {
        await using var api = await ApiScope.StartAsync();
        await api.Client.CoreV1.CreateNamespacedPodAsync(Pod("a"), "default", cancellationToken: api.Timeout);
        await api.Client.CoreV1.CreateNamespacedPodAsync(Pod("b"), "default", cancellationToken: api.Timeout);

        var events = await Collect(api.Client.CoreV1.WatchListNamespacedPodAsync("default", onError: e => throw e, cancellationToken: api.Timeout), 2);

        Assert.Equal(["a", "b"], events.Select(e => e.Pod.Metadata.Name));
        Assert.All(events, e => Assert.Equal(WatchEventType.Added, e.Type));
    }

    [Fact]
    public async Task Watch_with_label_selector_sees_objects_enter_and_leave_as_added_and_deleted()
    {
        await using var api = await ApiScope.StartAsync();
        var rv = (await api.Client.CoreV1.CreateNamespacedPodAsync(Pod("p"), "default", cancellationToken: api.Timeout)).Metadata.ResourceVersion;
        await api.Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"app":"web"}}}""", V1Patch.PatchType.MergePatch), "p", "default", cancellationToken: api.Timeout);
        await api.Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"annotations":{"n":"1"}}}""", V1Patch.PatchType.MergePatch), "p", "default", cancellationToken: api.Timeout);
        await api.Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"app":"db"}}}""", V1Patch.PatchType.MergePatch), "p", "default", cancellationToken: api.Timeout);

        var events = await Collect(api.Client.CoreV1.WatchListNamespacedPodAsync("default", labelSelector: "app=web", resourceVersion: rv, onError: e => throw e, cancellationToken: api.Timeout), 3);

        Assert.Equal([WatchEventType.Added, WatchEventType.Modified, WatchEventType.Deleted], events.Select(e => e.Type));
    }

    [Fact]
    public async Task Watch_from_an_expired_resourceVersion_gets_410_through_onError()
    {
        await using var api = await ApiScope.StartAsync();
        var old = (await api.Client.CoreV1.CreateNamespacedPodAsync(Pod("a"), "default", cancellationToken: api.Timeout)).Metadata.ResourceVersion;
        await api.Client.CoreV1.CreateNamespacedPodAsync(Pod("b"), "default", cancellationToken: api.Timeout);
        api.Server.Faults.ExpireResourceVersions();

        var error = await Assert.ThrowsAsync<KubernetesException>(() =>
            Collect(api.Client.CoreV1.WatchListNamespacedPodAsync("default", resourceVersion: old, onError: e => throw e, cancellationToken: api.Timeout), 1));

        Assert.Equal(410, error.Status.Code);
        Assert.Equal("Expired", error.Status.Reason);

        // Watching from the current version is still fine.
        var current = (await api.Client.CoreV1.ListNamespacedPodAsync("default", cancellationToken: api.Timeout)).Metadata.ResourceVersion;
        var watching = Collect(api.Client.CoreV1.WatchListNamespacedPodAsync("default", resourceVersion: current, onError: e => throw e, cancellationToken: api.Timeout), 1);
        await api.Server.WaitForOpenWatchesAsync(1, api.Timeout);
        await api.Client.CoreV1.CreateNamespacedPodAsync(Pod("c"), "default", cancellationToken: api.Timeout);
        Assert.Equal("c", (await watching).Single().Pod.Metadata.Name);
    }

    [Fact]
    public async Task Raw_watch_stream_is_newline_delimited_json_with_an_error_event_for_expired_versions()
    {
        await using var api = await ApiScope.StartAsync();
        await api.Client.CoreV1.CreateNamespacedPodAsync(Pod("a"), "default", cancellationToken: api.Timeout);
        await api.Client.CoreV1.CreateNamespacedPodAsync(Pod("b"), "default", cancellationToken: api.Timeout);
        using var http = new HttpClient();

        var replay = await http.GetStringAsync($"{api.Server.Url}/api/v1/namespaces/default/pods?watch=1&resourceVersion=1&timeoutSeconds=1", api.Timeout);
        api.Server.Faults.ExpireResourceVersions();
        var expired = await http.GetStringAsync($"{api.Server.Url}/api/v1/namespaces/default/pods?watch=1&resourceVersion=1", api.Timeout);

        var line = Assert.Single(replay.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var added = System.Text.Json.Nodes.JsonNode.Parse(line)!;
        Assert.Equal("ADDED", (string?)added["type"]);
        Assert.Equal("b", (string?)added["object"]!["metadata"]!["name"]);
        Assert.EndsWith("\n", expired, StringComparison.Ordinal);
        var error = System.Text.Json.Nodes.JsonNode.Parse(expired)!;
        Assert.Equal("ERROR", (string?)error["type"]);
        Assert.Equal("Status", (string?)error["object"]!["kind"]);
        Assert.Equal("Expired", (string?)error["object"]!["reason"]);
        Assert.Equal(410, (int)error["object"]!["code"]!);
    }

    [Fact]
    public async Task Watch_history_limit_expires_old_versions()
    {
        await using var api = await ApiScope.StartAsync(new KubeApiServerOptions { WatchHistoryLimit = 2 });
        var first = (await api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a" } }, "default", cancellationToken: api.Timeout)).Metadata.ResourceVersion;
        foreach (var name in new[] { "b", "c", "d" })
        {
            await api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name } }, "default", cancellationToken: api.Timeout);
        }

        var error = await Assert.ThrowsAsync<KubernetesException>(async () =>
        {
            await foreach (var _ in api.Client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: first, onError: e => throw e, cancellationToken: api.Timeout))
            {
            }
        });
        Assert.Equal(410, error.Status.Code);
    }

    [Fact]
    public async Task Cut_watch_with_a_clean_close_ends_the_stream()
    {
        await using var api = await ApiScope.StartAsync();
        var rv = api.Server.Store.ResourceVersion.ToString();
        await api.Client.CoreV1.CreateNamespacedPodAsync(Pod("a"), "default", cancellationToken: api.Timeout);
        var seenFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watching = Collect(Signal(api.Client.CoreV1.WatchListNamespacedPodAsync("default", resourceVersion: rv, onError: e => throw e, cancellationToken: api.Timeout), seenFirst), 10);
        await seenFirst.Task.WaitAsync(api.Timeout);

        Assert.Equal(1, api.Server.Faults.CutWatches(WatchCutMode.CloseStream));

        Assert.Equal("a", Assert.Single(await watching).Pod.Metadata.Name);
        Assert.Equal(0, api.Server.OpenWatches);
    }

    [Fact]
    public async Task Cut_watch_with_an_aborted_connection_surfaces_a_transport_error()
    {
        await using var api = await ApiScope.StartAsync();
        var rv = api.Server.Store.ResourceVersion.ToString();
        await api.Client.CoreV1.CreateNamespacedPodAsync(Pod("a"), "default", cancellationToken: api.Timeout);
        var seenFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watching = Collect(Signal(api.Client.CoreV1.WatchListNamespacedPodAsync("default", resourceVersion: rv, onError: e => throw e, cancellationToken: api.Timeout), seenFirst), 10);
        await seenFirst.Task.WaitAsync(api.Timeout);

        api.Server.Faults.CutWatches(WatchCutMode.AbortConnection);

        var error = await Record.ExceptionAsync(() => watching);
        Assert.True(error is IOException or HttpRequestException, $"expected a transport error, got {error?.ToString() ?? "none"}");
    }

    [Fact]
    public async Task Bookmarks_arrive_when_allowed_and_carry_the_latest_resourceVersion()
    {
        await using var api = await ApiScope.StartAsync();
        api.Server.BookmarkInterval = TimeSpan.FromMilliseconds(50);
        await api.Client.CoreV1.CreateNamespacedPodAsync(Pod("a"), "default", cancellationToken: api.Timeout);
        var rv = api.Server.Store.ResourceVersion;

        var events = await Collect(api.Client.CoreV1.WatchListNamespacedPodAsync("default", allowWatchBookmarks: true, resourceVersion: rv.ToString(), onError: e => throw e, cancellationToken: api.Timeout), 1);

        var (type, bookmark) = Assert.Single(events);
        Assert.Equal(WatchEventType.Bookmark, type);
        Assert.Equal(rv.ToString(), bookmark.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Watch_honours_timeoutSeconds()
    {
        await using var api = await ApiScope.StartAsync();

        var rv = api.Server.Store.ResourceVersion.ToString();
        await api.Client.CoreV1.CreateNamespacedPodAsync(Pod("a"), "default", cancellationToken: api.Timeout);

        var events = await Collect(api.Client.CoreV1.WatchListNamespacedPodAsync("default", resourceVersion: rv, timeoutSeconds: 1, onError: e => throw e, cancellationToken: api.Timeout), 10);

        Assert.Single(events);
    }
}
