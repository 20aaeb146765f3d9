using System.Text.Json.Nodes;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;

namespace SandboxOperator.Policy.Tests.Decisions;

/// <summary>
/// Classification rules and presets: pods shaped as the platforms' controllers create them are classified as an
/// AgentWorkload of the rule's type and traits would classify them.
/// </summary>
public class ClassificationRuleTests
{
    /// <summary>
    /// The pod kubernetes-sigs/agent-sandbox's Sandbox controller creates for Sandbox "research-sandbox"
    /// (controllers/sandbox_controller.go, reconcilePod): named after the Sandbox, the template's labels plus
    /// agents.x-k8s.io/sandbox-name-hash (FNV-1a of the name, 8 hex digits), a controller reference to the Sandbox.
    /// </summary>
    private const string AgentSandboxPod = """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"research-sandbox","namespace":"agents",
          "labels":{"app":"python-runner","agents.x-k8s.io/sandbox-name-hash":"d1462e16"},
          "annotations":{"agents.x-k8s.io/propagated-labels":"app"},
          "ownerReferences":[{"apiVersion":"agents.x-k8s.io/v1beta1","kind":"Sandbox","name":"research-sandbox","uid":"5b0c1c52-8d0e-4a51-9d1e-0d6f6a1f2a10","controller":true,"blockOwnerDeletion":true}]},
         "spec":{"containers":[{"name":"python-runner","image":"python:3.12-slim","securityContext":{"seccompProfile":{"type":"RuntimeDefault"}}}]}}
        """;

    /// <summary>
    /// The MCP server pod of ToolHive MCPServer "fetch": the proxy runner's StatefulSet "fetch" (pkg/container/kubernetes/client.go,
    /// DeployWorkload) labels its template app=fetch, toolhive=true and the standard labels (pkg/labels/labels.go);
    /// the StatefulSet controller adds its own labels and the owner reference.
    /// </summary>
    private const string ToolHiveServerPod = """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"fetch-0","namespace":"toolhive-system",
          "labels":{"app":"fetch","toolhive":"true","toolhive-name":"fetch","toolhive-basename":"fetch","toolhive-transport":"streamable-http","toolhive-port":"8080",
                    "controller-revision-hash":"fetch-6c9f8b7d5","statefulset.kubernetes.io/pod-name":"fetch-0","apps.kubernetes.io/pod-index":"0"},
          "ownerReferences":[{"apiVersion":"apps/v1","kind":"StatefulSet","name":"fetch","uid":"0a4e2f0e-7f55-4d8e-9a53-8e9d3c8b1f21","controller":true,"blockOwnerDeletion":true}]},
         "spec":{"containers":[{"name":"mcp","image":"ghcr.io/stackloklabs/gofetch/server:1.0.1","securityContext":{"seccompProfile":{"type":"RuntimeDefault"}}}]}}
        """;

    /// <summary>
    /// ToolHive's proxy pod for the same MCPServer: the operator's Deployment "fetch" with labelsForMCPServer
    /// (cmd/thv-operator/controllers/mcpserver_controller.go), owned by its ReplicaSet. It runs ToolHive's own proxy.
    /// </summary>
    private const string ToolHiveProxyPod = """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"fetch-7d9c5b6f4-x2x8l","namespace":"toolhive-system",
          "labels":{"app":"mcpserver","app.kubernetes.io/name":"mcpserver","app.kubernetes.io/instance":"fetch","toolhive":"true","toolhive-name":"fetch","pod-template-hash":"7d9c5b6f4"},
          "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"fetch-7d9c5b6f4","uid":"c8f7f3f6-2a55-4a8e-b1f6-2d1c6c1f8a33","controller":true,"blockOwnerDeletion":true}]},
         "spec":{"containers":[{"name":"toolhive","image":"ghcr.io/stacklok/toolhive/proxyrunner:v0.2.0"}]}}
        """;

    /// <summary>
    /// The pod of kubernetes-sigs/mcp-lifecycle-operator MCPServer "github": its Deployment's template carries
    /// managedWorkloadLabels (app=mcp-server, mcp-server=github; internal/controller/mcpserver_controller_deployment.go)
    /// and one container named mcp-server; the ReplicaSet adds pod-template-hash and owns the pod.
    /// </summary>
    private const string McpLifecyclePod = """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"github-5f7c8d9b6c-q7k2m","namespace":"mcp",
          "labels":{"app":"mcp-server","mcp-server":"github","pod-template-hash":"5f7c8d9b6c"},
          "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"github-5f7c8d9b6c","uid":"9e1d7c3a-6b2f-4f0e-8d4c-1a2b3c4d5e6f","controller":true,"blockOwnerDeletion":true}]},
         "spec":{"securityContext":{},"containers":[{"name":"mcp-server","image":"ghcr.io/github/github-mcp-server:v0.30.0","ports":[{"name":"mcp","containerPort":8080,"protocol":"TCP"}],
           "securityContext":{"allowPrivilegeEscalation":false,"runAsNonRoot":true,"capabilities":{"drop":["ALL"]},"seccompProfile":{"type":"RuntimeDefault"}}}]}}
        """;

