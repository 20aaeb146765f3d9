using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using SandboxOperator.Testing.KubeApi;
using SandboxOperator.Testing.KubeApi.Admission;
using SandboxOperator.Testing;

namespace SandboxOperator.Tests;

/// <summary>
/// The operator as a user runs it: one process, talking to a Kubernetes API, whose API server calls its
/// webhooks on pod CREATE. Decisions come from the controller's caches, status from its reconcile.
/// </summary>
public sealed class OperatorEndToEndTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Pods_are_mutated_and_denied_through_the_api_server_and_the_workload_status_converges()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions
        {
            AdditionalResources = [ResourceType.CustomResource("agentsandbox.io", "v1alpha1", "AgentWorkload", "agentworkloads"), ResourceType.CustomResource("agentsandbox.io", "v1alpha1", "SandboxException", "sandboxexceptions")],
        });
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = server.Url });
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "tools" } });
        await client.NodeV1.CreateRuntimeClassAsync(new V1RuntimeClass { Metadata = new V1ObjectMeta { Name = "kata" }, Handler = "kata-qemu" });
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(
            JsonNode.Parse("""{"apiVersion":"agentsandbox.io/v1alpha1","kind":"AgentWorkload","metadata":{"name":"code-runner","namespace":"tools"},"spec":{"type":"ExecTool","selector":{"matchLabels":{"app":"code-runner"}}}}""")!,
            "agentsandbox.io", "v1alpha1", "tools", "agentworkloads");

        await using var op = OperatorProcess.Start(server.Url, "operator-0");
        await op.WaitUntilReadyAsync(Patience);

        using var mutate = new HttpsAdmissionWebhookClient(new Uri(op.WebhookUrl, "/mutate"), op.TrustingHandler());
        using var validate = new HttpsAdmissionWebhookClient(new Uri(op.WebhookUrl, "/validate"), op.TrustingHandler());
        server.Admission.Register(new AdmissionWebhook("mutate.agentsandbox.io", ["pods"], AdmissionOperations.Create | AdmissionOperations.Update, mutate.ReviewAsync));
        server.Admission.Register(new AdmissionWebhook("validate.agentsandbox.io", ["pods"], AdmissionOperations.Create | AdmissionOperations.Update, validate.ReviewAsync));

        // The workload's pod is placed in Kata, decided from the operator's informer caches.
        var created = await client.CoreV1.CreateNamespacedPodAsync(Pod("runner-1", """{"app":"code-runner"}""", null), "tools");
        Assert.Equal("kata", created.Spec.RuntimeClassName);
        Assert.Equal("high", created.Metadata.Labels["agentsandbox.io/tier"]);
        Assert.Contains(created.Spec.Tolerations, t => t is { Key: "agentsandbox.io/pool", Value: "kata", Effect: "NoSchedule" });
        Assert.Equal("RuntimeDefault", created.Spec.SecurityContext.SeccompProfile.Type);

        // An MCP pod asking for gVisor is refused with the operator's message, as kubectl would show it.
        var denied = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedPodAsync(
            Pod("rogue-mcp", """{"agentsandbox.io/workload-type":"mcp-server"}""", "gvisor"), "tools"));
        Assert.Equal(HttpStatusCode.Forbidden, denied.Response.StatusCode);
        var message = (string?)JsonNode.Parse(denied.Response.Content)?["message"];
        Assert.StartsWith("admission webhook \"validate.agentsandbox.io\" denied the request: MCP server pods must run in Kata: spec.runtimeClassName is \"gvisor\"", message, StringComparison.Ordinal);

        // The leader reconciles the AgentWorkload's status.
        var status = await Eventually.ValueAsync(async () =>
        {
            var obj = JsonSerializer.SerializeToNode(await client.CustomObjects.GetNamespacedCustomObjectAsync("agentsandbox.io", "v1alpha1", "tools", "agentworkloads", "code-runner"));
            return obj?["status"]?["riskTier"]?.GetValue<string>() == "High" && obj["status"]?["pods"]?["total"]?.GetValue<int>() == 1 ? obj["status"] : null;
        }, "the AgentWorkload's status says High with one pod", Patience);
        Assert.Equal("Kata", (string?)status["runtime"]);
        Assert.Equal("kata", (string?)status["runtimeClassName"]);
        Assert.Contains(status["conditions"]!.AsArray(), c => (string?)c!["type"] == "RuntimeClassAvailable" && (string?)c["status"] == "True");

        // Reconcile and admission metrics on the metrics port.
        using var http = new HttpClient();
        var metrics = await Eventually.ValueAsync(async () =>
        {
            var text = await http.GetStringAsync(op.MetricsUrl);
            return text.Contains("agentsandbox_reconcile_total", StringComparison.Ordinal) ? text : null;
        }, "/metrics shows reconciles", Patience);
        Assert.Contains("agentsandbox_admission_requests_total", metrics, StringComparison.Ordinal);
        Assert.Contains("agentsandbox_leader 1", metrics, StringComparison.Ordinal);
        Assert.Matches("agentsandbox_admission_requests_total\\{[^}]*decision=\"denied\"", metrics);
    }

    [Fact]
    public async Task Without_the_SandboxException_CRD_readyz_says_which_CRD_is_missing_and_the_webhook_becomes_ready_once_it_is_installed()
    {
        // A cluster upgraded with helm upgrade alone: the AgentWorkload CRD is there, the newer SandboxException one is not.
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions
        {
            AdditionalResources = [ResourceType.CustomResource("agentsandbox.io", "v1alpha1", "AgentWorkload", "agentworkloads")],
        });
        await using var op = OperatorProcess.Start(server.Url, "operator-0");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        async Task<string?> NotReady()
        {
            try
            {
                using var response = await http.GetAsync(new Uri(op.HealthUrl, "/readyz"));
                return response.StatusCode == HttpStatusCode.ServiceUnavailable ? await response.Content.ReadAsStringAsync() : null;
            }
            catch (HttpRequestException)
            {
                return null; // not listening yet
            }
        }

        // Once the other caches have listed, the one list that fails is all /readyz names.
        const string Expected = "not ready: the cluster state is not synced yet: sandboxexceptions: list failed: the API server does not serve sandboxexceptions (404 Not Found): is its CustomResourceDefinition installed?";
        var why = await Eventually.ValueAsync(
            async () => await NotReady() is { } body && body.StartsWith(Expected, StringComparison.Ordinal) ? body : null,
            "/readyz names the list that fails", Patience, () => op.Output);
        Assert.Contains("kubectl apply the chart's crds/ folder", why, StringComparison.Ordinal);
        Assert.DoesNotContain("; ", why, StringComparison.Ordinal);
        // The log says the same, as a warning without a stack trace (the status explains it all).
        await op.WaitForLogAsync("the API server does not serve sandboxexceptions (404 Not Found)", Patience);
        var warning = JsonNode.Parse(op.Lines.First(l => l.Contains("the API server does not serve sandboxexceptions", StringComparison.Ordinal)))!;
        Assert.Equal(("Warning", "sandboxexceptions", "list"), ((string?)warning["@l"], (string?)warning["Informer"], (string?)warning["Phase"]));
        Assert.Null(warning["@x"]);

        // kubectl apply -f crds/: the informer's next retry lists it, and the webhook becomes ready.
        server.Resources.Register(ResourceType.CustomResource("agentsandbox.io", "v1alpha1", "SandboxException", "sandboxexceptions"));
        await op.WaitUntilReadyAsync(Patience);
    }

    private static V1Pod Pod(string name, string labels, string? runtimeClass) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = JsonSerializer.Deserialize<Dictionary<string, string>>(labels) },
        Spec = new V1PodSpec { RuntimeClassName = runtimeClass, Containers = [new V1Container { Name = "c", Image = "example/c:1" }] },
    };
}
