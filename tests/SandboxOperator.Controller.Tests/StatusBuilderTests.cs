using SandboxOperator.Controller.Caching;
using SandboxOperator.Controller.Reconciling;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Placement;
using SandboxOperator.Policy.Pods;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Controller.Tests;

public sealed class StatusBuilderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly PolicyConfig Config = PolicyConfig.Default;

    private static NodeInfo PoolNode(string name, string pool, bool taint = true, bool ready = true) => new(
        name,
        new Dictionary<string, string> { ["agentsandbox.io/pool"] = pool },
        taint ? [new NodeTaint("agentsandbox.io/pool", pool, "NoSchedule")] : [],
        ready);

    private static WorkloadEntry Entry(WorkloadType type, AgentWorkloadStatus? status = null, long generation = 3, RiskTier? riskTier = null) =>
        new("ns", "w", "uid-w", generation, new AgentWorkload("ns", "w", new AgentWorkloadSpec { Type = type, RiskTier = riskTier }, generation), [], status);

    private static PodFacts Pod(string name, string? runtimeClass, string? pool, string workload = "w", string? phase = "Running") => new(
        "ns", name, "uid-" + name, phase,
        AdmittedStatement.Apply(new PodSpecView
        {
            PodSeccompType = "RuntimeDefault",
            Name = name,
            Labels = new Dictionary<string, string> { [WellKnown.WorkloadLabel] = workload },
            RuntimeClassNameSet = runtimeClass is not null,
            RuntimeClassName = runtimeClass,
            NodeSelector = pool is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["agentsandbox.io/pool"] = pool },
            Tolerations = pool is null ? [] : [new Toleration("agentsandbox.io/pool", "Equal", pool, "NoSchedule")],
        }, runtimeClass),
        null);

    private static ClusterSnapshot State(WorkloadEntry entry, bool kataClass = true, params NodeInfo[] nodes) => new(
        workloads: [entry.Workload!],
        runtimeClasses: kataClass ? [new RuntimeClassInfo("kata", "kata-qemu", new Dictionary<string, string>(), [])] : [],
        nodes: nodes);

    private static WorkloadCondition Cond(AgentWorkloadStatus s, string type) => s.Conditions!.Single(c => c.Type == type);

    [Fact]
    public void High_workload_with_class_pool_and_compliant_pods_is_Ready()
    {
        var entry = Entry(WorkloadType.Agent);
        var nodes = new[] { PoolNode("k1", "kata") };
        var a = WorkloadStatusBuilder.Build(entry, [Pod("p1", "kata", "kata"), Pod("done", null, null, phase: "Succeeded")], nodes, Config, State(entry, true, nodes), T0);

        Assert.Equal(RiskTier.High, a.Status.RiskTier);
        Assert.Equal(SandboxRuntime.Kata, a.Status.Runtime);
        Assert.Equal("kata", a.Status.RuntimeClassName);
        Assert.Equal("kata", a.Status.NodePool);
        Assert.Equal(3, a.Status.ObservedGeneration);
        Assert.Equal(1, a.Status.Pods!.Total);
        Assert.Equal(1, a.Status.Pods.Compliant);
        Assert.Equal(["Ready", "RuntimeClassAvailable", "NodePoolAvailable", "PodsCompliant"], a.Status.Conditions!.Select(c => c.Type));
        Assert.All(a.Status.Conditions!, c => Assert.Equal("True", c.Status));
        Assert.All(a.Status.Conditions!, c => Assert.Equal(3, c.ObservedGeneration));
        Assert.Empty(a.NonCompliantPods);
    }

    [Fact]
    public void An_ignored_risk_tier_is_said_in_the_status_reasons()
    {
        var entry = Entry(WorkloadType.ExecTool, riskTier: RiskTier.Low);
        var a = WorkloadStatusBuilder.Build(entry, [], [], Config, State(entry), T0);
        Assert.Equal(RiskTier.High, a.Status.RiskTier);
        Assert.Equal(["type ExecTool: code-execution tools run in Kata", "spec.riskTier Low is ignored: it can raise the tier, never lower it below High"], a.Status.Reasons);
    }

    [Theory]
    [InlineData("kata", "True", "Available")]
    [InlineData("kata-clh-tdx", "True", "Available")]
    [InlineData("runc", "False", "HandlerMismatch")]
    public void The_class_is_available_when_its_handler_is_one_kata_accepts(string handler, string status, string reason)
    {
        var entry = Entry(WorkloadType.Agent);
        var state = new ClusterSnapshot(workloads: [entry.Workload!], runtimeClasses: [new RuntimeClassInfo("kata", handler, new Dictionary<string, string>(), [])]);
        var rc = Cond(WorkloadStatusBuilder.Build(entry, [], [], Config, state, T0).Status, "RuntimeClassAvailable");
        Assert.Equal((status, reason), (rc.Status, rc.Reason));
        Assert.Contains($"handler \"{handler}\"", rc.Message, StringComparison.Ordinal);
        if (status == "False")
        {
            Assert.Contains("which is not a Kata handler (the policy accepts kata-qemu, kata, kata-qemu-*", rc.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Missing_class_unusable_pool_and_bad_pods_are_reported_with_actionable_messages()
    {
        var entry = Entry(WorkloadType.MCPServer);
        var nodes = new[] { PoolNode("k-untainted", "kata", taint: false), PoolNode("k-notready", "kata", ready: false) };
        var a = WorkloadStatusBuilder.Build(entry, [Pod("good", "kata", "kata"), Pod("bad", null, null)], nodes, Config, State(entry, false, nodes), T0);

        var rc = Cond(a.Status, "RuntimeClassAvailable");
        Assert.Equal(("False", "RuntimeClassMissing"), (rc.Status, rc.Reason));
        Assert.Contains("handler \"kata-qemu\"", rc.Message);
        var pool = Cond(a.Status, "NodePoolAvailable");
        Assert.Equal(("False", "NoUsableNodes"), (pool.Status, pool.Reason));
        Assert.Contains("k-untainted carries label agentsandbox.io/pool=kata but not taint", pool.Message);
        var pods = Cond(a.Status, "PodsCompliant");
        Assert.Equal(("False", "NonCompliantPods"), (pods.Status, pods.Reason));
        Assert.Contains("pod bad", pods.Message);
        Assert.Equal(("False", "RuntimeClassMissing"), (Cond(a.Status, "Ready").Status, Cond(a.Status, "Ready").Reason));
        Assert.Equal(2, a.Status.Pods!.Total);
        Assert.Equal(1, a.Status.Pods.Compliant);
        Assert.Equal("bad", Assert.Single(a.NonCompliantPods).Pod);
    }

    private static NodeInfo Reporting(string name, params string[] handlers) => PoolNode(name, "kata") with { RuntimeHandlers = handlers };

    [Fact]
    public void A_pool_node_without_the_classs_handler_makes_the_pool_unavailable_and_names_it()
    {
        var entry = Entry(WorkloadType.Agent);
        var nodes = new[] { Reporting("k1", "", "kata-qemu"), Reporting("k2", "", "runc"), Reporting("k3", "") };
        var a = WorkloadStatusBuilder.Build(entry, [Pod("p1", "kata", "kata")], nodes, Config, State(entry, true, nodes), T0);

        var pool = Cond(a.Status, "NodePoolAvailable");
        Assert.Equal(("False", "RuntimeHandlerMissing"), (pool.Status, pool.Reason));
        Assert.Equal(
            "node(s) k2, k3 in the kata pool (agentsandbox.io/pool=kata) do not have handler \"kata-qemu\" of RuntimeClass \"kata\", so pods of tier High sent there cannot start; install the runtime on them or remove label agentsandbox.io/pool=kata from them",
            pool.Message);
        Assert.Equal(("False", "RuntimeHandlerMissing"), (Cond(a.Status, "Ready").Status, Cond(a.Status, "Ready").Reason));
    }

    [Fact]
    public void The_handler_checked_is_the_runtime_classs_own()
    {
        var entry = Entry(WorkloadType.Agent);
        var nodes = new[] { Reporting("k1", "", "kata-clh") };
        var state = new ClusterSnapshot(workloads: [entry.Workload!], runtimeClasses: [new RuntimeClassInfo("kata", "kata-clh", new Dictionary<string, string>(), [])], nodes: nodes);
        var a = WorkloadStatusBuilder.Build(entry, [], nodes, Config, state, T0);
        var pool = Cond(a.Status, "NodePoolAvailable");
        Assert.Equal(("True", "PoolReady"), (pool.Status, pool.Reason));
        Assert.EndsWith("all 1 node(s) of the pool have handler \"kata-clh\"", pool.Message);
    }

    [Fact]
    public void Nodes_that_report_no_handlers_leave_the_pool_unverified_never_ready()
    {
        var entry = Entry(WorkloadType.Agent);
        var nodes = new[] { Reporting("k1", "", "kata-qemu"), PoolNode("k2", "kata"), PoolNode("k3", "kata") };
        var a = WorkloadStatusBuilder.Build(entry, [], nodes, Config, State(entry, true, nodes), T0);
        var pool = Cond(a.Status, "NodePoolAvailable");
        Assert.Equal(("True", "HandlerUnverified"), (pool.Status, pool.Reason));
        Assert.Contains("handler \"kata-qemu\" of RuntimeClass \"kata\" is unverified: node(s) k2, k3 report no runtime handlers", pool.Message);
    }

    [Fact]
    public void Low_workload_needs_neither_class_nor_pool()
    {
        var entry = Entry(WorkloadType.Internal);
        var a = WorkloadStatusBuilder.Build(entry, [], [], Config, State(entry, false), T0);

        Assert.Null(a.Status.RuntimeClassName);
        Assert.Null(a.Status.NodePool);
        Assert.Equal(("True", "NotRequired"), (Cond(a.Status, "RuntimeClassAvailable").Status, Cond(a.Status, "RuntimeClassAvailable").Reason));
        Assert.Equal(("True", "NotRequired"), (Cond(a.Status, "NodePoolAvailable").Status, Cond(a.Status, "NodePoolAvailable").Reason));
        Assert.Equal(("True", "NoPods"), (Cond(a.Status, "PodsCompliant").Status, Cond(a.Status, "PodsCompliant").Reason));
    }

    [Fact]
    public void LastTransitionTime_moves_only_when_a_condition_status_changes()
    {
        var entry = Entry(WorkloadType.Agent);
        var nodes = new[] { PoolNode("k1", "kata") };
        var first = WorkloadStatusBuilder.Build(entry, [], nodes, Config, State(entry, true, nodes), T0).Status;

        var later = T0.AddHours(1);
        var again = WorkloadStatusBuilder.Build(entry with { Status = first }, [], nodes, Config, State(entry, true, nodes), later).Status;
        Assert.All(again.Conditions!, c => Assert.Equal(T0, c.LastTransitionTime));
        Assert.True(StatusComparer.Equivalent(first, again));

        var flipped = WorkloadStatusBuilder.Build(entry with { Status = first }, [], nodes, Config, State(entry, false, nodes), later).Status;
        Assert.Equal(later, Cond(flipped, "RuntimeClassAvailable").LastTransitionTime);
        Assert.Equal(T0, Cond(flipped, "NodePoolAvailable").LastTransitionTime);
        Assert.False(StatusComparer.Equivalent(first, flipped));
    }

    [Fact]
    public void StatusComparer_ignores_only_lastTransitionTime()
    {
        var entry = Entry(WorkloadType.Tool);
        var a = WorkloadStatusBuilder.Build(entry, [], [], Config, State(entry), T0).Status;
        var b = WorkloadStatusBuilder.Build(entry, [], [], Config, State(entry), T0.AddDays(1)).Status;
        Assert.True(StatusComparer.Equivalent(a, b));
        b.Conditions![1].Message += ".";
        Assert.False(StatusComparer.Equivalent(a, b));
        Assert.False(StatusComparer.Equivalent(a, null));
    }

    [Fact]
    public void Invalid_spec_is_reported_as_InvalidSpec()
    {
        var entry = new WorkloadEntry("ns", "w", "uid", 2, null, [new FieldError("spec.type", "Unsupported value: \"Robot\"")], null);
        var s = WorkloadStatusBuilder.BuildInvalid(entry, T0).Status;
        var ready = Cond(s, "Ready");
        Assert.Equal(("False", "InvalidSpec"), (ready.Status, ready.Reason));
        Assert.Contains("spec.type", ready.Message);
        Assert.Equal("Unknown", Cond(s, "PodsCompliant").Status);
    }

    [Fact]
    public void Node_audit_reports_two_pools_and_missing_taints()
    {
        var config = PolicyConfig.Default with
        {
            GVisor = RuntimeSettings.DefaultGVisor with { Pool = new PoolSettings(new LabelRef("sandbox.example/gvisor", "true"), new TaintRef("sandbox.example/gvisor", "true", "NoSchedule")) },
        };
        var both = new NodeInfo("n1", new Dictionary<string, string> { ["agentsandbox.io/pool"] = "kata", ["sandbox.example/gvisor"] = "true" },
            [new NodeTaint("agentsandbox.io/pool", "kata", "NoSchedule")]);
        var findings = NodePoolAudit.Audit(both, config);
        Assert.Equal(["MultiplePoolLabels", "PoolTaintMissing"], findings.Select(f => f.Reason));
        Assert.Equal(SandboxRuntime.GVisor, findings[1].Pool);
        Assert.Empty(NodePoolAudit.Audit(PoolNode("ok", "kata"), config));
        Assert.Empty(NodePoolAudit.Audit(new NodeInfo("general", new Dictionary<string, string>(), []), config));
    }
}
