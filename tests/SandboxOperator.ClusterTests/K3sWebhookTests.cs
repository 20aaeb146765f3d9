using System.Net;
using System.Text;
using DotNet.Testcontainers.Configurations;
using k8s;
using k8s.Autorest;
using k8s.Models;
using SandboxOperator.Controller.CustomResources;
using SandboxOperator.Policy.Api;
using Testcontainers.K3s;
using SandboxOperator.Testing;

namespace SandboxOperator.ClusterTests;

/// <summary>
/// The operator process registered with a real API server: K3s calls its webhooks (over an exposed host port)
/// on pod CREATE, so mutation and denial are exercised exactly as in a cluster.
/// </summary>
public sealed class K3sWebhookTests
{
    private const string Ns = "agents";
    private const string HostName = "host.testcontainers.internal";

    [SkippableFact]
    public async Task The_api_server_calls_the_operator_to_mutate_and_deny_pods()
    {
        Skip.If(TestcontainersSettings.OS.DockerEndpointAuthConfig == null, "Docker is not available here: skipping the K3s webhook test");

        var port = OperatorProcess.FreePort();
        await TestcontainersSettings.ExposeHostPortsAsync((ushort)port);
        await using var k3s = new K3sBuilder("rancher/k3s:v1.31.5-k3s1").Build();
        await k3s.StartAsync();
        var kubeconfig = await k3s.GetKubeconfigAsync();
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(kubeconfig));
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(stream));

        await ClusterSteps.InstallCrdAsync(client);
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Ns } });
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "agentsandbox-system" } });
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(
            new V1Alpha1AgentWorkload { Metadata = new V1ObjectMeta { Name = "coder", NamespaceProperty = Ns }, Spec = new AgentWorkloadSpec { Type = WorkloadType.ExecTool, Selector = new LabelSelector { MatchLabels = new() { ["app"] = "coder" } } } },
            WellKnown.Group, WellKnown.Version, Ns, WellKnown.Plural);

        await using var op = OperatorProcess.Start(kubeconfig, "operator-k3s", [HostName], port);
        await op.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
        await RegisterWebhooksAsync(client, $"https://{HostName}:{port}", Encoding.UTF8.GetBytes(op.Ca.ExportCertificatePem()));

        var attempt = 0;
        var created = await RetryWhileWebhookWarmsUpAsync(client, () => client.CoreV1.CreateNamespacedPodAsync(Pod($"coder-{++attempt}", "coder", null), Ns));
        Assert.Equal("kata", created.Spec.RuntimeClassName);
        Assert.Equal("high", created.Metadata.Labels[WellKnown.TierLabel]);

        var denied = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedPodAsync(Pod("rogue", "coder", "gvisor"), Ns));
        Assert.Equal(HttpStatusCode.Forbidden, denied.Response.StatusCode);
        Assert.Contains("denied the request", denied.Response.Content, StringComparison.Ordinal);
        Assert.Contains("needs runtimeClassName", denied.Response.Content, StringComparison.Ordinal);
    }

    private static async Task RegisterWebhooksAsync(Kubernetes client, string baseUrl, byte[] caBundle)
    {
        V1RuleWithOperations[] rules = [new() { ApiGroups = [""], ApiVersions = ["v1"], Operations = ["CREATE", "UPDATE"], Resources = ["pods"] }];
        var selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = Ns } };
        await client.AdmissionregistrationV1.CreateMutatingWebhookConfigurationAsync(new V1MutatingWebhookConfiguration
        {
            Metadata = new V1ObjectMeta { Name = "sandbox-operator" },
            Webhooks = [new V1MutatingWebhook
            {
                Name = "mutate.agentsandbox.io",
                ClientConfig = new Admissionregistrationv1WebhookClientConfig { Url = baseUrl + "/mutate", CaBundle = caBundle },
                Rules = rules, SideEffects = "None", AdmissionReviewVersions = ["v1"], FailurePolicy = "Fail",
                ReinvocationPolicy = "IfNeeded", NamespaceSelector = selector, TimeoutSeconds = 10,
            }],
        });
        await client.AdmissionregistrationV1.CreateValidatingWebhookConfigurationAsync(new V1ValidatingWebhookConfiguration
        {
            Metadata = new V1ObjectMeta { Name = "sandbox-operator" },
            Webhooks = [new V1ValidatingWebhook
            {
                Name = "validate.agentsandbox.io",
                ClientConfig = new Admissionregistrationv1WebhookClientConfig { Url = baseUrl + "/validate", CaBundle = caBundle },
                Rules = rules, SideEffects = "None", AdmissionReviewVersions = ["v1"], FailurePolicy = "Fail",
                NamespaceSelector = selector, TimeoutSeconds = 10,
            }],
        });
    }

    private static V1Pod Pod(string name, string app, string? runtimeClass) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = app } },
        Spec = new V1PodSpec { RuntimeClassName = runtimeClass, Containers = [new V1Container { Name = "main", Image = "registry.example/none:1" }] },
    };

    /// <summary>Webhook configurations take a moment to reach the API server's admission chain; retry only "webhook not reachable yet".</summary>
    private static async Task<V1Pod> RetryWhileWebhookWarmsUpAsync(Kubernetes client, Func<Task<V1Pod>> create)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                var pod = await create();
                if (pod.Spec.RuntimeClassName is not null || DateTime.UtcNow > deadline)
                {
                    return pod;
                }

                // Admitted before the mutating webhook was in effect: remove it and try again.
                await client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, Ns, gracePeriodSeconds: 0);
            }
            catch (HttpOperationException e) when ((int)e.Response.StatusCode >= 500 && DateTime.UtcNow < deadline)
            {
                // failed calling webhook: not wired yet
            }

            await Task.Delay(1000);
        }
    }
}
