using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Pods;

namespace SandboxOperator.Policy.State;

/// <summary>
/// What the policy knows about the cluster: a read-only view the webhook's caches, the CLI's manifests
/// and tests all implement. Lookups must be cheap (the webhook calls them on every review) and must
/// not block or perform I/O.
/// </summary>
public interface IClusterState
{
    /// <summary>The labels of a namespace, or null when the namespace is not known.</summary>
    IReadOnlyDictionary<string, string>? NamespaceLabels(string name);

    /// <summary>The AgentWorkloads of a namespace (empty when none).</summary>
    IReadOnlyList<AgentWorkload> WorkloadsIn(string @namespace);

    /// <summary>The SandboxExceptions of a namespace (empty when none), expired ones included: whether one applies depends on the time of the decision.</summary>
    IReadOnlyList<SandboxException> ExceptionsIn(string @namespace);

    /// <summary>A RuntimeClass by name, or null when not known.</summary>
    RuntimeClassInfo? RuntimeClass(string name);

    /// <summary>A Node by name, or null when not known.</summary>
    NodeInfo? Node(string name);

    /// <summary>
    /// Whether the state holds the cluster's nodes, so that a node it does not know is not one of the cluster's. The
    /// webhook's caches do; manifests without a single Node object do not, and there a <c>nodeName</c> names a node
    /// whose pool is unknown.
    /// </summary>
    bool KnowsNodes => true;

    /// <summary>A pod as the policy read it, or null when not known (bindings and ephemeral containers are judged from it).</summary>
    PodSpecView? Pod(string @namespace, string name);
}

/// <summary>A RuntimeClass: its handler and the scheduling Kubernetes merges into pods that use it.</summary>
public sealed record RuntimeClassInfo(
    string Name,
    string Handler,
    IReadOnlyDictionary<string, string> NodeSelector,
    IReadOnlyList<Toleration> Tolerations);

/// <summary>A Node: labels and taints decide which pool it is in.</summary>
/// <param name="RuntimeHandlers">
/// The names in <c>status.runtimeHandlers</c> (reported by kubelets of Kubernetes 1.30 and later whose container runtime
/// supports it); null when the node reports none, so which handlers it has is unknown.
/// </param>
public sealed record NodeInfo(
    string Name,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<NodeTaint> Taints,
    bool Ready = true,
    IReadOnlyList<string>? RuntimeHandlers = null);

/// <summary>A node taint.</summary>
public sealed record NodeTaint(string Key, string Value, string Effect);
