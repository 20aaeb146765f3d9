using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace SandboxOperator.Testing.KubeApi.Tests;

/// <summary>Odd client input gets a 4xx Status, never a 500.</summary>
public class BadInputTests
{
    private static async Task<(HttpStatusCode Code, JsonNode? Body)> Send(ApiScope api, HttpMethod method, string path, string? body, string contentType = "application/json")
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(method, api.Server.Url + path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, contentType);
        }

        using var response = await http.SendAsync(request, api.Timeout);
        var text = await response.Content.ReadAsStringAsync(api.Timeout);
        return (response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null);
    }

    [Theory]
    [InlineData("POST", "/api/v1/namespaces/default/configmaps", """{"metadata":[]}""", "application/json", 400)]
    [InlineData("POST", "/api/v1/namespaces/default/configmaps", """{"kind":5,"metadata":{"name":"x"}}""", "application/json", 400)]
    [InlineData("POST", "/api/v1/namespaces/default/configmaps", """{"kind":"Secret","metadata":{"name":"x"}}""", "application/json", 400)]
    [InlineData("POST", "/api/v1/namespaces/default/configmaps", """{"metadata":{"name":"x","namespace":"other"}}""", "application/json", 400)]
    [InlineData("POST", "/api/v1/namespaces/default/configmaps", """{"metadata":{"name":"Not_Valid"}}""", "application/json", 422)]
    [InlineData("POST", "/api/v1/namespaces/default/configmaps", """{"metadata":{}}""", "application/json", 422)]
    [InlineData("POST", "/api/v1/namespaces/default/configmaps", """{"metadata":{"name":"x","resourceVersion":"5"}}""", "application/json", 400)]
    [InlineData("PUT", "/api/v1/namespaces/default/configmaps/existing", """{"metadata":{"name":"other"}}""", "application/json", 400)]
    [InlineData("PUT", "/api/v1/namespaces/default/configmaps/existing", """{"metadata":{"name":"existing","resourceVersion":"abc"}}""", "application/json", 400)]
    [InlineData("PATCH", "/api/v1/namespaces/default/configmaps/existing", """{"metadata":5}""", "application/merge-patch+json", 422)]
    [InlineData("PATCH", "/api/v1/namespaces/default/configmaps/existing", """{"kind":7}""", "application/merge-patch+json", 422)]
    [InlineData("PATCH", "/api/v1/namespaces/default/configmaps/existing", """[1]""", "application/merge-patch+json", 400)]
    [InlineData("PATCH", "/api/v1/namespaces/default/configmaps/existing", """{"op":"add"}""", "application/json-patch+json", 400)]
    [InlineData("PATCH", "/api/v1/namespaces/default/configmaps/existing", """[{"op":"replace","path":"","value":3}]""", "application/json-patch+json", 422)]
    [InlineData("PATCH", "/api/v1/namespaces/default/configmaps/existing", """{}""", "text/plain", 415)]
    [InlineData("DELETE", "/api/v1/namespaces/default/configmaps/existing", """{"preconditions":""", "application/json", 400)]
    [InlineData("GET", "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=x", null, "application/json", 400)]
    [InlineData("GET", "/api/v1/namespaces/default/configmaps?limit=-1", null, "application/json", 400)]
    [InlineData("GET", "/api/v1/namespaces/default/configmaps?continue=%%%", null, "application/json", 400)]
    [InlineData("GET", "/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name", null, "application/json", 400)]
    [InlineData("POST", "/api/v1/namespaces/default/configmaps/existing", "{}", "application/json", 405)]
    [InlineData("GET", "/api/v1/nodes/x/status", null, "application/json", 404)]
    [InlineData("GET", "/api/v1/namespaces/default/configmaps/existing/status", null, "application/json", 404)]
    [InlineData("GET", "/api/v1/namespaces/default/nodes", null, "application/json", 404)]
    public async Task Bad_input_is_a_client_error_with_a_Status_body(string method, string path, string? body, string contentType, int expected)
    {
        await using var api = await ApiScope.StartAsync();
        await api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "existing" } }, "default", cancellationToken: api.Timeout);

        var (code, status) = await Send(api, new HttpMethod(method), path, body, contentType);

        Assert.Equal(expected, (int)code);
        Assert.Equal("Status", (string?)status?["kind"]);
        Assert.Equal(expected, (int)status!["code"]!);
    }

    [Fact]
    public async Task Delete_preconditions_are_checked()
    {
        await using var api = await ApiScope.StartAsync();
        var created = await api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "default", cancellationToken: api.Timeout);

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => api.Client.CoreV1.DeleteNamespacedConfigMapAsync("c", "default",
            new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = "someone-else" } }, cancellationToken: api.Timeout));
        var status = await api.Client.CoreV1.DeleteNamespacedConfigMapAsync("c", "default",
            new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = created.Metadata.Uid, ResourceVersion = created.Metadata.ResourceVersion } }, cancellationToken: api.Timeout);

        Assert.Equal(HttpStatusCode.Conflict, error.Response.StatusCode);
        Assert.Equal("Success", status.Status);
        Assert.Equal("c", status.Details.Name);
    }

    [Fact]
    public async Task Dry_run_writes_change_nothing()
    {
        await using var api = await ApiScope.StartAsync();

        var created = await api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "default", dryRun: "All", cancellationToken: api.Timeout);

        Assert.Equal("c", created.Metadata.Name);
        Assert.Null(api.Server.Store.Get(BuiltInResources.ConfigMaps, "default", "c"));
        Assert.Equal(0, api.Server.Store.ResourceVersion);
    }
}
