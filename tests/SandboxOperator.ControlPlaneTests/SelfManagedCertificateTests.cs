using System.Security.Cryptography.X509Certificates;
using System.Text;
using SandboxOperator.ControlPlaneTests.Support;
using SandboxOperator.Webhook.Tls;

namespace SandboxOperator.ControlPlaneTests;

/// <summary>
/// The operator out of cluster, with a kubeconfig, manages its certificate as it does in a pod: the CA
/// lives in the chart's Secret and is injected into both webhook configurations (the chart sets none),
/// and the served certificate chains to it. Before, such a replica kept its CA in memory, and every pod
/// create in a covered namespace failed with "x509: certificate signed by unknown authority".
/// </summary>
[Collection(OperatorClusterCollection.Name)]
public sealed class SelfManagedCertificateTests(OperatorCluster cluster)
{
    [SkippableFact]
    public async Task The_ca_is_kept_in_the_secret_injected_into_both_webhook_configurations_and_signs_the_served_certificate()
    {
        cluster.SkipIfUnavailable();
        var client = cluster.Client;

        var secret = await client.CoreV1.ReadNamespacedSecretAsync(cluster.Chart.TlsSecretName, ChartInstallation.Namespace);
        var ca = secret.Data["ca.crt"];
        Assert.Equal("kubernetes.io/tls", secret.Type);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", Encoding.ASCII.GetString(ca), StringComparison.Ordinal);

        var mutating = await client.AdmissionregistrationV1.ReadMutatingWebhookConfigurationAsync(cluster.Chart.Fullname);
        var validating = await client.AdmissionregistrationV1.ReadValidatingWebhookConfigurationAsync(cluster.Chart.Fullname);
        foreach (var config in mutating.Webhooks.Select(w => w.ClientConfig).Concat(validating.Webhooks.Select(w => w.ClientConfig)))
        {
            Assert.Equal($"https://127.0.0.1:{cluster.Chart.WebhookPort}", config.Url[..config.Url.LastIndexOf('/')]);
            Assert.Equal(ca, config.CaBundle);
        }

        using var served = await OperatorProcess.ServedCertificateAsync(cluster.Chart.WebhookPort);
        Assert.True(ChainsTo(served, ca), "the served certificate does not chain to the injected CA");
        Assert.True(CertificateFactory.Covers(served, ["localhost"], [System.Net.IPAddress.Loopback]), "the served certificate does not cover 127.0.0.1");
    }

    [SkippableFact]
    public async Task Webhook_configurations_deleted_and_applied_again_get_the_ca_back_from_the_running_operator()
    {
        cluster.SkipIfUnavailable();

        await cluster.Admin.SucceedAsync("delete", "mutatingwebhookconfiguration,validatingwebhookconfiguration", cluster.Chart.Fullname);
        await cluster.Admin.ApplyAsync(cluster.Chart.WebhookConfigurations);

        // The API server calls the operator again, trusting the CA it injected anew.
        await cluster.WaitUntilWebhooksAnswerAsync(cluster.Operator!);
        var validating = await cluster.Client.AdmissionregistrationV1.ReadValidatingWebhookConfigurationAsync(cluster.Chart.Fullname);
        var secret = await cluster.Client.CoreV1.ReadNamespacedSecretAsync(cluster.Chart.TlsSecretName, ChartInstallation.Namespace);
        Assert.All(validating.Webhooks, w => Assert.Equal(secret.Data["ca.crt"], w.ClientConfig.CaBundle));
    }

    /// <summary>Whether <paramref name="certificate"/> chains to one of the CAs in the PEM bundle <paramref name="caBundle"/>, as the API server checks it.</summary>
    public static bool ChainsTo(X509Certificate2 certificate, byte[] caBundle) => CertificateFactory.ChainsTo(certificate, Encoding.ASCII.GetString(caBundle));
}
