using k8s;
using k8s.Models;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Testing.KubeApi;

namespace SandboxOperator.Cli.Tests;

/// <summary>The what-if's reading of a cluster (<see cref="ClusterReader"/>, <see cref="ClusterEvaluateCommand.CompareAsync"/>) against an in-process API server.</summary>
public sealed class ClusterReaderTests
{
    private static readonly ResourceType Workloads = ResourceType.CustomResource(WellKnown.Group, WellKnown.Version, WellKnown.Kind, WellKnown.Plural);

    private static readonly ResourceType[] Controllers =
    [
        new("apps", "v1", "ReplicaSet", "replicasets", Namespaced: true, HasStatus: true),
        new("apps", "v1", "StatefulSet", "statefulsets", Namespaced: true, HasStatus: true),
        new("apps", "v1", "DaemonSet", "daemonsets", Namespaced: true, HasStatus: true),
        new("", "v1", "ReplicationController", "replicationcontrollers", Namespaced: true, HasStatus: true),
        new("batch", "v1", "Job", "jobs", Namespaced: true, HasStatus: true),
    ];

    private static readonly DateTimeOffset Now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static async Task<(KubeApiServer Server, Kubernetes Client)> StartAsync(bool exceptions)
    {
        var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { AdditionalResources = [Workloads, .. Controllers, .. exceptions ? [ExceptedPod.Exceptions] : Array.Empty<ResourceType>()] });
        var client = new Kubernetes(new KubernetesClientConfiguration { Host = server.Url });
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "apps" } });
        await client.NodeV1.CreateRuntimeClassAsync(new V1RuntimeClass
        {
            Metadata = new V1ObjectMeta { Name = "kata" },
            Handler = "kata-qemu",
            Overhead = new V1Overhead { PodFixed = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("250m"), ["memory"] = new("160Mi") } },
        });
        for (var i = 0; i < 5; i++)
        {
            await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = $"web-{i}", Labels = new Dictionary<string, string> { ["app"] = "web" } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "x" }] },
            }, "apps");
        }

        return (server, client);
    }

    [Fact]
    public async Task Lists_are_read_in_pages_and_bare_pods_moving_into_kata_need_its_overhead()
    {
        var (server, client) = await StartAsync(exceptions: false);
        await using var _ = server;
        using var __ = client;
        var candidate = PolicyConfig.Default with { EnforcedNamespaces = new HashSet<string> { "apps" } };
        server.Requests.Reset();

        var result = await ClusterEvaluateCommand.CompareAsync(new ClusterReader(client, pageSize: 2), PolicyConfig.Default, candidate, Now, CancellationToken.None);

        Assert.Equal(5, result.Pods);
        Assert.Equal(["web-0", "web-1", "web-2", "web-3", "web-4"], result.Rows.Select(r => r.Row.Name));
        Assert.All(result.Rows, r => Assert.Equal(("Pod", 1, true), (r.Row.Kind, r.Pods, r.Row.RuntimeMoves)));
        var kata = Assert.Single(result.Capacity);
        Assert.Equal(new Dictionary<string, string> { ["cpu"] = "1250m", ["memory"] = "800Mi" }, kata.Extra);
        // Five pods, two per page: three list requests.
        Assert.Equal(3, server.Requests.Count(ApiVerb.List, "pods"));
        // Read-only: every request was a get or a list.
        Assert.Equal(0, server.Requests.Writes());
        Assert.Equal(server.Requests.Total, server.Requests.Count(ApiVerb.List) + server.Requests.Count(ApiVerb.Get));
        // This server does not serve CronJobs: a note says so, and the rest is read.
        Assert.Contains(result.Notes, n => n.StartsWith("CronJobs are not served", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Notes, n => n.Contains("SandboxException", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(-1, false)]
    [InlineData(0, true)]
    public async Task The_clusters_exceptions_apply_until_they_expire(int secondsFromExpiry, bool newlyDenied)
    {
        var (server, client) = await StartAsync(exceptions: true);
        await using var _ = server;
        using var __ = client;
        await ExceptedPod.CreateAsync(client, "apps");
        var audit = PolicyConfig.Default with { Mode = EnforcementMode.Audit };

        var result = await ClusterEvaluateCommand.CompareAsync(new ClusterReader(client), audit, PolicyConfig.Default, ExceptedPod.ExpiresAt.AddSeconds(secondsFromExpiry), CancellationToken.None);

        // Before its expiry the exception lets the Agent's pod run in gVisor when the candidate enforces what the current configuration audits; from then on
        // the candidate denies it as the Kata pod it is.
        Assert.Equal(newlyDenied, result.Rows.Any(r => r.Row.Name == "coder-1" && r.Row.NewDenial));
        Assert.Equal(6, result.Pods);
        Assert.DoesNotContain(result.Notes, n => n.Contains("SandboxException", StringComparison.Ordinal));
        Assert.Equal(1, server.Requests.Count(ApiVerb.List, WellKnown.ExceptionPlural));
    }
}
