using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace SandboxOperator.Testing.KubeApi.Tests;

public class CrudTests
{
    private static V1Pod Pod(string name, IDictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Labels = labels },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "main", Image = "busybox" }] },
    };

    [Fact]
    public async Task Create_read_replace_delete_round_trip_keeps_unknown_fields()
    {
        await using var api = await ApiScope.StartAsync();
        var body = new JsonObject
        {
            ["apiVersion"] = "agentsandbox.io/v1alpha1",
            ["kind"] = "AgentWorkload",
            ["metadata"] = new JsonObject { ["name"] = "w1" },
            ["spec"] = new JsonObject { ["image"] = "agent:1", ["futureField"] = new JsonObject { ["nested"] = new JsonArray(1, 2) } },
        };

        await api.Client.CustomObjects.CreateNamespacedCustomObjectAsync(body, AgentWorkload.Group, AgentWorkload.Version, "team-a", AgentWorkload.Plural, cancellationToken: api.Timeout);
        var read = JsonNode.Parse(((JsonElement)await api.Client.CustomObjects.GetNamespacedCustomObjectAsync(AgentWorkload.Group, AgentWorkload.Version, "team-a", AgentWorkload.Plural, "w1", api.Timeout)).GetRawText())!;

        Assert.Equal("[1,2]", read["spec"]!["futureField"]!["nested"]!.ToJsonString());
        Assert.Equal("team-a", (string?)read["metadata"]!["namespace"]);
        Assert.False(string.IsNullOrEmpty((string?)read["metadata"]!["uid"]));
        Assert.NotNull(read["metadata"]!["creationTimestamp"]);
        Assert.Equal(1, (long)read["metadata"]!["generation"]!);

        read["spec"]!["image"] = "agent:2";
        await api.Client.CustomObjects.ReplaceNamespacedCustomObjectAsync(read, AgentWorkload.Group, AgentWorkload.Version, "team-a", AgentWorkload.Plural, "w1", cancellationToken: api.Timeout);
        var stored = api.Server.Store.Get(AgentWorkload.Resource, "team-a", "w1")!;
        Assert.Equal("agent:2", (string?)stored["spec"]!["image"]);
        Assert.Equal("[1,2]", stored["spec"]!["futureField"]!["nested"]!.ToJsonString());
        Assert.Equal(2, (long)stored["metadata"]!["generation"]!);

        await api.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(AgentWorkload.Group, AgentWorkload.Version, "team-a", AgentWorkload.Plural, "w1", cancellationToken: api.Timeout);
        Assert.Null(api.Server.Store.Get(AgentWorkload.Resource, "team-a", "w1"));
    }

    [Fact]
    public async Task Generic_client_works_with_typed_custom_resources()
    {
        await using var api = await ApiScope.StartAsync();
        using var generic = new GenericClient(api.Client, AgentWorkload.Group, AgentWorkload.Version, AgentWorkload.Plural, disposeClient: false);

        var created = await generic.CreateNamespacedAsync(new AgentWorkload { Metadata = new V1ObjectMeta { Name = "w" }, Spec = new AgentWorkloadSpec { Image = "a" } }, "ns", cancel: api.Timeout);
        created.Spec.Image = "b";
        var replaced = await generic.ReplaceNamespacedAsync(created, "ns", "w", cancel: api.Timeout);
        var list = await generic.ListNamespacedAsync<AgentWorkloadList>("ns", cancel: api.Timeout);
        var deleted = await generic.DeleteNamespacedAsync<AgentWorkload>("ns", "w", cancel: api.Timeout);

        Assert.Equal("b", replaced.Spec.Image);
        Assert.True(long.Parse(replaced.Metadata.ResourceVersion) > long.Parse(created.Metadata.ResourceVersion));
        Assert.Equal("w", Assert.Single(list.Items).Metadata.Name);
        Assert.Equal("w", deleted.Metadata.Name);
    }

    [Fact]
    public async Task Generic_client_works_with_core_group_resources()
    {
        await using var api = await ApiScope.StartAsync();
        using var generic = new GenericClient(api.Client, "", "v1", "configmaps", disposeClient: false);

        await generic.CreateNamespacedAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" }, Data = new Dictionary<string, string> { ["k"] = "v" } }, "default", cancel: api.Timeout);
        var read = await generic.ReadNamespacedAsync<V1ConfigMap>("default", "c", cancel: api.Timeout);
        var list = await generic.ListNamespacedAsync<V1ConfigMapList>("default", cancel: api.Timeout);

        Assert.Equal("v", read.Data["k"]);
        Assert.Single(list.Items);
    }

    [Fact]
    public async Task GenerateName_produces_a_unique_name()
    {
        await using var api = await ApiScope.StartAsync();
        var template = Pod("");
        template.Metadata.Name = null;
        template.Metadata.GenerateName = "sandbox-";

        var first = await api.Client.CoreV1.CreateNamespacedPodAsync(template, "default", cancellationToken: api.Timeout);
        var second = await api.Client.CoreV1.CreateNamespacedPodAsync(template, "default", cancellationToken: api.Timeout);

        Assert.StartsWith("sandbox-", first.Metadata.Name, StringComparison.Ordinal);
        Assert.Equal("sandbox-".Length + 5, first.Metadata.Name.Length);
        Assert.NotEqual(first.Metadata.Name, second.Metadata.Name);
    }

    [Fact]
    public async Task Duplicate_create_is_409_AlreadyExists()
    {
        await using var api = await ApiScope.StartAsync();
        await api.Client.CoreV1.CreateNamespacedPodAsync(Pod("p"), "default", cancellationToken: api.Timeout);

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => api.Client.CoreV1.CreateNamespacedPodAsync(Pod("p"), "default", cancellationToken: api.Timeout));

        Assert.Equal(HttpStatusCode.Conflict, error.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(error.Response.Content);
        Assert.Equal("AlreadyExists", status.Reason);
        Assert.Equal("Status", status.Kind);
        Assert.Equal("Failure", status.Status);
    }

    [Fact]
    public async Task Update_with_a_stale_resourceVersion_is_409_Conflict()
    {
        await using var api = await ApiScope.StartAsync();
        var created = await api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" }, Data = new Dictionary<string, string> { ["k"] = "1" } }, "default", cancellationToken: api.Timeout);
        var stale = created.Metadata.ResourceVersion;
        created.Data["k"] = "2";
        await api.Client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "c", "default", cancellationToken: api.Timeout);

        created.Data["k"] = "3";
        created.Metadata.ResourceVersion = stale;
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => api.Client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "c", "default", cancellationToken: api.Timeout));

        Assert.Equal(HttpStatusCode.Conflict, error.Response.StatusCode);
        Assert.Equal("Conflict", KubernetesJson.Deserialize<V1Status>(error.Response.Content).Reason);
        Assert.Equal("2", (string?)api.Server.Store.Get(BuiltInResources.ConfigMaps, "default", "c")!["data"]!["k"]);
    }

    [Fact]
    public async Task Update_meant_for_a_recreated_object_is_409()
    {
        await using var api = await ApiScope.StartAsync();
        var first = await api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "default", cancellationToken: api.Timeout);
        await api.Client.CoreV1.DeleteNamespacedConfigMapAsync("c", "default", cancellationToken: api.Timeout);
        await api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "default", cancellationToken: api.Timeout);

        first.Metadata.ResourceVersion = null;
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => api.Client.CoreV1.ReplaceNamespacedConfigMapAsync(first, "c", "default", cancellationToken: api.Timeout));

        Assert.Equal(HttpStatusCode.Conflict, error.Response.StatusCode);
    }

    [Fact]
    public async Task List_filters_by_label_and_field_selectors_and_reports_resourceVersion()
    {
        await using var api = await ApiScope.StartAsync();
        await api.Client.CoreV1.CreateNamespacedPodAsync(Pod("a", new Dictionary<string, string> { ["app"] = "web", ["tier"] = "gold" }), "default", cancellationToken: api.Timeout);
        await api.Client.CoreV1.CreateNamespacedPodAsync(Pod("b", new Dictionary<string, string> { ["app"] = "web" }), "default", cancellationToken: api.Timeout);
        await api.Client.CoreV1.CreateNamespacedPodAsync(Pod("c", new Dictionary<string, string> { ["app"] = "db" }), "default", cancellationToken: api.Timeout);
        var other = Pod("d", new Dictionary<string, string> { ["app"] = "web" });
        other.Metadata.NamespaceProperty = "other";
        await api.Client.CoreV1.CreateNamespacedPodAsync(other, "other", cancellationToken: api.Timeout);

        async Task<string> Names(string selector) =>
            string.Join(",", (await api.Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: selector, cancellationToken: api.Timeout)).Items.Select(p => p.Metadata.Name));

        Assert.Equal("a,b", await Names("app=web"));
        Assert.Equal("a,b", await Names("app==web"));
        Assert.Equal("c", await Names("app!=web"));
        Assert.Equal("a,b,c", await Names("app in (web,db)"));
        Assert.Equal("c", await Names("app notin (web)"));
        Assert.Equal("a", await Names("tier"));
        Assert.Equal("b,c", await Names("!tier"));
        Assert.Equal("b", await Names("app=web,!tier"));

        var everywhere = await api.Client.CoreV1.ListPodForAllNamespacesAsync(labelSelector: "app=web", cancellationToken: api.Timeout);
        Assert.Equal(3, everywhere.Items.Count);
        Assert.Equal(api.Server.Store.ResourceVersion.ToString(), everywhere.Metadata.ResourceVersion);

        var byName = await api.Client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: "metadata.name=d,metadata.namespace=other", cancellationToken: api.Timeout);
        Assert.Equal("d", Assert.Single(byName.Items).Metadata.Name);

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => api.Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app in (web", cancellationToken: api.Timeout));
        Assert.Equal(HttpStatusCode.BadRequest, error.Response.StatusCode);
    }

    [Fact]
    public async Task List_pages_with_limit_and_continue()
    {
        await using var api = await ApiScope.StartAsync();
        foreach (var name in new[] { "a", "b", "c" })
        {
            await api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name } }, "default", cancellationToken: api.Timeout);
        }

        var first = await api.Client.CoreV1.ListNamespacedConfigMapAsync("default", limit: 2, cancellationToken: api.Timeout);
        var second = await api.Client.CoreV1.ListNamespacedConfigMapAsync("default", limit: 2, continueParameter: first.Metadata.ContinueProperty, cancellationToken: api.Timeout);

        Assert.Equal(["a", "b"], first.Items.Select(i => i.Metadata.Name));
        Assert.Equal(1, first.Metadata.RemainingItemCount);
        Assert.Equal(["c"], second.Items.Select(i => i.Metadata.Name));
        Assert.Null(second.Metadata.ContinueProperty);
    }

    [Fact]
    public async Task Delete_of_an_object_with_finalizers_marks_it_and_removal_of_the_last_finalizer_deletes_it()
    {
        await using var api = await ApiScope.StartAsync();
        var pod = Pod("f");
        pod.Metadata.Finalizers = ["agentsandbox.io/cleanup"];
        await api.Client.CoreV1.CreateNamespacedPodAsync(pod, "default", cancellationToken: api.Timeout);

        var marked = await api.Client.CoreV1.DeleteNamespacedPodAsync("f", "default", cancellationToken: api.Timeout);
        Assert.NotNull(marked.Metadata.DeletionTimestamp);
        Assert.NotNull(api.Server.Store.Get(BuiltInResources.Pods, "default", "f"));

        var patch = new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch);
        await api.Client.CoreV1.PatchNamespacedPodAsync(patch, "f", "default", cancellationToken: api.Timeout);
        Assert.Null(api.Server.Store.Get(BuiltInResources.Pods, "default", "f"));
    }

    [Fact]
    public async Task Malformed_json_body_is_400_not_500()
    {
        await using var api = await ApiScope.StartAsync();
        using var http = new HttpClient();

        using var create = await http.PostAsync($"{api.Server.Url}/api/v1/namespaces/default/pods", new StringContent("{\"metadata\":", Encoding.UTF8, "application/json"), api.Timeout);
        using var notObject = await http.PostAsync($"{api.Server.Url}/api/v1/namespaces/default/pods", new StringContent("[1]", Encoding.UTF8, "application/json"), api.Timeout);
        using var patch = await http.PatchAsync($"{api.Server.Url}/api/v1/namespaces/default/pods/x", new StringContent("{", Encoding.UTF8, "application/merge-patch+json"), api.Timeout);

        Assert.Equal(HttpStatusCode.BadRequest, create.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, notObject.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, patch.StatusCode);
        var status = JsonNode.Parse(await create.Content.ReadAsStringAsync(api.Timeout))!;
        Assert.Equal("Status", (string?)status["kind"]);
        Assert.Equal("BadRequest", (string?)status["reason"]);
        Assert.Equal(400, (int)status["code"]!);
    }

    [Fact]
    public async Task Unknown_resource_is_404_Status()
    {
        await using var api = await ApiScope.StartAsync();

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => api.Client.CoreV1.ReadNamespacedPodAsync("missing", "default", cancellationToken: api.Timeout));
        Assert.Equal(HttpStatusCode.NotFound, error.Response.StatusCode);
        Assert.Equal("NotFound", KubernetesJson.Deserialize<V1Status>(error.Response.Content).Reason);

        using var http = new HttpClient();
        using var unknown = await http.GetAsync($"{api.Server.Url}/apis/example.com/v1/widgets", api.Timeout);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }
}
