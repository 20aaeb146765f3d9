using SandboxOperator.Policy.Api;

namespace SandboxOperator.Policy.Decisions;

/// <summary>
/// The decision matrix: MCPServer, Agent and ExecTool are High; any trait makes a workload High;
/// Tool is Medium; Internal is Low. <c>spec.riskTier</c> raises the result and never lowers it.
/// </summary>
public static class Tiering
{
    public static WorkloadTier Compute(AgentWorkloadSpec spec)
    {
        var reasons = new List<string>(3);
        var warnings = new List<string>(0);
        var tier = spec.Type switch
        {
            WorkloadType.MCPServer => RiskTier.High,
            WorkloadType.Agent => RiskTier.High,
            WorkloadType.ExecTool => RiskTier.High,
            WorkloadType.Tool => RiskTier.Medium,
            _ => RiskTier.Low,
        };
        reasons.Add(spec.Type switch
        {
            WorkloadType.MCPServer => "type MCPServer: MCP tool servers run in Kata",
            WorkloadType.Agent => "type Agent: long-running agent sessions run in Kata",
            WorkloadType.ExecTool => "type ExecTool: code-execution tools run in Kata",
            WorkloadType.Tool => "type Tool: short-lived trusted tools run in gVisor",
            _ => "type Internal: stateless internal services run in runc with seccomp",
        });

        if (spec.Traits is { } traits)
        {
            AddTrait(traits.ExecutesUntrustedCode, "trait executesUntrustedCode: runs untrusted code", ref tier, reasons);
            AddTrait(traits.ProcessesUntrustedContent, "trait processesUntrustedContent: reads untrusted content", ref tier, reasons);
            AddTrait(traits.RunsThirdPartySkills, "trait runsThirdPartySkills: runs third-party skills", ref tier, reasons);
        }

        if (spec.RiskTier is { } requested)
        {
            if (requested > tier)
            {
                tier = requested;
                reasons.Add($"spec.riskTier {requested} raises the tier");
            }
            else if (requested < tier)
            {
                warnings.Add($"spec.riskTier {requested} is ignored: it can raise the tier, never lower it below {tier}");
            }
        }

        return new WorkloadTier(tier, reasons, warnings);
    }

    private static void AddTrait(bool set, string reason, ref RiskTier tier, List<string> reasons)
    {
        if (set)
        {
            tier = RiskTier.High;
            reasons.Add(reason);
        }
    }
}
