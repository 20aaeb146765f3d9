using System.Text.Json.Nodes;
using SandboxOperator.ControlPlaneTests.Support;
using SandboxOperator.Policy.Api;

namespace SandboxOperator.ControlPlaneTests;

/// <summary>A control plane with the chart installed and no replica running: the test runs its own.</summary>
public sealed class ChartOnlyCluster : OperatorCluster
{
    protected override bool StartsOperator => false;
}

/// <summary>
/// Two replicas on the chart's Lease: one leads and reconciles, both serve the webhook; when the leader
/// stops (SIGTERM, as in a rolling update) the other takes the Lease over and does the work that came
/// in meanwhile, new workloads and changes to existing ones alike.
/// </summary>
public sealed class LeaderElectionTests(ChartOnlyCluster cluster) : IClassFixture<ChartOnlyCluster>
{
    private const string Ns = "failover";

    [SkippableFact]
    public async Task One_replica_leads_the_other_takes_over_when_it_stops_and_no_work_is_lost()
    {
        cluster.SkipIfUnavailable();
        var chart = cluster.Chart;
        // The first replica on a port of its own; the webhooks call the second, so admission goes on while the first stops.
        await using var first = chart.StartOperator("sandbox-operator-a", webhookPort: ControlPlane.FreePort());
        await first.WaitUntilReadyAsync(OperatorCluster.Patience);
        await Eventually.HoldsAsync(async () => await HolderAsync() == first.Name, "the first replica holds the Lease", OperatorCluster.Patience);
        await using var second = chart.StartOperator("sandbox-operator-b");
        await second.WaitUntilReadyAsync(OperatorCluster.Patience);
        await cluster.WaitUntilWebhooksAnswerAsync(second);

        await cluster.CreateNamespaceAsync(Ns);
        await cluster.Admin.ApplyAsync(Workload("before", "Tool"));
        await Eventually.HoldsAsync(async () => await TierAsync("before") == ("Medium", 1), "the leader reconciles before", OperatorCluster.Patience);
        Assert.Equal(first.Name, await HolderAsync());
        Assert.Equal(1, await LeaderGaugeAsync(first));
        Assert.Equal(0, await LeaderGaugeAsync(second));

        await first.StopAsync(TimeSpan.FromSeconds(30));
        // Work that arrives after the leader went: a new workload, and a change that raises an existing one.
        await cluster.Admin.ApplyAsync(Workload("during", "Agent"));
        await cluster.Admin.SucceedAsync("patch", "aw", "before", "-n", Ns, "--type=merge", "-p", """{"spec":{"riskTier":"High"}}""");

        await Eventually.HoldsAsync(async () => await HolderAsync() == second.Name, "the second replica takes the Lease over", OperatorCluster.Patience);
        await Eventually.HoldsAsync(async () => await TierAsync("during") == ("High", 1), "the new leader reconciles the workload created meanwhile", OperatorCluster.Patience);
        await Eventually.HoldsAsync(async () => await TierAsync("before") == ("High", 2), "the new leader reconciles the change made meanwhile", OperatorCluster.Patience);
        Assert.Equal(1, await LeaderGaugeAsync(second));
        Assert.Contains("\"@mt\":\"leader is now {Leader} (this replica: {Identity})\"", second.Output, StringComparison.Ordinal);
    }

    private async Task<string?> HolderAsync()
    {
        try
        {
            return (await cluster.Client.CoordinationV1.ReadNamespacedLeaseAsync(cluster.Chart.LeaseName, ChartInstallation.Namespace)).Spec.HolderIdentity;
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<(string? Tier, long? ObservedGeneration)> TierAsync(string name)
    {
        var aw = JsonNode.Parse(KubernetesJson.Serialize(await cluster.Client.CustomObjects.GetNamespacedCustomObjectAsync(WellKnown.Group, WellKnown.Version, Ns, WellKnown.Plural, name)))!;
        return ((string?)aw["status"]?["riskTier"], (long?)aw["status"]?["observedGeneration"]);
    }

    private static async Task<double> LeaderGaugeAsync(OperatorProcess replica)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return PrometheusText.Sum(await http.GetStringAsync(replica.MetricsUrl), "agentsandbox_leader");
    }

    private static string Workload(string name, string type) => $$"""
        apiVersion: agentsandbox.io/v1alpha1
        kind: AgentWorkload
        metadata: { name: {{name}}, namespace: {{Ns}} }
        spec: { type: {{type}}, selector: { matchLabels: { app: {{name}} } } }
        """;
}