    /// <summary>A rule that makes pods labelled app=runner Agents.</summary>
    private const string RunnersAreAgents = """
        classification:
          rules:
            - name: sandboxes
              match: { labels: { matchLabels: { app: runner } } }
              type: Agent
        """;

    private static PolicyConfig WithPresets(params string[] presets) =>
        PolicyConfig.Default with { Classification = [.. presets.Select(p => ClassificationPresets.Rule(p)!)] };

    private static PolicyConfig WithRule(string yaml)
    {
        var (config, errors) = PolicyConfigLoader.Load(yaml);
        Assert.Empty(errors);
        return config!;
    }

    public static TheoryData<string, string, string> PlatformPods => new()
    {
        { ClassificationPresets.AgentSandbox, AgentSandboxPod, "classification preset agent-sandbox: type Agent: long-running agent sessions run in Kata; trait executesUntrustedCode: runs untrusted code" },
        { ClassificationPresets.ToolHive, ToolHiveServerPod, "classification preset toolhive: type MCPServer: MCP tool servers run in Kata" },
        { ClassificationPresets.McpLifecycleOperator, McpLifecyclePod, "classification preset mcp-lifecycle-operator: type MCPServer: MCP tool servers run in Kata" },
    };

    [Theory]
    [MemberData(nameof(PlatformPods))]
    public void A_preset_sends_the_platforms_pod_to_Kata_with_the_reason(string preset, string pod, string reason)
    {
        var decision = TestData.Evaluate(JsonNode.Parse(pod)!.AsObject(), config: WithPresets(preset));

        Assert.True(decision.Allowed, decision.Message);
        Assert.Equal(RiskTier.High, decision.Tier);
        Assert.Equal(SandboxRuntime.Kata, decision.Runtime);
        Assert.Equal("kata", decision.RuntimeClassName);
        Assert.Equal([reason], decision.Reasons);
        Assert.Null(decision.Workload);
        var mutated = TestData.Mutated(JsonNode.Parse(pod)!.AsObject(), decision);
        Assert.Equal("kata", (string?)mutated["spec"]!["runtimeClassName"]);
        Assert.Equal("high", (string?)mutated["metadata"]!["labels"]![WellKnown.TierLabel]);
        Assert.Equal(reason, (string?)mutated["metadata"]!["annotations"]![WellKnown.ReasonsAnnotation]);
    }

    [Theory]
    [MemberData(nameof(PlatformPods))]
    public void Without_the_preset_the_platforms_pod_is_not_managed(string preset, string pod, string reason)
    {
        var others = ClassificationPresets.Names.Where(n => n != preset).ToArray();
        var decision = TestData.Evaluate(JsonNode.Parse(pod)!.AsObject(), config: WithPresets(others));

        Assert.Null(decision.Tier);
        Assert.DoesNotContain(reason, decision.Reasons);
        Assert.DoesNotContain(decision.Patch, op => op.Path == "/spec/runtimeClassName");
    }

    [Fact]
    public void The_ToolHive_preset_leaves_ToolHive_s_own_proxy_pod_alone()
    {
        var decision = TestData.Evaluate(JsonNode.Parse(ToolHiveProxyPod)!.AsObject(), config: WithPresets(ClassificationPresets.Names.ToArray()));

        Assert.Null(decision.Tier);
        Assert.True(decision.Allowed);
    }

    [Fact]
    public void An_MCP_preset_pod_that_asks_for_gVisor_is_denied_as_an_MCP_server()
    {
        var pod = JsonNode.Parse(McpLifecyclePod)!.AsObject();
        pod["spec"]!["runtimeClassName"] = "gvisor";
        var decision = TestData.Evaluate(pod, config: WithPresets(ClassificationPresets.McpLifecycleOperator));

        Assert.False(decision.Allowed);
        Assert.Contains("MCP server pods must run in Kata", decision.Message);
    }

