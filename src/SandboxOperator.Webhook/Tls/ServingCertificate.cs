using System.Diagnostics.Metrics;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;

namespace SandboxOperator.Webhook.Tls;

/// <summary>
/// The certificate the webhook serves right now. Sources (files, self-managed) replace it; Kestrel's
/// <c>ServerCertificateSelector</c> reads it on every handshake, so a replacement applies to new
/// connections at once while established connections keep theirs. Publishes
/// <c>agentsandbox_webhook_certificate_expiry_timestamp_seconds</c>.
/// </summary>
public sealed class ServingCertificate
{
    public const string ExpiryMetricName = "agentsandbox_webhook_certificate_expiry_timestamp_seconds";

    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile X509Certificate2? _current;

    public ServingCertificate(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Admission.AdmissionMetrics.MeterName);
        meter.CreateObservableGauge(ExpiryMetricName, ObserveExpiry, unit: "s", description: "When the serving certificate expires, in seconds since the Unix epoch.");
    }

    /// <summary>The current certificate (with its private key), or null before the first load.</summary>
    public X509Certificate2? Current => _current;

    public bool Loaded => _current is not null;

    /// <summary>Completes when the first certificate has been set.</summary>
    public Task WhenLoaded => _loaded.Task;

    /// <summary>Raised after every replacement, with the new certificate.</summary>
    public event Action<X509Certificate2>? Changed;

    /// <summary>
    /// Makes <paramref name="certificate"/> the served one. The previous certificate is not disposed:
    /// a handshake in progress may still be using it.
    /// </summary>
    public void Set(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException("the serving certificate has no private key", nameof(certificate));
        }

        _current = certificate;
        _loaded.TrySetResult();
        Changed?.Invoke(certificate);
    }

    /// <summary>For <c>HttpsConnectionAdapterOptions.ServerCertificateSelector</c>.</summary>
    public X509Certificate2? Select(ConnectionContext? connection, string? serverName) => _current;

    private IEnumerable<Measurement<double>> ObserveExpiry()
    {
        if (_current is { } c)
        {
            yield return new Measurement<double>(new DateTimeOffset(c.NotAfter.ToUniversalTime()).ToUnixTimeSeconds());
        }
    }
}
