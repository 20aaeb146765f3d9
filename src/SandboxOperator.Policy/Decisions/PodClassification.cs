using SandboxOperator.Policy.Api;

namespace SandboxOperator.Policy.Decisions;

/// <summary>
/// Whether a pod is managed and at which tier. <see cref="Tier"/> is null for unmanaged pods, which are
/// not mutated but still subject to node-pool separation.
/// </summary>
/// <param name="Workload">The AgentWorkload whose tier decided, if any.</param>
/// <param name="KataRequiredBecause">Set when the pod must run in Kata whatever else is said: an MCP pod or a Kata-enforced namespace.</param>
public sealed record PodClassification(
    RiskTier? Tier,
    IReadOnlyList<string> Reasons,
    string? Workload,
    string? KataRequiredBecause,
    IReadOnlyList<string> Warnings)
{
    public bool Managed => Tier is not null;

    public static PodClassification Unmanaged { get; } = new(null, [], null, null, []);
}
