using System.Text.Json.Nodes;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Manifests;
using SandboxOperator.Policy.Placement;
using SandboxOperator.Policy.Pods;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Policy.Tests.Placement;

public sealed class RuntimeHandlerProofTests
{
    private static readonly RuntimeSettings Kata = PolicyConfig.Default.Kata;
    private static readonly RuntimeSettings GVisor = PolicyConfig.Default.SettingsFor(SandboxRuntime.GVisor)!;

    /// <summary>A node of <paramref name="pool"/>; <paramref name="handlers"/> "-" means it reports none, "" is the default handler.</summary>
    private static NodeInfo Node(string name, string? pool, string handlers = "-", string? kataLabel = null)
    {
        var labels = new Dictionary<string, string>();
        if (pool is not null)
        {
            labels["agentsandbox.io/pool"] = pool;
        }

        if (kataLabel is not null)
        {
            labels[RuntimeHandlerProof.KataDeployLabel] = kataLabel;
        }

        return new NodeInfo(name, labels, [], true, handlers == "-" ? null : handlers.Split(','));
    }

    [Theory]
    [InlineData(",kata-qemu,kata-clh", null, "kata-qemu", HandlerEvidence.Advertised)]
    [InlineData(",runc", null, "kata-qemu", HandlerEvidence.Absent)]
    [InlineData(",runc", "true", "kata-qemu", HandlerEvidence.Absent)] // the node's own report outranks the label
    [InlineData("-", "true", "kata-qemu", HandlerEvidence.KataDeployLabel)]
    [InlineData("-", "cleanup", "kata-qemu", HandlerEvidence.Absent)] // kata-deploy is removing Kata
    [InlineData("-", null, "kata-qemu", HandlerEvidence.Unreported)]
    public void A_kata_node_proves_the_handler_by_its_report_or_kata_deploys_label(string handlers, string? label, string handler, HandlerEvidence expected) =>
        Assert.Equal(expected, RuntimeHandlerProof.OnNode(Node("n", "kata", handlers, label), handler, SandboxRuntime.Kata));

    [Fact]
    public void Kata_deploys_label_proves_nothing_about_gvisor() =>
        Assert.Equal(HandlerEvidence.Unreported, RuntimeHandlerProof.OnNode(Node("n", "gvisor", "-", "true"), "runsc", SandboxRuntime.GVisor));

    public static TheoryData<string, NodeInfo[], HandlerProofState, string[], string[]> Pools() => new()
    {
        { "all report it", [Node("k1", "kata", ",kata-qemu"), Node("k2", "kata", "kata-qemu")], HandlerProofState.Verified, [], [] },
        { "label and report", [Node("k1", "kata", ",kata-qemu"), Node("k2", "kata", "-", "true")], HandlerProofState.Verified, [], [] },
        { "one lacks it", [Node("k2", "kata", ",runc"), Node("k1", "kata", ",kata-qemu"), Node("k0", "kata", "")], HandlerProofState.Missing, ["k0", "k2"], [] },
        { "missing outranks unreported", [Node("k1", "kata", ",runc"), Node("k2", "kata")], HandlerProofState.Missing, ["k1"], ["k2"] },
        { "old nodes", [Node("k1", "kata"), Node("k2", "kata")], HandlerProofState.Unverified, [], ["k1", "k2"] },
        { "one old node", [Node("k1", "kata", "kata-qemu"), Node("k2", "kata")], HandlerProofState.Unverified, [], ["k2"] },
        { "no pool nodes", [Node("g1", null, ",runc"), Node("v1", "gvisor", "runsc")], HandlerProofState.Unverified, [], [] },
    };

    [Theory]
    [MemberData(nameof(Pools))]
    public void A_pool_is_verified_only_when_every_node_proves_the_handler(string scenario, NodeInfo[] nodes, HandlerProofState state, string[] missing, string[] unreported)
    {
        var proof = RuntimeHandlerProof.ForPool(Kata, "kata-qemu", nodes);
        Assert.True(state == proof.State, scenario);
        Assert.Equal(missing, proof.MissingOn);
        Assert.Equal(unreported, proof.UnreportedOn);
        Assert.Equal(SandboxRuntime.Kata, proof.Runtime);
        Assert.Equal("kata-qemu", proof.Handler);
    }

    [Fact]
    public void Only_the_pools_own_nodes_count()
    {
        var proof = RuntimeHandlerProof.ForPool(GVisor, "runsc", [Node("k1", "kata", ",kata-qemu"), Node("v1", "gvisor", ",runsc")]);
        Assert.Equal((HandlerProofState.Verified, 1), (proof.State, proof.VerifiedNodes));
    }

    private static readonly ClusterSnapshot State = new(
        runtimeClasses: [new RuntimeClassInfo("kata", "kata-qemu", new Dictionary<string, string>(), []), new RuntimeClassInfo("gvisor", "runsc", new Dictionary<string, string>(), [])],
        nodes: [Node("has", "kata", ",kata-qemu"), Node("lacks", "kata", ",runc"), Node("old", "kata"), Node("removing", "kata", "-", "cleanup")]);

    [Theory]
    [InlineData("kata", "has", null)]
    [InlineData("kata", "old", null)]
    [InlineData("kata", "lacks", "the pod is on node lacks, which does not have handler \"kata-qemu\" of RuntimeClass \"kata\" (it reports handlers (default), runc), so it cannot run there; install the runtime on the node or take the node out of the pool")]
    [InlineData("kata", "removing", "the pod is on node removing, which does not have handler \"kata-qemu\" of RuntimeClass \"kata\" (it is labelled katacontainers.io/kata-runtime=cleanup), so it cannot run there; install the runtime on the node or take the node out of the pool")]
    [InlineData("gvisor", "has", "the pod is on node has, which does not have handler \"runsc\" of RuntimeClass \"gvisor\" (it reports handlers (default), kata-qemu), so it cannot run there; install the runtime on the node or take the node out of the pool")]
    [InlineData("kata", "", null)] // not scheduled yet
    [InlineData("kata", "unknown-node", null)]
    [InlineData("unknown-class", "lacks", null)]
    [InlineData(null, "lacks", null)] // the default handler is always there
    public void A_pod_on_a_node_without_its_handler_breaks_the_rule(string? runtimeClass, string node, string? message)
    {
        var pod = new PodSpecView { Name = "p", NodeName = node, RuntimeClassNameSet = runtimeClass is not null, RuntimeClassName = runtimeClass };
        var violation = RuntimeHandlerProof.ForPod(pod, PolicyConfig.Default, State);
        Assert.Equal(message, violation?.Message);
        if (violation is not null)
        {
            Assert.Equal(("runtime-handler-missing", "nodeName"), (violation.Rule, violation.Subject));
        }
    }

    [Fact]
    public void Node_manifests_give_their_runtime_handlers()
    {
        var node = JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Node","metadata":{"name":"k1"},
             "status":{"runtimeHandlers":[{"name":"","features":{"recursiveReadOnlyMounts":true}},{"name":"kata-qemu"}]}}
            """)!.AsObject();
        var old = JsonNode.Parse("""{"apiVersion":"v1","kind":"Node","metadata":{"name":"k0"},"status":{}}""")!.AsObject();
        var set = ManifestSet.From([new ManifestDocument("nodes.yaml", 1, node), new ManifestDocument("nodes.yaml", 5, old)]);
        Assert.Equal(["", "kata-qemu"], set.State.Node("k1")!.RuntimeHandlers);
        Assert.Null(set.State.Node("k0")!.RuntimeHandlers);
    }
}
