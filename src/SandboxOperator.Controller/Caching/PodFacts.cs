using SandboxOperator.Policy.Pods;

namespace SandboxOperator.Controller.Caching;

/// <summary>
/// What the controller keeps of a pod: identity, phase and a reduced <see cref="PodSpecView"/> holding only the
/// fields the classifier and validator read (labels, runtimeClassName, nodeName, nodeSelector, tolerations, required
/// node affinity, host namespaces, hostPath volumes, and only those containers that are privileged or seccomp
/// Unconfined). Null <see cref="View"/> means the pod could not be read; <see cref="ReadError"/> says why.
/// </summary>
public sealed record PodFacts(string Namespace, string Name, string Uid, string? Phase, PodSpecView? View, string? ReadError)
{
    /// <summary>Succeeded and Failed pods no longer run and are left out of compliance counts.</summary>
    public bool Terminated => Phase is "Succeeded" or "Failed";

    public IReadOnlyDictionary<string, string> Labels => View?.Labels ?? PodProjection.NoLabels;

    /// <summary>What the pod needs beyond a stateless function, for the edge-isolate advice; null when not read.</summary>
    public Policy.Edge.EdgePodFacts? Edge { get; init; }
}