    [Fact]
    public void A_rule_gives_the_tier_and_reasons_an_AgentWorkload_of_the_same_type_and_traits_gives()
    {
        var config = WithRule("""
            classification:
              rules:
                - name: readers
                  match: { labels: { matchLabels: { role: reader } } }
                  type: Tool
                  traits: { processesUntrustedContent: true }
            """);
        var workload = TestData.Workload("readers", WorkloadType.Tool, matchApp: "reader", traits: new WorkloadTraits { ProcessesUntrustedContent = true });

        var byRule = TestData.Evaluate(TestData.Pod(labels: """{"role":"reader"}"""), config: config);
        var byWorkload = TestData.Evaluate(TestData.Pod(labels: """{"app":"reader"}"""), TestData.Cluster([workload]));

        Assert.Equal(byWorkload.Tier, byRule.Tier);
        Assert.Equal(byWorkload.Runtime, byRule.Runtime);
        Assert.Equal(["AgentWorkload readers: type Tool: short-lived trusted tools run in gVisor; trait processesUntrustedContent: reads untrusted content"], byWorkload.Reasons);
        Assert.Equal(["classification rule readers: type Tool: short-lived trusted tools run in gVisor; trait processesUntrustedContent: reads untrusted content"], byRule.Reasons);
    }

    [Fact]
    public void A_rule_riskTier_raises_the_tier_as_an_AgentWorkload_s_does()
    {
        var config = WithRule("""
            classification:
              rules:
                - name: internal-but-exposed
                  match: { namespaces: [edge] }
                  type: Internal
                  riskTier: Medium
            """);

        var decision = TestData.Evaluate(TestData.Pod(ns: "edge"), config: config);

        Assert.Equal(RiskTier.Medium, decision.Tier);
        Assert.Equal(SandboxRuntime.GVisor, decision.Runtime);
        Assert.Equal(["classification rule internal-but-exposed: type Internal: stateless internal services run in runc with seccomp; spec.riskTier Medium raises the tier"], decision.Reasons);
    }

    [Theory]
    [InlineData("agents", """{"team":"research"}""", """[{"apiVersion":"batch/v1","kind":"Job","name":"j"}]""", true)]
    [InlineData("default", """{"team":"research"}""", """[{"apiVersion":"batch/v1","kind":"Job","name":"j"}]""", false)]
    [InlineData("agents", """{"team":"ops"}""", """[{"apiVersion":"batch/v1","kind":"Job","name":"j"}]""", false)]
    [InlineData("agents", """{"team":"research"}""", """[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"r"}]""", false)]
    [InlineData("agents", """{"team":"research"}""", """[{"apiVersion":"example.com/v1","kind":"Job","name":"j"}]""", false)]
    [InlineData("agents", """{"team":"research"}""", """[{"apiVersion":"v1","kind":"Node","name":"n"},{"apiVersion":"batch/v1","kind":"Job","name":"j"}]""", true)]
    [InlineData("agents", """{"team":"research"}""", null, false)]
    public void Every_criterion_of_a_rule_must_hold(string ns, string labels, string? owners, bool matched)
    {
        var config = WithRule("""
            classification:
              rules:
                - name: research-jobs
                  match:
                    labels: { matchExpressions: [{ key: team, operator: In, values: [research] }] }
                    owners: [{ kind: Job, group: batch }]
                    namespaces: [agents]
                  type: ExecTool
            """);
        var pod = TestData.Pod(ns: ns, labels: labels);
        if (owners is not null)
        {
            pod["metadata"]!["ownerReferences"] = JsonNode.Parse(owners);
        }

        var decision = TestData.Evaluate(pod, config: config);

        Assert.Equal(matched ? RiskTier.High : null, decision.Tier);
    }

    [Fact]
    public void An_owner_in_the_core_group_is_matched_without_a_group()
    {
        var config = WithRule("""
            classification:
              rules:
                - name: rc-pods
                  match: { owners: [{ kind: ReplicationController }] }
                  type: Tool
            """);
        var pod = TestData.Pod();
        pod["metadata"]!["ownerReferences"] = JsonNode.Parse("""[{"apiVersion":"v1","kind":"ReplicationController","name":"web"}]""");

        Assert.Equal(RiskTier.Medium, TestData.Evaluate(pod, config: config).Tier);
    }

    [Fact]
    public void A_rule_with_a_higher_tier_than_the_claiming_AgentWorkload_decides_and_is_named_in_the_warning()
    {
        var config = WithRule(RunnersAreAgents);
        var tool = TestData.Workload("runner", WorkloadType.Tool, matchApp: "runner");
        var other = TestData.Workload("runner-2", WorkloadType.Internal, matchApp: "runner");

        var decision = TestData.Evaluate(TestData.Pod(labels: """{"app":"runner"}"""), TestData.Cluster([tool, other]), config);

        Assert.Equal(RiskTier.High, decision.Tier);
        Assert.Null(decision.Workload);
        Assert.Equal(["classification rule sandboxes: type Agent: long-running agent sessions run in Kata"], decision.Reasons);
        Assert.Contains("claimed by AgentWorkloads runner, runner-2; the highest tier (High, from classification rule sandboxes) applies", decision.Warnings);
    }

