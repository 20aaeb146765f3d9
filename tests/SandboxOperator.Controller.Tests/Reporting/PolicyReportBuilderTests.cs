using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using SandboxOperator.Controller.Caching;
using SandboxOperator.Controller.Reporting;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Controller.Tests.Reporting;

/// <summary>The audit's PolicyReports as a table: which results a pod gets, with which outcome, and how a report is bounded.</summary>
public sealed class PolicyReportBuilderTests
{
    private const string Pass = "pass";
    private const string Fail = "fail";
    private const string Warn = "warn";

    private static readonly DateTimeOffset Now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly IReadOnlyDictionary<string, string> KataPool = new Dictionary<string, string> { ["agentsandbox.io/pool"] = "kata" };

    private static readonly ClusterSnapshot State = new(
        namespaces:
        [
            new("ns", new Dictionary<string, string>()),
            new("trial", new Dictionary<string, string> { [WellKnown.ModeLabel] = "audit" }),
        ],
        workloads: [new AgentWorkload("ns", "agent", new AgentWorkloadSpec { Type = WorkloadType.Agent }), new AgentWorkload("trial", "agent", new AgentWorkloadSpec { Type = WorkloadType.Agent })],
        runtimeClasses: [new RuntimeClassInfo("kata", "kata-qemu", KataPool, [new("agentsandbox.io/pool", "Equal", "kata", "NoSchedule")])],
        nodes: [new NodeInfo("kata-1", KataPool, [new NodeTaint("agentsandbox.io/pool", "kata", "NoSchedule")])]);

    private static readonly string[] AllRules =
        ["kata-required", "runtime-too-weak", "pool-separation", "pool-unreachable", "seccomp-unconfined", "seccomp-missing", "host-network", "host-pid", "host-ipc", "privileged", "host-path", "runtime-handler-missing", "operator-labels"];

    /// <summary>Without a RuntimeClass there is no handler to prove.</summary>
    private static readonly string[] RulesWithoutClass = [.. AllRules.Where(r => r != "runtime-handler-missing")];

    public static TheoryData<string, string[]> PodTable() => new()
    {
        // A High pod as admitted: every rule of the catalogue applies and passes.
        { "compliant-agent", AllRules.Select(r => $"{r}={Pass}").ToArray() },
        // A High pod left in runc by a missing mutation: too weak, and the operator's labels do not state it.
        { "agent-without-class", RulesWithoutClass.Select(r => $"{r}={(r is "runtime-too-weak" or "operator-labels" ? Fail : Pass)}").ToArray() },
        // A privileged High pod in kata: one failure, the rest pass.
        { "privileged-agent", AllRules.Select(r => $"{r}={(r == "privileged" ? Fail : Pass)}").ToArray() },
        // An unmanaged pod: only the rules for every pod apply.
        { "plain", ["kata-required=pass", "pool-separation=pass", "pool-unreachable=pass", "operator-labels=pass"] },
        // An unmanaged pod that tolerates every taint could land on the kata pool.
        { "tolerates-all", ["kata-required=pass", "pool-separation=fail", "pool-unreachable=pass", "operator-labels=pass"] },
        // In a namespace in audit mode admission only warns, and so does the report.
        { "trial-agent-without-class", RulesWithoutClass.Select(r => $"{r}={(r is "runtime-too-weak" or "operator-labels" ? Warn : Pass)}").ToArray() },
        // A pod the audit cannot read is one error result.
        { "unreadable", ["unreadable=error"] },
    };

    [Theory]
    [MemberData(nameof(PodTable))]
    public void A_pod_gets_one_result_per_applicable_rule(string scenario, string[] expected)
    {
        var pod = Pod(scenario);
        var reports = PolicyReportBuilder.ForPods([pod], PolicyConfig.Default, State, new ReportLimits(), Now);

        var report = Assert.Single(reports);
        Assert.Equal(pod.Namespace, report.Namespace);
        Assert.Equal(expected, report.Results.Select(r => $"{r.Rule}={r.Result.ToString().ToLowerInvariant()}"));
        Assert.All(report.Results, r => Assert.Equal(new ReportResource("v1", "Pod", pod.Namespace, pod.Name, pod.Uid), r.Resource));
        Assert.Equal(expected.Length, report.Summary.Pass + report.Summary.Fail + report.Summary.Warn + report.Summary.Error);
        Assert.Equal(0, report.Omitted);
    }

