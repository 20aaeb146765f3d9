using System.Text.Json.Nodes;
using SandboxOperator.Webhook.Tests.Support;

namespace SandboxOperator.Webhook.Tests.Admission;

/// <summary>AgentWorkload reviews at /validate: the warnings about a spec reach kubectl, unreadable specs are refused.</summary>
public sealed class AgentWorkloadReviewTests(SharedHost shared) : IClassFixture<SharedHost>
{
    private static readonly (string Group, string Version, string Kind, string Resource) AgentWorkload = ("agentsandbox.io", "v1alpha1", "AgentWorkload", "agentworkloads");

    private static JsonObject Workload(string spec) => new()
    {
        ["apiVersion"] = "agentsandbox.io/v1alpha1",
        ["kind"] = "AgentWorkload",
        ["metadata"] = JsonNode.Parse("""{"name":"scraper","namespace":"tools","uid":"5b1f","generation":1,"managedFields":[{"manager":"kubectl"}]}"""),
        ["spec"] = JsonNode.Parse(spec),
        ["status"] = new JsonObject(),
    };

    [Fact]
    public async Task An_ignored_risk_tier_comes_back_as_a_warning_on_create_and_update()
    {
        var low = Workload("""{"type":"Agent","riskTier":"Low","selector":{"matchLabels":{"app":"scraper"}}}""");
        foreach (var review in new[] { Reviews.Request(AgentWorkload, "CREATE", "tools", low), Reviews.Request(AgentWorkload, "UPDATE", "tools", low, Workload("""{"type":"Agent"}""")) })
        {
            var response = await shared.Host.ReviewAsync("/validate", review);
            Assert.True(response.Allowed);
            Assert.Equal(["spec.riskTier Low is ignored: it can raise the tier, never lower it below High"], response.Warnings);
        }
    }

    [Fact]
    public async Task An_unreadable_spec_is_refused_with_400()
    {
        var response = await shared.Host.ReviewAsync("/validate", Reviews.Request(AgentWorkload, "CREATE", "tools", Workload("""{"type":"Tool","traits":{"runsThirdPartySkills":"yes"}}""")));
        Assert.False(response.Allowed);
        Assert.Equal(400, response.Code);
        Assert.Equal("cannot read the AgentWorkload: spec.traits.runsThirdPartySkills: must be a boolean (true or false), got string \"yes\"", response.Message);
    }

    [Fact]
    public async Task A_pod_in_an_excluded_namespace_is_not_judged()
    {
        var pod = Reviews.PodObject("proxy", "kube-system", new Dictionary<string, string> { ["agentsandbox.io/workload-type"] = "mcp-server" }, runtimeClassName: "gvisor");
        var response = await shared.Host.ReviewAsync("/validate", Reviews.Request(Reviews.Pod, "CREATE", "kube-system", pod));
        Assert.True(response.Allowed);
        Assert.Empty(response.Warnings);
    }
}
