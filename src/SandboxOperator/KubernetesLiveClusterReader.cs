using System.Net;
using k8s;
using k8s.Autorest;
using SandboxOperator.Controller.Caching;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Pods;
using SandboxOperator.Webhook.StateSources;

namespace SandboxOperator;

/// <summary>
/// Reads namespaces, AgentWorkloads, SandboxExceptions and pods from the API server with consistent (quorum) reads,
/// for the reviews the informer caches may be behind on. Uses the verbs the caches already need (get and list on
/// namespaces, pods, agentworkloads and sandboxexceptions), so it needs no further permission.
/// </summary>
internal sealed class KubernetesLiveClusterReader(IKubernetes client) : ILiveClusterReader
{
    private const int PageSize = 500;

    public async Task<IReadOnlyDictionary<string, string>?> NamespaceLabelsAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var ns = await client.CoreV1.ReadNamespaceAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
            return ObjectProjections.NamespaceLabels(ns);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<PodSpecView?> PodAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            var pod = await client.CoreV1.ReadNamespacedPodAsync(name, @namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            return PodProjection.Project(pod).View;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public Task<IReadOnlyList<AgentWorkload>> WorkloadsInAsync(string @namespace, CancellationToken cancellationToken) =>
        ListAsync(WellKnown.Plural, @namespace, item => ObjectProjections.Workload(item).Workload, cancellationToken);

    public Task<IReadOnlyList<SandboxException>> ExceptionsInAsync(string @namespace, CancellationToken cancellationToken) =>
        ListAsync(WellKnown.ExceptionPlural, @namespace, item => ObjectProjections.Exception(item).Exception, cancellationToken);

    /// <summary>Every page of <paramref name="plural"/> in the namespace, each item read as the caches read it; items whose spec is invalid are left out.</summary>
    private async Task<IReadOnlyList<T>> ListAsync<T>(string plural, string @namespace, Func<UnstructuredObject, T?> read, CancellationToken cancellationToken)
        where T : class
    {
        var objects = new List<T>();
        string? token = null;
        do
        {
            var page = await ClusterListWatchers.ListNamespacedAsync(client, plural, @namespace, token, PageSize, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items)
            {
                if (read(item) is { } value)
                {
                    objects.Add(value);
                }
            }

            token = string.IsNullOrEmpty(page.Continue) ? null : page.Continue;
        }
        while (token is not null);

        return objects;
    }
}
