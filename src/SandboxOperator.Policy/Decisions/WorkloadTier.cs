using SandboxOperator.Policy.Api;

namespace SandboxOperator.Policy.Decisions;

/// <summary>The tier computed for an AgentWorkload, with the reasons and any warnings about its spec.</summary>
public sealed record WorkloadTier(RiskTier Tier, IReadOnlyList<string> Reasons, IReadOnlyList<string> Warnings)
{
    public SandboxRuntime Runtime => TierNames.RuntimeFor(Tier);
}
