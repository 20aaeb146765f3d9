using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Pods;

namespace SandboxOperator.Webhook.StateSources;

/// <summary>
/// Reads, straight from the API server, what an informer cache may not have seen yet. Registered only when the host
/// runs against a cluster; with <c>--state-dir</c> the static state is authoritative and there is nothing to read.
/// </summary>
/// <remarks>
/// Contract: every read is consistent (a quorum read, no resourceVersion), so it sees every object whose creation the
/// API server has acknowledged. A failure or a cancellation is thrown, never answered with "absent": the caller must
/// deny rather than decide without the answer.
/// </remarks>
public interface ILiveClusterReader
{
    /// <summary>The labels of a namespace, or null when the API server says it does not exist (404).</summary>
    Task<IReadOnlyDictionary<string, string>?> NamespaceLabelsAsync(string name, CancellationToken cancellationToken);

    /// <summary>The AgentWorkloads of a namespace whose spec is valid (as the caches hold them), every page of them.</summary>
    Task<IReadOnlyList<AgentWorkload>> WorkloadsInAsync(string @namespace, CancellationToken cancellationToken);

    /// <summary>The SandboxExceptions of a namespace whose spec is valid (as the caches hold them), every page of them.</summary>
    Task<IReadOnlyList<SandboxException>> ExceptionsInAsync(string @namespace, CancellationToken cancellationToken);

    /// <summary>A pod as the policy reads it (as the caches hold it), or null when the API server says it does not exist (404).</summary>
    Task<PodSpecView?> PodAsync(string @namespace, string name, CancellationToken cancellationToken);
}
