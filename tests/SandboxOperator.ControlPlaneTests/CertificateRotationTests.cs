using System.Collections.Concurrent;
using System.Diagnostics;
using SandboxOperator.ControlPlaneTests.Support;
using SandboxOperator.Policy.Api;

namespace SandboxOperator.ControlPlaneTests;

/// <summary>The operator's replica with short self-managed lifetimes: a serving certificate every ~20 s, a new CA every ~55 s.</summary>
public sealed class RotatingCertificateCluster : OperatorCluster
{
    protected override IReadOnlyList<string> OperatorArgs => ["--tls-check-interval", "2s", "--cert-lifetime", "30s", "--ca-lifetime", "90s"];
}

/// <summary>
/// The self-managed certificate renews, and its CA rotates, while the API server sends admission
/// reviews without pause; not one review may fail (with failurePolicy Fail, a failed review is a pod a
/// user could not create), and at no moment is the served certificate one that the published caBundle
/// does not trust (any new connection of the API server would fail then).
/// </summary>
public sealed class CertificateRotationTests(RotatingCertificateCluster cluster) : IClassFixture<RotatingCertificateCluster>
{
    private const string Ns = "rotation";
    private const int Creators = 4;
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);

    [SkippableFact]
    public async Task The_certificate_and_its_ca_rotate_under_admission_load_without_one_failed_review()
    {
        cluster.SkipIfUnavailable();
        await cluster.CreateNamespaceAsync(Ns, new Dictionary<string, string> { [WellKnown.EnforceLabel] = WellKnown.EnforceKataValue });
        var caBundles = new ConcurrentDictionary<string, byte>();
        var servedCertificates = new ConcurrentDictionary<string, byte>();
        var failures = new ConcurrentQueue<string>();
        var admitted = 0;
        using var stop = new CancellationTokenSource();

        // Reviews go on through the whole test: server-side dry runs pass both webhooks and store nothing.
        var creators = Enumerable.Range(0, Creators).Select(c => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    var pod = await cluster.Client.CoreV1.CreateNamespacedPodAsync(Pods.Plain($"load-{c}-{i}"), Ns, dryRun: "All");
                    if (pod.Spec.RuntimeClassName == "kata")
                    {
                        Interlocked.Increment(ref admitted);
                    }
                    else
                    {
                        failures.Enqueue($"{DateTime.UtcNow:O} load-{c}-{i} admitted without mutation");
                    }
                }
                catch (k8s.Autorest.HttpOperationException e)
                {
                    failures.Enqueue($"{DateTime.UtcNow:O} load-{c}-{i}: {e.Response.Content}");
                }
            }
        })).ToList();

        var clock = Stopwatch.StartNew();
        try
        {
            // Watch both sides until the CA has rotated once and the serving certificate three times.
            await Eventually.HoldsAsync(async () =>
            {
                var config = await cluster.Client.AdmissionregistrationV1.ReadValidatingWebhookConfigurationAsync(cluster.Chart.Fullname);
                var caBundle = config.Webhooks[0].ClientConfig.CaBundle ?? [];
                caBundles.TryAdd(Convert.ToBase64String(caBundle), 0);
                using var served = await OperatorProcess.ServedCertificateAsync(cluster.Chart.WebhookPort);
                servedCertificates.TryAdd(served.Thumbprint, 0);
                // A new connection of the API server at this moment must verify against the caBundle it had read.
                if (!SelfManagedCertificateTests.ChainsTo(served, caBundle))
                {
                    failures.Enqueue($"{DateTime.UtcNow:O} served certificate {served.Thumbprint} (issuer {served.Issuer}) is not trusted by the published caBundle");
                }

                return caBundles.Count >= 2 && servedCertificates.Count >= 4;
            }, "the CA has rotated once and the serving certificate three times", Deadline,
                () => $"{caBundles.Count} CA bundles and {servedCertificates.Count} certificates seen in {clock.Elapsed}; operator:\n{cluster.Operator!.Process.Tail()}");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(creators);
        }

        Assert.True(failures.IsEmpty, $"{failures.Count} of {admitted + failures.Count} reviews failed, first:\n{string.Join('\n', failures.Take(5))}");
        Assert.True(admitted > 100, $"only {admitted} reviews in {clock.Elapsed}: that is no load");
    }
}
