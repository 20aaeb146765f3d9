using k8s.Models;
using SandboxOperator.Controller.Caching;
using SandboxOperator.Controller.Reconciling;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Controller.Tests;

/// <summary>status.edgeIsolate: the advice over the pods the controller caches, projected as the informer projects them.</summary>
public sealed class EdgeAdviceStatusTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static WorkloadEntry Entry(WorkloadType type) =>
        new("ns", "w", "uid-w", 1, new AgentWorkload("ns", "w", new AgentWorkloadSpec { Type = type }, 1), [], null);

    private static PodFacts Pod(string name, bool? automount, string? memory, V1Volume? volume = null) => PodProjection.Project(new V1Pod
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "ns", Uid = "uid-" + name, Labels = new Dictionary<string, string> { [WellKnown.WorkloadLabel] = "w" } },
        Spec = new V1PodSpec
        {
            AutomountServiceAccountToken = automount,
            RuntimeClassName = "gvisor",
            Volumes = volume is null ? null : [volume],
            Containers =
            [
                new V1Container
                {
                    Name = "app",
                    Resources = memory is null ? null : new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new ResourceQuantity(memory) } },
                },
            ],
        },
        Status = new V1PodStatus { Phase = "Running" },
    });

    private static AgentWorkloadStatus Build(WorkloadEntry entry, params PodFacts[] pods) =>
        WorkloadStatusBuilder.Build(entry, pods, [], PolicyConfig.Default, new ClusterSnapshot(workloads: [entry.Workload!]), T0).Status;

    [Fact]
    public void A_tool_whose_pods_are_lean_and_stateless_is_advised_as_an_edge_candidate()
    {
        var status = Build(Entry(WorkloadType.Tool), Pod("a", automount: false, memory: "64Mi"), Pod("b", automount: false, memory: "96Mi"));

        Assert.True(status.EdgeIsolate!.Candidate);
        Assert.Contains("2 pod(s)", Assert.Single(status.EdgeIsolate.Reasons!), StringComparison.Ordinal);
    }

    [Fact]
    public void A_pod_with_a_token_a_claim_or_no_limit_rules_it_out_and_says_which()
    {
        var status = Build(Entry(WorkloadType.Tool),
            Pod("a", automount: null, memory: "64Mi"),
            Pod("b", automount: false, memory: null),
            Pod("c", automount: false, memory: "64Mi", new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "d" } }));

        Assert.False(status.EdgeIsolate!.Candidate);
        Assert.Equal(
        [
            "pod a: a service-account token (spec.automountServiceAccountToken is not false)",
            "pod b: a container has no memory limit, so its footprint is unknown",
            "pod c: volume \"data\" (persistentVolumeClaim); only emptyDir is stateless",
        ], status.EdgeIsolate.Reasons);
    }

    [Fact]
    public void Without_pods_or_for_another_type_the_advice_is_no()
    {
        Assert.False(Build(Entry(WorkloadType.Tool)).EdgeIsolate!.Candidate);
        Assert.Equal("type MCPServer: only a Tool can run as an edge isolate", Build(Entry(WorkloadType.MCPServer), Pod("a", false, "64Mi")).EdgeIsolate!.Reasons![0]);
    }

    [Fact]
    public void The_advice_is_part_of_the_written_status_so_a_change_is_written()
    {
        var lean = Build(Entry(WorkloadType.Tool), Pod("a", automount: false, memory: "64Mi"));
        var heavy = Build(Entry(WorkloadType.Tool), Pod("a", automount: false, memory: "1Gi"));

        Assert.False(StatusComparer.Equivalent(lean, heavy));
        Assert.Equal("""{"candidate":true,"reasons":["a stateless Tool: 1 pod(s) or template(s) with only emptyDir volumes, no service-account token, no host features or privileges, memory within 128Mi; it could run as an edge isolate instead of a pod (advice only)"]}""",
            StatusComparer.ToJson(lean)["edgeIsolate"]!.ToJsonString());
    }
}
