using System.Net;
using k8s;
using k8s.Autorest;
using SandboxOperator.Testing.KubeApi;
using SandboxOperator.Webhook.Tests.Support;

namespace SandboxOperator.Webhook.Tests.Security;

/// <summary>
/// The consistent read of the namespace's AgentWorkloads fails (the API server answers 503) or is slower than
/// <c>--live-read-timeout</c>: the pod is refused with a message to retry, never admitted on the cache alone.
/// </summary>
public sealed class FailedLiveReadNeverAllowsTests
{
    [Fact]
    public async Task A_failed_or_slow_workload_read_refuses_the_pod_and_stores_nothing()
    {
        await using var cluster = await ClusterHost.StartAsync(async (_, client) => await ClusterHost.CreateNamespaceAsync(client, "tools"));

        cluster.Server.Faults.FailNextRequests(1, 503, ApiVerb.List, "agentworkloads");
        var failed = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.CreateNamespacedPodAsync(ClusterHost.Pod("failed"), "tools"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.Response.StatusCode);
        Assert.Contains("could not read the AgentWorkloads and labels of namespace tools from the API server (HttpOperationException); retry shortly", failed.Response.Content, StringComparison.Ordinal);

        // Every request now waits 3 s, longer than the 2 s live-read timeout (and shorter than the 4 s review deadline).
        cluster.Server.Faults.Latency = TimeSpan.FromSeconds(3);
        var slow = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.CreateNamespacedPodAsync(ClusterHost.Pod("slow"), "tools"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, slow.Response.StatusCode);
        Assert.Contains("(no answer within 2 s); retry shortly", slow.Response.Content, StringComparison.Ordinal);

        cluster.Server.Faults.Reset();
        Assert.Null(cluster.Server.Store.Get(BuiltInResources.Pods, "tools", "failed"));
        Assert.Null(cluster.Server.Store.Get(BuiltInResources.Pods, "tools", "slow"));
        Assert.NotNull(await cluster.Client.CoreV1.CreateNamespacedPodAsync(ClusterHost.Pod("healthy"), "tools"));
    }
}
