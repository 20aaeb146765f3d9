using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Pods;

namespace SandboxOperator.Policy.Decisions;

/// <summary>
/// Which workloads claim a pod: the AgentWorkload its <c>agentsandbox.io/workload</c> label names, every AgentWorkload
/// whose selector matches its labels, and every classification rule of the configuration that matches it.
/// </summary>
public static class WorkloadClaims
{
    /// <summary>Whether <paramref name="workload"/> claims a pod with <paramref name="podLabels"/> (in the workload's namespace).</summary>
    public static bool Claims(AgentWorkload workload, IReadOnlyDictionary<string, string> podLabels) =>
        (podLabels.TryGetValue(WellKnown.WorkloadLabel, out var named) && named == workload.Name)
        || LabelSelectorMatcher.Matches(workload.Spec.Selector, podLabels);

    /// <summary>
    /// Whether <paramref name="rule"/> matches <paramref name="pod"/> in <paramref name="namespace"/>: each criterion the
    /// rule gives holds (its label selector, one of its owner kinds among the pod's own ownerReferences, its namespaces).
    /// </summary>
    public static bool Matches(ClassificationRule rule, PodSpecView pod, string @namespace)
    {
        var match = rule.Match;
        if (match.Namespaces is { } namespaces && !namespaces.Contains(@namespace))
        {
            return false;
        }

        if (match.Owners is { } owners && !HasOwner(pod.Owners, owners))
        {
            return false;
        }

        return match.Labels is null || LabelSelectorMatcher.Matches(match.Labels, pod.Labels);
    }

    private static bool HasOwner(IReadOnlyList<OwnerKind> podOwners, IReadOnlyList<OwnerKind> wanted)
    {
        for (var i = 0; i < podOwners.Count; i++)
        {
            for (var j = 0; j < wanted.Count; j++)
            {
                if (podOwners[i].Kind == wanted[j].Kind && podOwners[i].Group == wanted[j].Group)
                {
                    return true;
                }
            }
        }

        return false;
    }
}
