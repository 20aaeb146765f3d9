using System.Text.Json;
using System.Text.Json.Nodes;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.State;
using static SandboxOperator.Policy.Tests.TestData;

namespace SandboxOperator.Policy.Tests.Decisions;

/// <summary>AgentWorkloads at admission: their tier, and the warnings about their spec that reach the user.</summary>
public class AgentWorkloadAdmissionTests
{
    private static JsonObject Workload(string spec, string ns = "tools") => new()
    {
        ["apiVersion"] = WellKnown.ApiVersion,
        ["kind"] = WellKnown.Kind,
        ["metadata"] = new JsonObject { ["name"] = "w", ["namespace"] = ns },
        ["spec"] = JsonNode.Parse(spec),
    };

    [Fact]
    public void A_risk_tier_below_the_computed_one_is_allowed_with_a_warning()
    {
        var decision = Evaluate(Workload("""{"type":"MCPServer","riskTier":"Low"}"""));
        Assert.True(decision.Allowed);
        Assert.Equal(RiskTier.High, decision.Tier);
        Assert.Equal(SandboxRuntime.Kata, decision.Runtime);
        Assert.Equal("kata", decision.RuntimeClassName);
        Assert.Equal("w", decision.Workload);
        Assert.Equal(["spec.riskTier Low is ignored: it can raise the tier, never lower it below High"], decision.Warnings);
        Assert.Equal(["type MCPServer: MCP tool servers run in Kata"], decision.Reasons);
    }

    [Fact]
    public void A_risk_tier_that_raises_is_a_reason_and_no_warning()
    {
        var decision = Evaluate(Workload("""{"type":"Internal","riskTier":"Medium"}"""), op: AdmissionOperation.Update, old: Workload("""{"type":"Internal"}"""));
        Assert.True(decision.Allowed);
        Assert.Equal(RiskTier.Medium, decision.Tier);
        Assert.Equal("gvisor", decision.RuntimeClassName);
        Assert.Contains("spec.riskTier Medium raises the tier", decision.Reasons);
        Assert.Empty(decision.Warnings);
    }

    [Theory]
    [InlineData(EnforcementMode.Enforce)]
    [InlineData(EnforcementMode.Audit)]
    public void An_unreadable_workload_is_refused_with_400_in_either_mode(EnforcementMode mode)
    {
        var decision = Evaluate(Workload("""{"type":"Mcp","traits":{"executesUntrustedCode":"yes"}}"""), config: PolicyConfig.Default with { Mode = mode });
        Assert.False(decision.Allowed);
        Assert.Equal(400, decision.StatusCode);
        Assert.Equal("cannot read the AgentWorkload: spec.type: Unsupported value \"Mcp\": supported values: MCPServer, Agent, ExecTool, Tool, Internal; spec.traits.executesUntrustedCode: must be a boolean (true or false), got string \"yes\"", decision.Message);
    }

    [Fact]
    public void Fields_the_crd_schema_prunes_are_not_read_at_admission_and_delete_is_allowed()
    {
        Assert.True(Evaluate(Workload("""{"type":"Tool","replicas":3}""")).Allowed);
        Assert.True(Evaluate(Workload("""{"type":"Nonsense"}"""), op: AdmissionOperation.Delete).Allowed);
        var status = new AdmissionRequest(AdmissionOperation.Update, WellKnown.Group, WellKnown.Kind, "tools", "w",
            JsonSerializer.SerializeToElement(Workload("""{"type":"Nonsense"}""")), SubResource: "status");
        Assert.True(AdmissionEvaluator.Evaluate(status, PolicyConfig.Default, ClusterSnapshot.Empty, TestData.Now).Allowed);
    }
}
