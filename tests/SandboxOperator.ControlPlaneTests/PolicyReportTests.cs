using System.Text.Json;
using SandboxOperator.ControlPlaneTests.Support;

namespace SandboxOperator.ControlPlaneTests;

/// <summary>The chart with <c>policyReports.enabled</c> and a pod audit every 2 s.</summary>
public sealed class PolicyReportCluster : OperatorCluster
{
    protected override IReadOnlyList<string> ChartValues => ["--set", "policyReports.enabled=true", "--set", "podAudit.interval=2s"];
}

/// <summary>
/// With the upstream report CRDs installed, the operator (with the chart's RBAC) writes a PolicyReport for a namespace
/// whose pods it audited and a ClusterPolicyReport for the pools' nodes, and writes neither again while nothing changes.
/// </summary>
public sealed class PolicyReportTests(PolicyReportCluster cluster) : IClassFixture<PolicyReportCluster>
{
    private const string Ns = "reports";
    private static readonly string CrdDirectory = Path.Combine(RepositoryLayout.Root, "third_party", "wg-policy-prototypes");
    private static readonly string[] CrdFiles = ["wgpolicyk8s.io_policyreports.yaml", "wgpolicyk8s.io_clusterpolicyreports.yaml"];

    [SkippableFact]
    public async Task The_audit_reports_each_pod_rule_by_rule_and_rewrites_nothing_unchanged()
    {
        cluster.SkipIfUnavailable();
        foreach (var file in CrdFiles)
        {
            await cluster.Admin.SucceedAsync("apply", "-f", Path.Combine(CrdDirectory, file));
            await cluster.Admin.SucceedAsync("wait", "--for", "condition=established", "--timeout", "90s", "-f", Path.Combine(CrdDirectory, file));
        }

        await cluster.CreateNamespaceAsync(Ns);
        var app = new Dictionary<string, string> { ["app"] = "agent" };
        // Admitted while nothing claimed it: runc, no seccomp profile, no operator labels.
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(Pods.Plain("legacy", app), Ns);
        Assert.Equal("High", await cluster.ApplyWorkloadAsync(Ns, "agent", "Agent"));
        // Admitted as the workload's: mutated into Kata.
        var sandboxed = await cluster.Client.CoreV1.CreateNamespacedPodAsync(Pods.Plain("sandboxed", app), Ns);
        Assert.Equal("kata", sandboxed.Spec.RuntimeClassName);

        string[] expected =
        [
            "legacy/kata-required=pass", "legacy/runtime-too-weak=fail", "legacy/pool-separation=pass", "legacy/pool-unreachable=pass",
            "legacy/seccomp-unconfined=pass", "legacy/seccomp-missing=fail", "legacy/host-network=pass", "legacy/host-pid=pass", "legacy/host-ipc=pass",
            "legacy/privileged=pass", "legacy/host-path=pass", "legacy/operator-labels=fail",
            "sandboxed/kata-required=pass", "sandboxed/runtime-too-weak=pass", "sandboxed/pool-separation=pass", "sandboxed/pool-unreachable=pass",
            "sandboxed/seccomp-unconfined=pass", "sandboxed/seccomp-missing=pass", "sandboxed/host-network=pass", "sandboxed/host-pid=pass", "sandboxed/host-ipc=pass",
            "sandboxed/privileged=pass", "sandboxed/host-path=pass", "sandboxed/runtime-handler-missing=pass", "sandboxed/operator-labels=pass",
        ];
        var report = "";
        await Eventually.HoldsAsync(async () =>
        {
            var got = await cluster.Admin.RunAsync("get", "policyreports.v1alpha2.wgpolicyk8s.io", "agentsandbox", "-n", Ns, "-o", "json");
            report = got.Output;
            return got.Succeeded && Results(report).SequenceEqual(expected);
        }, $"the operator reports both pods of {Ns} rule by rule", OperatorCluster.Patience, () => report + cluster.Operator!.Output[^Math.Min(4000, cluster.Operator.Output.Length)..]);

        using (var doc = JsonDocument.Parse(report))
        {
            var root = doc.RootElement;
            Assert.Equal("sandbox-operator", root.GetProperty("metadata").GetProperty("labels").GetProperty("app.kubernetes.io/managed-by").GetString());
            Assert.Equal(22, root.GetProperty("summary").GetProperty("pass").GetInt32());
            Assert.Equal(3, root.GetProperty("summary").GetProperty("fail").GetInt32());
            var weak = root.GetProperty("results").EnumerateArray().Single(r => r.GetProperty("rule").GetString() == "runtime-too-weak" && r.GetProperty("result").GetString() == "fail");
            Assert.StartsWith("AgentWorkload agent is High and needs runtimeClassName \"kata\"", weak.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.Equal("agent", weak.GetProperty("properties").GetProperty("workload").GetString());
            Assert.Equal("legacy", weak.GetProperty("resources")[0].GetProperty("name").GetString());
        }

        var nodes = await cluster.Admin.SucceedAsync("get", "clusterpolicyreports.v1alpha2.wgpolicyk8s.io", "agentsandbox", "-o", "json");
        Assert.Equal(
            ["gvisor-1/node-pool-labels=pass", "gvisor-1/node-pool-taint=pass", "gvisor-2/node-pool-labels=pass", "gvisor-2/node-pool-taint=pass",
             "kata-1/node-pool-labels=pass", "kata-1/node-pool-taint=pass", "kata-2/node-pool-labels=pass", "kata-2/node-pool-taint=pass"],
            Results(nodes));

        // Two more passes find both reports unchanged: neither is written (their resourceVersions stay).
        var versions = await VersionsAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var unchangedBefore = PrometheusText.Sum(await http.GetStringAsync(cluster.Operator!.MetricsUrl), "agentsandbox_policy_reports_total", "outcome=\"unchanged\"");
        var metrics = "";
        await Eventually.HoldsAsync(async () =>
        {
            metrics = await http.GetStringAsync(cluster.Operator.MetricsUrl);
            return PrometheusText.Sum(metrics, "agentsandbox_policy_reports_total", "outcome=\"unchanged\"") >= unchangedBefore + 4;
        }, "two more audit passes find the reports unchanged", OperatorCluster.Patience, () => metrics);

        Assert.Equal(versions, await VersionsAsync());

        // A change is written: the legacy pod goes, and its results with it.
        await cluster.Client.CoreV1.DeleteNamespacedPodAsync("legacy", Ns, gracePeriodSeconds: 0);
        await Eventually.HoldsAsync(async () =>
        {
            report = await cluster.Admin.SucceedAsync("get", "policyreports.v1alpha2.wgpolicyk8s.io", "agentsandbox", "-n", Ns, "-o", "json");
            return Results(report).SequenceEqual(expected.Where(e => e.StartsWith("sandboxed/", StringComparison.Ordinal)));
        }, "the report drops the deleted pod", OperatorCluster.Patience, () => report);
    }

    private async Task<(string Namespaced, string Cluster)> VersionsAsync() =>
        (await cluster.Admin.SucceedAsync("get", "policyreports.v1alpha2.wgpolicyk8s.io", "agentsandbox", "-n", Ns, "-o", "jsonpath={.metadata.resourceVersion}"),
         await cluster.Admin.SucceedAsync("get", "clusterpolicyreports.v1alpha2.wgpolicyk8s.io", "agentsandbox", "-o", "jsonpath={.metadata.resourceVersion}"));

    /// <summary>The report's results as object/rule=result, in stored order.</summary>
    private static string[] Results(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.TryGetProperty("results", out var results)
                ? [.. results.EnumerateArray().Select(r => $"{r.GetProperty("resources")[0].GetProperty("name").GetString()}/{r.GetProperty("rule").GetString()}={r.GetProperty("result").GetString()}")]
                : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
