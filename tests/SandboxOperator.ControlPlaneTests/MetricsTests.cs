using SandboxOperator.ControlPlaneTests.Support;

namespace SandboxOperator.ControlPlaneTests;

/// <summary>The operator's metrics count what the real API server sent it and what its controller did.</summary>
[Collection(OperatorClusterCollection.Name)]
public sealed class MetricsTests(OperatorCluster cluster)
{
    private const int Creates = 5;

    [SkippableFact]
    public async Task Admissions_and_reconciles_from_real_traffic_are_counted()
    {
        cluster.SkipIfUnavailable();
        const string ns = "metrics-traffic";
        await cluster.CreateNamespaceAsync(ns);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var before = await http.GetStringAsync(cluster.Operator!.MetricsUrl);

        Assert.Equal("Medium", await cluster.ApplyWorkloadAsync(ns, "counter", "Tool"));
        for (var i = 0; i < Creates; i++)
        {
            await cluster.Client.CoreV1.CreateNamespacedPodAsync(Pods.Plain($"counter-{i}", new Dictionary<string, string> { ["app"] = "counter" }), ns);
        }

        var after = "";
        string[] mutated = ["webhook=\"mutate\"", "kind=\"Pod\"", "operation=\"CREATE\"", "decision=\"mutated\""];
        string[] validated = ["webhook=\"validate\"", "kind=\"Pod\"", "operation=\"CREATE\""];
        await Eventually.HoldsAsync(async () =>
        {
            after = await http.GetStringAsync(cluster.Operator.MetricsUrl);
            return PrometheusText.Sum(after, "agentsandbox_admission_requests_total", validated) - PrometheusText.Sum(before, "agentsandbox_admission_requests_total", validated) >= Creates;
        }, $"the {Creates} creates are counted", OperatorCluster.Patience, () => after);

        Assert.True(PrometheusText.Sum(after, "agentsandbox_admission_requests_total", mutated) - PrometheusText.Sum(before, "agentsandbox_admission_requests_total", mutated) >= Creates, after);
        Assert.True(PrometheusText.Sum(after, "agentsandbox_admission_duration_seconds_count", validated) >= Creates, after);
        // The fixture's readiness probe had an MCP pod refused.
        Assert.True(PrometheusText.Sum(after, "agentsandbox_admission_requests_total", "webhook=\"validate\"", "decision=\"denied\"") >= 1, after);
        Assert.True(PrometheusText.Sum(after, "agentsandbox_reconcile_total") > PrometheusText.Sum(before, "agentsandbox_reconcile_total"), after);
        Assert.Equal(1, PrometheusText.Sum(after, "agentsandbox_leader"));
    }

    /// <summary>Prometheus's own series, which the operator does not export.</summary>
    private static readonly HashSet<string> ScrapeSeries = ["up"];

    [SkippableFact]
    public async Task Every_metric_the_dashboard_and_the_alerts_read_is_exported()
    {
        cluster.SkipIfUnavailable();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var queries = MonitoringQueries.Dashboard().Select(q => ("panel " + q.Panel, q.Expr))
            .Concat(MonitoringQueries.Alerts().Select(a => ("alert " + a.Alert, a.Expr)))
            .ToList();
        var read = queries.SelectMany(q => MonitoringQueries.MetricNames(q.Expr).Select(name => (Where: q.Item1, Name: name))).ToList();
        Assert.Contains(read, r => r.Name == "agentsandbox_admission_denials_total");

        // A workload, so the gauge of workloads by tier has a series; the fixture's readiness probe had an MCP pod
        // denied, so the denial counter has one too.
        await cluster.CreateNamespaceAsync("metrics-names");
        Assert.Equal("High", await cluster.ApplyWorkloadAsync("metrics-names", "agent", "Agent"));
        var exported = new HashSet<string>(StringComparer.Ordinal);
        var text = "";
        await Eventually.HoldsAsync(async () =>
        {
            text = await http.GetStringAsync(cluster.Operator!.MetricsUrl);
            exported = text.Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(l => l[..l.IndexOfAny(['{', ' '])]).ToHashSet(StringComparer.Ordinal);
            return read.All(r => exported.Contains(r.Name) || ScrapeSeries.Contains(r.Name));
        }, "every metric the dashboard and the alert rules read appears in a scrape", OperatorCluster.Patience,
            () => string.Join("\n", read.Where(r => !exported.Contains(r.Name) && !ScrapeSeries.Contains(r.Name)).Select(r => $"{r.Where} reads {r.Name}, which the operator does not export")) + "\n\n" + text);
    }
}
