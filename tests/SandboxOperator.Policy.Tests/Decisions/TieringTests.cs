using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Decisions;

namespace SandboxOperator.Policy.Tests.Decisions;

public class TieringTests
{
    [Theory]
    [InlineData(WorkloadType.MCPServer, RiskTier.High)]
    [InlineData(WorkloadType.Agent, RiskTier.High)]
    [InlineData(WorkloadType.ExecTool, RiskTier.High)]
    [InlineData(WorkloadType.Tool, RiskTier.Medium)]
    [InlineData(WorkloadType.Internal, RiskTier.Low)]
    public void Type_sets_the_tier(WorkloadType type, RiskTier expected)
    {
        var result = Tiering.Compute(new AgentWorkloadSpec { Type = type });
        Assert.Equal(expected, result.Tier);
        Assert.Single(result.Reasons);
        Assert.Empty(result.Warnings);
    }

    [Theory]
    [InlineData(true, false, false, "executesUntrustedCode")]
    [InlineData(false, true, false, "processesUntrustedContent")]
    [InlineData(false, false, true, "runsThirdPartySkills")]
    public void Any_trait_makes_a_tool_High(bool code, bool content, bool skills, string reasonWord)
    {
        var spec = new AgentWorkloadSpec { Type = WorkloadType.Internal, Traits = new WorkloadTraits { ExecutesUntrustedCode = code, ProcessesUntrustedContent = content, RunsThirdPartySkills = skills } };
        var result = Tiering.Compute(spec);
        Assert.Equal(RiskTier.High, result.Tier);
        Assert.Equal(SandboxRuntime.Kata, result.Runtime);
        Assert.Contains(result.Reasons, r => r.Contains(reasonWord, StringComparison.Ordinal));
    }

    [Fact]
    public void RiskTier_raises_the_tier()
    {
        var result = Tiering.Compute(new AgentWorkloadSpec { Type = WorkloadType.Internal, RiskTier = RiskTier.Medium });
        Assert.Equal(RiskTier.Medium, result.Tier);
        Assert.Contains(result.Reasons, r => r.Contains("spec.riskTier Medium raises", StringComparison.Ordinal));
    }

    [Fact]
    public void RiskTier_never_lowers_the_tier_and_warns()
    {
        var result = Tiering.Compute(new AgentWorkloadSpec { Type = WorkloadType.MCPServer, RiskTier = RiskTier.Low });
        Assert.Equal(RiskTier.High, result.Tier);
        var warning = Assert.Single(result.Warnings);
        Assert.Contains("spec.riskTier Low is ignored", warning, StringComparison.Ordinal);
        Assert.True(warning.Length <= 120, warning);
    }
}
