using System.Text.Json;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Edge;

namespace SandboxOperator.Policy.Tests.Edge;

public class EdgeIsolateAdvisorTests
{
    private const string Lean = """{"automountServiceAccountToken":false,"containers":[{"name":"a","resources":{"limits":{"memory":"64Mi"}}}]}""";

    private static EdgePodFacts Facts(string spec) => EdgePodFacts.Read(JsonDocument.Parse($$"""{"metadata":{},"spec":{{spec}}}""").RootElement);

    private static EdgeAdvice Assess(string spec, WorkloadType type = WorkloadType.Tool, WorkloadTraits? traits = null, RiskTier? riskTier = null) =>
        EdgeIsolateAdvisor.Assess(new AgentWorkloadSpec { Type = type, Traits = traits, RiskTier = riskTier }, [("Pod p", Facts(spec))]);

    [Fact]
    public void A_lean_stateless_tool_is_a_candidate()
    {
        var advice = Assess(Lean);

        Assert.True(advice.Candidate);
        Assert.Contains("could run as an edge isolate instead of a pod (advice only)", Assert.Single(advice.Reasons), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"automountServiceAccountToken":false,"volumes":[{"name":"scratch","emptyDir":{}}],"containers":[{"name":"a","resources":{"limits":{"memory":"100M"}}}]}""")]
    [InlineData("""{"automountServiceAccountToken":false,"containers":[{"name":"a","resources":{"limits":{"memory":"64Mi"}}},{"name":"b","resources":{"limits":{"memory":"64Mi"}}}]}""")]
    [InlineData("""{"automountServiceAccountToken":false,"initContainers":[{"name":"i","resources":{"limits":{"memory":"128Mi"}}}],"containers":[{"name":"a","resources":{"limits":{"memory":"0.0625Gi"}}}]}""")]
    [InlineData("""{"automountServiceAccountToken":false,"containers":[{"name":"a","ports":[{"containerPort":8080}],"resources":{"limits":{"memory":134217728}}}]}""")]
    public void Only_emptyDir_and_at_most_128Mi_in_all_still_qualify(string spec)
    {
        Assert.True(Assess(spec).Candidate);
    }

    [Theory]
    [InlineData(Lean, WorkloadType.MCPServer, "type MCPServer: only a Tool can run as an edge isolate")]
    [InlineData(Lean, WorkloadType.Internal, "type Internal: only a Tool can run as an edge isolate")]
    [InlineData("""{"containers":[{"name":"a","resources":{"limits":{"memory":"64Mi"}}}]}""", WorkloadType.Tool, "Pod p: a service-account token (spec.automountServiceAccountToken is not false)")]
    [InlineData("""{"automountServiceAccountToken":true,"containers":[{"name":"a","resources":{"limits":{"memory":"64Mi"}}}]}""", WorkloadType.Tool, "Pod p: a service-account token (spec.automountServiceAccountToken is not false)")]
    [InlineData("""{"automountServiceAccountToken":false,"volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"d"}}],"containers":[{"name":"a","resources":{"limits":{"memory":"64Mi"}}}]}""", WorkloadType.Tool, "Pod p: volume \"data\" (persistentVolumeClaim); only emptyDir is stateless")]
    [InlineData("""{"automountServiceAccountToken":false,"volumes":[{"name":"cfg","configMap":{"name":"c"}}],"containers":[{"name":"a","resources":{"limits":{"memory":"64Mi"}}}]}""", WorkloadType.Tool, "Pod p: volume \"cfg\" (configMap); only emptyDir is stateless")]
    [InlineData("""{"automountServiceAccountToken":false,"hostNetwork":true,"containers":[{"name":"a","resources":{"limits":{"memory":"64Mi"}}}]}""", WorkloadType.Tool, "Pod p: spec.hostNetwork: true")]
    [InlineData("""{"automountServiceAccountToken":false,"hostUsers":false,"containers":[{"name":"a","resources":{"limits":{"memory":"64Mi"}}}]}""", WorkloadType.Tool, "Pod p: spec.hostUsers: false (the host's user namespace)")]
    [InlineData("""{"automountServiceAccountToken":false,"containers":[{"name":"a","ports":[{"containerPort":80,"hostPort":80}],"resources":{"limits":{"memory":"64Mi"}}}]}""", WorkloadType.Tool, "Pod p: spec.containers[0].ports: a hostPort")]
    [InlineData("""{"automountServiceAccountToken":false,"containers":[{"name":"a","securityContext":{"privileged":true},"resources":{"limits":{"memory":"64Mi"}}}]}""", WorkloadType.Tool, "Pod p: spec.containers[0].securityContext.privileged: true")]
    [InlineData("""{"automountServiceAccountToken":false,"containers":[{"name":"a","securityContext":{"capabilities":{"add":["NET_ADMIN"]}},"resources":{"limits":{"memory":"64Mi"}}}]}""", WorkloadType.Tool, "Pod p: spec.containers[0].securityContext.capabilities.add: NET_ADMIN")]
    [InlineData("""{"automountServiceAccountToken":false,"initContainers":[{"name":"i","securityContext":{"allowPrivilegeEscalation":true},"resources":{"limits":{"memory":"8Mi"}}}],"containers":[{"name":"a","resources":{"limits":{"memory":"64Mi"}}}]}""", WorkloadType.Tool, "Pod p: spec.initContainers[0].securityContext.allowPrivilegeEscalation: true")]
    [InlineData("""{"automountServiceAccountToken":false,"containers":[{"name":"a"}]}""", WorkloadType.Tool, "Pod p: a container has no memory limit, so its footprint is unknown")]
    [InlineData("""{"automountServiceAccountToken":false,"containers":[{"name":"a","resources":{"limits":{"memory":"100Mi"}}},{"name":"b","resources":{"limits":{"memory":"29Mi"}}}]}""", WorkloadType.Tool, "Pod p: memory limit 129Mi exceeds the 128Mi an isolate gets")]
    [InlineData("""{"automountServiceAccountToken":false,"initContainers":[{"name":"i","resources":{"limits":{"memory":"1Gi"}}}],"containers":[{"name":"a","resources":{"limits":{"memory":"64Mi"}}}]}""", WorkloadType.Tool, "Pod p: memory limit 1024Mi exceeds the 128Mi an isolate gets")]
    [InlineData("""{"automountServiceAccountToken":false,"containers":[{"name":"a","resources":{"limits":{"memory":"lots"}}}]}""", WorkloadType.Tool, "Pod p: spec.containers[0].resources.limits.memory \"lots\" cannot be read as a quantity")]
    public void Each_need_rules_it_out_with_its_reason(string spec, WorkloadType type, string reason)
    {
        var advice = Assess(spec, type);

        Assert.False(advice.Candidate);
        Assert.Contains(reason, advice.Reasons);
    }

