using System.Net;
using SandboxOperator.Testing;
using SandboxOperator.Webhook.Tests.Support;
using SandboxOperator.Webhook.Tls;

namespace SandboxOperator.Webhook.Tests.Tls;

public sealed class MutualTlsTests
{
    [Fact]
    public async Task With_a_client_ca_only_clients_with_a_certificate_from_it_are_served()
    {
        using var certs = new TestCertificates();
        certs.WriteServing();
        certs.WriteCa();
        await using var host = await RunningHost.StartAsync(
            RunningHost.DefaultOptions with { TlsCertFile = certs.CertFile, TlsKeyFile = certs.KeyFile, ClientCaFile = certs.CaFile },
            trustedCa: certs.Trusted);
        var review = Reviews.Request(Reviews.Pod, "CREATE", "agents", Reviews.PodObject("p", "agents"));

        using var clientCert = CertificateFactory.IssueClient(certs.Ca, "kube-apiserver", DateTimeOffset.UtcNow, TimeSpan.FromDays(1));
        var accepted = await host.ReviewAsync("/validate", review, host.Client(clientCertificate: clientCert));
        Assert.True(accepted.Allowed);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => host.Client().PostAsync(host.WebhookUri("/validate"), RunningHost.Json(review.ToJsonString())));

        using var strangerCa = CertificateFactory.CreateCa("stranger", DateTimeOffset.UtcNow, TimeSpan.FromDays(1));
        using var stranger = CertificateFactory.IssueClient(strangerCa, "kube-apiserver", DateTimeOffset.UtcNow, TimeSpan.FromDays(1));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => host.Client(clientCertificate: stranger).PostAsync(host.WebhookUri("/validate"), RunningHost.Json(review.ToJsonString())));

        // A serving-only certificate from the right CA lacks the clientAuth usage.
        using var serverOnly = CertificateFactory.IssueServing(certs.Ca, ["x"], [], DateTimeOffset.UtcNow, TimeSpan.FromDays(1));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => host.Client(clientCertificate: serverOnly).PostAsync(host.WebhookUri("/validate"), RunningHost.Json(review.ToJsonString())));

        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(host.HealthUri("/healthz"))).StatusCode);
    }

    [Fact]
    public async Task A_new_client_ca_bundle_on_disk_is_trusted_without_a_restart_and_one_that_does_not_load_changes_nothing()
    {
        using var certs = new TestCertificates();
        certs.WriteServing();
        certs.WriteCa();
        await using var host = await RunningHost.StartAsync(
            RunningHost.DefaultOptions with { TlsCertFile = certs.CertFile, TlsKeyFile = certs.KeyFile, ClientCaFile = certs.CaFile, TlsCheckInterval = TimeSpan.FromMilliseconds(200) },
            trustedCa: certs.Trusted);
        var review = Reviews.Request(Reviews.Pod, "CREATE", "agents", Reviews.PodObject("p", "agents"));
        using var newCa = CertificateFactory.CreateCa("next-apiserver-ca", DateTimeOffset.UtcNow, TimeSpan.FromDays(1));
        using var oldClient = CertificateFactory.IssueClient(certs.Ca, "kube-apiserver", DateTimeOffset.UtcNow, TimeSpan.FromDays(1));
        using var newClient = CertificateFactory.IssueClient(newCa, "kube-apiserver", DateTimeOffset.UtcNow, TimeSpan.FromDays(1));

        async Task<bool> Served(System.Security.Cryptography.X509Certificates.X509Certificate2 client)
        {
            try
            {
                // A new client each time: a new TLS handshake, checked against the CAs trusted now.
                return (await host.ReviewAsync("/validate", review, host.Client(clientCertificate: client))).Allowed;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }

        string Logs() => string.Join(" | ", host.Logs.Events.Select(e => e.RenderMessage()));

        Assert.True(await Served(oldClient));
        Assert.False(await Served(newClient));

        // Rotation, step 1: both CAs.
        File.WriteAllText(certs.CaFile, certs.Ca.ExportCertificatePem() + "\n" + newCa.ExportCertificatePem() + "\n");
        await Eventually.HoldsAsync(() => Served(newClient), "the bundle with both CAs is picked up", detail: Logs);
        Assert.True(await Served(oldClient));

        // Step 2: only the new CA.
        File.WriteAllText(certs.CaFile, newCa.ExportCertificatePem());
        await Eventually.HoldsAsync(async () => !await Served(oldClient), "the old CA is no longer trusted once it left the bundle", detail: Logs);
        Assert.True(await Served(newClient));

        // A bundle that does not load keeps the CAs that are trusted now.
        File.WriteAllText(certs.CaFile, "not a certificate");
        await Eventually.HoldsAsync(() => host.Logs.Events.Any(e => e.RenderMessage().Contains("keeping the current client CAs", StringComparison.Ordinal) && e.RenderMessage().Contains("contains no PEM certificate", StringComparison.Ordinal)), "a warning names the bundle that does not load", detail: Logs);
        Assert.True(await Served(newClient));
        Assert.False(await Served(oldClient));
    }
}
