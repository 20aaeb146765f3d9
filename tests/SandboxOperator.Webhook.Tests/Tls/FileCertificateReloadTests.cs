using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using SandboxOperator.Webhook.Tests.Support;
using SandboxOperator.Webhook.Tls;

namespace SandboxOperator.Webhook.Tests.Tls;

public sealed class FileCertificateReloadTests
{
    [Fact]
    public async Task A_replaced_certificate_is_served_on_new_connections_while_requests_keep_succeeding()
    {
        using var certs = new TestCertificates();
        var first = certs.WriteServing();
        await using var host = await RunningHost.StartAsync(
            RunningHost.DefaultOptions with { TlsCertFile = certs.CertFile, TlsKeyFile = certs.KeyFile, TlsCheckInterval = TimeSpan.FromSeconds(1) },
            trustedCa: certs.Trusted);
        var serving = host.App.Services.GetRequiredService<ServingCertificate>();
        Assert.Equal(first.SerialNumber, serving.Current!.SerialNumber);

        var replaced = new TaskCompletionSource<X509Certificate2>(TaskCreationOptions.RunContinuationsAsynchronously);
        serving.Changed += c => replaced.TrySetResult(c);

        // A loop of reviews over one client (keep-alive) and, every few requests, a fresh client (new handshake).
        using var stop = new CancellationTokenSource();
        var failures = new List<string>();
        var successes = 0;
        var review = Reviews.Request(Reviews.Pod, "CREATE", "agents", Reviews.PodObject("p", "agents"));
        var loop = Task.Run(async () =>
        {
            var keepAlive = host.Client();
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    var client = i % 5 == 0 ? host.Client() : keepAlive;
                    using var response = await client.PostAsync(host.WebhookUri("/validate"), RunningHost.Json(review.ToJsonString()));
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref successes);
                    }
                    else
                    {
                        lock (failures)
                        {
                            failures.Add($"HTTP {(int)response.StatusCode}");
                        }
                    }
                }
                catch (HttpRequestException e)
                {
                    lock (failures)
                    {
                        failures.Add(e.Message);
                    }
                }
            }
        });

        while (Volatile.Read(ref successes) < 10)
        {
            await Task.Yield();
        }

        var second = certs.WriteServing();
        var served = await replaced.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(second.SerialNumber, served.SerialNumber);
        var afterSwap = Volatile.Read(ref successes);
        while (Volatile.Read(ref successes) < afterSwap + 10)
        {
            await Task.Yield();
        }

        await stop.CancelAsync();
        await loop;
        Assert.Empty(failures);

        string? seen = null;
        var fresh = host.Client(onServerCertificate: c => seen = c.SerialNumber);
        using var check = await fresh.PostAsync(host.WebhookUri("/validate"), RunningHost.Json(review.ToJsonString()));
        Assert.Equal(HttpStatusCode.OK, check.StatusCode);
        Assert.Equal(second.SerialNumber, seen);
    }

    [Fact]
    public async Task An_unusable_replacement_keeps_the_current_certificate()
    {
        using var certs = new TestCertificates();
        var first = certs.WriteServing();
        await using var host = await RunningHost.StartAsync(
            RunningHost.DefaultOptions with { TlsCertFile = certs.CertFile, TlsKeyFile = certs.KeyFile },
            trustedCa: certs.Trusted);
        var source = host.App.Services.GetRequiredService<FileCertificateSource>();

        await File.WriteAllTextAsync(certs.CertFile, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");

        Assert.False(source.Reload());
        Assert.Equal(first.SerialNumber, host.App.Services.GetRequiredService<ServingCertificate>().Current!.SerialNumber);
    }

    [Fact]
    public async Task Unusable_files_at_start_are_a_startup_error()
    {
        using var certs = new TestCertificates();
        await File.WriteAllTextAsync(certs.CertFile, "garbage");
        await File.WriteAllTextAsync(certs.KeyFile, "garbage");

        var e = await Assert.ThrowsAsync<SandboxOperator.StartupException>(() =>
            RunningHost.StartAsync(RunningHost.DefaultOptions with { TlsCertFile = certs.CertFile, TlsKeyFile = certs.KeyFile }, trustedCa: certs.Trusted));
        Assert.StartsWith($"--tls-cert-file {certs.CertFile} / --tls-key-file {certs.KeyFile}: not a usable PEM", e.Message, StringComparison.Ordinal);
    }
}
