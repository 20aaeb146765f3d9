using k8s;
using k8s.Models;

namespace SandboxOperator.Testing.KubeApi.Tests;

public class ConcurrencyTests
{
    [Fact]
    public async Task Concurrent_patches_without_resourceVersion_are_all_applied()
    {
        await using var api = await ApiScope.StartAsync();
        await api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "default", cancellationToken: api.Timeout);

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => api.Client.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch($"{{\"data\":{{\"k{i}\":\"v\"}}}}", V1Patch.PatchType.MergePatch), "c", "default", cancellationToken: api.Timeout)));

        var stored = await api.Client.CoreV1.ReadNamespacedConfigMapAsync("c", "default", cancellationToken: api.Timeout);
        Assert.Equal(40, stored.Data.Count);
        Assert.Equal("41", stored.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Concurrent_updates_with_the_same_resourceVersion_let_exactly_one_win()
    {
        await using var api = await ApiScope.StartAsync();
        var created = await api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "default", cancellationToken: api.Timeout);

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(async i =>
        {
            var copy = new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c", ResourceVersion = created.Metadata.ResourceVersion }, Data = new Dictionary<string, string> { ["writer"] = i.ToString() } };
            try
            {
                await api.Client.CoreV1.ReplaceNamespacedConfigMapAsync(copy, "c", "default", cancellationToken: api.Timeout);
                return true;
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
            {
                return false;
            }
        }));

        Assert.Equal(1, results.Count(won => won));
    }

    [Fact]
    public async Task Watch_sees_every_concurrent_create_once_in_resourceVersion_order()
    {
        await using var api = await ApiScope.StartAsync();
        var watching = Task.Run(async () =>
        {
            var versions = new List<long>();
            await foreach (var (_, pod) in api.Client.CoreV1.WatchListPodForAllNamespacesAsync(resourceVersion: "0", onError: e => throw e, cancellationToken: api.Timeout))
            {
                versions.Add(long.Parse(pod.Metadata.ResourceVersion));
                if (versions.Count == 30)
                {
                    return versions;
                }
            }

            return versions;
        });

        await api.Client.CoreV1.CreateNamespacedPodAsync(Pod("first"), "ns0", cancellationToken: api.Timeout);
        await api.Server.WaitForOpenWatchesAsync(1, api.Timeout);
        await Task.WhenAll(Enumerable.Range(1, 29).Select(i => api.Client.CoreV1.CreateNamespacedPodAsync(Pod($"p{i}"), $"ns{i % 3}", cancellationToken: api.Timeout)));

        var seen = await watching;
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), seen);
    }

    private static V1Pod Pod(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "i" }] },
    };
}
