using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SandboxOperator.Webhook.Tls;

/// <summary>Lifetimes and names of self-managed certificates.</summary>
public sealed record SelfManagedCertificateSettings(
    IReadOnlyList<string> DnsNames,
    IReadOnlyList<IPAddress> IpAddresses,
    TimeSpan CaLifetime,
    TimeSpan CertLifetime,
    TimeSpan CheckInterval)
{
    /// <summary>Renewal happens once this fraction of a certificate's lifetime has passed.</summary>
    public const double RenewAt = 2.0 / 3.0;

    /// <summary>
    /// The serving names for Service <paramref name="service"/> in <paramref name="namespace"/>; with <paramref name="local"/>
    /// also localhost, 127.0.0.1 and ::1; then each of <paramref name="extraHosts"/> (DNS names or IP addresses).
    /// </summary>
    public static (IReadOnlyList<string> Dns, IReadOnlyList<IPAddress> Ips) NamesFor(string service, string @namespace, bool local, IReadOnlyList<string>? extraHosts = null)
    {
        var dns = new List<string> { service, $"{service}.{@namespace}", $"{service}.{@namespace}.svc", $"{service}.{@namespace}.svc.cluster.local" };
        var ips = new List<IPAddress>();
        if (local)
        {
            dns.Add("localhost");
            ips.Add(IPAddress.Loopback);
            ips.Add(IPAddress.IPv6Loopback);
        }

        foreach (var host in extraHosts ?? [])
        {
            if (IPAddress.TryParse(host, out var ip))
            {
                if (!ips.Contains(ip))
                {
                    ips.Add(ip);
                }
            }
            else if (!dns.Contains(host, StringComparer.OrdinalIgnoreCase))
            {
                dns.Add(host);
            }
        }

        return (dns, ips);
    }
}

