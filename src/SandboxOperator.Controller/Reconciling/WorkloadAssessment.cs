using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Decisions;

namespace SandboxOperator.Controller.Reconciling;

/// <summary>The desired status of an AgentWorkload and the findings behind it (for Events).</summary>
/// <param name="Tier">The computed tier; null when the spec is invalid.</param>
public sealed record WorkloadAssessment(AgentWorkloadStatus Status, WorkloadTier? Tier, IReadOnlyList<PodIssue> NonCompliantPods);

/// <summary>A pod of a workload that breaks the policy, with the first violation's message.</summary>
public sealed record PodIssue(string Pod, string Uid, string Message);
