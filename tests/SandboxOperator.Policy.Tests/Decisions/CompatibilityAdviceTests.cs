using System.Text.Json.Nodes;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Policy.Tests.Decisions;

/// <summary>Compatibility advice: a warning naming the feature, the fix and the source for what breaks in the pod's sandbox.</summary>
public class CompatibilityAdviceTests
{
    private const string Agent = """{"agentsandbox.io/workload":"agent"}""";
    private const string Tool = """{"agentsandbox.io/workload":"tool"}""";
    private const string Plain = """{"app":"web"}""";

    private static readonly ClusterSnapshot State = TestData.Cluster(
        [TestData.Workload("agent", WorkloadType.Agent), TestData.Workload("tool", WorkloadType.Tool), TestData.Workload("svc", WorkloadType.Internal, matchApp: "web")],
        runtimeClasses:
        [
            new RuntimeClassInfo("kata", "kata-qemu", new Dictionary<string, string>(), []),
            new RuntimeClassInfo("gvisor", "runsc", new Dictionary<string, string>(), []),
        ]);

    /// <summary>The pod spec with a RuntimeDefault seccomp profile, so that only the advice differs between cases.</summary>
    private static string WithSeccomp(string spec)
    {
        var node = JsonNode.Parse(spec)!.AsObject();
        node["securityContext"] = JsonNode.Parse("""{"seccompProfile":{"type":"RuntimeDefault"}}""");
        return node.ToJsonString();
    }