    [Fact]
    public void A_tool_raised_to_High_by_a_trait_or_riskTier_needs_Kata()
    {
        var trait = Assess(Lean, traits: new WorkloadTraits { ExecutesUntrustedCode = true });
        var raised = Assess(Lean, riskTier: RiskTier.High);

        Assert.False(trait.Candidate);
        Assert.StartsWith("tier High (", trait.Reasons[0], StringComparison.Ordinal);
        Assert.EndsWith("it needs Kata", trait.Reasons[0], StringComparison.Ordinal);
        Assert.False(raised.Candidate);
    }

    [Fact]
    public void Without_any_known_pod_the_answer_is_no()
    {
        var advice = EdgeIsolateAdvisor.Assess(new AgentWorkloadSpec { Type = WorkloadType.Tool }, []);

        Assert.False(advice.Candidate);
        Assert.Equal(["no pod or pod template of the workload is known, so what it needs cannot be checked"], advice.Reasons);
    }

    [Fact]
    public void One_heavy_pod_among_lean_ones_rules_the_workload_out()
    {
        var advice = EdgeIsolateAdvisor.Assess(new AgentWorkloadSpec { Type = WorkloadType.Tool },
            [("Pod a", Facts(Lean)), ("Deployment b", Facts("""{"automountServiceAccountToken":false,"containers":[{"name":"a","resources":{"limits":{"memory":"2Gi"}}}]}"""))]);

        Assert.False(advice.Candidate);
        Assert.Equal(["Deployment b: memory limit 2048Mi exceeds the 128Mi an isolate gets"], advice.Reasons);
    }

    [Fact]
    public void A_need_shared_by_several_pods_is_one_reason_naming_three_and_counting_the_rest()
    {
        const string Heavy = """{"containers":[{"name":"a"}]}""";
        var advice = EdgeIsolateAdvisor.Assess(new AgentWorkloadSpec { Type = WorkloadType.Tool },
            [("Pod a", Facts(Heavy)), ("Pod b", Facts(Heavy)), ("Pod c", Facts(Heavy)), ("Pod d", Facts(Heavy)), ("Pod e", Facts(Lean))]);

        Assert.Equal(
        [
            "Pod a, Pod b, Pod c and 1 more: a service-account token (spec.automountServiceAccountToken is not false)",
            "Pod a, Pod b, Pod c and 1 more: a container has no memory limit, so its footprint is unknown",
        ], advice.Reasons);
    }

    [Fact]
    public void When_the_type_decides_the_pods_needs_are_not_listed()
    {
        var advice = EdgeIsolateAdvisor.Assess(new AgentWorkloadSpec { Type = WorkloadType.Agent }, [("Pod a", Facts("""{"hostNetwork":true,"containers":[{"name":"a"}]}"""))]);

        Assert.Equal(["type Agent: only a Tool can run as an edge isolate"], advice.Reasons);
    }

    [Theory]
    [InlineData("128Mi", 134217728)]
    [InlineData("0.5Gi", 536870912)]
    [InlineData("100M", 100000000)]
    [InlineData("1e6", 1000000)]
    [InlineData("64Ki", 65536)]
    [InlineData("1500m", 1.5)]
    public void Quantities_read_as_Kubernetes_writes_them(string text, double expected)
    {
        Assert.True(Quantity.TryParse(text, out var value));
        Assert.Equal((decimal)expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1Mi")]
    [InlineData("12XB")]
    [InlineData("Mi")]
    public void Other_text_is_not_a_quantity(string text)
    {
        Assert.False(Quantity.TryParse(text, out _));
    }
}
