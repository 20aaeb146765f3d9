using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using SandboxOperator.Testing.KubeApi.Admission;

namespace SandboxOperator.Testing.KubeApi.Tests;

public class AdmissionTests
{
    private static V1Pod Pod(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "main", Image = "busybox" }] },
    };

    /// <summary>An AdmissionReview answer for <paramref name="review"/>, optionally with a JSON patch and warnings.</summary>
    internal static JsonObject Answer(JsonObject review, bool allowed, string? patch = null, string? message = null, params string[] warnings)
    {
        var response = new JsonObject { ["uid"] = review["request"]!["uid"]!.DeepClone(), ["allowed"] = allowed };
        if (patch is not null)
        {
            response["patchType"] = "JSONPatch";
            response["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(patch));
        }

        if (message is not null)
        {
            response["status"] = new JsonObject { ["message"] = message };
        }

        if (warnings.Length > 0)
        {
            response["warnings"] = new JsonArray([.. warnings.Select(w => (JsonNode)w)]);
        }

        return new JsonObject { ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview", ["response"] = response };
    }

    [Fact]
    public async Task Mutating_webhook_patches_the_stored_object_and_its_warnings_become_headers()
    {
        await using var api = await ApiScope.StartAsync();
        JsonObject? seen = null;
        api.Server.Admission.Register(new AdmissionWebhook("pods.agentsandbox.io", ["pods"], AdmissionOperations.Create, (review, _) =>
        {
            seen = review;
            return Task.FromResult(Answer(review, true, """[{"op":"add","path":"/spec/runtimeClassName","value":"gvisor"}]""", null, "runtime class set to gvisor"));
        }));

        using var response = await api.Client.CoreV1.CreateNamespacedPodWithHttpMessagesAsync(Pod("p"), "team-a", cancellationToken: api.Timeout);

        Assert.Equal("gvisor", response.Body.Spec.RuntimeClassName);
        Assert.Equal("gvisor", (string?)api.Server.Store.Get(BuiltInResources.Pods, "team-a", "p")!["spec"]!["runtimeClassName"]);
        Assert.Contains("299 - \"runtime class set to gvisor\"", response.Response.Headers.GetValues("Warning"));

        var request = seen!["request"]!;
        Assert.Equal("admission.k8s.io/v1", (string?)seen["apiVersion"]);
        Assert.Equal("Pod", (string?)request["kind"]!["kind"]);
        Assert.Equal("", (string?)request["kind"]!["group"]);
        Assert.Equal("pods", (string?)request["resource"]!["resource"]);
        Assert.Equal("pods", (string?)request["requestResource"]!["resource"]);
        Assert.Equal("CREATE", (string?)request["operation"]);
        Assert.Equal("team-a", (string?)request["namespace"]);
        Assert.Equal("p", (string?)request["name"]);
        Assert.Equal(KubeApiServer.UserName, (string?)request["userInfo"]!["username"]);
        Assert.Equal("CreateOptions", (string?)request["options"]!["kind"]);
        Assert.False((bool)request["dryRun"]!);
        Assert.Null(request["oldObject"]);
        Assert.Equal("busybox", (string?)request["object"]!["spec"]!["containers"]![0]!["image"]);
    }

    [Fact]
    public async Task With_generateName_webhooks_see_an_empty_name_and_the_stored_object_gets_a_generated_one()
    {
        await using var api = await ApiScope.StartAsync();
        JsonNode? seenName = null, seenObjectName = null;
        api.Server.Admission.Register(new AdmissionWebhook("pods.agentsandbox.io", ["pods"], AdmissionOperations.Create, (review, _) =>
        {
            seenName = review["request"]!["name"];
            seenObjectName = review["request"]!["object"]!["metadata"]!["name"];
            return Task.FromResult(Answer(review, true));
        }));
        var pod = Pod("");
        pod.Metadata.Name = null;
        pod.Metadata.GenerateName = "sandbox-";

        var created = await api.Client.CoreV1.CreateNamespacedPodAsync(pod, "default", cancellationToken: api.Timeout);

        Assert.Null(seenName);
        Assert.Null(seenObjectName);
        Assert.StartsWith("sandbox-", created.Metadata.Name, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Denial_becomes_a_403_Status_with_the_real_message()
    {
        await using var api = await ApiScope.StartAsync();
        api.Server.Admission.Register(new AdmissionWebhook("pods.agentsandbox.io", ["pods"], AdmissionOperations.Create | AdmissionOperations.Update,
            (review, _) => Task.FromResult(Answer(review, false, message: "privileged pods are not allowed"))));

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => api.Client.CoreV1.CreateNamespacedPodAsync(Pod("p"), "default", cancellationToken: api.Timeout));

        Assert.Equal(HttpStatusCode.Forbidden, error.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(error.Response.Content);
        Assert.Equal("admission webhook \"pods.agentsandbox.io\" denied the request: privileged pods are not allowed", status.Message);
        Assert.Equal(403, status.Code);
        Assert.Null(api.Server.Store.Get(BuiltInResources.Pods, "default", "p"));
    }

    [Fact]
    public async Task Update_reviews_carry_old_object_and_subresource()
    {
        await using var api = await ApiScope.StartAsync();
        var pod = await api.Client.CoreV1.CreateNamespacedPodAsync(Pod("p"), "default", cancellationToken: api.Timeout);
        var reviews = new List<JsonObject>();
        api.Server.Admission.Register(new AdmissionWebhook("status.agentsandbox.io", ["pods", "pods/status"], AdmissionOperations.Update, (review, _) =>
        {
            reviews.Add(review);
            return Task.FromResult(Answer(review, true));
        }));

        pod.Status = new V1PodStatus { Phase = "Running" };
        await api.Client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, "p", "default", cancellationToken: api.Timeout);
        await api.Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"a":"b"}}}""", V1Patch.PatchType.MergePatch), "p", "default", cancellationToken: api.Timeout);

        Assert.Equal(2, reviews.Count);
        Assert.Equal("status", (string?)reviews[0]["request"]!["subResource"]);
        Assert.Equal("UPDATE", (string?)reviews[0]["request"]!["operation"]);
        Assert.Null(reviews[0]["request"]!["oldObject"]!["status"]);
        Assert.Equal("Running", (string?)reviews[0]["request"]!["object"]!["status"]!["phase"]);
        Assert.Null(reviews[1]["request"]!["subResource"]);
        Assert.Equal("PatchOptions", (string?)reviews[1]["request"]!["options"]!["kind"]);
        Assert.Equal("b", (string?)reviews[1]["request"]!["object"]!["metadata"]!["labels"]!["a"]);
    }

    [Fact]
    public async Task Failing_webhook_rejects_with_failure_policy_Fail_and_is_skipped_with_Ignore()
    {
        await using var api = await ApiScope.StartAsync();
        var broken = new AdmissionWebhook("broken.agentsandbox.io", ["pods"], AdmissionOperations.Create, (_, _) => throw new HttpRequestException("connection refused"));
        api.Server.Admission.Register(broken);

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => api.Client.CoreV1.CreateNamespacedPodAsync(Pod("p"), "default", cancellationToken: api.Timeout));
        Assert.Equal(HttpStatusCode.InternalServerError, error.Response.StatusCode);
        Assert.Contains("failed calling webhook \"broken.agentsandbox.io\"", KubernetesJson.Deserialize<V1Status>(error.Response.Content).Message, StringComparison.Ordinal);

        api.Server.Admission.Clear();
        api.Server.Admission.Register(broken with { FailurePolicy = AdmissionFailurePolicy.Ignore });
        await api.Client.CoreV1.CreateNamespacedPodAsync(Pod("p"), "default", cancellationToken: api.Timeout);
    }

    [Fact]
    public async Task Pod_create_goes_through_a_real_webhook_over_https()
    {
        await using var api = await ApiScope.StartAsync();
        await using var webhook = await TlsWebhookServer.StartAsync(review =>
            Answer(review, true, """[{"op":"add","path":"/metadata/labels","value":{"sandbox":"true"}}]"""));
        using var handler = webhook.CreateTrustingHandler();
        using var client = new HttpsAdmissionWebhookClient(new Uri(webhook.Url, "/mutate"), handler);
        api.Server.Admission.Register(new AdmissionWebhook("sandbox.agentsandbox.io", ["pods"], AdmissionOperations.Create, client.ReviewAsync));

        var created = await api.Client.CoreV1.CreateNamespacedPodAsync(Pod("p"), "default", cancellationToken: api.Timeout);

        Assert.Equal("true", created.Metadata.Labels["sandbox"]);
        Assert.Equal("/mutate", webhook.LastPath);
        Assert.Equal("true", (string?)api.Server.Store.Get(BuiltInResources.Pods, "default", "p")!["metadata"]!["labels"]!["sandbox"]);
    }
}
