using System.Runtime.CompilerServices;
using System.Text.Json;
using k8s;
using k8s.Models;
using SandboxOperator.Controller.Runtime;
using SandboxOperator.Policy.Api;

namespace SandboxOperator.Controller.Caching;

/// <summary>
/// <see cref="IListWatcher{T}"/>s for the six watched types over every namespace, and the consistent read of one
/// namespace's AgentWorkloads that the webhook makes per review. Every watch asks for bookmarks and
/// passes <c>onError: e => throw e</c>, so a 410 Expired ERROR event reaches the informer as an exception instead of
/// silently ending the stream (a KubernetesClient pitfall).
/// </summary>
public static class ClusterListWatchers
{
    public static IListWatcher<V1Pod> Pods(IKubernetes client) => new Delegating<V1Pod>(
        async (token, limit, ct) =>
        {
            var list = await client.CoreV1.ListPodForAllNamespacesAsync(continueParameter: token, limit: limit, cancellationToken: ct).ConfigureAwait(false);
            return new ListPage<V1Pod>(list.Items, list.Metadata.ResourceVersion, list.Metadata.ContinueProperty);
        },
        (rv, ct) => client.CoreV1.WatchListPodForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, onError: Rethrow, cancellationToken: ct));

    public static IListWatcher<V1Namespace> Namespaces(IKubernetes client) => new Delegating<V1Namespace>(
        async (token, limit, ct) =>
        {
            var list = await client.CoreV1.ListNamespaceAsync(continueParameter: token, limit: limit, cancellationToken: ct).ConfigureAwait(false);
            return new ListPage<V1Namespace>(list.Items, list.Metadata.ResourceVersion, list.Metadata.ContinueProperty);
        },
        (rv, ct) => client.CoreV1.WatchListNamespaceAsync(allowWatchBookmarks: true, resourceVersion: rv, onError: Rethrow, cancellationToken: ct));

    public static IListWatcher<V1Node> Nodes(IKubernetes client) => new Delegating<V1Node>(
        async (token, limit, ct) =>
        {
            var list = await client.CoreV1.ListNodeAsync(continueParameter: token, limit: limit, cancellationToken: ct).ConfigureAwait(false);
            return new ListPage<V1Node>(list.Items, list.Metadata.ResourceVersion, list.Metadata.ContinueProperty);
        },
        (rv, ct) => client.CoreV1.WatchListNodeAsync(allowWatchBookmarks: true, resourceVersion: rv, onError: Rethrow, cancellationToken: ct));

    public static IListWatcher<V1RuntimeClass> RuntimeClasses(IKubernetes client) => new Delegating<V1RuntimeClass>(
        async (token, limit, ct) =>
        {
            var list = await client.NodeV1.ListRuntimeClassAsync(continueParameter: token, limit: limit, cancellationToken: ct).ConfigureAwait(false);
            return new ListPage<V1RuntimeClass>(list.Items, list.Metadata.ResourceVersion, list.Metadata.ContinueProperty);
        },
        (rv, ct) => client.NodeV1.WatchListRuntimeClassAsync(allowWatchBookmarks: true, resourceVersion: rv, onError: Rethrow, cancellationToken: ct));

    /// <summary>AgentWorkloads, received as JSON so one object that breaks the schema cannot stop the informer.</summary>
    public static IListWatcher<UnstructuredObject> AgentWorkloads(IKubernetes client) => CustomResources(client, WellKnown.Plural);

    /// <summary>SandboxExceptions, received as JSON like AgentWorkloads.</summary>
    public static IListWatcher<UnstructuredObject> SandboxExceptions(IKubernetes client) => CustomResources(client, WellKnown.ExceptionPlural);

    private static Delegating<UnstructuredObject> CustomResources(IKubernetes client, string plural) => new(
        async (token, limit, ct) => Page(await client.CustomObjects.ListClusterCustomObjectAsync(
            WellKnown.Group, WellKnown.Version, plural, continueParameter: token, limit: limit, cancellationToken: ct).ConfigureAwait(false)),
        (rv, ct) => WatchCustomResources(client, plural, rv, ct));

    /// <summary>
    /// One page of the custom resources <paramref name="plural"/> (of the agentsandbox.io group) of one namespace, read
    /// without a resourceVersion: a consistent (quorum) read that sees every object whose creation, change or deletion
    /// the API server has acknowledged, whatever the informers have seen.
    /// </summary>
    public static async Task<ListPage<UnstructuredObject>> ListNamespacedAsync(IKubernetes client, string plural, string @namespace, string? continueToken, int limit, CancellationToken cancellationToken) =>
        Page(await client.CustomObjects.ListNamespacedCustomObjectAsync(
            WellKnown.Group, WellKnown.Version, @namespace, plural, continueParameter: continueToken, limit: limit, cancellationToken: cancellationToken).ConfigureAwait(false));

    private static ListPage<UnstructuredObject> Page(object result)
    {
        var list = ToElement(result);
        var items = list.TryGetProperty("items", out var i) && i.ValueKind == JsonValueKind.Array
            ? i.EnumerateArray().Select(UnstructuredObject.From).ToList()
            : [];
        var meta = list.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
        return new ListPage<UnstructuredObject>(items, StringProperty(meta, "resourceVersion") ?? "", StringProperty(meta, "continue"));
    }

    private static async IAsyncEnumerable<(WatchEventType, UnstructuredObject)> WatchCustomResources(IKubernetes client, string plural, string rv, [EnumeratorCancellation] CancellationToken ct)
    {
        var stream = client.CustomObjects.WatchListClusterCustomObjectAsync(
            WellKnown.Group, WellKnown.Version, plural, allowWatchBookmarks: true, resourceVersion: rv, onError: Rethrow, cancellationToken: ct);
        await foreach (var (type, obj) in stream.ConfigureAwait(false))
        {
            yield return (type, UnstructuredObject.From(ToElement(obj)));
        }
    }

    private static void Rethrow(Exception e) => throw e;

    private static JsonElement ToElement(object obj) => obj switch
    {
        JsonElement e => e,
        JsonDocument d => d.RootElement,
        _ => JsonDocument.Parse(KubernetesJson.Serialize(obj)).RootElement,
    };

    private static string? StringProperty(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private sealed class Delegating<T>(
        Func<string?, int, CancellationToken, Task<ListPage<T>>> list,
        Func<string, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch) : IListWatcher<T>
    {
        public Task<ListPage<T>> ListAsync(string? continueToken, int limit, CancellationToken cancellationToken) => list(continueToken, limit, cancellationToken);

        public IAsyncEnumerable<(WatchEventType Type, T Object)> WatchAsync(string resourceVersion, CancellationToken cancellationToken) => watch(resourceVersion, cancellationToken);
    }
}
