using System.Text.Json.Nodes;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using static SandboxOperator.Policy.Tests.Decisions.PodValidationTests;
using static SandboxOperator.Policy.Tests.TestData;

namespace SandboxOperator.Policy.Tests.Decisions;

/// <summary>Objects in namespaces no webhook sees are not covered, so the policy agrees with the cluster about them.</summary>
public class ExcludedNamespaceTests
{
    private static readonly string Anywhere = Spec("\"hostPID\":true,\"tolerations\":[{\"operator\":\"Exists\"}]");

    [Fact]
    public void Kube_system_is_excluded_by_default()
    {
        var decision = Evaluate(Controller("apps/v1", "DaemonSet", "tuner", "kube-system", "spec.template", Pod(labels: Mcp, spec: Anywhere)));
        Assert.True(decision.Allowed);
        Assert.False(decision.Covered);
        Assert.Equal(["namespace kube-system is excluded (excludedNamespaces): no webhook sees it"], decision.Reasons);
        Assert.Empty(decision.Patch);
    }

    [Fact]
    public void The_list_is_the_configuration_and_covers_the_namespaces_themselves()
    {
        var config = PolicyConfig.Default with { ExcludedNamespaces = new HashSet<string> { "platform" } };
        Assert.False(Evaluate(Pod(ns: "kube-system", spec: Anywhere), config: config).Allowed);
        Assert.False(Evaluate(Pod(ns: "platform", spec: Anywhere), config: config).Covered);

        var ns = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = "platform", ["labels"] = new JsonObject() } };
        var old = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = "platform", ["labels"] = new JsonObject { ["agentsandbox.io/enforce"] = "kata" } } };
        var decision = Evaluate(ns, config: config, op: AdmissionOperation.Update, old: old);
        Assert.False(decision.Covered);
    }
}
