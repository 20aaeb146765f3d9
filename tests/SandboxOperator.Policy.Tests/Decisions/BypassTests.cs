using System.Text.Json.Nodes;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.State;
using static SandboxOperator.Policy.Tests.Decisions.PodValidationTests;
using static SandboxOperator.Policy.Tests.TestData;

namespace SandboxOperator.Policy.Tests.Decisions;

/// <summary>
/// The attacker's list: every way found so far that a pod spec, a controller, an UPDATE or a namespace
/// change could put agent code on a weaker runtime or a wrong pool, or evade the MCP rule. Each row
/// must end in a denial (or, for marker labels, in Kata). Keep it growing.
/// </summary>
public class BypassTests
{
    private static readonly NodeInfo KataNode = new("kata-1", new Dictionary<string, string> { ["agentsandbox.io/pool"] = "kata" }, [new NodeTaint("agentsandbox.io/pool", "kata", "NoSchedule")]);

    public static TheoryData<string, JsonObject, ClusterSnapshot> Denied => new()
    {
        { "class name differing in case", Pod(labels: Mcp, spec: Spec("\"runtimeClassName\":\"KATA\"")), ClusterSnapshot.Empty },
        { "class name with whitespace", Pod(labels: Mcp, spec: Spec("\"runtimeClassName\":\" kata\"")), ClusterSnapshot.Empty },
        { "class name with a homoglyph (Cyrillic a)", Pod(labels: Mcp, spec: Spec("\"runtimeClassName\":\"k\u0430ta\"")), ClusterSnapshot.Empty },
        { "empty class instead of an absent one", Pod(labels: Mcp, spec: Spec("\"runtimeClassName\":\"\"")), ClusterSnapshot.Empty },
        { "RuntimeClass named kata whose handler is runc", Pod(labels: Mcp, spec: Spec("\"runtimeClassName\":\"kata\"")), Cluster(runtimeClasses: [new RuntimeClassInfo("kata", "runc", new Dictionary<string, string>(), [])]) },
        { "mutation fills kata but the kata RuntimeClass has a runc handler", Pod(labels: Mcp), Cluster(runtimeClasses: [new RuntimeClassInfo("kata", "runc", new Dictionary<string, string>(), [])]) },
        { "wildcard toleration on an unmanaged pod", Pod(spec: Spec("\"tolerations\":[{\"operator\":\"Exists\"}]")), ClusterSnapshot.Empty },
        { "wildcard toleration limited to NoSchedule", Pod(spec: Spec("\"tolerations\":[{\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]")), ClusterSnapshot.Empty },
        { "exact toleration of the kata taint with an empty effect", Pod(spec: Spec("\"tolerations\":[{\"key\":\"agentsandbox.io/pool\",\"operator\":\"Equal\",\"value\":\"kata\"}]")), ClusterSnapshot.Empty },
        { "affinity terms combined with OR, one of them the kata pool", Pod(spec: Spec("\"tolerations\":[{\"operator\":\"Exists\"}],\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"a\"]}]},{\"matchExpressions\":[{\"key\":\"agentsandbox.io/pool\",\"operator\":\"NotIn\",\"values\":[\"gvisor\"]}]}]}}}")), ClusterSnapshot.Empty },
        { "direct nodeName onto a kata node (skips the scheduler and taints)", Pod(spec: Spec("\"nodeName\":\"kata-1\"")), Cluster(nodes: [KataNode]) },
        { "matchFields on node name onto a kata node", Pod(spec: Spec("\"tolerations\":[{\"operator\":\"Exists\"}],\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":{\"nodeSelectorTerms\":[{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"In\",\"values\":[\"kata-1\"]}]}]}}}")), Cluster(nodes: [KataNode]) },
        { "a foreign RuntimeClass whose scheduling tolerates everything", Pod(spec: Spec("\"runtimeClassName\":\"fast\"")), Cluster(runtimeClasses: [new RuntimeClassInfo("fast", "runc", new Dictionary<string, string>(), [new("", "Exists", "", "")])]) },
        { "kata pod asking for the gvisor pool", Pod(labels: Mcp, spec: Spec("\"tolerations\":[{\"operator\":\"Exists\"}],\"nodeSelector\":{\"agentsandbox.io/pool\":\"gvisor\"}")), ClusterSnapshot.Empty },
        { "privileged ephemeral container", Pod(labels: Mcp, spec: """{"containers":[{"name":"c","image":"x"}],"ephemeralContainers":[{"name":"d","image":"x","securityContext":{"privileged":true}}]}"""), ClusterSnapshot.Empty },
        { "seccomp Unconfined on an init container", Pod(labels: Mcp, spec: """{"initContainers":[{"name":"i","image":"x","securityContext":{"seccompProfile":{"type":"Unconfined"}}}],"containers":[{"name":"c","image":"x"}]}"""), ClusterSnapshot.Empty },
        { "pod claims a Low workload but carries the MCP label", Pod(labels: """{"app":"i","agentsandbox.io/workload-type":"mcp-server"}""", spec: Spec("\"runtimeClassName\":\"gvisor\"")), Cluster([Workload("i", WorkloadType.Internal, matchApp: "i")]) },
        { "explicit lower riskTier on an MCP workload", Pod(labels: """{"app":"m"}""", spec: Spec("\"runtimeClassName\":\"gvisor\"")), Cluster([Workload("m", WorkloadType.MCPServer, matchApp: "m", riskTier: RiskTier.Low)]) },
        { "mode label in the wrong case does not switch to audit", Pod(ns: "n", labels: Mcp, spec: Spec("\"runtimeClassName\":\"gvisor\"")), Cluster(namespaces: new() { ["n"] = new() { [WellKnown.ModeLabel] = "Audit" } }) },
        { "malformed field that would read as false", Pod(labels: Mcp, spec: Spec("\"hostNetwork\":\"true\"")), ClusterSnapshot.Empty },
    };

    [Theory]
    [MemberData(nameof(Denied))]
    public void Attempt_is_denied(string attempt, JsonObject pod, ClusterSnapshot state)
    {
        var decision = Evaluate(pod, state);
        Assert.False(decision.Allowed, $"bypass: {attempt} was allowed");
        Assert.NotNull(decision.Message);
    }

    [Theory]
    [InlineData("MCP-Server")]
    [InlineData("mcp-server ")]
    [InlineData("Mcp-Server")]
    public void Near_miss_mcp_labels_still_mean_kata(string value)
    {
        var decision = Evaluate(Pod(labels: $$"""{"agentsandbox.io/workload-type":"{{value}}"}"""));
        Assert.Equal(RiskTier.High, decision.Tier);
        Assert.Equal("kata", decision.RuntimeClassName);
    }

    [Theory]
    [InlineData("Kata")]
    [InlineData(" kata")]
    public void Near_miss_enforce_labels_still_enforce(string value)
    {
        var decision = Evaluate(Pod(ns: "n", spec: Spec("\"runtimeClassName\":\"gvisor\"")), Cluster(namespaces: new() { ["n"] = new() { [WellKnown.EnforceLabel] = value } }));
        Assert.False(decision.Allowed);
    }

    [Fact]
    public void Update_of_a_pending_pod_adding_a_wildcard_toleration_is_denied()
    {
        var pending = Mutated(Pod(), Evaluate(Pod()));
        var widened = (JsonObject)pending.DeepClone();
        widened["spec"]!["tolerations"] = JsonNode.Parse("""[{"operator":"Exists"}]""");
        Assert.False(Evaluate(widened, op: AdmissionOperation.Update, old: pending, mutationApplied: true).Allowed);
    }

    [Fact]
    public void Deployment_update_that_drops_kata_from_the_template_is_denied()
    {
        var before = Controller("apps/v1", "Deployment", "d", "default", "spec.template", Pod(labels: Mcp, spec: Spec("\"runtimeClassName\":\"kata\"")));
        var after = Controller("apps/v1", "Deployment", "d", "default", "spec.template", Pod(labels: Mcp, spec: Spec("\"runtimeClassName\":\"runc\"")));
        Assert.False(Evaluate(after, op: AdmissionOperation.Update, old: before).Allowed);
    }

    [Fact]
    public void Relabelling_a_namespace_to_drop_enforcement_is_denied()
    {
        var before = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = "agents", ["labels"] = new JsonObject { [WellKnown.EnforceLabel] = "kata" } } };
        var after = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = "agents", ["labels"] = new JsonObject { [WellKnown.EnforceLabel] = "none" } } };
        Assert.False(Evaluate(after, op: AdmissionOperation.Update, old: before, user: new RequestUser("mallory", ["system:authenticated"])).Allowed);
    }
}
