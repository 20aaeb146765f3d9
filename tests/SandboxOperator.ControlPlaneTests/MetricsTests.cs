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
}
