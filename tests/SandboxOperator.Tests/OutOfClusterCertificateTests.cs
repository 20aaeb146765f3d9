using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using SandboxOperator.Testing.KubeApi;
using SandboxOperator.Testing;

namespace SandboxOperator.Tests;

/// <summary>
/// The operator run outside a cluster with a kubeconfig and no certificate files, as the README's
/// development loop runs it: it must keep its CA in the Secret and inject it into both webhook
/// configurations, as a replica in a pod does. (It used to keep the CA in memory, so the API server
/// never trusted it and every pod create in a covered namespace failed with an x509 error.)
/// </summary>
public sealed class OutOfClusterCertificateTests
{
    private const string Ns = "agentsandbox-system";
    private const string Name = "sandbox-operator";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task With_a_kubeconfig_the_self_managed_ca_is_stored_in_the_secret_and_injected_into_the_webhooks()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions
        {
            AdditionalResources = [ResourceType.CustomResource("agentsandbox.io", "v1alpha1", "AgentWorkload", "agentworkloads"), ResourceType.CustomResource("agentsandbox.io", "v1alpha1", "SandboxException", "sandboxexceptions")],
        });
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = server.Url });
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Ns } });
        var clientConfig = new Admissionregistrationv1WebhookClientConfig { Url = "https://127.0.0.1:9443/mutate" };
        await client.AdmissionregistrationV1.CreateMutatingWebhookConfigurationAsync(new V1MutatingWebhookConfiguration
        {
            Metadata = new V1ObjectMeta { Name = Name },
            Webhooks = [new V1MutatingWebhook { Name = "mutate.agentsandbox.io", ClientConfig = clientConfig, SideEffects = "None", AdmissionReviewVersions = ["v1"] }],
        });
        await client.AdmissionregistrationV1.CreateValidatingWebhookConfigurationAsync(new V1ValidatingWebhookConfiguration
        {
            Metadata = new V1ObjectMeta { Name = Name },
            Webhooks = [new V1ValidatingWebhook { Name = "validate.agentsandbox.io", ClientConfig = clientConfig, SideEffects = "None", AdmissionReviewVersions = ["v1"] }],
        });

        await using var op = OperatorProcess.StartSelfManaged(OperatorProcess.KubeconfigFor(server.Url), "operator-0", null,
            ["--namespace", Ns, "--service-name", Name, "--tls-secret-name", "sandbox-operator-tls", "--webhook-configuration-name", Name, "--tls-hosts", "host.docker.internal"]);
        await op.WaitUntilReadyAsync(Patience);

        var ca = await Eventually.ValueAsync(
            async () => await CaAsync(client) is { } stored && await InjectedAsync(client, stored) ? stored : null,
            "the CA is stored in the Secret and injected into the webhook configuration", Patience, () => op.Output);

        using var served = await OperatorProcess.ServedCertificateAsync(op.WebhookUrl.Port);
        Assert.True(Webhook.Tls.CertificateFactory.ChainsTo(served, Encoding.ASCII.GetString(ca)), "the served certificate does not chain to the stored CA");
        Assert.True(Webhook.Tls.CertificateFactory.Covers(served, ["localhost", "host.docker.internal", $"{Name}.{Ns}.svc"], [IPAddress.Loopback]));
    }

    private static async Task<byte[]?> CaAsync(Kubernetes client)
    {
        try
        {
            return (await client.CoreV1.ReadNamespacedSecretAsync("sandbox-operator-tls", Ns)).Data?["ca.crt"];
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static async Task<bool> InjectedAsync(Kubernetes client, byte[] ca)
    {
        var mutating = await client.AdmissionregistrationV1.ReadMutatingWebhookConfigurationAsync(Name);
        var validating = await client.AdmissionregistrationV1.ReadValidatingWebhookConfigurationAsync(Name);
        return mutating.Webhooks.Select(w => w.ClientConfig).Concat(validating.Webhooks.Select(w => w.ClientConfig))
            .All(c => c.CaBundle is { } bundle && bundle.AsSpan().SequenceEqual(ca));
    }
}
