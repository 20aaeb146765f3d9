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
    private static readonly ResourceType Exceptions = ResourceType.CustomResource(WellKnown.Group, WellKnown.Version, "SandboxException", ClusterReader.ExceptionPlural);

    private static readonly ResourceType[] Controllers =
    [
        new("apps", "v1", "ReplicaSet", "replicasets", Namespaced: true, HasStatus: true),
        new("apps", "v1", "StatefulSet", "statefulsets", Namespaced: true, HasStatus: true),
        new("apps", "v1", "DaemonSet", "daemonsets", Namespaced: true, HasStatus: true),
        new("", "v1", "ReplicationController", "replicationcontrollers", Namespaced: true, HasStatus: true),
        new("batch", "v1", "Job", "jobs", Namespaced: true, HasStatus: true),
    ];

    private static async Task<(KubeApiServer Server, Kubernetes Client)> StartAsync(bool exceptions)
    {
        var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { AdditionalResources = [Workloads, .. Controllers, .. exceptions ? [Exceptions] : Array.Empty<ResourceType>()] });
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

        var result = await ClusterEvaluateCommand.CompareAsync(new ClusterReader(client, pageSize: 2), PolicyConfig.Default, candidate, CancellationToken.None);

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

    [Fact]
    public async Task Exceptions_are_counted_and_said_not_to_be_applied_when_their_resource_is_served()
    {
        var (server, client) = await StartAsync(exceptions: true);
        await using var _ = server;
        using var __ = client;
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(
            new { apiVersion = WellKnown.ApiVersion, kind = "SandboxException", metadata = new { name = "e1", @namespace = "apps" }, spec = new { reason = "r" } },
            WellKnown.Group, WellKnown.Version, "apps", ClusterReader.ExceptionPlural);

        var result = await ClusterEvaluateCommand.CompareAsync(new ClusterReader(client), PolicyConfig.Default, PolicyConfig.Default, CancellationToken.None);

        Assert.Empty(result.Rows);
        Assert.Equal(5, result.Evaluated);
        Assert.Contains("1 SandboxException(s) exist; this comparison does not apply them, so pods they except are judged as if they had none, under both configurations", result.Notes);
    }
}