    [Fact]
    public void A_failure_says_why_and_names_the_workload_tier_runtime_and_mode()
    {
        var report = Assert.Single(PolicyReportBuilder.ForPods([Pod("trial-agent-without-class")], PolicyConfig.Default, State, new ReportLimits(), Now));

        var weak = report.Results.Single(r => r.Rule == "runtime-too-weak");
        Assert.StartsWith("AgentWorkload agent is High and needs runtimeClassName \"kata\"", weak.Message, StringComparison.Ordinal);
        Assert.Equal([new("tier", "High"), new("runtime", "runc"), new("mode", "audit"), new KeyValuePair<string, string>("workload", "agent")], weak.Properties);
        var passed = report.Results.Single(r => r.Rule == "host-path");
        Assert.Equal("no hostPath volume", passed.Message);

        var json = weak.ToJson();
        Assert.Equal("agentsandbox-pods", (string?)json["policy"]);
        Assert.Equal("warn", (string?)json["result"]);
        Assert.Equal("sandbox-operator", (string?)json["source"]);
        Assert.Equal("trial", (string?)json["resources"]![0]!["namespace"]);
        Assert.Null(json["timestamp"]);
    }

    [Fact]
    public void Reports_are_per_namespace_in_name_order_and_skip_pods_that_no_longer_run()
    {
        var done = Pod("plain", name: "finished") with { Phase = "Succeeded" };
        var onlyDone = Pod("plain", name: "batch", ns: "jobs") with { Phase = "Failed" };
        var reports = PolicyReportBuilder.ForPods([Pod("plain", name: "b"), Pod("trial-agent-without-class"), done, Pod("plain", name: "a"), onlyDone], PolicyConfig.Default, State, new ReportLimits(), Now);

        Assert.Equal(["ns", "trial"], reports.Select(r => r.Namespace));
        Assert.Equal(["a", "b"], reports[0].Results.Select(r => r.Resource.Name).Distinct());
        Assert.All(reports, r => Assert.Equal("agentsandbox", r.Name));
    }

    [Fact]
    public void Excluded_namespaces_get_no_report_as_no_webhook_judges_their_pods()
    {
        // kube-proxy tolerates every taint: in a judged namespace that breaks pool-separation.
        var judged = PolicyReportBuilder.ForPods([Pod("tolerates-all", name: "kube-proxy", ns: "ns")], PolicyConfig.Default, State, new ReportLimits(), Now);
        Assert.Contains(Assert.Single(judged).Results, r => r.Rule == RuleIds.PoolSeparation && r.Result == ReportOutcome.Fail);

        var excluded = PolicyReportBuilder.ForPods([Pod("tolerates-all", name: "kube-proxy", ns: "kube-system"), Pod("plain", name: "a")], PolicyConfig.Default, State, new ReportLimits(), Now);
        Assert.Equal(["ns"], excluded.Select(r => r.Namespace));
    }

    [Fact]
    public void A_full_report_keeps_failures_before_passes_and_counts_everything_in_the_summary()
    {
        // 13 results of the compliant pod (passes) before the 12 of the failing one (2 failures, 10 passes).
        var limits = new ReportLimits { MaxResults = 5, MaxMessageLength = 20 };
        var report = Assert.Single(PolicyReportBuilder.ForPods([Pod("compliant-agent", name: "a"), Pod("agent-without-class", name: "b")], PolicyConfig.Default, State, limits, Now));

        Assert.Equal(["b/runtime-too-weak=Fail", "b/operator-labels=Fail", "a/kata-required=Pass", "a/runtime-too-weak=Pass", "a/pool-separation=Pass"],
            report.Results.Select(r => $"{r.Resource.Name}/{r.Rule}={r.Result}"));
        Assert.Equal(new ReportSummary(23, 2, 0, 0), report.Summary);
        Assert.Equal(20, report.Omitted);
        Assert.All(report.Results, r => Assert.True(r.Message.Length <= 20, r.Message));
        Assert.Equal("AgentWorkload agent…", report.Results[0].Message);
    }

