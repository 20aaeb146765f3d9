using System.Text.Json.Nodes;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.State;
using static SandboxOperator.Policy.Tests.TestData;

namespace SandboxOperator.Policy.Tests.Decisions;

/// <summary>Table tests: a pod in, the exact RFC 6902 patch out.</summary>
public class PodMutatorTests
{
    private const string KataToleration = """{"key":"agentsandbox.io/pool","operator":"Equal","value":"kata","effect":"NoSchedule"}""";
    private const string KataExpression = """{"key":"agentsandbox.io/pool","operator":"In","values":["kata"]}""";
    private const string KataAffinity = """{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[""" + KataExpression + "]}]}}}";

    public static TheoryData<string, JsonObject, ClusterSnapshot, string> Cases => new()
    {
        {
            "MCP-labelled pod gets Kata, seccomp, placement, labels and reasons",
            Pod(labels: """{"agentsandbox.io/workload-type":"mcp-server"}"""),
            ClusterSnapshot.Empty,
            "[" +
            """{"op":"add","path":"/spec/runtimeClassName","value":"kata"},""" +
            """{"op":"add","path":"/spec/securityContext","value":{"seccompProfile":{"type":"RuntimeDefault"}}},""" +
            """{"op":"add","path":"/spec/tolerations","value":[""" + KataToleration + "]}," +
            """{"op":"add","path":"/spec/affinity","value":""" + KataAffinity + "}," +
            """{"op":"add","path":"/metadata/labels/agentsandbox.io~1tier","value":"high"},""" +
            """{"op":"add","path":"/metadata/labels/agentsandbox.io~1runtime","value":"kata"},""" +
            """{"op":"add","path":"/metadata/annotations","value":{"agentsandbox.io/reasons":"label agentsandbox.io/workload-type=mcp-server: MCP servers run in Kata"}}""" +
            "]"
        },
        {
            "Tool workload gets gVisor; existing tolerations, securityContext and labels are appended to, not replaced",
            Pod(labels: """{"app":"conv"}""", spec: """{"securityContext":{"runAsNonRoot":true},"tolerations":[{"key":"gpu","operator":"Exists"}],"containers":[{"name":"c","image":"x"}]}"""),
            Cluster([Workload("conv", WorkloadType.Tool, matchApp: "conv")]),
            "[" +
            """{"op":"add","path":"/spec/runtimeClassName","value":"gvisor"},""" +
            """{"op":"add","path":"/spec/securityContext/seccompProfile","value":{"type":"RuntimeDefault"}},""" +
            """{"op":"add","path":"/spec/tolerations/-","value":{"key":"agentsandbox.io/pool","operator":"Equal","value":"gvisor","effect":"NoSchedule"}},""" +
            """{"op":"add","path":"/spec/affinity","value":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"agentsandbox.io/pool","operator":"In","values":["gvisor"]}]}]}}}},""" +
            """{"op":"add","path":"/metadata/labels/agentsandbox.io~1tier","value":"medium"},""" +
            """{"op":"add","path":"/metadata/labels/agentsandbox.io~1runtime","value":"gvisor"},""" +
            """{"op":"add","path":"/metadata/annotations","value":{"agentsandbox.io/reasons":"AgentWorkload conv: type Tool: short-lived trusted tools run in gVisor"}}""" +
            "]"
        },
        {
            "Internal workload: no runtime class, no placement, seccomp and labels only",
            Pod(labels: """{"app":"api"}"""),
            Cluster([Workload("api", WorkloadType.Internal, matchApp: "api")]),
            "[" +
            """{"op":"add","path":"/spec/securityContext","value":{"seccompProfile":{"type":"RuntimeDefault"}}},""" +
            """{"op":"add","path":"/metadata/labels/agentsandbox.io~1tier","value":"low"},""" +
            """{"op":"add","path":"/metadata/labels/agentsandbox.io~1runtime","value":"runc"},""" +
            """{"op":"add","path":"/metadata/annotations","value":{"agentsandbox.io/reasons":"AgentWorkload api: type Internal: stateless internal services run in runc with seccomp"}}""" +
            "]"
        },
        {
            "Existing affinity terms (ORed) each get the pool requirement ANDed in",
            Pod(labels: """{"agentsandbox.io/workload-type":"mcp-server"}""", spec: """{"runtimeClassName":"kata","securityContext":{"seccompProfile":{"type":"RuntimeDefault"}},"tolerations":[""" + KataToleration + """],"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"zone","operator":"In","values":["a"]}]},{"matchFields":[{"key":"metadata.name","operator":"In","values":["n1"]}]}]}}},"containers":[{"name":"c","image":"x"}]}"""),
            ClusterSnapshot.Empty,
            "[" +
            """{"op":"add","path":"/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms/0/matchExpressions/-","value":""" + KataExpression + "}," +
            """{"op":"add","path":"/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms/1/matchExpressions","value":[""" + KataExpression + "]}," +
            """{"op":"add","path":"/metadata/labels/agentsandbox.io~1tier","value":"high"},""" +
            """{"op":"add","path":"/metadata/labels/agentsandbox.io~1runtime","value":"kata"},""" +
            """{"op":"add","path":"/metadata/annotations","value":{"agentsandbox.io/reasons":"label agentsandbox.io/workload-type=mcp-server: MCP servers run in Kata"}}""" +
            "]"
        },
        {
            "Unmanaged pod naming the Kata class gets only the Kata pool's placement",
            Pod(spec: """{"runtimeClassName":"kata","containers":[{"name":"c","image":"x"}]}"""),
            ClusterSnapshot.Empty,
            "[" +
            """{"op":"add","path":"/spec/tolerations","value":[""" + KataToleration + "]}," +
            """{"op":"add","path":"/spec/affinity","value":""" + KataAffinity + "}" +
            "]"
        },
        {
            "A container seccomp profile alone does not cover the others: pod-level default is added",
            Pod(labels: """{"app":"api"}""", spec: """{"containers":[{"name":"a","image":"x","securityContext":{"seccompProfile":{"type":"Localhost","localhostProfile":"p.json"}}},{"name":"b","image":"y"}]}"""),
            Cluster([Workload("api", WorkloadType.Internal, matchApp: "api")]),
            "[" +
            """{"op":"add","path":"/spec/securityContext","value":{"seccompProfile":{"type":"RuntimeDefault"}}},""" +
            """{"op":"add","path":"/metadata/labels/agentsandbox.io~1tier","value":"low"},""" +
            """{"op":"add","path":"/metadata/labels/agentsandbox.io~1runtime","value":"runc"},""" +
            """{"op":"add","path":"/metadata/annotations","value":{"agentsandbox.io/reasons":"AgentWorkload api: type Internal: stateless internal services run in runc with seccomp"}}""" +
            "]"
        },
        {
            "Unmanaged pod without a sandbox class is left alone",
            Pod(labels: """{"app":"web"}"""),
            ClusterSnapshot.Empty,
            "[]"
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Produces_the_expected_patch(string description, JsonObject pod, ClusterSnapshot state, string expectedPatch)
    {
        var decision = Evaluate(pod, state);
        Assert.True(decision.Allowed, $"{description}: {decision.Message}");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expectedPatch), JsonNode.Parse(PatchJson(decision))),
            $"{description}\nexpected: {expectedPatch}\nactual:   {PatchJson(decision)}");
    }

    [Fact]
    public void Low_tier_uses_the_configured_localhost_profile()
    {
        var config = PolicyConfig.Default with { LowTierSeccomp = new SeccompSetting("Localhost", "agentsandbox/agent-restricted.json") };
        var decision = Evaluate(Pod(labels: """{"app":"api"}"""), Cluster([Workload("api", WorkloadType.Internal, matchApp: "api")]), config);
        var op = decision.Patch.Single(p => p.Path == "/spec/securityContext");
        Assert.Equal("""{"seccompProfile":{"type":"Localhost","localhostProfile":"agentsandbox/agent-restricted.json"}}""", op.Value!.ToJsonString());
    }

    [Fact]
    public void Explicit_stronger_runtime_is_kept_and_placement_follows_it()
    {
        var decision = Evaluate(Pod(labels: """{"app":"api"}""", spec: """{"runtimeClassName":"kata","containers":[{"name":"c","image":"x"}]}"""), Cluster([Workload("api", WorkloadType.Tool, matchApp: "api")]));
        Assert.True(decision.Allowed, decision.Message);
        Assert.DoesNotContain(decision.Patch, p => p.Path == "/spec/runtimeClassName");
        Assert.Equal(SandboxRuntime.Kata, decision.Runtime);
        Assert.Contains(decision.Patch, p => p.Path == "/spec/tolerations" && p.Value!.ToJsonString().Contains("\"kata\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Wrong_tier_label_set_by_the_user_is_corrected_with_a_warning()
    {
        var decision = Evaluate(Pod(labels: """{"agentsandbox.io/workload-type":"mcp-server","agentsandbox.io/tier":"low"}"""));
        Assert.Contains(decision.Patch, p => p is { Op: "replace", Path: "/metadata/labels/agentsandbox.io~1tier" } && (string?)p.Value == "high");
        Assert.Contains(decision.MutationWarnings, w => w.Contains("agentsandbox.io/tier=low", StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_fields_survive_the_patch()
    {
        var pod = Pod(labels: """{"agentsandbox.io/workload-type":"mcp-server"}""", spec: """{"futureField":{"x":[1,2]},"containers":[{"name":"c","image":"x","futureContainerField":"keep"}]}""");
        pod["futureTopLevel"] = "keep";
        var mutated = Mutated(pod, Evaluate(pod));
        Assert.Equal("keep", (string?)mutated["futureTopLevel"]);
        Assert.Equal("""{"x":[1,2]}""", mutated["spec"]!["futureField"]!.ToJsonString());
        Assert.Equal("keep", (string?)mutated["spec"]!["containers"]![0]!["futureContainerField"]);
    }

    [Fact]
    public void Pods_are_not_mutated_on_update_or_when_already_mutated()
    {
        var pod = Pod(labels: """{"agentsandbox.io/workload-type":"mcp-server"}""");
        Assert.Empty(Evaluate(pod, op: Policy.Decisions.AdmissionOperation.Update, old: pod).Patch);
        Assert.Empty(Evaluate(Mutated(pod, Evaluate(pod))).Patch);
    }
}