    public static TheoryData<string, string, string[]> Cases => new()
    {
        // labels, spec, the start of each compatibility warning, in order
        {
            Tool,
            WithSeccomp("""{"containers":[{"name":"train","image":"x","resources":{"limits":{"cpu":"2","nvidia.com/gpu":"1"}}}]}"""),
            ["compatibility: container \"train\" requests nvidia.com/gpu: GPU resources in GVisor: gVisor reaches NVIDIA GPUs only through its nvproxy driver"]
        },
        {
            Agent,
            WithSeccomp("""{"containers":[{"name":"train","image":"x","resources":{"requests":{"amd.com/gpu":1},"limits":{"amd.com/gpu":1,"memory":"1Gi"}}}]}"""),
            ["compatibility: container \"train\" requests amd.com/gpu: GPU resources in Kata: a Kata VM sees a GPU only when it is passed through with VFIO"]
        },
        {
            Agent,
            WithSeccomp("""{"initContainers":[{"name":"prep","image":"x","resources":{"limits":{"gpu.intel.com/i915":"1","nvidia.com/mig-1g.5gb":"1"}}}],"containers":[{"name":"app","image":"x"}]}"""),
            ["compatibility: init container \"prep\" requests gpu.intel.com/i915, nvidia.com/mig-1g.5gb: GPU resources in Kata"]
        },
        {
            Tool,
            WithSeccomp("""{"containers":[{"name":"csi","image":"x","volumeMounts":[{"name":"data","mountPath":"/d","mountPropagation":"Bidirectional"},{"name":"cfg","mountPath":"/c","mountPropagation":"HostToContainer"}]}],"volumes":[{"name":"data","emptyDir":{}},{"name":"cfg","emptyDir":{}}]}"""),
            ["compatibility: container \"csi\" mounts \"data\" with mountPropagation Bidirectional: Bidirectional mount propagation in GVisor: gVisor's kernel keeps its own mount table"]
        },
        {
            Agent,
            WithSeccomp("""{"containers":[{"name":"csi","image":"x","volumeMounts":[{"name":"data","mountPath":"/d","mountPropagation":"Bidirectional"}]}],"volumes":[{"name":"data","emptyDir":{}}]}"""),
            ["compatibility: container \"csi\" mounts \"data\" with mountPropagation Bidirectional: Bidirectional mount propagation in Kata: mounts made inside the Kata VM stay in the guest kernel"]
        },
        {
            Agent,
            WithSeccomp("""{"containers":[{"name":"vm","image":"x"}],"volumes":[{"name":"kvm","hostPath":{"path":"/dev/kvm","type":"CharDevice"}}]}"""),
            ["compatibility: hostPath volume \"kvm\" mounts /dev/kvm: /dev/kvm in Kata: inside a Kata VM a container is given the guest's devices"]
        },
        {
            Tool,
            WithSeccomp("""{"containers":[{"name":"vm","image":"x"}],"volumes":[{"name":"kvm","hostPath":{"path":"/dev/kvm"}}]}"""),
            ["compatibility: hostPath volume \"kvm\" mounts /dev/kvm: /dev/kvm in GVisor: gVisor exposes only the device files it implements itself; the host's /dev/kvm"]
        },
        {
            Agent,
            WithSeccomp("""{"containers":[{"name":"io","image":"x"}],"volumes":[{"name":"disk","hostPath":{"path":"/srv/raw","type":"BlockDevice"}},{"name":"tty","hostPath":{"path":"/dev/ttyUSB0"}},{"name":"logs","hostPath":{"path":"/var/log"}}]}"""),
            [
                "compatibility: hostPath volume \"disk\" mounts /srv/raw: host devices in Kata: inside a Kata VM a container is given the guest's devices",
                "compatibility: hostPath volume \"tty\" mounts /dev/ttyUSB0: host devices in Kata",
            ]
        },
        {
            Tool,
            WithSeccomp("""{"containers":[{"name":"io","image":"x"}],"volumes":[{"name":"tty","hostPath":{"path":"/dev","type":"Directory"}}]}"""),
            ["compatibility: hostPath volume \"tty\" mounts /dev: host devices in GVisor: gVisor exposes only the device files it implements itself (and NVIDIA's through nvproxy)"]
        },
        // Nothing that breaks: ordinary resources, propagation other than Bidirectional, a hostPath outside /dev.
        {
            Agent,
            WithSeccomp("""{"containers":[{"name":"app","image":"x","resources":{"limits":{"cpu":"1","memory":"1Gi","ephemeral-storage":"1Gi","example.com/fpga":"1"}},"volumeMounts":[{"name":"d","mountPath":"/d","mountPropagation":"HostToContainer"}]}],"volumes":[{"name":"d","emptyDir":{}}]}"""),
            []
        },
        // runc (a Low-tier pod) gets no advice, whatever it uses.
        {
            Plain,
            WithSeccomp("""{"containers":[{"name":"train","image":"x","resources":{"limits":{"nvidia.com/gpu":"1"}},"volumeMounts":[{"name":"kvm","mountPath":"/dev/kvm","mountPropagation":"Bidirectional"}]}],"volumes":[{"name":"kvm","hostPath":{"path":"/dev/kvm"}}]}"""),
            []
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Warns_for_each_feature_that_breaks_in_the_pods_sandbox(string labels, string spec, string[] expected)
    {
        var decision = TestData.Evaluate(TestData.Pod(labels: labels, spec: spec), State);

        var advice = decision.Warnings.Where(w => w.StartsWith("compatibility: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(expected.Length, advice.Count);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.StartsWith(expected[i], advice[i], StringComparison.Ordinal);
            Assert.Contains(". Fix: ", advice[i], StringComparison.Ordinal);
            Assert.Matches(@"\(source: https://[^ ]+( https://[^ ]+)?\)$", advice[i]);
        }
    }

    [Fact]
    public void An_unmanaged_pod_that_names_a_sandbox_runtime_itself_gets_the_advice_for_that_runtime()
    {
        var pod = TestData.Pod(spec: """{"runtimeClassName":"gvisor","containers":[{"name":"train","image":"x","resources":{"limits":{"nvidia.com/gpu":"1"}}}]}""");

        var decision = TestData.Evaluate(pod, State);

        Assert.Null(decision.Tier);
        Assert.Contains(decision.Warnings, w => w.StartsWith("compatibility: container \"train\" requests nvidia.com/gpu: GPU resources in GVisor", StringComparison.Ordinal));
    }

    [Fact]
    public void A_Deployment_template_gets_the_advice_with_its_path_on_create_and_update()
    {
        var deployment = JsonNode.Parse("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"trainer","namespace":"default"},
             "spec":{"selector":{"matchLabels":{"agentsandbox.io/workload":"agent"}},"template":{"metadata":{"labels":{"agentsandbox.io/workload":"agent"}},
               "spec":{"securityContext":{"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"train","image":"x","resources":{"limits":{"nvidia.com/gpu":"1"}}}]}}}}
            """)!.AsObject();

        foreach (var op in new[] { AdmissionOperation.Create, AdmissionOperation.Update })
        {
            var decision = TestData.Evaluate(deployment, State, op: op, old: op == AdmissionOperation.Update ? deployment : null);
            Assert.Contains(decision.Warnings, w => w.StartsWith("spec.template: compatibility: container \"train\" requests nvidia.com/gpu: GPU resources in Kata", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_pod_update_repeats_no_advice_its_create_gave()
    {
        var pod = TestData.Pod(labels: Agent, spec: WithSeccomp("""{"runtimeClassName":"kata","containers":[{"name":"train","image":"x","resources":{"limits":{"nvidia.com/gpu":"1"}}}]}"""));

        var decision = TestData.Evaluate(pod, State, op: AdmissionOperation.Update, old: pod, mutationApplied: true);

        Assert.DoesNotContain(decision.Warnings, w => w.Contains("compatibility: ", StringComparison.Ordinal));
    }

    [Fact]
    public void Standard_resources_of_many_containers_do_not_make_a_pod_unreadable()
    {
        var containers = new JsonArray();
        for (var i = 0; i < 1_500; i++)
        {
            var container = JsonNode.Parse("""{"image":"x","resources":{"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"1","memory":"1Gi","ephemeral-storage":"1Gi"}}}""")!;
            container["name"] = $"c{i}";
            containers.Add(container);
        }

        var pod = TestData.Pod(labels: Agent, spec: WithSeccomp("""{"containers":[]}"""));
        pod["spec"]!["containers"] = containers;

        var decision = TestData.Evaluate(pod, State);

        Assert.True(decision.Allowed, decision.Message);
        Assert.Equal(RiskTier.High, decision.Tier);
    }

    [Fact]
    public void A_malformed_hostPath_is_still_a_hostPath_and_names_no_device()
    {
        var pod = TestData.Pod(labels: Agent, spec: WithSeccomp("""{"containers":[{"name":"c","image":"x"}],"volumes":[{"name":"odd","hostPath":{"path":7,"type":["CharDevice"]}}]}"""));

        var decision = TestData.Evaluate(pod, State);

        Assert.False(decision.Allowed);
        Assert.Contains("hostPath volume \"odd\" is not allowed at tier High", decision.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(decision.Warnings, w => w.Contains("compatibility: ", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_catalogue_entry_names_a_feature_a_fix_and_an_upstream_source_and_is_listed_in_the_docs()
    {
        var docs = File.ReadAllText(Path.Combine(TestData.RepoRoot(), "docs", "policy.md"));
        Assert.Equal(CompatibilityAdvice.Catalogue.Count, CompatibilityAdvice.Catalogue.Select(e => e.Id).Distinct().Count());
        foreach (var e in CompatibilityAdvice.Catalogue)
        {
            Assert.NotEqual(SandboxRuntime.Runc, e.Runtime);
            Assert.False(string.IsNullOrWhiteSpace(e.Feature));
            Assert.False(string.IsNullOrWhiteSpace(e.Fix));
            Assert.All(e.Source.Split(' '), s => Assert.StartsWith("https://", s, StringComparison.Ordinal));
            Assert.Contains($"`{e.Id}`", docs, StringComparison.Ordinal);
            Assert.All(e.Source.Split(' '), s => Assert.Contains(s, docs, StringComparison.Ordinal));
        }
    }
}
