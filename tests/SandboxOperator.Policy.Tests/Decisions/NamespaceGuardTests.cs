using System.Text.Json.Nodes;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Decisions;
using static SandboxOperator.Policy.Tests.TestData;

namespace SandboxOperator.Policy.Tests.Decisions;

public class NamespaceGuardTests
{
    private static JsonObject Ns(string labels) => new() { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = "agents", ["labels"] = JsonNode.Parse(labels) } };

    private static readonly RequestUser Developer = new("dev@example.com", ["system:authenticated", "developers"]);
    private static readonly RequestUser Admin = new("root", ["system:masters"]);

    [Theory]
    [InlineData("""{"agentsandbox.io/enforce":"kata"}""", "{}", "removing agentsandbox.io/enforce=kata on namespace agents weakens sandbox enforcement and needs membership in one of: system:masters")]
    [InlineData("""{"agentsandbox.io/enforce":"kata"}""", """{"agentsandbox.io/enforce":"gvisor"}""", "changing agentsandbox.io/enforce from kata to \"gvisor\"")]
    [InlineData("{}", """{"agentsandbox.io/mode":"audit"}""", "setting agentsandbox.io/mode=audit")]
    [InlineData("""{"agentsandbox.io/mode":"enforce"}""", """{"agentsandbox.io/mode":"audit"}""", "setting agentsandbox.io/mode=audit")]
    public void Weakening_enforcement_labels_is_denied_for_ordinary_users(string before, string after, string expected)
    {
        var decision = Evaluate(Ns(after), op: AdmissionOperation.Update, old: Ns(before), user: Developer);
        Assert.False(decision.Allowed);
        Assert.Contains(expected, decision.Message, StringComparison.Ordinal);
        Assert.True(Evaluate(Ns(after), op: AdmissionOperation.Update, old: Ns(before), user: Admin).Allowed);
    }

    [Theory]
    [InlineData("{}", """{"agentsandbox.io/enforce":"kata"}""")]
    [InlineData("""{"agentsandbox.io/enforce":"kata"}""", """{"agentsandbox.io/enforce":"Kata"}""")]
    [InlineData("""{"agentsandbox.io/mode":"audit"}""", "{}")]
    [InlineData("""{"agentsandbox.io/enforce":"kata","team":"a"}""", """{"agentsandbox.io/enforce":"kata","team":"b"}""")]
    public void Strengthening_or_unrelated_changes_are_allowed(string before, string after)
    {
        Assert.True(Evaluate(Ns(after), op: AdmissionOperation.Update, old: Ns(before), user: Developer).Allowed);
    }

    [Fact]
    public void Removing_the_mode_label_when_the_global_mode_is_audit_is_a_weakening()
    {
        var config = SandboxOperator.Policy.Configuration.PolicyConfig.Default with { Mode = EnforcementMode.Audit };
        var decision = Evaluate(Ns("{}"), config: config, op: AdmissionOperation.Update, old: Ns("""{"agentsandbox.io/mode":"enforce"}"""), user: Developer);
        Assert.False(decision.Allowed);
        Assert.Contains("removing agentsandbox.io/mode", decision.Message, StringComparison.Ordinal);
    }
}
