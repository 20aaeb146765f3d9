using SandboxOperator.Policy.Api;

namespace SandboxOperator.Policy.Decisions;

/// <summary>Which AgentWorkloads claim a pod: the one its <c>agentsandbox.io/workload</c> label names, and every one whose selector matches its labels.</summary>
public static class WorkloadClaims
{
    /// <summary>Whether <paramref name="workload"/> claims a pod with <paramref name="podLabels"/> (in the workload's namespace).</summary>
    public static bool Claims(AgentWorkload workload, IReadOnlyDictionary<string, string> podLabels) =>
        (podLabels.TryGetValue(WellKnown.WorkloadLabel, out var named) && named == workload.Name)
        || LabelSelectorMatcher.Matches(workload.Spec.Selector, podLabels);
}
