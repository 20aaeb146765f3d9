using System.Diagnostics;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace SandboxOperator.Testing.KubeApi.Tests;

public class FaultAndCounterTests
{
    private static V1ConfigMap ConfigMap(string name) => new() { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["k"] = "v" } };

    [Fact]
    public async Task Injected_500_surfaces_as_HttpOperationException_then_requests_succeed_again()
    {
        await using var api = await ApiScope.StartAsync();
        await api.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("c"), "default", cancellationToken: api.Timeout);
        api.Server.Faults.FailNextRequests(1, 500, ApiVerb.Get, "configmaps");

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => api.Client.CoreV1.ReadNamespacedConfigMapAsync("c", "default", cancellationToken: api.Timeout));
        var after = await api.Client.CoreV1.ReadNamespacedConfigMapAsync("c", "default", cancellationToken: api.Timeout);

        Assert.Equal(HttpStatusCode.InternalServerError, error.Response.StatusCode);
        Assert.Equal("InternalError", KubernetesJson.Deserialize<V1Status>(error.Response.Content).Reason);
        Assert.Equal("c", after.Metadata.Name);
    }

    [Fact]
    public async Task Injected_429_carries_Retry_After()
    {
        await using var api = await ApiScope.StartAsync();
        api.Server.Faults.FailNextRequests(1, 429, resource: "pods", retryAfterSeconds: 7);

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => api.Client.CoreV1.ListNamespacedPodAsync("default", cancellationToken: api.Timeout));

        Assert.Equal(HttpStatusCode.TooManyRequests, error.Response.StatusCode);
        Assert.Equal(["7"], error.Response.Headers["Retry-After"]);
    }

    [Fact]
    public async Task Failure_filters_leave_other_requests_alone()
    {
        await using var api = await ApiScope.StartAsync();
        api.Server.Faults.FailNextRequests(1, 503, ApiVerb.Create, "pods");

        await api.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("c"), "default", cancellationToken: api.Timeout);
        await api.Client.CoreV1.ListNamespacedPodAsync("default", cancellationToken: api.Timeout);
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => api.Client.CoreV1.CreateNamespacedPodAsync(
            new V1Pod { Metadata = new V1ObjectMeta { Name = "p" }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c" }] } }, "default", cancellationToken: api.Timeout));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.Response.StatusCode);
    }

    [Fact]
    public async Task Conflicts_can_be_forced_on_the_next_writes_of_a_resource()
    {
        await using var api = await ApiScope.StartAsync();
        var created = await api.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("c"), "default", cancellationToken: api.Timeout);
        api.Server.Faults.ConflictNextWrites("configmaps", 2);

        for (int i = 0; i < 2; i++)
        {
            var error = await Assert.ThrowsAsync<HttpOperationException>(() => api.Client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "c", "default", cancellationToken: api.Timeout));
            Assert.Equal(HttpStatusCode.Conflict, error.Response.StatusCode);
        }

        created.Data["k"] = "w";
        await api.Client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "c", "default", cancellationToken: api.Timeout);
    }

    [Fact]
    public async Task Latency_delays_requests()
    {
        await using var api = await ApiScope.StartAsync();
        api.Server.Faults.Latency = TimeSpan.FromMilliseconds(200);

        var clock = Stopwatch.StartNew();
        await api.Client.CoreV1.ListNamespacedPodAsync("default", cancellationToken: api.Timeout);

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(190), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Counters_tell_reads_from_writes()
    {
        await using var api = await ApiScope.StartAsync();
        var pod = await api.Client.CoreV1.CreateNamespacedPodAsync(
            new V1Pod { Metadata = new V1ObjectMeta { Name = "p" }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c" }] } }, "default", cancellationToken: api.Timeout);
        api.Server.Requests.Reset();

        for (int resync = 0; resync < 3; resync++)
        {
            await api.Client.CoreV1.ListNamespacedPodAsync("default", cancellationToken: api.Timeout);
            await api.Client.CoreV1.ReadNamespacedPodAsync("p", "default", cancellationToken: api.Timeout);
        }

        Assert.Equal(0, api.Server.Requests.Writes());
        Assert.Equal(3, api.Server.Requests.Count(ApiVerb.List, "pods"));

        pod.Status = new V1PodStatus { Phase = "Running" };
        await api.Client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, "p", "default", cancellationToken: api.Timeout);
        Assert.Equal(1, api.Server.Requests.Writes("pods"));
        Assert.Equal(1, api.Server.Requests.Count(ApiVerb.Update, "pods/status"));
        Assert.Equal(0, api.Server.Requests.Writes("configmaps"));
        Assert.Equal(1, api.Server.Requests.Snapshot()["update pods/status"]);
    }
}