/// <summary>
/// Generates and renews the serving certificate when no certificate files are given. With an
/// <see cref="ICertificateSecretStore"/> (wherever a Kubernetes API is reachable, in a pod or through a
/// kubeconfig) the CA and certificate live in a shared Secret
/// so every replica serves a certificate from one CA, and the CA is published as the webhooks' caBundle
/// (checked every round, so re-created configurations get it back);
/// without one (no cluster) they live in memory only.
/// </summary>
/// <remarks>
/// Renewal: the serving certificate at 2/3 of its lifetime, the CA at 2/3 of its own (the old CA stays
/// in the bundle while valid). A certificate from a new CA is served only from the round after the one
/// that published that CA, while the current certificate stays trusted and valid, so the API server
/// has read the new caBundle before any replica needs it. Replicas converge by re-reading the Secret
/// every check interval; concurrent renewals are resolved by the Secret's resourceVersion, the loser
/// adopts the winner's bundle.
/// </remarks>
public sealed class SelfManagedCertificateSource(
    ServingCertificate target,
    SelfManagedCertificateSettings settings,
    ICertificateSecretStore? store,
    ILogger<SelfManagedCertificateSource> logger,
    TimeProvider? timeProvider = null) : BackgroundService
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private CertificateBundle? _bundle;
    private string? _publishedCa;

    /// <summary>The bundle currently served (tests and tools read the CA from it).</summary>
    public CertificateBundle? Bundle => _bundle;

    /// <summary>One round: read or create the shared bundle, renew what is due, serve it and publish the CA.</summary>
    public async Task SyncOnceAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        CertificateBundle bundle;
        if (store is null)
        {
            bundle = _bundle is { } current && !IsDue(current, now) ? current : Next(_bundle, now);
        }
        else
        {
            var stored = await store.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                stored = await store.CreateAsync(Next(null, now), cancellationToken).ConfigureAwait(false);
            }
            else if (IsDue(stored.Bundle, now))
            {
                stored = await store.ReplaceAsync(Next(stored.Bundle, now), stored.Version, cancellationToken).ConfigureAwait(false)
                    ?? await store.ReadAsync(cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException("the certificate Secret disappeared during renewal");
            }

            bundle = stored.Bundle;
        }

        if (bundle.CertPem != _bundle?.CertPem)
        {
            if (store is not null && _bundle is { } serving && bundle.CaPem != _publishedCa && StillTrusted(serving, bundle.CaPem, now))
            {
                // A certificate from a CA the API server may not trust yet: publish the new bundle (which still
                // holds the current CA) and keep serving the current certificate until the next round, so every
                // handshake in between verifies against whichever caBundle the API server has read.
                await PublishAsync(bundle.CaPem, cancellationToken).ConfigureAwait(false);
                logger.LogInformation("a new webhook CA is published; its certificate is served from the next round");
                return;
            }

            var cert = bundle.LoadServing();
            _bundle = bundle;
            target.Set(cert);
            logger.LogInformation("serving a self-managed certificate valid until {NotAfter:o}", cert.NotAfter.ToUniversalTime());
        }

        _bundle = bundle;
        if (store is not null)
        {
            // Every round, not only when the CA changes: webhook configurations deleted and created again
            // (an uninstall and install, an apply that drops caBundle) get the CA back within one interval.
            await PublishAsync(bundle.CaPem, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task PublishAsync(string caPem, CancellationToken cancellationToken)
    {
        if (await store!.PublishCaBundleAsync(caPem, cancellationToken).ConfigureAwait(false))
        {
            logger.LogInformation("published the webhook CA bundle");
        }

        _publishedCa = caPem;
    }

    /// <summary>Whether the certificate of <paramref name="serving"/> stays valid for another round and chains to a CA of <paramref name="caPem"/>.</summary>
    private bool StillTrusted(CertificateBundle serving, string caPem, DateTimeOffset now)
    {
        try
        {
            using var cert = X509Certificate2.CreateFromPem(serving.CertPem);
            if (cert.NotAfter.ToUniversalTime() <= (now + settings.CheckInterval).UtcDateTime)
            {
                return false;
            }

            return CertificateFactory.ChainsTo(cert, caPem, now);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            return false;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retry = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = settings.CheckInterval;
            try
            {
                await SyncOnceAsync(stoppingToken).ConfigureAwait(false);
                retry = TimeSpan.FromSeconds(1);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning("self-managed certificate round failed, retrying in {Retry} s: {Error}", retry.TotalSeconds, e.Message);
                wait = retry < settings.CheckInterval ? retry : settings.CheckInterval;
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }

            try
            {
                await Task.Delay(wait, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private bool IsDue(CertificateBundle bundle, DateTimeOffset now)
    {
        try
        {
            using var ca = X509Certificate2.CreateFromPem(bundle.CaPem);
            using var cert = X509Certificate2.CreateFromPem(bundle.CertPem);
            return CertificateFactory.PastFraction(ca, now, SelfManagedCertificateSettings.RenewAt)
                || CertificateFactory.PastFraction(cert, now, SelfManagedCertificateSettings.RenewAt)
                || !CertificateFactory.Covers(cert, settings.DnsNames, settings.IpAddresses)
                || cert.Issuer != ca.Subject;
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            return true;
        }
    }

    private CertificateBundle Next(CertificateBundle? previous, DateTimeOffset now)
    {
        if (previous is null)
        {
            return CertificateFactory.NewBundle(settings.DnsNames, settings.IpAddresses, now, settings.CaLifetime, settings.CertLifetime);
        }

        try
        {
            using var ca = previous.LoadCa();
            if (!CertificateFactory.PastFraction(ca, now, SelfManagedCertificateSettings.RenewAt))
            {
                return CertificateFactory.Reissue(previous, settings.DnsNames, settings.IpAddresses, now, settings.CertLifetime);
            }

            return CertificateFactory.RotateCa(previous, settings.DnsNames, settings.IpAddresses, now, settings.CaLifetime, settings.CertLifetime);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            logger.LogWarning("the stored CA is unreadable; generating a new CA");
            return CertificateFactory.NewBundle(settings.DnsNames, settings.IpAddresses, now, settings.CaLifetime, settings.CertLifetime);
        }
    }
}
