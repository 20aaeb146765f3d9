using System.Net;
using k8s;
using SandboxOperator.Testing.KubeApi;
using SandboxOperator.Webhook.Tests.Support;

namespace SandboxOperator.Webhook.Tests.Hosting;

/// <summary>
/// <c>/readyz</c> waits for the caches the webhook decides from (namespaces, AgentWorkloads, RuntimeClasses, nodes),
/// not for the pods' (tens of thousands of pods take seconds to list, and the webhook reads a pod it does not have
/// cached from the API server).
/// </summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task The_webhook_is_ready_and_decides_while_the_pods_are_still_being_listed()
    {
        await using var cluster = await ClusterHost.StartAsync(async (server, client) =>
        {
            await ClusterHost.CreateNamespaceAsync(client, "tools");
            server.Faults.FailNextRequests(1_000_000, 503, ApiVerb.List, "pods");
        });
        using var health = new HttpClient();

        using var ready = await health.GetAsync(cluster.Host.HealthUri("/readyz"));

        Assert.False(cluster.Cache.Pods.IsSynced);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.NotNull(await cluster.Client.CoreV1.CreateNamespacedPodAsync(ClusterHost.Pod("early"), "tools"));
    }
}