    [Fact]
    public void An_AgentWorkload_of_the_same_tier_as_a_rule_decides()
    {
        var config = WithRule(RunnersAreAgents);
        var workload = TestData.Workload("runner", WorkloadType.ExecTool, matchApp: "runner");

        var decision = TestData.Evaluate(TestData.Pod(labels: """{"app":"runner"}"""), TestData.Cluster([workload]), config);

        Assert.Equal(RiskTier.High, decision.Tier);
        Assert.Equal("runner", decision.Workload);
        Assert.Equal(["AgentWorkload runner: type ExecTool: code-execution tools run in Kata"], decision.Reasons);
    }

    [Fact]
    public void A_rule_applies_to_the_pod_template_of_a_Deployment_through_its_labels()
    {
        var config = WithPresets(ClassificationPresets.McpLifecycleOperator);
        var deployment = JsonNode.Parse("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"github","namespace":"mcp","labels":{"app":"mcp-server","mcp-server":"github"}},
             "spec":{"selector":{"matchLabels":{"mcp-server":"github"}},"template":{"metadata":{"labels":{"app":"mcp-server","mcp-server":"github"}},
               "spec":{"containers":[{"name":"mcp-server","image":"ghcr.io/github/github-mcp-server:v0.30.0","securityContext":{"seccompProfile":{"type":"RuntimeDefault"}}}]}}}}
            """)!.AsObject();

        var decision = TestData.Evaluate(deployment, config: config);

        Assert.Equal(RiskTier.High, decision.Tier);
        Assert.Equal(SandboxRuntime.Kata, decision.Runtime);
    }

    [Fact]
    public void A_template_is_matched_by_the_owner_its_pods_will_have()
    {
        // The StatefulSet ToolHive's proxy runner applies for MCPServer "fetch" (pkg/container/kubernetes/client.go,
        // applyStatefulSet): its pods will be owned by the StatefulSet, so the toolhive preset judges the template.
        var statefulSet = JsonNode.Parse("""
            {"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"fetch","namespace":"toolhive-system","labels":{"app":"fetch","toolhive":"true","toolhive-name":"fetch"}},
             "spec":{"serviceName":"fetch","selector":{"matchLabels":{"app":"fetch"}},"template":{"metadata":{"labels":{"app":"fetch","toolhive":"true","toolhive-name":"fetch","toolhive-transport":"streamable-http"}},
               "spec":{"containers":[{"name":"mcp","image":"ghcr.io/stackloklabs/gofetch/server:1.0.1","securityContext":{"seccompProfile":{"type":"RuntimeDefault"}}}]}}}}
            """)!.AsObject();
        var config = WithPresets(ClassificationPresets.ToolHive);

        var decision = TestData.Evaluate(statefulSet, config: config);

        Assert.Equal(RiskTier.High, decision.Tier);
        Assert.Equal(SandboxRuntime.Kata, decision.Runtime);

        // The same template in a Deployment has pods owned by ReplicaSets: not the MCP server's shape.
        var deployment = (JsonObject)statefulSet.DeepClone();
        deployment["kind"] = "Deployment";
        Assert.Null(TestData.Evaluate(deployment, config: config).Tier);
    }

    [Theory]
    [InlineData("apps/v1", "Deployment", "ReplicaSet", "apps")]
    [InlineData("apps/v1", "ReplicaSet", "ReplicaSet", "apps")]
    [InlineData("apps/v1", "DaemonSet", "DaemonSet", "apps")]
    [InlineData("batch/v1", "Job", "Job", "batch")]
    [InlineData("v1", "ReplicationController", "ReplicationController", "")]
    public void Each_controller_s_template_is_matched_by_the_owner_of_its_pods(string apiVersion, string kind, string ownerKind, string ownerGroup)
    {
        var config = PolicyConfig.Default with
        {
            Classification = [new ClassificationRule("owned", new RuleMatch(null, [new Pods.OwnerKind(ownerKind, ownerGroup)], null), new AgentWorkloadSpec { Type = WorkloadType.Tool })],
        };
        var controller = JsonNode.Parse("""
            {"metadata":{"name":"c","namespace":"default"},
             "spec":{"selector":{"matchLabels":{"app":"c"}},"template":{"metadata":{"labels":{"app":"c"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}}
            """)!.AsObject();
        controller["apiVersion"] = apiVersion;
        controller["kind"] = kind;

        Assert.Equal(RiskTier.Medium, TestData.Evaluate(controller, config: config).Tier);
    }

    [Fact]
    public void A_malformed_owner_reference_is_an_error_not_a_guess()
    {
        var pod = TestData.Pod();
        pod["metadata"]!["ownerReferences"] = JsonNode.Parse("""[{"apiVersion":"apps/v1","kind":7}]""");

        var decision = TestData.Evaluate(pod, config: WithPresets(ClassificationPresets.Names.ToArray()));

        Assert.False(decision.Allowed);
        Assert.Contains("metadata.ownerReferences[0].kind", decision.Message);
    }
}
