using System.Net;
using k8s;
using k8s.Autorest;
using SandboxOperator.Testing;
using SandboxOperator.Webhook.Admission;
using SandboxOperator.Webhook.Tests.Support;

namespace SandboxOperator.Webhook.Tests.Security;

/// <summary>
/// The namespace watch breaks and stays broken (every reconnect refused): past <c>--watch-outage-limit</c> the cache
/// no longer follows the cluster, so <c>/readyz</c> says which watch and for how long, and pod reviews are refused
/// with a message to retry instead of decided from old labels. Kinds that read no state are still answered. When
/// the watch is back, so are readiness and decisions.
/// </summary>
public sealed class BrokenWatchFailsReadinessAndDecisionsTests
{
    [Fact]
    public async Task Past_the_outage_limit_readyz_names_the_watch_and_pods_are_refused_until_it_reconnects()
    {
        await using var cluster = await ClusterHost.StartAsync(async (server, client) =>
        {
            await ClusterHost.CreateNamespaceAsync(client, "tools");
            ClusterHost.HoldBackWatches(server, "namespaces");
        });
        using var health = new HttpClient();

        // Within the limit: decided as usual.
        Assert.Equal(HttpStatusCode.OK, (await health.GetAsync(cluster.Host.HealthUri("/readyz"))).StatusCode);
        Assert.NotNull(await cluster.Client.CoreV1.CreateNamespacedPodAsync(ClusterHost.Pod("before"), "tools"));

        cluster.Time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(TimeSpan.FromSeconds(31), cluster.Controller.StateInformers.Single(i => i.Name == "namespaces").BrokenFor);

        using var notReady = await health.GetAsync(cluster.Host.HealthUri("/readyz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.Equal("not ready: the namespaces watch has been broken for 31 s (limit 30 s): watch failed: the API server answered 503 ServiceUnavailable\n", await notReady.Content.ReadAsStringAsync());

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.CreateNamespacedPodAsync(ClusterHost.Pod("during"), "tools"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Response.StatusCode);
        Assert.Contains("cannot decide from a stale view of the cluster: the namespaces watch has been broken for 31 s", refused.Response.Content, StringComparison.Ordinal);
        Assert.Contains("retry shortly", refused.Response.Content, StringComparison.Ordinal);

        // A kind that reads no state is still answered at once (refused: the policy does not judge ConfigMaps).
        var configMap = await cluster.Host.ReviewAsync("/validate", Reviews.Request(Reviews.ConfigMap, "CREATE", "tools",
            new System.Text.Json.Nodes.JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["name"] = "c", ["namespace"] = "tools" } }));
        Assert.Equal((false, 403), (configMap.Allowed, configMap.Code));
        var pod = await cluster.Host.ReviewAsync("/validate", Reviews.Request(Reviews.Pod, "CREATE", "tools", Reviews.PodObject("direct", "tools")));
        Assert.Equal((false, PolicyAdmissionHandler.UnavailableCode), (pod.Allowed, pod.Code));

        // The API server takes watches again; once the informer's backoff has run out it reconnects.
        cluster.Server.Faults.Reset();
        await Eventually.HoldsAsync(
            async () =>
            {
                cluster.Time.Advance(TimeSpan.FromSeconds(30));
                return (await health.GetAsync(cluster.Host.HealthUri("/readyz"))).StatusCode == HttpStatusCode.OK;
            },
            "the namespaces watch reconnects and /readyz answers 200",
            TimeSpan.FromSeconds(60));

        Assert.Null(cluster.Source.StaleBecause);
        Assert.NotNull(await cluster.Client.CoreV1.CreateNamespacedPodAsync(ClusterHost.Pod("after"), "tools"));
    }
}
