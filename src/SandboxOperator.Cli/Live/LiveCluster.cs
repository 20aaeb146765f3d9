using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Manifests;
using SandboxOperator.Policy.Pods;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Cli.Live;

/// <summary>Where the policy comes from: a file (<c>--config</c>) or the operator's ConfigMap (<c>--operator-namespace</c>, <c>--operator-configmap</c>).</summary>
internal sealed record PolicySource(string? File, string Namespace, string ConfigMap)
{
    public const string Key = "policy.yaml";
}

/// <summary>A pod as read from the cluster: its view, or why it cannot be read.</summary>
internal sealed record LivePod(string Namespace, string Name, string? Phase, PodSpecView? View, string? Error)
{
    public bool Terminated => Phase is "Succeeded" or "Failed";
}

/// <summary>
/// What the policy needs from a live cluster, read once: the policy the operator runs, and the namespaces,
/// AgentWorkloads, SandboxExceptions (none when their CRD is not installed), RuntimeClasses and Nodes, turned into a <see cref="ClusterSnapshot"/> by the same reader
/// <c>sandboxctl evaluate</c> uses for manifests. Any read that fails is an error: a decision from a partial state
/// would be a guess.
/// </summary>
internal sealed record LiveCluster(PolicyConfig Policy, string PolicyFrom, ClusterSnapshot State, IReadOnlyList<string> Notes)
{
    public static async Task<LiveCluster> ReadAsync(IKubernetes client, PolicySource source, CancellationToken cancellationToken)
    {
        var (policy, from) = await PolicyAsync(client, source, cancellationToken).ConfigureAwait(false);
        var reader = new ClusterReader(client);
        var docs = new List<ManifestDocument>();
        foreach (var list in new[] { reader.NamespacesAsync(cancellationToken), reader.RuntimeClassesAsync(cancellationToken), reader.NodesAsync(cancellationToken), reader.AgentWorkloadsAsync(cancellationToken) })
        {
            await foreach (var doc in list.ConfigureAwait(false))
            {
                docs.Add(doc);
            }
        }

        docs.AddRange(await reader.ExceptionsAsync(cancellationToken).ConfigureAwait(false) ?? []);
        var set = ManifestSet.From(docs);
        // The cluster's nodes are all here, even when there are none.
        var state = new ClusterSnapshot(
            set.State.Namespaces.Select(n => new KeyValuePair<string, IReadOnlyDictionary<string, string>>(n, set.State.NamespaceLabels(n)!)),
            set.State.Workloads, set.State.RuntimeClasses, set.State.Nodes, exceptions: set.State.Exceptions);
        return new LiveCluster(policy, from, state, [.. set.Errors.Select(e => $"ignored: {e.Message}")]);
    }

    /// <summary>Reads one pod; a pod that does not exist is an error naming it.</summary>
    public static async Task<LivePod> ReadPodAsync(IKubernetes client, string @namespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            var pod = await client.CoreV1.ReadNamespacedPodAsync(name, @namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            return Project(pod);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new CliException($"pod {name} not found in namespace {@namespace}");
        }
        catch (HttpOperationException e)
        {
            throw Refused($"pod {@namespace}/{name}", e);
        }
    }

    /// <summary>The pods of <paramref name="namespace"/>, or of every namespace when it is null.</summary>
    public static async Task<IReadOnlyList<LivePod>> ListPodsAsync(IKubernetes client, string? @namespace, CancellationToken cancellationToken)
    {
        var list = await Read("pods", () => @namespace is null
            ? client.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: cancellationToken)
            : client.CoreV1.ListNamespacedPodAsync(@namespace, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. list.Items.Select(Project)];
    }

    private static LivePod Project(k8s.Models.V1Pod pod)
    {
        var json = KubernetesJson.Serialize(pod);
        using var doc = JsonDocument.Parse(json);
        var (view, errors) = PodSpecReader.Read(doc.RootElement);
        return new LivePod(pod.Metadata.NamespaceProperty, pod.Metadata.Name, pod.Status?.Phase, view, errors.Count > 0 ? string.Join("; ", errors.Take(3)) : null);
    }

    private static async Task<(PolicyConfig, string)> PolicyAsync(IKubernetes client, PolicySource source, CancellationToken cancellationToken)
    {
        string yaml;
        string from;
        if (source.File is { } file)
        {
            if (!System.IO.File.Exists(file))
            {
                throw new CliException($"--config {file}: no such file");
            }

            (yaml, from) = (await System.IO.File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false), file);
        }
        else
        {
            from = $"ConfigMap {source.Namespace}/{source.ConfigMap}";
            yaml = await new ClusterReader(client).ConfigMapKeyAsync(source.Namespace, source.ConfigMap, PolicySource.Key, cancellationToken).ConfigureAwait(false)
                ?? throw new CliException($"the operator's policy, {from} key {PolicySource.Key}, does not exist: pass --operator-namespace and --operator-configmap of the chart's release, or --config FILE");
        }

        var (config, errors) = PolicyConfigLoader.Load(yaml, from);
        return config is null ? throw new CliException(string.Join("; ", errors)) : (config, from);
    }

    private static async Task<T> Read<T>(string what, Func<Task<T>> read)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (HttpOperationException e)
        {
            throw Refused(what, e);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach the API server to read {what}: {e.Message}");
        }
    }

    private static CliException Refused(string what, HttpOperationException e) => new(
        $"reading {what} failed: {(int)e.Response.StatusCode} {e.Response.ReasonPhrase}{(e.Response.StatusCode == HttpStatusCode.Forbidden ? " (your user may not read it; kubectl auth can-i get " + what + ")" : "")}");
}
