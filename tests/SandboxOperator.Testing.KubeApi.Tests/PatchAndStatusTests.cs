using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace SandboxOperator.Testing.KubeApi.Tests;

public class PatchAndStatusTests
{
    private static AgentWorkload Workload(string name) =>
        new() { Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["a"] = "1" } }, Spec = new AgentWorkloadSpec { Image = "agent:1", Tier = "standard" } };

    [Fact]
    public async Task Merge_patch_and_json_patch_change_the_object()
    {
        await using var api = await ApiScope.StartAsync();
        using var generic = new GenericClient(api.Client, AgentWorkload.Group, AgentWorkload.Version, AgentWorkload.Plural, disposeClient: false);
        await generic.CreateNamespacedAsync(Workload("w"), "ns", cancel: api.Timeout);

        var merged = await generic.PatchNamespacedAsync<AgentWorkload>(
            new V1Patch("""{"metadata":{"labels":{"a":null,"b":"2"}},"spec":{"tier":"gold"}}""", V1Patch.PatchType.MergePatch), "ns", "w", cancel: api.Timeout);
        var jsonPatched = await generic.PatchNamespacedAsync<AgentWorkload>(
            new V1Patch("""[{"op":"test","path":"/spec/tier","value":"gold"},{"op":"replace","path":"/spec/image","value":"agent:2"},{"op":"add","path":"/metadata/labels/c~1d","value":"3"}]""", V1Patch.PatchType.JsonPatch), "ns", "w", cancel: api.Timeout);
        var strategic = await api.Client.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch("""{"data":{"x":"y"}}""", V1Patch.PatchType.StrategicMergePatch), "missing", "ns", cancellationToken: api.Timeout)
            .ContinueWith(t => t.Exception?.InnerException, TaskScheduler.Default);

        Assert.Equal(new Dictionary<string, string> { ["b"] = "2" }, merged.Metadata.Labels);
        Assert.Equal("gold", merged.Spec.Tier);
        Assert.Equal(2, merged.Metadata.Generation);
        Assert.Equal("agent:2", jsonPatched.Spec.Image);
        Assert.Equal("3", jsonPatched.Metadata.Labels["c/d"]);
        Assert.Equal(HttpStatusCode.NotFound, Assert.IsType<HttpOperationException>(strategic).Response.StatusCode);
    }

    [Fact]
    public async Task Failed_json_patch_test_is_422_and_changes_nothing()
    {
        await using var api = await ApiScope.StartAsync();
        using var generic = new GenericClient(api.Client, AgentWorkload.Group, AgentWorkload.Version, AgentWorkload.Plural, disposeClient: false);
        var created = await generic.CreateNamespacedAsync(Workload("w"), "ns", cancel: api.Timeout);

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => generic.PatchNamespacedAsync<AgentWorkload>(
            new V1Patch("""[{"op":"replace","path":"/spec/image","value":"x"},{"op":"test","path":"/spec/tier","value":"gold"}]""", V1Patch.PatchType.JsonPatch), "ns", "w", cancel: api.Timeout));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Response.StatusCode);
        Assert.Equal(created.Metadata.ResourceVersion, (await generic.ReadNamespacedAsync<AgentWorkload>("ns", "w", cancel: api.Timeout)).Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Patch_with_a_stale_resourceVersion_is_409()
    {
        await using var api = await ApiScope.StartAsync();
        using var generic = new GenericClient(api.Client, AgentWorkload.Group, AgentWorkload.Version, AgentWorkload.Plural, disposeClient: false);
        var created = await generic.CreateNamespacedAsync(Workload("w"), "ns", cancel: api.Timeout);
        await generic.PatchNamespacedAsync<AgentWorkload>(new V1Patch("""{"spec":{"tier":"gold"}}""", V1Patch.PatchType.MergePatch), "ns", "w", cancel: api.Timeout);

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => generic.PatchNamespacedAsync<AgentWorkload>(
            new V1Patch("{\"metadata\":{\"resourceVersion\":\"" + created.Metadata.ResourceVersion + "\"},\"spec\":{\"tier\":\"x\"}}", V1Patch.PatchType.MergePatch), "ns", "w", cancel: api.Timeout));

        Assert.Equal(HttpStatusCode.Conflict, error.Response.StatusCode);
    }

    [Fact]
    public async Task Status_subresource_is_isolated_and_generation_moves_only_with_spec()
    {
        await using var api = await ApiScope.StartAsync();
        var custom = api.Client.CustomObjects;
        var created = await new GenericClient(api.Client, AgentWorkload.Group, AgentWorkload.Version, AgentWorkload.Plural, disposeClient: false)
            .CreateNamespacedAsync(new AgentWorkload { Metadata = new V1ObjectMeta { Name = "w" }, Spec = new AgentWorkloadSpec { Image = "a" }, Status = new AgentWorkloadStatus { Phase = "Ignored" } }, "ns", cancel: api.Timeout);
        Assert.Null(created.Status);
        Assert.Equal(1, created.Metadata.Generation);

        // A status write changes only status, and not generation.
        created.Spec.Image = "changed-through-status";
        created.Status = new AgentWorkloadStatus { Phase = "Ready" };
        var afterStatus = KubernetesJson.Deserialize<AgentWorkload>(KubernetesJson.Serialize(
            await custom.ReplaceNamespacedCustomObjectStatusAsync(created, AgentWorkload.Group, AgentWorkload.Version, "ns", AgentWorkload.Plural, "w", cancellationToken: api.Timeout)));
        Assert.Equal("Ready", afterStatus.Status!.Phase);
        Assert.Equal("a", afterStatus.Spec.Image);
        Assert.Equal(1, afterStatus.Metadata.Generation);

        // A main-resource write ignores status; a metadata-only change keeps generation; a spec change bumps it.
        afterStatus.Status = new AgentWorkloadStatus { Phase = "Overwritten" };
        afterStatus.Metadata.Labels = new Dictionary<string, string> { ["x"] = "y" };
        using var generic = new GenericClient(api.Client, AgentWorkload.Group, AgentWorkload.Version, AgentWorkload.Plural, disposeClient: false);
        var labelled = await generic.ReplaceNamespacedAsync(afterStatus, "ns", "w", cancel: api.Timeout);
        Assert.Equal("Ready", labelled.Status!.Phase);
        Assert.Equal(1, labelled.Metadata.Generation);

        var specChanged = await generic.PatchNamespacedAsync<AgentWorkload>(new V1Patch("""{"spec":{"image":"b"},"status":{"phase":"Nope"}}""", V1Patch.PatchType.MergePatch), "ns", "w", cancel: api.Timeout);
        Assert.Equal(2, specChanged.Metadata.Generation);
        Assert.Equal("Ready", specChanged.Status!.Phase);

        var statusPatched = KubernetesJson.Deserialize<AgentWorkload>(KubernetesJson.Serialize(await custom.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("""{"status":{"phase":"Done"},"spec":{"image":"ignored"}}""", V1Patch.PatchType.MergePatch), AgentWorkload.Group, AgentWorkload.Version, "ns", AgentWorkload.Plural, "w", cancellationToken: api.Timeout)));
        Assert.Equal("Done", statusPatched.Status!.Phase);
        Assert.Equal("b", statusPatched.Spec.Image);
        Assert.Equal(2, statusPatched.Metadata.Generation);
    }

    [Fact]
    public async Task Typed_pod_status_write_and_no_op_update_do_not_bump_resourceVersion()
    {
        await using var api = await ApiScope.StartAsync();
        var pod = await api.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "i" }] },
        }, "default", cancellationToken: api.Timeout);

        pod.Status = new V1PodStatus { Phase = "Running" };
        var withStatus = await api.Client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, "p", "default", cancellationToken: api.Timeout);
        var noOp = await api.Client.CoreV1.ReplaceNamespacedPodAsync(withStatus, "p", "default", cancellationToken: api.Timeout);

        Assert.Equal("Running", withStatus.Status.Phase);
        Assert.Equal(withStatus.Metadata.ResourceVersion, noOp.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Unsupported_patch_type_is_415()
    {
        await using var api = await ApiScope.StartAsync();
        await api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "default", cancellationToken: api.Timeout);

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => api.Client.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch("""{"data":{"k":"v"}}""", V1Patch.PatchType.ApplyPatch), "c", "default", fieldManager: "test", cancellationToken: api.Timeout));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, error.Response.StatusCode);
    }
}
