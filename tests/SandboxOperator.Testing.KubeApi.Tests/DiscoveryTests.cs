using k8s;

namespace SandboxOperator.Testing.KubeApi.Tests;

public class DiscoveryTests
{
    [Fact]
    public async Task Discovery_lists_registered_groups_and_resources()
    {
        await using var api = await ApiScope.StartAsync();

        var version = await api.Client.Version.GetCodeAsync(api.Timeout);
        var core = await api.Client.CoreV1.GetAPIResourcesAsync(api.Timeout);
        var groups = await api.Client.Apis.GetAPIVersionsAsync(api.Timeout);
        var custom = await api.Client.CustomObjects.GetAPIResourcesAsync(AgentWorkload.Group, AgentWorkload.Version, api.Timeout);
        var coordination = await api.Client.CoordinationV1.GetAPIResourcesAsync(api.Timeout);

        Assert.Equal("1", version.Major);
        Assert.Contains(core.Resources, r => r.Name == "pods" && r.Namespaced && r.Kind == "Pod");
        Assert.Contains(core.Resources, r => r.Name == "pods/status");
        Assert.Contains(core.Resources, r => r.Name == "nodes" && !r.Namespaced);
        Assert.Contains(groups.Groups, g => g.Name == "agentsandbox.io" && g.PreferredVersion.Version == "v1alpha1");
        Assert.Contains(groups.Groups, g => g.Name == "admissionregistration.k8s.io");
        Assert.Contains(custom.Resources, r => r.Name == "agentworkloads" && r.Kind == "AgentWorkload");
        Assert.Equal("coordination.k8s.io/v1", coordination.GroupVersion);
    }

    [Fact]
    public async Task Types_registered_while_running_are_served_and_discovered()
    {
        await using var api = await ApiScope.StartAsync(new KubeApiServerOptions());
        var widgets = ResourceType.CustomResource("example.com", "v1", "Widget", "widgets", namespaced: false, hasStatus: false);

        api.Server.Resources.Register(widgets);
        await api.Client.CustomObjects.CreateClusterCustomObjectAsync(
            new k8s.Models.V1ConfigMap { ApiVersion = "example.com/v1", Kind = "Widget", Metadata = new() { Name = "w" } }, "example.com", "v1", "widgets", cancellationToken: api.Timeout);
        var resources = await api.Client.CustomObjects.GetAPIResourcesAsync("example.com", "v1", api.Timeout);

        Assert.Contains(resources.Resources, r => r.Name == "widgets" && !r.Namespaced);
        Assert.NotNull(api.Server.Store.Get(widgets, null, "w"));
        Assert.Throws<InvalidOperationException>(() => api.Server.Resources.Register(widgets with { Kind = "Gadget" }));
    }

    [Fact]
    public async Task Typed_calls_for_cluster_scoped_built_ins_work()
    {
        await using var api = await ApiScope.StartAsync();

        await api.Client.NodeV1.CreateRuntimeClassAsync(new k8s.Models.V1RuntimeClass { Metadata = new() { Name = "gvisor" }, Handler = "runsc" }, cancellationToken: api.Timeout);
        await api.Client.CoreV1.CreateNamespaceAsync(new k8s.Models.V1Namespace { Metadata = new() { Name = "team-a" } }, cancellationToken: api.Timeout);
        await api.Client.AdmissionregistrationV1.CreateMutatingWebhookConfigurationAsync(
            new k8s.Models.V1MutatingWebhookConfiguration { Metadata = new() { Name = "sandbox" }, Webhooks = [] }, cancellationToken: api.Timeout);

        Assert.Equal("runsc", (await api.Client.NodeV1.ReadRuntimeClassAsync("gvisor", cancellationToken: api.Timeout)).Handler);
        Assert.Single((await api.Client.CoreV1.ListNamespaceAsync(cancellationToken: api.Timeout)).Items);
        Assert.Single((await api.Client.AdmissionregistrationV1.ListMutatingWebhookConfigurationAsync(cancellationToken: api.Timeout)).Items);
    }
}
