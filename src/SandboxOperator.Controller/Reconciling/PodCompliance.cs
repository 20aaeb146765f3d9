using SandboxOperator.Controller.Caching;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Placement;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Controller.Reconciling;

/// <summary>
/// Whether a running pod complies with the policy: the same classification and validation the validating webhook
/// applies to a created pod that has already been mutated (<see cref="AdmissionEvaluator"/> with
/// <c>MutationApplied = true</c>), the operator's own labels included, so the controller and the webhook never
/// disagree about a pod; and, once the pod is bound, that its node has its RuntimeClass's handler
/// (<see cref="RuntimeHandlerProof.ForPod"/>). Pure.
/// </summary>
public static class PodCompliance
{
    /// <summary>The rules <paramref name="pod"/> breaks at <paramref name="now"/> (SandboxExceptions apply until they expire); empty when it complies.</summary>
    public static IReadOnlyList<Violation> Check(PodFacts pod, PolicyConfig config, IClusterState state, DateTimeOffset now)
    {
        if (pod.View is not { } view)
        {
            return [new Violation(RuleIds.Unreadable, "pod", $"the pod cannot be read: {pod.ReadError}")];
        }

        return PodVerdict.Evaluate(view, pod.Namespace, config, state, now).Violations;
    }

    /// <summary>Whether <paramref name="pod"/> belongs to <paramref name="workload"/>: labelled with its name, or matched by its selector.</summary>
    public static bool BelongsTo(PodFacts pod, AgentWorkload workload) => WorkloadClaims.Claims(workload, pod.Labels);
}
