using System.Text.Json.Nodes;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.State;
using static SandboxOperator.Policy.Tests.TestData;

namespace SandboxOperator.Policy.Tests.Decisions;

/// <summary>Every validation rule, allowed and denied, with the text a user reads in kubectl.</summary>
public class PodValidationTests
{
    private static readonly Dictionary<string, Dictionary<string, string>> EnforcedNs = new() { ["agents"] = new() { [WellKnown.EnforceLabel] = "kata" } };
    private static readonly Dictionary<string, Dictionary<string, string>> AuditNs = new() { ["tools"] = new() { [WellKnown.ModeLabel] = "audit" } };
    private static readonly NodeInfo KataNode = new("kata-1", new Dictionary<string, string> { ["agentsandbox.io/pool"] = "kata" }, [new NodeTaint("agentsandbox.io/pool", "kata", "NoSchedule")]);
    private static readonly NodeInfo GeneralNode = new("gen-1", new Dictionary<string, string>(), []);

    public static TheoryData<string, JsonObject, ClusterSnapshot, string?> Cases => new()
    {
        // Kata for MCP pods and enforced namespaces
        { "MCP label with gvisor class", Pod(labels: Mcp, spec: Spec("\"runtimeClassName\":\"gvisor\"")), ClusterSnapshot.Empty, "MCP server pods must run in Kata: spec.runtimeClassName is \"gvisor\"; set it to \"kata\" or leave it unset" },
        { "MCP label with Kata (case differs)", Pod(labels: Mcp, spec: Spec("\"runtimeClassName\":\"Kata\"")), ClusterSnapshot.Empty, "MCP server pods must run in Kata: spec.runtimeClassName is \"Kata\"" },
        { "MCP label with kata plus trailing space", Pod(labels: Mcp, spec: Spec("\"runtimeClassName\":\"kata \"")), ClusterSnapshot.Empty, "spec.runtimeClassName is \"kata \"" },
        { "MCP label with empty class", Pod(labels: Mcp, spec: Spec("\"runtimeClassName\":\"\"")), ClusterSnapshot.Empty, "spec.runtimeClassName is \"\"" },
        { "MCP label with kata class", Pod(labels: Mcp, spec: Spec("\"runtimeClassName\":\"kata\"")), ClusterSnapshot.Empty, null },
        { "MCP label via alias RuntimeClass with the Kata handler", Pod(labels: Mcp, spec: Spec("\"runtimeClassName\":\"kata-fast\"")), Cluster(runtimeClasses: [new RuntimeClassInfo("kata-fast", "kata-qemu", new Dictionary<string, string>(), [])]), null },
        { "MCPServer workload claims the pod, pod asks for runc class", Pod(labels: """{"app":"m"}""", spec: Spec("\"runtimeClassName\":\"runc\"")), Cluster([Workload("m", WorkloadType.MCPServer, matchApp: "m")]), "MCP server pods must run in Kata" },
        { "Enforced namespace, unclaimed pod with gvisor", Pod(ns: "agents", spec: Spec("\"runtimeClassName\":\"gvisor\"")), Cluster(namespaces: EnforcedNs), "namespace agents enforces Kata: spec.runtimeClassName is \"gvisor\"" },
        { "Enforced namespace, unclaimed pod without a class is mutated to Kata", Pod(ns: "agents"), Cluster(namespaces: EnforcedNs), null },
        // Managed pod weaker than its tier
        { "ExecTool with gvisor", Pod(labels: """{"app":"x"}""", spec: Spec("\"runtimeClassName\":\"gvisor\"")), Cluster([Workload("x", WorkloadType.ExecTool, matchApp: "x")]), "AgentWorkload x is High and needs runtimeClassName \"kata\" (Kata): spec.runtimeClassName is \"gvisor\"" },
        { "Tool with an unknown class", Pod(labels: """{"app":"x"}""", spec: Spec("\"runtimeClassName\":\"nvidia\"")), Cluster([Workload("x", WorkloadType.Tool, matchApp: "x")]), "AgentWorkload x is Medium and needs runtimeClassName \"gvisor\" (GVisor)" },
        { "Claimed by the workload label", Pod(labels: """{"agentsandbox.io/workload":"x"}""", spec: Spec("\"runtimeClassName\":\"gvisor\"")), Cluster([Workload("x", WorkloadType.Agent)]), "AgentWorkload x is High" },
        // Host access at High/Medium
        { "hostNetwork at High", Pod(labels: Mcp, spec: Spec("\"hostNetwork\":true")), ClusterSnapshot.Empty, "hostNetwork is not allowed at tier High: it bypasses the sandbox" },
        { "hostPID at Medium", Pod(labels: """{"app":"t"}""", spec: Spec("\"hostPID\":true")), Cluster([Workload("t", WorkloadType.Tool, matchApp: "t")]), "hostPID is not allowed at tier Medium" },
        { "hostIPC at High", Pod(labels: Mcp, spec: Spec("\"hostIPC\":true")), ClusterSnapshot.Empty, "hostIPC is not allowed at tier High" },
        { "privileged init container at High", Pod(labels: Mcp, spec: """{"initContainers":[{"name":"setup","image":"x","securityContext":{"privileged":true}}],"containers":[{"name":"c","image":"x"}]}"""), ClusterSnapshot.Empty, "privileged init container \"setup\" is not allowed at tier High" },
        { "privileged ephemeral container at High", Pod(labels: Mcp, spec: """{"containers":[{"name":"c","image":"x"}],"ephemeralContainers":[{"name":"debug","image":"busybox","securityContext":{"privileged":true}}]}"""), ClusterSnapshot.Empty, "privileged ephemeral container \"debug\"" },
        { "hostPath volume at High", Pod(labels: Mcp, spec: """{"containers":[{"name":"c","image":"x"}],"volumes":[{"name":"docker","hostPath":{"path":"/var/run/docker.sock"}}]}"""), ClusterSnapshot.Empty, "hostPath volume \"docker\" is not allowed at tier High" },
        { "hostNetwork at Low is not a sandbox question", Pod(labels: """{"app":"i"}""", spec: Spec("\"hostNetwork\":true")), Cluster([Workload("i", WorkloadType.Internal, matchApp: "i")]), null },
        // seccomp
        { "Unconfined pod seccomp on a managed pod", Pod(labels: """{"app":"i"}""", spec: Spec("\"securityContext\":{\"seccompProfile\":{\"type\":\"Unconfined\"}}")), Cluster([Workload("i", WorkloadType.Internal, matchApp: "i")]), "seccomp profile Unconfined is not allowed (spec.securityContext.seccompProfile)" },
        { "Unconfined container seccomp on a managed pod", Pod(labels: Mcp, spec: """{"containers":[{"name":"c","image":"x","securityContext":{"seccompProfile":{"type":"Unconfined"}}}]}"""), ClusterSnapshot.Empty, "seccomp profile Unconfined is not allowed (container \"c\")" },
        // Node-pool separation
        { "Unmanaged pod with a wildcard toleration", Pod(spec: Spec("\"tolerations\":[{\"operator\":\"Exists\"}]")), ClusterSnapshot.Empty, "a runc pod could land on the kata pool (agentsandbox.io/pool=kata): toleration {operator: Exists} tolerates the pool's taint" },
        { "Unmanaged pod tolerating the pool key with Exists", Pod(spec: Spec("\"tolerations\":[{\"key\":\"agentsandbox.io/pool\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]")), ClusterSnapshot.Empty, "could land on the gvisor pool" },
        { "Unmanaged pod tolerating the kata taint but selecting general nodes", Pod(spec: Spec("\"tolerations\":[{\"key\":\"agentsandbox.io/pool\",\"value\":\"kata\",\"effect\":\"NoSchedule\"}],\"nodeSelector\":{\"agentsandbox.io/pool\":\"general\"}")), ClusterSnapshot.Empty, null },
        { "Toleration with only NoExecute does not open a NoSchedule pool", Pod(spec: Spec("\"tolerations\":[{\"operator\":\"Exists\",\"effect\":\"NoExecute\"}]")), ClusterSnapshot.Empty, null },
        { "Affinity terms ORed: one term opens the kata pool", Pod(spec: Spec("\"tolerations\":[{\"operator\":\"Exists\"}],\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"agentsandbox.io/pool\",\"operator\":\"DoesNotExist\"}]},{\"matchExpressions\":[{\"key\":\"agentsandbox.io/pool\",\"operator\":\"In\",\"values\":[\"kata\"]}]}]}}}")), ClusterSnapshot.Empty, "could land on the kata pool" },
        { "Wildcard toleration restricted to general nodes by affinity", Pod(spec: Spec("\"tolerations\":[{\"operator\":\"Exists\"}],\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"agentsandbox.io/pool\",\"operator\":\"DoesNotExist\"}]}]}}}")), ClusterSnapshot.Empty, null },
        { "nodeName pins an unmanaged pod to a Kata node", Pod(spec: Spec("\"nodeName\":\"kata-1\"")), Cluster(nodes: [KataNode, GeneralNode]), "a runc pod could land on the kata pool (agentsandbox.io/pool=kata): spec.nodeName \"kata-1\" is a node of that pool" },
        { "nodeName to a general node is fine", Pod(spec: Spec("\"nodeName\":\"gen-1\"")), Cluster(nodes: [KataNode, GeneralNode]), null },
        { "nodeName to an unknown node fails closed", Pod(spec: Spec("\"nodeName\":\"mystery\"")), Cluster(nodes: [KataNode]), "spec.nodeName \"mystery\" names a node the operator does not know" },
        { "matchFields pins a pod to a Kata node", Pod(spec: Spec("\"tolerations\":[{\"operator\":\"Exists\"}],\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":{\"nodeSelectorTerms\":[{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"In\",\"values\":[\"kata-1\"]}]}]}}}")), Cluster(nodes: [KataNode, GeneralNode]), "could land on the kata pool" },
        { "Kata pod with a nodeSelector for the gvisor pool cannot reach its own pool", Pod(labels: Mcp, spec: Spec("\"nodeSelector\":{\"agentsandbox.io/pool\":\"gvisor\"}")), ClusterSnapshot.Empty, "a kata pod must run on the kata pool (agentsandbox.io/pool=kata), but its nodeSelector, node affinity or nodeName rule that out" },
        { "Kata pod pinned by nodeName to a general node", Pod(labels: Mcp, spec: Spec("\"nodeName\":\"gen-1\"")), Cluster(nodes: [KataNode, GeneralNode]), "a kata pod must run on the kata pool" },
        { "Kata pod with nodeName of a Kata node", Pod(labels: Mcp, spec: Spec("\"nodeName\":\"kata-1\"")), Cluster(nodes: [KataNode, GeneralNode]), null },
        { "RuntimeClass scheduling tolerations are merged in", Pod(spec: Spec("\"runtimeClassName\":\"nvidia\"")), Cluster(runtimeClasses: [new RuntimeClassInfo("nvidia", "nvidia", new Dictionary<string, string>(), [new("", "Exists", "", "")])]), "RuntimeClass \"nvidia\" adds toleration {operator: Exists}" },
        // Scope
        { "Unmanaged plain pod", Pod(labels: """{"app":"web"}"""), ClusterSnapshot.Empty, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decides_as_expected(string description, JsonObject pod, ClusterSnapshot state, string? expectedDenial)
    {
        var decision = Evaluate(pod, state);
        if (expectedDenial is null)
        {
            Assert.True(decision.Allowed, $"{description}: unexpected denial: {decision.Message}");
            Assert.Null(decision.Message);
        }
        else
        {
            Assert.False(decision.Allowed, $"{description}: expected a denial containing: {expectedDenial}");
            Assert.Equal(403, decision.StatusCode);
            Assert.Contains(expectedDenial, decision.Message, StringComparison.Ordinal);
            Assert.Empty(decision.Patch);
        }
    }

    [Fact]
    public void A_sandbox_pod_without_its_pools_toleration_is_told_so_at_the_validating_stage()
    {
        var pod = Pod(spec: Spec("\"runtimeClassName\":\"kata\",\"nodeSelector\":{\"agentsandbox.io/pool\":\"kata\"}"));
        var decision = Evaluate(pod, mutationApplied: true);
        Assert.Equal("a kata pod must run on the kata pool (agentsandbox.io/pool=kata), but it has no toleration for agentsandbox.io/pool=kata:NoSchedule", decision.Message);
    }

    [Fact]
    public void A_denied_pod_still_carries_its_mutation_for_the_mutating_webhook()
    {
        var decision = Evaluate(Pod(labels: Mcp, spec: Spec("\"hostNetwork\":true")));
        Assert.False(decision.Allowed);
        Assert.Empty(decision.Patch);
        Assert.Contains(decision.MutationPatch, p => p.Path == "/spec/runtimeClassName");

        // At the validating webhook the mutated pod is denied for the real problem only.
        var atValidate = Evaluate(Mutated(Pod(labels: Mcp, spec: Spec("\"hostNetwork\":true")), decision with { Patch = decision.MutationPatch }), mutationApplied: true);
        Assert.Equal("hostNetwork is not allowed at tier High: it bypasses the sandbox", atValidate.Message);
    }

    [Fact]
    public void Configured_enforced_namespace_forces_kata()
    {
        var config = PolicyConfig.Default with { EnforcedNamespaces = new HashSet<string> { "sandboxed" } };
        var decision = Evaluate(Pod(ns: "sandboxed", spec: Spec("\"runtimeClassName\":\"gvisor\"")), config: config);
        Assert.Contains("namespace sandboxed enforces Kata", decision.Message, StringComparison.Ordinal);
        var mutated = Evaluate(Pod(ns: "sandboxed"), config: config);
        Assert.Equal("kata", mutated.RuntimeClassName);
    }

    [Fact]
    public void Infrastructure_namespaces_may_run_on_every_pool_but_nothing_else_exempts()
    {
        var config = PolicyConfig.Default with { InfrastructureNamespaces = new HashSet<string> { "logging" } };
        var shipper = Spec("\"tolerations\":[{\"operator\":\"Exists\"}]");
        Assert.True(Evaluate(Pod(ns: "logging", spec: shipper), config: config).Allowed);
        var elsewhere = Pod(ns: "default", labels: """{"app.kubernetes.io/component":"infrastructure"}""", spec: shipper);
        Assert.False(Evaluate(elsewhere, config: config).Allowed);
        var ds = Controller("apps/v1", "DaemonSet", "ds", "default", "spec.template", Pod(spec: shipper));
        Assert.False(Evaluate(ds, config: config).Allowed);
    }

    [Fact]
    public void Audit_mode_allows_and_returns_what_would_be_denied_as_warnings()
    {
        var pod = Pod(ns: "tools", labels: Mcp, spec: Spec("\"runtimeClassName\":\"gvisor\""));
        var decision = Evaluate(pod, Cluster(namespaces: AuditNs));
        Assert.True(decision.Allowed);
        Assert.Equal(EnforcementMode.Audit, decision.Mode);
        Assert.Contains(decision.Warnings, w => w.StartsWith("audit mode, would be denied: MCP server pods must run in Kata", StringComparison.Ordinal));
        var global = Evaluate(Pod(labels: Mcp, spec: Spec("\"runtimeClassName\":\"gvisor\"")), config: PolicyConfig.Default with { Mode = EnforcementMode.Audit });
        Assert.True(global.Allowed);
        var overridden = Evaluate(Pod(ns: "strict", labels: Mcp, spec: Spec("\"runtimeClassName\":\"gvisor\"")), Cluster(namespaces: new() { ["strict"] = new() { [WellKnown.ModeLabel] = "enforce" } }), PolicyConfig.Default with { Mode = EnforcementMode.Audit });
        Assert.False(overridden.Allowed);
        Assert.Equal([RuleIds.KataRequired], overridden.DeniedBy);
        Assert.Empty(global.DeniedBy);
    }

    [Fact]
    public void Several_workloads_claiming_a_pod_highest_tier_wins_with_a_warning()
    {
        var state = Cluster([Workload("b-tool", WorkloadType.Tool, matchApp: "x"), Workload("a-agent", WorkloadType.Agent, matchApp: "x"), Workload("c-internal", WorkloadType.Internal, matchApp: "x")]);
        var decision = Evaluate(Pod(labels: """{"app":"x"}"""), state);
        Assert.Equal(RiskTier.High, decision.Tier);
        Assert.Equal("a-agent", decision.Workload);
        Assert.Contains("claimed by AgentWorkloads a-agent, b-tool, c-internal; the highest tier (High, from a-agent) applies", decision.Warnings);
    }

    [Fact]
    public void Update_is_denied_only_for_violations_it_introduces()
    {
        var before = Pod(spec: Spec("\"tolerations\":[]"));
        var after = Pod(spec: Spec("\"tolerations\":[{\"operator\":\"Exists\"}]"));
        var opening = Evaluate(after, op: AdmissionOperation.Update, old: before, mutationApplied: true);
        Assert.False(opening.Allowed);
        Assert.Contains("could land on the kata pool", opening.Message, StringComparison.Ordinal);
        Assert.Equal([RuleIds.PoolSeparation], opening.DeniedBy);

        // An old non-compliant object can still be updated (finalizers, labels); the finding comes back as a warning.
        var relabel = (JsonObject)after.DeepClone();
        relabel["metadata"]!["labels"] = new JsonObject { ["x"] = "y" };
        var unchanged = Evaluate(relabel, op: AdmissionOperation.Update, old: after, mutationApplied: true);
        Assert.True(unchanged.Allowed, unchanged.Message);
        Assert.Empty(unchanged.DeniedBy);
        Assert.Contains(unchanged.Warnings, w => w.StartsWith("pre-existing, not introduced by this update", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_stage_denies_a_pod_that_escaped_mutation_and_says_what_mutation_would_have_done()
    {
        var decision = Evaluate(Pod(labels: Mcp, spec: Spec("\"securityContext\":{\"seccompProfile\":{\"type\":\"RuntimeDefault\"}}")), mutationApplied: true);
        Assert.False(decision.Allowed);
        Assert.StartsWith(
            "MCP server pods must run in Kata: spec.runtimeClassName is not set, so the pod would run in runc; the mutating webhook (mutate.agentsandbox.io) would have set it to \"kata\", so it did not run for this pod: check that the MutatingWebhookConfiguration exists and that its namespaceSelector matches this namespace; ",
            decision.Message);
        Assert.DoesNotContain("leave it unset", decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_name_with_no_nodes_given_is_a_warning_not_a_denial()
    {
        var noNodes = new ClusterSnapshot { KnowsNodes = false };
        var decision = Evaluate(Pod(spec: Spec("\"nodeName\":\"foo-node\"")), noNodes);
        Assert.True(decision.Allowed, decision.Message);
        Assert.Equal(
            ["spec.nodeName \"foo-node\": no Node objects were given, so which node pool it is in is unknown and placement was not checked; add the nodes (kubectl get nodes -o yaml) to the input to check it"],
            decision.Warnings);

        var template = Evaluate(Controller("apps/v1", "Deployment", "d", "default", "spec.template", Pod(labels: Mcp, spec: Spec("\"nodeName\":\"foo-node\""))), noNodes);
        Assert.True(template.Allowed, template.Message);
        Assert.Contains(template.Warnings, w => w.StartsWith("spec.template: spec.nodeName \"foo-node\": no Node objects were given", StringComparison.Ordinal));

        // Knowing the nodes, an unknown one could be in any pool: denied, as in the webhook.
        Assert.False(Evaluate(Pod(spec: Spec("\"nodeName\":\"foo-node\"")), Cluster(nodes: [GeneralNode])).Allowed);
    }

    [Fact]
    public void Ephemeral_container_update_on_a_sandboxed_pod_is_checked()
    {
        var pod = Pod(labels: Mcp);
        var running = Mutated(pod, Evaluate(pod));
        var debug = (JsonObject)running.DeepClone();
        debug["spec"]!["ephemeralContainers"] = JsonNode.Parse("""[{"name":"dbg","image":"busybox","securityContext":{"privileged":true}}]""");
        var request = new AdmissionRequest(AdmissionOperation.Update, "", "Pod", "default", "p",
            System.Text.Json.JsonSerializer.SerializeToElement(debug), System.Text.Json.JsonSerializer.SerializeToElement(running), SubResource: "ephemeralcontainers", MutationApplied: true);
        var decision = AdmissionEvaluator.Evaluate(request, PolicyConfig.Default, ClusterSnapshot.Empty, TestData.Now);
        Assert.False(decision.Allowed);
        Assert.Contains("privileged ephemeral container \"dbg\"", decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_updates_delete_and_connect_are_allowed()
    {
        var bad = Pod(labels: Mcp, spec: Spec("\"runtimeClassName\":\"gvisor\""));
        Assert.True(Evaluate(bad, op: AdmissionOperation.Delete).Allowed);
        Assert.True(Evaluate(bad, op: AdmissionOperation.Connect).Allowed);
        var status = new AdmissionRequest(AdmissionOperation.Update, "", "Pod", "default", "p", System.Text.Json.JsonSerializer.SerializeToElement(bad), SubResource: "status");
        Assert.True(AdmissionEvaluator.Evaluate(status, PolicyConfig.Default, ClusterSnapshot.Empty, TestData.Now).Allowed);
    }

    [Fact]
    public void Malformed_pod_fields_fail_closed_with_the_path()
    {
        var decision = Evaluate(Pod(labels: Mcp, spec: """{"hostNetwork":"true","containers":[{"name":"c","securityContext":{"privileged":"yes"}}]}"""));
        Assert.False(decision.Allowed);
        Assert.Equal(400, decision.StatusCode);
        Assert.Equal([RuleIds.Unreadable], decision.DeniedBy);
        Assert.Contains("spec.hostNetwork: must be a boolean, got string \"true\"", decision.Message, StringComparison.Ordinal);
        Assert.Contains("spec.containers[0].securityContext.privileged: must be a boolean", decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_node_affinity_requirements_are_reported_with_both_list_indices()
    {
        const string terms = "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms";
        var decision = Evaluate(Pod(labels: Mcp, spec: """
            {"containers":[{"name":"c"}],"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[
              {"matchExpressions":[{"key":"zone","operator":"In","values":["a"]}]},
              {"matchExpressions":[{"key":"zone","operator":"In","values":["a"]},{"key":5,"operator":"In","values":["b",7]},"x"],"matchFields":[{"key":"metadata.name","operator":[]}]},
              3]}}}}
            """));
        Assert.Equal(400, decision.StatusCode);
        Assert.Equal(
            $"cannot read the pod: {terms}[1].matchExpressions[1].values[1]: must be a string, got number 7; "
            + $"{terms}[1].matchExpressions[1].key: must be a string, got number 5; "
            + $"{terms}[1].matchExpressions[2]: must be an object, got string \"x\"; "
            + $"{terms}[1].matchFields[0].operator: must be a string, got a list; "
            + $"{terms}[2]: must be an object, got number 3",
            decision.Message);
    }

    [Fact]
    public void An_object_that_is_not_an_object_is_refused_with_a_plain_message()
    {
        var request = new AdmissionRequest(AdmissionOperation.Create, "", "Pod", "default", "p", System.Text.Json.JsonDocument.Parse("[1]").RootElement);
        var decision = AdmissionEvaluator.Evaluate(request, SandboxOperator.Policy.Configuration.PolicyConfig.Default, ClusterSnapshot.Empty, TestData.Now);
        Assert.Equal(400, decision.StatusCode);
        Assert.Equal("cannot read the pod: the object must be a JSON object, got a list", decision.Message);
    }

    [Theory]
    [InlineData("apps/v1", "Deployment", "spec.template")]
    [InlineData("apps/v1", "ReplicaSet", "spec.template")]
    [InlineData("apps/v1", "StatefulSet", "spec.template")]
    [InlineData("apps/v1", "DaemonSet", "spec.template")]
    [InlineData("batch/v1", "Job", "spec.template")]
    [InlineData("batch/v1", "CronJob", "spec.jobTemplate.spec.template")]
    [InlineData("v1", "ReplicationController", "spec.template")]
    public void Controllers_are_validated_on_their_template_and_never_patched(string apiVersion, string kind, string templatePath)
    {
        var missingClass = Controller(apiVersion, kind, "c", "default", templatePath, Pod(labels: Mcp));
        var allowed = Evaluate(missingClass);
        Assert.True(allowed.Allowed, allowed.Message);
        Assert.Empty(allowed.Patch);
        Assert.Equal("kata", allowed.RuntimeClassName);

        var conflicting = Controller(apiVersion, kind, "c", "default", templatePath, Pod(labels: Mcp, spec: Spec("\"runtimeClassName\":\"gvisor\"")));
        var denied = Evaluate(conflicting);
        Assert.False(denied.Allowed);
        Assert.StartsWith(templatePath + ": MCP server pods must run in Kata", denied.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Uncovered_kinds_are_allowed_untouched()
    {
        var cm = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = "x" } };
        var decision = Evaluate(cm);
        Assert.True(decision.Allowed);
        Assert.False(decision.Covered);
        Assert.Empty(decision.Patch);
    }

    internal const string Mcp = """{"agentsandbox.io/workload-type":"mcp-server"}""";

    internal static string Spec(string extra) => "{" + extra + ",\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}";

    internal static JsonObject Controller(string apiVersion, string kind, string name, string ns, string templatePath, JsonObject pod)
    {
        var template = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = pod["metadata"]!["labels"]?.DeepClone() }, ["spec"] = pod["spec"]!.DeepClone() };
        JsonNode node = template;
        foreach (var segment in templatePath.Split('.').Reverse())
        {
            node = new JsonObject { [segment] = node };
        }

        var obj = (JsonObject)node;
        obj["apiVersion"] = apiVersion;
        obj["kind"] = kind;
        obj["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns };
        return obj;
    }
}
