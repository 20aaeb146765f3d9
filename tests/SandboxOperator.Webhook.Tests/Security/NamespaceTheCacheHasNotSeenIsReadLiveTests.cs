using System.Net;
using k8s;
using k8s.Autorest;
using SandboxOperator.Policy.Api;
using SandboxOperator.Testing.KubeApi;
using SandboxOperator.Webhook.Tests.Support;

namespace SandboxOperator.Webhook.Tests.Security;

/// <summary>
/// A new namespace labelled <c>agentsandbox.io/enforce: kata</c> gets a pod at once, while the namespace watch is
/// reconnecting (held back for the whole test): the cache has never seen the namespace. The API server only admits
/// pods into namespaces that exist, so the webhook reads the namespace live and every pod ends up in Kata; when that
/// read fails the pod is refused with a message to retry, never admitted unmanaged.
/// </summary>
public sealed class NamespaceTheCacheHasNotSeenIsReadLiveTests
{
    private static readonly Dictionary<string, string> Enforced = new() { [WellKnown.EnforceLabel] = WellKnown.EnforceKataValue };

    [Fact]
    public async Task Twenty_pods_in_new_kata_namespaces_all_run_in_kata_and_a_failed_read_refuses_the_pod()
    {
        await using var cluster = await ClusterHost.StartAsync((server, _) =>
        {
            ClusterHost.HoldBackWatches(server, "namespaces");
            return Task.CompletedTask;
        });

        for (var i = 0; i < 20; i++)
        {
            var ns = $"sandboxed-{i}";
            await ClusterHost.CreateNamespaceAsync(cluster.Client, ns, Enforced);
            var created = await cluster.Client.CoreV1.CreateNamespacedPodAsync(ClusterHost.Pod("plain"), ns);

            Assert.Null(cluster.Cache.NamespaceLabels(ns));
            Assert.True(created.Spec.RuntimeClassName == "kata", $"pod in {ns} runs with runtimeClassName \"{created.Spec.RuntimeClassName}\", not kata");
        }

        Assert.Null(cluster.Source.StaleBecause);

        // The live read of the next new namespace fails: the pod is refused and not stored.
        await ClusterHost.CreateNamespaceAsync(cluster.Client, "sandboxed-unread", Enforced);
        cluster.Server.Faults.FailNextRequests(1, 503, ApiVerb.Get, "namespaces");
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.CreateNamespacedPodAsync(ClusterHost.Pod("plain"), "sandboxed-unread"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Response.StatusCode);
        Assert.Contains("could not read the AgentWorkloads and labels of namespace sandboxed-unread from the API server", refused.Response.Content, StringComparison.Ordinal);
        Assert.Contains("retry shortly", refused.Response.Content, StringComparison.Ordinal);
        Assert.Null(cluster.Server.Store.Get(BuiltInResources.Pods, "sandboxed-unread", "plain"));

        // Retried, it is admitted into Kata.
        var retried = await cluster.Client.CoreV1.CreateNamespacedPodAsync(ClusterHost.Pod("plain"), "sandboxed-unread");
        Assert.Equal("kata", retried.Spec.RuntimeClassName);
    }
}
