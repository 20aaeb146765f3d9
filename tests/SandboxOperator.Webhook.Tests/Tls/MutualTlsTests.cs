using System.Net;
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
}
