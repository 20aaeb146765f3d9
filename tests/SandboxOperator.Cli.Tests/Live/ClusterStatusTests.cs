using System.Text.Json;
using SandboxOperator.Cli.Live;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Pods;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Cli.Tests.Live;

/// <summary><c>kubectl sandbox status</c> and <c>why</c> as pure functions of a cluster state.</summary>
public sealed class ClusterStatusTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly Dictionary<string, string> KataPool = new() { ["agentsandbox.io/pool"] = "kata" };
    private static readonly NodeTaint KataTaint = new("agentsandbox.io/pool", "kata", "NoSchedule");

    private static readonly ClusterSnapshot State = new(
        namespaces: [new("ns", new Dictionary<string, string>()), new("trial", new Dictionary<string, string> { [WellKnown.ModeLabel] = "audit" })],
        workloads: [new AgentWorkload("ns", "agent", new AgentWorkloadSpec { Type = WorkloadType.Agent }), new AgentWorkload("trial", "tool", new AgentWorkloadSpec { Type = WorkloadType.Tool })],
        runtimeClasses:
        [
            new RuntimeClassInfo("kata", "kata-qemu", KataPool, [new("agentsandbox.io/pool", "Equal", "kata", "NoSchedule")]),
            new RuntimeClassInfo("gvisor", "runc", new Dictionary<string, string>(), []),
            new RuntimeClassInfo("kata-fc", "kata-fc", new Dictionary<string, string>(), []),
        ],
        nodes:
        [
            new NodeInfo("kata-1", KataPool, [KataTaint]),
            new NodeInfo("kata-2", KataPool, []),
            new NodeInfo("kata-3", KataPool, [KataTaint], Ready: false),
        ]);

    [Fact]
    public void Status_counts_usable_pool_nodes_flags_broken_classes_and_lists_pods_that_break_the_policy()
    {
        LivePod[] pods =
        [
            Pod("ns", "agent-ok", """{"agentsandbox.io/workload":"agent","agentsandbox.io/tier":"high","agentsandbox.io/runtime":"kata"}""", "kata", reasons: true),
            Pod("ns", "agent-runc", """{"agentsandbox.io/workload":"agent"}""", null),
            Pod("ns", "plain", "{}", null),
            Pod("ns", "done", """{"agentsandbox.io/workload":"agent"}""", null) with { Phase = "Succeeded" },
            new LivePod("ns", "broken", "Running", null, "spec.hostNetwork: expected a boolean"),
        ];

        var status = ClusterStatus.Build(null, PolicyConfig.Default, State, pods, Now);

        Assert.Equal(["kata 3 1", "gvisor 0 0"], status.Pools.Select(p => $"{p.Runtime} {p.Nodes} {p.Usable}"));
        Assert.Single(status.Pools[0].Findings, f => f.StartsWith("node kata-2 carries label agentsandbox.io/pool=kata but not taint", StringComparison.Ordinal));
        Assert.Equal(["kata ok", "gvisor handler runc is not accepted"], status.Handlers.Select(h => $"{h.Runtime} {h.State}"));
        Assert.Equal(["gvisor runc runc gvisor", "kata kata-qemu kata kata", "kata-fc kata-fc kata -"], status.RuntimeClasses.Select(r => $"{r.Name} {r.Handler} {r.CountsAs} {r.ConfiguredFor ?? "-"}"));
        Assert.Equal(["High kata 1", "Medium gvisor 1"], status.Workloads.Select(t => $"{t.Tier} {t.Runtime} {t.Count}"));
        Assert.Equal(["High kata 1", "High runc 1", "unmanaged runc 1", "unknown unknown 1"], status.Pods.Select(t => $"{t.Tier} {t.Runtime} {t.Count}"));
        Assert.Equal(2, status.NonCompliant);
        Assert.Equal(["ns/agent-runc runtime-too-weak,operator-labels", "ns/broken unreadable"],
            status.NonCompliantPods.Select(p => $"{p.Namespace}/{p.Name} {string.Join(",", p.Rules)}"));

        Assert.Equal(["High kata 1"], ClusterStatus.Build("ns", PolicyConfig.Default, State, [], Now).Workloads.Select(t => $"{t.Tier} {t.Runtime} {t.Count}"));
        var text = new StringWriter();
        status.WriteTable(text, "ConfigMap x/y");
        Assert.Contains("kata         3       1  agentsandbox.io/pool=kata / agentsandbox.io/pool=kata:NoSchedule", text.ToString(), StringComparison.Ordinal);
        Assert.Contains("NON-COMPLIANT PODS: 2", text.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Status_lists_at_most_twenty_pods_and_counts_them_all()
    {
        var pods = Enumerable.Range(0, 25).Select(i => Pod("ns", $"p{i:00}", """{"agentsandbox.io/workload":"agent"}""", null));
        var status = ClusterStatus.Build(null, PolicyConfig.Default, State, pods, Now);
        Assert.Equal((25, 20, "p00", "p19"), (status.NonCompliant, status.NonCompliantPods.Count, status.NonCompliantPods[0].Name, status.NonCompliantPods[^1].Name));
    }

    [Fact]
    public void Why_in_an_audit_namespace_says_admission_would_only_warn_and_an_unreadable_pod_says_why()
    {
        var tool = PodExplanation.Explain(Pod("trial", "tool-0", """{"agentsandbox.io/workload":"tool"}""", null), PolicyConfig.Default, State, Now);
        Assert.Equal(("Medium", "tool", "runc", "gvisor", "audit"), (tool.Tier, tool.Workload, tool.Runtime, tool.NeededRuntime, tool.Mode));
        Assert.Empty(tool.DeniedBy);
        Assert.Equal(["runtime-too-weak", "operator-labels"], tool.WarnedBy);
        Assert.Equal("the namespace is in audit mode: admission would admit this pod with warnings (rules runtime-too-weak, operator-labels)", tool.Verdict);
        Assert.False(tool.Compliant);

        var mcp = PodExplanation.Explain(Pod("ns", "mcp", """{"agentsandbox.io/workload-type":"mcp-server"}""", "gvisor"), PolicyConfig.Default, State, Now);
        Assert.Equal(("kata", "gvisor"), (mcp.NeededRuntime, mcp.RuntimeClassName));
        Assert.Contains("kata-required", mcp.DeniedBy);
        Assert.NotEmpty(mcp.Reasons);

        var system = PodExplanation.Explain(Pod("kube-system", "kube-proxy", "{}", null), PolicyConfig.Default, State, Now);
        Assert.Equal(("not covered", "namespace kube-system is excluded from the policy (excludedNamespaces): no webhook judges its pods"), (system.Tier, system.Verdict));
        Assert.Empty(system.Rules);
        Assert.True(system.Compliant);

        var broken = PodExplanation.Explain(new LivePod("ns", "broken", "Running", null, "spec.hostNetwork: expected a boolean"), PolicyConfig.Default, State, Now);
        Assert.Equal("the pod cannot be read (spec.hostNetwork: expected a boolean); admission would refuse such a pod (code 400)", broken.Verdict);
        Assert.False(broken.Compliant);
    }

    [Theory]
    [InlineData("2026-06-30T23:59:59Z", true)]
    [InlineData("2026-07-01T00:00:00Z", false)]
    public void Status_and_why_apply_the_exception_that_covers_a_pod_until_it_expires(string now, bool excepted)
    {
        var state = new ClusterSnapshot(
            namespaces: [new("ns", new Dictionary<string, string>())],
            workloads: [new AgentWorkload("ns", "agent", new AgentWorkloadSpec { Type = WorkloadType.Agent })],
            runtimeClasses: [new RuntimeClassInfo("gvisor", "runsc", new Dictionary<string, string> { ["agentsandbox.io/pool"] = "gvisor" }, [new("agentsandbox.io/pool", "Equal", "gvisor", "NoSchedule")])],
            exceptions:
            [
                new SandboxException("ns", "agent-gvisor", new SandboxExceptionSpec
                {
                    Selector = new LabelSelector { MatchLabels = new() { [WellKnown.WorkloadLabel] = "agent" } },
                    Grant = ExceptionGrant.RunInGVisor,
                    Reason = "needs io_uring",
                    Owner = "team-agents",
                    ExpiresAt = new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero),
                }),
            ]);
        var pod = Pod("ns", "agent-0", """{"agentsandbox.io/workload":"agent","agentsandbox.io/tier":"medium","agentsandbox.io/runtime":"gvisor"}""", "gvisor", reasons: true);
        var at = DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture);

        var status = ClusterStatus.Build(null, PolicyConfig.Default, state, [pod], at);
        var why = PodExplanation.Explain(pod, PolicyConfig.Default, state, at);

        var text = new StringWriter();
        why.WriteTable(text, "ConfigMap x/y");
        if (excepted)
        {
            Assert.Empty(status.NonCompliantPods.Select(p => $"{string.Join(",", p.Rules)}: {p.Message}"));
            Assert.Equal(["Medium gvisor 1"], status.Pods.Select(t => $"{t.Tier} {t.Runtime} {t.Count}"));
            Assert.True(why.Compliant, why.Verdict);
            Assert.Equal([new ExceptionLine("agent-gvisor", "RunInGVisor", "team-agents", new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero), "needs io_uring")], why.Exceptions);
            Assert.Contains("Exception: agent-gvisor: RunInGVisor, owner team-agents, until 2026-07-01T00:00:00Z (needs io_uring)", text.ToString(), StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(["ns/agent-0 runtime-too-weak,operator-labels"], status.NonCompliantPods.Select(p => $"{p.Namespace}/{p.Name} {string.Join(",", p.Rules)}"));
            Assert.Equal(["High gvisor 1"], status.Pods.Select(t => $"{t.Tier} {t.Runtime} {t.Count}"));
            Assert.Equal(["runtime-too-weak", "operator-labels"], why.DeniedBy);
            Assert.Empty(why.Exceptions);
            Assert.Contains("SandboxException agent-gvisor (run in gVisor instead of Kata, owner team-agents) expired at 2026-07-01T00:00:00Z and no longer applies", why.Warnings);
            Assert.Contains("Warnings:  SandboxException agent-gvisor", text.ToString(), StringComparison.Ordinal);
        }
    }

    private static LivePod Pod(string ns, string name, string labels, string? runtimeClass, bool reasons = false)
    {
        var cls = runtimeClass is null ? "" : $"\"runtimeClassName\":\"{runtimeClass}\",";
        var annotations = reasons ? ",\"annotations\":{\"agentsandbox.io/reasons\":\"admitted\"}" : "";
        var json = "{\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"" + ns + "\",\"labels\":" + labels + annotations + "},"
            + "\"spec\":{" + cls + "\"securityContext\":{\"seccompProfile\":{\"type\":\"RuntimeDefault\"}},\"containers\":[{\"name\":\"main\",\"image\":\"x\"}]}}";
        using var doc = JsonDocument.Parse(json);
        return new LivePod(ns, name, "Running", PodSpecReader.Read(doc.RootElement).View, null);
    }
}