    [Fact]
    public void The_largest_report_the_default_limits_allow_fits_in_an_etcd_object()
    {
        // Longest names (253), a message of non-ASCII characters (3 bytes each in UTF-8) beyond the limit, every property.
        var limits = new ReportLimits();
        var longName = new string('p', 253);
        var message = new string('€', 4000);
        var results = Enumerable.Range(0, limits.MaxResults * 3).Select(i => new ReportResult(PolicyReportBuilder.PodPolicy, "runtime-too-weak", ReportOutcome.Fail, message,
            new ReportResource("v1", "Pod", new string('n', 63), longName, Guid.NewGuid().ToString()),
            [new("tier", "Medium"), new("runtime", "gvisor"), new("mode", "enforce"), new("workload", new string('w', 253))])).ToList();

        var report = PolicyReportBuilder.Bound(new string('n', 63), results, limits);
        var bytes = Encoding.UTF8.GetByteCount(report.Body().ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));

        // The byte budget cuts before the count does; the summary still counts all 3,000.
        Assert.InRange(report.Results.Count, 100, limits.MaxResults - 1);
        Assert.Equal(results.Count - report.Results.Count, report.Omitted);
        Assert.Equal(results.Count, report.Summary.Fail);
        Assert.InRange(bytes, limits.MaxResultBytes - 4096, limits.MaxResultBytes + 1024);
        Assert.True(bytes < 1_572_864, $"{bytes} bytes");
    }

    [Fact]
    public void Nodes_of_a_pool_get_a_labels_and_a_taint_result_and_other_nodes_none()
    {
        var gvisor = new Dictionary<string, string> { ["agentsandbox.io/pool"] = "gvisor" };
        NodeInfo[] nodes =
        [
            new("kata-2", KataPool, []),
            new("general-1", new Dictionary<string, string>(), []),
            new("kata-1", KataPool, [new NodeTaint("agentsandbox.io/pool", "kata", "NoSchedule")]),
        ];

        var report = PolicyReportBuilder.ForNodes(nodes, PolicyConfig.Default, new ReportLimits());

        Assert.Null(report.Namespace);
        Assert.Equal(["kata-1/node-pool-labels=Pass", "kata-1/node-pool-taint=Pass", "kata-2/node-pool-labels=Pass", "kata-2/node-pool-taint=Fail"],
            report.Results.Select(r => $"{r.Resource.Name}/{r.Rule}={r.Result}"));
        Assert.Contains("kubectl taint nodes kata-2 agentsandbox.io/pool=kata:NoSchedule", report.Results[3].Message, StringComparison.Ordinal);
        Assert.Equal([new KeyValuePair<string, string>("pools", "kata")], report.Results[0].Properties);
        Assert.Equal(new ReportSummary(3, 1, 0, 0), report.Summary);
    }

    [Fact]
    public void Only_a_report_that_says_something_else_is_written_again()
    {
        var report = Assert.Single(PolicyReportBuilder.ForPods([Pod("privileged-agent")], PolicyConfig.Default, State, new ReportLimits(), Now));
        // As the API server returns it: our fields parsed back, with metadata and a field of a newer schema.
        var stored = JsonNode.Parse(report.Body().ToJsonString())!.AsObject();
        stored["metadata"] = new JsonObject { ["name"] = "agentsandbox", ["resourceVersion"] = "42" };
        stored["scope"] = new JsonObject { ["kind"] = "Namespace", ["name"] = "ns" };

        Assert.False(PolicyReportWriter.Differs(stored, report));

        var fixedPod = Assert.Single(PolicyReportBuilder.ForPods([Pod("compliant-agent", name: "privileged-agent")], PolicyConfig.Default, State, new ReportLimits(), Now));
        Assert.True(PolicyReportWriter.Differs(stored, fixedPod));

        var bounded = PolicyReportBuilder.Bound("ns", report.Results, new ReportLimits { MaxResults = 100 });
        Assert.False(PolicyReportWriter.Differs(stored, bounded));
        var cut = PolicyReportBuilder.Bound("ns", report.Results, new ReportLimits { MaxResults = report.Results.Count - 1 });
        stored["results"] = cut.Body()["results"]!.DeepClone();
        Assert.True(PolicyReportWriter.Differs(stored, cut)); // the annotation with the omitted count is missing
    }

    [Theory]
    [InlineData("2026-06-30T23:59:59Z", "pass", "Medium")]
    [InlineData("2026-07-01T00:00:00Z", "fail", "High")]
    public void An_exception_passes_its_pods_until_it_expires(string now, string expected, string tier)
    {
        var gvisorPool = new Dictionary<string, string> { ["agentsandbox.io/pool"] = "gvisor" };
        var state = new ClusterSnapshot(
            namespaces: [new("ns", new Dictionary<string, string>())],
            workloads: [new AgentWorkload("ns", "agent", new AgentWorkloadSpec { Type = WorkloadType.Agent })],
            runtimeClasses: [new RuntimeClassInfo("gvisor", "runsc", gvisorPool, [new("agentsandbox.io/pool", "Equal", "gvisor", "NoSchedule")])],
            nodes: [new NodeInfo("gvisor-1", gvisorPool, [new NodeTaint("agentsandbox.io/pool", "gvisor", "NoSchedule")])],
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

        var report = Assert.Single(PolicyReportBuilder.ForPods([Pod("gvisor-agent")], PolicyConfig.Default, state, new ReportLimits(), DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture)));

        var weak = report.Results.Single(r => r.Rule == "runtime-too-weak");
        Assert.Equal(expected, weak.Result.ToString().ToLowerInvariant());
        Assert.Contains(new KeyValuePair<string, string>("tier", tier), weak.Properties);
    }

    private static PodFacts Pod(string scenario, string? name = null, string? ns = null)
    {
        if (scenario == "unreadable")
        {
            return new PodFacts("ns", name ?? scenario, "uid-" + scenario, "Running", null, "spec.hostNetwork: expected a boolean");
        }

        ns ??= scenario.StartsWith("trial-", StringComparison.Ordinal) ? "trial" : "ns";
        var labels = new Dictionary<string, string>();
        var spec = new V1PodSpec
        {
            Containers = [new V1Container { Name = "main", Image = "x" }],
            SecurityContext = new V1PodSecurityContext { SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" } },
        };
        var pod = new V1Pod { ApiVersion = "v1", Kind = "Pod", Metadata = new V1ObjectMeta { Name = name ?? scenario, NamespaceProperty = ns, Uid = "uid-" + (name ?? scenario), Labels = labels }, Spec = spec };
        switch (scenario)
        {
            case "compliant-agent":
                labels[WellKnown.WorkloadLabel] = "agent";
                spec.RuntimeClassName = "kata";
                AdmittedStatement.Apply(pod, "kata");
                break;
            case "privileged-agent":
                labels[WellKnown.WorkloadLabel] = "agent";
                spec.RuntimeClassName = "kata";
                spec.Containers[0].SecurityContext = new V1SecurityContext { Privileged = true };
                AdmittedStatement.Apply(pod, "kata");
                break;
            case "agent-without-class" or "trial-agent-without-class":
                labels[WellKnown.WorkloadLabel] = "agent";
                break;
            case "gvisor-agent":
                labels[WellKnown.WorkloadLabel] = "agent";
                spec.RuntimeClassName = "gvisor";
                AdmittedStatement.Apply(pod, "gvisor");
                break;
            case "plain":
                break;
            case "tolerates-all":
                spec.Tolerations = [new V1Toleration { OperatorProperty = "Exists" }];
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(scenario));
        }

        return PodProjection.Project(pod) with { Phase = "Running" };
    }
}
