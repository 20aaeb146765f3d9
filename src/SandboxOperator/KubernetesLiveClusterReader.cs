using System.Net;
using k8s;
using k8s.Autorest;
using SandboxOperator.Controller.Caching;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Pods;
using SandboxOperator.Webhook.StateSources;

namespace SandboxOperator;

/// <summary>
/// Reads namespaces, AgentWorkloads and pods from the API server with consistent (quorum) reads, for the reviews the
/// informer caches may be behind on. Uses the verbs the caches already need (get and list on namespaces, pods and
/// agentworkloads), so it needs no further permission.
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

    public async Task<IReadOnlyList<AgentWorkload>> WorkloadsInAsync(string @namespace, CancellationToken cancellationToken)
    {
        var workloads = new List<AgentWorkload>();
        string? token = null;
        do
        {
            var page = await ClusterListWatchers.ListWorkloadsInAsync(client, @namespace, token, PageSize, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items)
            {
                if (ObjectProjections.Workload(item).Workload is { } workload)
                {
                    workloads.Add(workload);
                }
            }

            token = string.IsNullOrEmpty(page.Continue) ? null : page.Continue;
        }
        while (token is not null);

        return workloads;
    }
}
