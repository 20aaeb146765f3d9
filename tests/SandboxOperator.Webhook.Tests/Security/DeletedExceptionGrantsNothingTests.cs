using System.Text.Json.Nodes;
using k8s;
using SandboxOperator.Policy.Api;
using SandboxOperator.Webhook.Tests.Support;

namespace SandboxOperator.Webhook.Tests.Security;

/// <summary>
/// A SandboxException lets the pods of a High workload run in gVisor; an administrator deletes it, and a pod follows
/// at once, before the exceptions watch delivers the deletion (held back here for the whole test, so the cache
/// provably still holds the exception). An exception only relaxes, so a stale one would be weaker: the webhook reads
/// the namespace's exceptions live whenever its cache holds some, and the pod must run in Kata.
/// </summary>
public sealed class DeletedExceptionGrantsNothingTests
{
    [Fact]
    public async Task A_pod_created_right_after_its_exception_is_deleted_runs_in_Kata_while_the_cache_still_holds_the_exception()
    {
        await using var cluster = await ClusterHost.StartAsync(async (server, client) =>
        {
            await ClusterHost.CreateNamespaceAsync(client, "tools");
            await client.CustomObjects.CreateNamespacedCustomObjectAsync(JsonNode.Parse("""
                {"apiVersion":"agentsandbox.io/v1alpha1","kind":"AgentWorkload","metadata":{"name":"runner","namespace":"tools"},
                 "spec":{"type":"ExecTool","selector":{"matchLabels":{"app":"runner"}}}}
                """)!, WellKnown.Group, WellKnown.Version, "tools", WellKnown.Plural);
            await client.CustomObjects.CreateNamespacedCustomObjectAsync(JsonNode.Parse($$$"""
                {"apiVersion":"agentsandbox.io/v1alpha1","kind":"SandboxException","metadata":{"name":"runner-in-gvisor","namespace":"tools"},
                 "spec":{"selector":{"matchLabels":{"app":"runner"}},"grant":"RunInGVisor","reason":"needs /dev/fuse","owner":"team-agents",
                         "expiresAt":"{{{DateTimeOffset.UtcNow.AddDays(30):yyyy-MM-ddTHH:mm:ssZ}}}"}}
                """)!, WellKnown.Group, WellKnown.Version, "tools", WellKnown.ExceptionPlural);
            ClusterHost.HoldBackWatches(server, WellKnown.ExceptionPlural);
        });
        var runner = new Dictionary<string, string> { ["app"] = "runner" };

        // While the exception exists, it applies.
        var granted = await cluster.Client.CoreV1.CreateNamespacedPodAsync(ClusterHost.Pod("granted", runner), "tools");
        Assert.Equal("gvisor", granted.Spec.RuntimeClassName);

        await cluster.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(WellKnown.Group, WellKnown.Version, "tools", WellKnown.ExceptionPlural, "runner-in-gvisor");

        for (var i = 0; i < 10; i++)
        {
            var created = await cluster.Client.CoreV1.CreateNamespacedPodAsync(ClusterHost.Pod($"after-{i}", runner), "tools");

            Assert.Single(cluster.Cache.ExceptionsIn("tools"));
            Assert.True(created.Spec.RuntimeClassName == "kata", $"pod {i} runs with runtimeClassName \"{created.Spec.RuntimeClassName}\" under a deleted exception");
            Assert.Equal("high", created.Metadata.Labels["agentsandbox.io/tier"]);
        }

        Assert.Null(cluster.Source.StaleBecause);
    }
}
