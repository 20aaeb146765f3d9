using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.State;
using SandboxOperator.Webhook.StateSources;

namespace SandboxOperator.Webhook.Tests.StateSources;

public sealed class ReviewClusterStateTests
{
    private static AgentWorkload W(string ns, string name, WorkloadType type) => new(ns, name, new AgentWorkloadSpec { Type = type });

    private static readonly ClusterSnapshot Cache = new(
        namespaces: [new("tools", new Dictionary<string, string> { ["cached"] = "yes" }), new("other", new Dictionary<string, string>())],
        workloads: [W("tools", "stale-agent", WorkloadType.Agent), W("tools", "lowered", WorkloadType.Agent), W("other", "elsewhere", WorkloadType.Tool)]);

    [Fact]
    public void Live_workloads_win_by_name_cached_ones_the_read_missed_are_kept_and_other_namespaces_are_untouched()
    {
        var state = new ReviewClusterState(Cache, "tools", null, [W("tools", "lowered", WorkloadType.Tool), W("tools", "new", WorkloadType.ExecTool)]);

        var tools = state.WorkloadsIn("tools").ToDictionary(w => w.Name, w => w.Spec.Type);
        Assert.Equal(new Dictionary<string, WorkloadType>
        {
            ["lowered"] = WorkloadType.Tool,       // the live object wins
            ["new"] = WorkloadType.ExecTool,       // seen only by the live read
            ["stale-agent"] = WorkloadType.Agent,  // cached, not returned live: kept (it can only add a claim)
        }, tools);
        Assert.Equal(["elsewhere"], state.WorkloadsIn("other").Select(w => w.Name));
    }

    [Fact]
    public void Live_labels_replace_the_cache_only_for_the_review_namespace_and_only_when_read()
    {
        var live = new Dictionary<string, string> { [WellKnown.EnforceLabel] = WellKnown.EnforceKataValue };
        Assert.Same(live, new ReviewClusterState(Cache, "fresh", live, []).NamespaceLabels("fresh"));
        Assert.Equal("yes", new ReviewClusterState(Cache, "tools", null, []).NamespaceLabels("tools")!["cached"]);
        Assert.Null(new ReviewClusterState(Cache, "fresh", null, []).NamespaceLabels("fresh"));
        Assert.NotNull(new ReviewClusterState(Cache, "fresh", live, []).NamespaceLabels("other"));
    }
}
