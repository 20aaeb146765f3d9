using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Manifests;

namespace SandboxOperator.Cli;

/// <summary>
/// Reads the live cluster for sandboxctl through a kubeconfig, read-only (list and get, nothing else). Every list is
/// paged (<c>limit</c>/<c>continue</c>) and yields objects one at a time as <see cref="ManifestDocument"/>s with
/// <c>apiVersion</c> and <c>kind</c> set, so callers can stream them into the policy core and keep only results.
/// </summary>
/// <remarks>
/// Failures become <see cref="ClusterReadException"/> naming what was read and the API server's answer. Objects are read
/// through KubernetesClient's typed models, so a field the models do not know (newer than Kubernetes 1.34) is not seen.
/// </remarks>
internal sealed class ClusterReader(IKubernetes client, int pageSize = 500)
{
    /// <summary>The pod controllers, owners before what they own (CronJob before Job, Deployment before ReplicaSet).</summary>
    public static readonly string[] ControllerKinds = ["CronJob", "Deployment", "StatefulSet", "DaemonSet", "ReplicationController", "ReplicaSet", "Job"];

    /// <summary>One key of a ConfigMap, or null when the ConfigMap or the key does not exist.</summary>
    public async Task<string?> ConfigMapKeyAsync(string @namespace, string name, string key, CancellationToken ct)
    {
        try
        {
            var cm = await client.CoreV1.ReadNamespacedConfigMapAsync(name, @namespace, cancellationToken: ct).ConfigureAwait(false);
            return cm.Data?.TryGetValue(key, out var value) == true ? value : null;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (HttpOperationException e)
        {
            throw Failed($"ConfigMap {@namespace}/{name}", e);
        }
    }

    public IAsyncEnumerable<ManifestDocument> NamespacesAsync(CancellationToken ct) =>
        Pages("namespaces", "v1", "Namespace", async (t, l, c) => Page(await client.CoreV1.ListNamespaceAsync(continueParameter: t, limit: l, cancellationToken: c).ConfigureAwait(false)), Trim, ct);

    public IAsyncEnumerable<ManifestDocument> NodesAsync(CancellationToken ct) =>
        Pages("nodes", "v1", "Node", async (t, l, c) => Page(await client.CoreV1.ListNodeAsync(continueParameter: t, limit: l, cancellationToken: c).ConfigureAwait(false)), Trim, ct);

    public IAsyncEnumerable<ManifestDocument> RuntimeClassesAsync(CancellationToken ct) =>
        Pages("runtimeclasses", "node.k8s.io/v1", "RuntimeClass", async (t, l, c) => Page(await client.NodeV1.ListRuntimeClassAsync(continueParameter: t, limit: l, cancellationToken: c).ConfigureAwait(false)), null, ct);

    public IAsyncEnumerable<ManifestDocument> PodsAsync(CancellationToken ct) =>
        Pages("pods", "v1", "Pod", async (t, l, c) => Page(await client.CoreV1.ListPodForAllNamespacesAsync(continueParameter: t, limit: l, cancellationToken: c).ConfigureAwait(false)), null, ct);

    /// <summary>AgentWorkloads as the API server stores them.</summary>
    public IAsyncEnumerable<ManifestDocument> AgentWorkloadsAsync(CancellationToken ct) => CustomAsync(WellKnown.Plural, ct);

    /// <summary>
    /// The SandboxExceptions of every namespace, read whole (they are few), or null when the cluster does not serve them
    /// (their CRD is not installed: the API server answers 404 for the resource).
    /// </summary>
    public async Task<IReadOnlyList<ManifestDocument>?> ExceptionsAsync(CancellationToken ct)
    {
        var exceptions = new List<ManifestDocument>();
        try
        {
            await foreach (var doc in CustomAsync(WellKnown.ExceptionPlural, ct).ConfigureAwait(false))
            {
                exceptions.Add(doc);
            }

            return exceptions;
        }
        catch (ClusterReadException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// The objects of one pod controller kind (<see cref="ControllerKinds"/>). A kind the cluster does not serve at that
    /// version (batch/v1 CronJob before Kubernetes 1.21) fails with status 404 before the first object.
    /// </summary>
    public IAsyncEnumerable<ManifestDocument> ControllersAsync(string kind, CancellationToken ct) => kind switch
    {
        "CronJob" => Pages("cronjobs", "batch/v1", kind, async (t, l, c) => Page(await client.BatchV1.ListCronJobForAllNamespacesAsync(continueParameter: t, limit: l, cancellationToken: c).ConfigureAwait(false)), null, ct),
        "Deployment" => Pages("deployments", "apps/v1", kind, async (t, l, c) => Page(await client.AppsV1.ListDeploymentForAllNamespacesAsync(continueParameter: t, limit: l, cancellationToken: c).ConfigureAwait(false)), null, ct),
        "StatefulSet" => Pages("statefulsets", "apps/v1", kind, async (t, l, c) => Page(await client.AppsV1.ListStatefulSetForAllNamespacesAsync(continueParameter: t, limit: l, cancellationToken: c).ConfigureAwait(false)), null, ct),
        "DaemonSet" => Pages("daemonsets", "apps/v1", kind, async (t, l, c) => Page(await client.AppsV1.ListDaemonSetForAllNamespacesAsync(continueParameter: t, limit: l, cancellationToken: c).ConfigureAwait(false)), null, ct),
        "ReplicationController" => Pages("replicationcontrollers", "v1", kind, async (t, l, c) => Page(await client.CoreV1.ListReplicationControllerForAllNamespacesAsync(continueParameter: t, limit: l, cancellationToken: c).ConfigureAwait(false)), null, ct),
        "ReplicaSet" => Pages("replicasets", "apps/v1", kind, async (t, l, c) => Page(await client.AppsV1.ListReplicaSetForAllNamespacesAsync(continueParameter: t, limit: l, cancellationToken: c).ConfigureAwait(false)), null, ct),
        "Job" => Pages("jobs", "batch/v1", kind, async (t, l, c) => Page(await client.BatchV1.ListJobForAllNamespacesAsync(continueParameter: t, limit: l, cancellationToken: c).ConfigureAwait(false)), null, ct),
        _ => throw new ArgumentException($"not a pod controller kind: {kind}", nameof(kind)),
    };

    private IAsyncEnumerable<ManifestDocument> CustomAsync(string plural, CancellationToken ct) =>
        Pages(plural, WellKnown.ApiVersion, null, async (t, l, c) =>
        {
            var list = await client.CustomObjects.ListClusterCustomObjectAsync(WellKnown.Group, WellKnown.Version, plural, continueParameter: t, limit: l, cancellationToken: c).ConfigureAwait(false);
            var element = list is JsonElement e ? e : JsonSerializer.SerializeToElement(list);
            var items = element.TryGetProperty("items", out var i) && i.ValueKind == JsonValueKind.Array ? i.EnumerateArray().Select(x => (object)x.Clone()).ToList() : [];
            var next = element.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object && m.TryGetProperty("continue", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
            return (items, next);
        }, null, ct);

    private static (IReadOnlyList<object> Items, string? Continue) Page<T>(IItems<T> list)
        where T : class => ([.. list.Items.Cast<object>()], (list as IMetadata<V1ListMeta>)?.Metadata?.ContinueProperty);

    private async IAsyncEnumerable<ManifestDocument> Pages(
        string what,
        string apiVersion,
        string? kind,
        Func<string?, int, CancellationToken, Task<(IReadOnlyList<object> Items, string? Continue)>> page,
        Func<JsonObject, JsonObject>? trim,
        [EnumeratorCancellation] CancellationToken ct)
    {
        string? token = null;
        do
        {
            (IReadOnlyList<object> Items, string? Continue) result;
            try
            {
                result = await page(token, pageSize, ct).ConfigureAwait(false);
            }
            catch (HttpOperationException e)
            {
                throw Failed(what, e);
            }

            foreach (var item in result.Items)
            {
                var obj = JsonNode.Parse(item is JsonElement e ? e.GetRawText() : KubernetesJson.Serialize(item))!.AsObject();
                obj["apiVersion"] ??= apiVersion;
                if (kind is not null)
                {
                    obj["kind"] = kind;
                }

                yield return new ManifestDocument("cluster", 0, trim is null ? obj : trim(obj));
            }

            token = result.Continue;
        }
        while (!string.IsNullOrEmpty(token));
    }

    /// <summary>Keeps of a Namespace or Node only what the policy reads: name, labels, taints, Ready and runtime handlers.</summary>
    private static JsonObject Trim(JsonObject obj)
    {
        var kept = new JsonObject
        {
            ["apiVersion"] = obj["apiVersion"]?.DeepClone(),
            ["kind"] = obj["kind"]?.DeepClone(),
            ["metadata"] = new JsonObject { ["name"] = obj["metadata"]?["name"]?.DeepClone(), ["labels"] = obj["metadata"]?["labels"]?.DeepClone() },
        };
        if (obj["spec"]?["taints"] is { } taints)
        {
            kept["spec"] = new JsonObject { ["taints"] = taints.DeepClone() };
        }

        if (obj["status"] is JsonObject status)
        {
            kept["status"] = new JsonObject { ["conditions"] = status["conditions"]?.DeepClone(), ["runtimeHandlers"] = status["runtimeHandlers"]?.DeepClone() };
        }

        return kept;
    }

    private static ClusterReadException Failed(string what, HttpOperationException e)
    {
        var code = e.Response.StatusCode;
        var message = e.Response.Content is { Length: > 0 } body && TryStatusMessage(body) is { } m ? m : e.Message;
        var hint = code switch
        {
            HttpStatusCode.Forbidden => " (the kubeconfig's user needs get and list on it; see docs/cli.md)",
            HttpStatusCode.Unauthorized => " (the kubeconfig's credentials were refused)",
            HttpStatusCode.Gone => " (the list changed too much while it was read in pages; run again)",
            _ => "",
        };
        return new ClusterReadException($"reading {what}: {(int)code} {message}{hint}", code);
    }

    private static string? TryStatusMessage(string body)
    {
        try
        {
            return JsonNode.Parse(body)?["message"]?.GetValue<string>();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }
}

/// <summary>The cluster could not be read; the message names what and why.</summary>
internal sealed class ClusterReadException(string message, HttpStatusCode? statusCode = null) : Exception(message)
{
    public HttpStatusCode? StatusCode { get; } = statusCode;
}
