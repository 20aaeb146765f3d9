using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Pods;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Policy.Placement;

/// <summary>
/// Whether the nodes pods are sent to really have the RuntimeClass's handler. Two kinds of evidence count: the node's
/// own <c>status.runtimeHandlers</c> (Kubernetes 1.30 and later; authoritative when present), and, for Kata only,
/// kata-deploy's node label <c>katacontainers.io/kata-runtime</c>, which it sets to <c>true</c> once Kata is installed
/// and to <c>cleanup</c> while removing it (kata-containers/kata-containers, tools/packaging/kata-deploy/README.md).
/// A node with neither is unverified: nothing is claimed about it, and it is never reported as fine. Pure.
/// </summary>
public static class RuntimeHandlerProof
{
    /// <summary>The label kata-deploy puts on the nodes it installed Kata on.</summary>
    public const string KataDeployLabel = "katacontainers.io/kata-runtime";

    /// <summary>What a node says about <paramref name="handler"/>, which runs <paramref name="runtime"/>.</summary>
    public static HandlerEvidence OnNode(NodeInfo node, string handler, SandboxRuntime runtime)
    {
        if (node.RuntimeHandlers is { Count: > 0 } reported)
        {
            return reported.Contains(handler, StringComparer.Ordinal) ? HandlerEvidence.Advertised : HandlerEvidence.Absent;
        }

        if (runtime == SandboxRuntime.Kata && node.Labels.TryGetValue(KataDeployLabel, out var value))
        {
            return value == "true" ? HandlerEvidence.KataDeployLabel : HandlerEvidence.Absent;
        }

        return HandlerEvidence.Unreported;
    }

    /// <summary>
    /// How the pool of <paramref name="pool"/> stands for <paramref name="handler"/> (the RuntimeClass's handler): every
    /// node carrying the pool's label is checked. Missing when any of them lacks it; otherwise unverified when any
    /// reports nothing or the pool has no nodes; verified only when every node proves it.
    /// </summary>
    public static PoolHandlerProof ForPool(RuntimeSettings pool, string handler, IEnumerable<NodeInfo> nodes)
    {
        var verified = new List<string>();
        var missing = new List<string>();
        var unreported = new List<string>();
        foreach (var node in nodes)
        {
            if (!node.Labels.TryGetValue(pool.Pool.Label.Key, out var v) || v != pool.Pool.Label.Value)
            {
                continue;
            }

            (OnNode(node, handler, pool.Runtime) switch
            {
                HandlerEvidence.Advertised or HandlerEvidence.KataDeployLabel => verified,
                HandlerEvidence.Absent => missing,
                _ => unreported,
            }).Add(node.Name);
        }

        missing.Sort(StringComparer.Ordinal);
        unreported.Sort(StringComparer.Ordinal);
        var state = missing.Count > 0 ? HandlerProofState.Missing
            : unreported.Count > 0 || verified.Count == 0 ? HandlerProofState.Unverified
            : HandlerProofState.Verified;
        return new PoolHandlerProof(pool.Runtime, handler, state, verified.Count, missing, unreported);
    }

    /// <summary>
    /// The violation of a pod bound to a node that reports its runtime handlers without the handler of the pod's
    /// RuntimeClass (the kubelet cannot start it there); null when the pod is unbound, has no known RuntimeClass, its
    /// node is unknown, or the node proves the handler or reports nothing.
    /// </summary>
    public static Violation? ForPod(PodSpecView pod, PolicyConfig config, IClusterState state)
    {
        if (pod.NodeName is not { Length: > 0 } nodeName
            || !pod.RuntimeClassNameSet
            || pod.RuntimeClassName is not { Length: > 0 } className
            || state.RuntimeClass(className) is not { } rc
            || state.Node(nodeName) is not { } node)
        {
            return null;
        }

        var runtime = RuntimeResolver.Resolve(className, config, state);
        if (OnNode(node, rc.Handler, runtime) != HandlerEvidence.Absent)
        {
            return null;
        }

        return new Violation(RuleIds.RuntimeHandlerMissing, "nodeName",
            $"the pod is on node {nodeName}, which does not have handler \"{rc.Handler}\" of RuntimeClass \"{className}\" ({Describe(node)}), so it cannot run there; install the runtime on the node or take the node out of the pool");
    }

    /// <summary>What a node reports, for messages.</summary>
    public static string Describe(NodeInfo node) =>
        node.RuntimeHandlers is { Count: > 0 } reported
            ? $"it reports handlers {string.Join(", ", reported.Select(h => h.Length == 0 ? "(default)" : h))}"
            : node.Labels.TryGetValue(KataDeployLabel, out var v) ? $"it is labelled {KataDeployLabel}={v}" : "it reports no runtime handlers";
}

/// <summary>What one node says about one runtime handler.</summary>
public enum HandlerEvidence
{
    /// <summary>The node reports runtime handlers, and the handler is not among them (or kata-deploy's label is not <c>true</c>).</summary>
    Absent,

    /// <summary>The handler is in the node's <c>status.runtimeHandlers</c>.</summary>
    Advertised,

    /// <summary>The node reports no handlers, and kata-deploy labelled it <c>katacontainers.io/kata-runtime=true</c> (Kata only).</summary>
    KataDeployLabel,

    /// <summary>The node reports nothing (Kubernetes before 1.30, or a container runtime that does not tell): unknown.</summary>
    Unreported,
}

/// <summary>How a pool's nodes stand for a handler, from the strongest finding down.</summary>
public enum HandlerProofState
{
    /// <summary>Every node of the pool proves the handler.</summary>
    Verified,

    /// <summary>At least one node of the pool lacks the handler.</summary>
    Missing,

    /// <summary>No node lacks it, but some (or all) report nothing, or the pool has no nodes: unknown, never fine.</summary>
    Unverified,
}

/// <summary>A pool's handler proof: the state, how many nodes prove the handler, and the nodes that lack it or report nothing (sorted).</summary>
public sealed record PoolHandlerProof(
    SandboxRuntime Runtime,
    string Handler,
    HandlerProofState State,
    int VerifiedNodes,
    IReadOnlyList<string> MissingOn,
    IReadOnlyList<string> UnreportedOn);
