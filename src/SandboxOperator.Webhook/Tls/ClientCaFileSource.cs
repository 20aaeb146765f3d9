using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SandboxOperator.Webhook.Tls;

/// <summary>
/// Owns <c>--client-ca-file</c>: it is read at start (<see cref="Load"/>), then re-read every
/// <c>--tls-check-interval</c> and, when its content changed and still holds at least one PEM
/// certificate, makes the <see cref="ClientCertificateValidator"/> trust the new set: a CA rotation (a new
/// bundle mounted from a ConfigMap or Secret) takes effect without a restart. A bundle that does not load
/// keeps the current CAs and is logged once per content.
/// </summary>
/// <remarks>
/// It compares content, not timestamps, so Kubernetes' atomic symlink swaps of mounted volumes are seen,
/// and it parses the bytes it hashed, so a file being rewritten is judged on one reading of it. To rotate
/// without refusing the API server in between, mount a bundle with both the old and the new CA first,
/// then one with only the new CA.
/// </remarks>
public sealed class ClientCaFileSource(string path, ClientCertificateValidator validator, ClientCaFileSource.Bundle loaded, TimeSpan checkInterval, ILogger<ClientCaFileSource> logger)
    : BackgroundService
{
    private byte[] _current = loaded.Hash;

    /// <summary>One reading of the file: the SHA-256 of its content and its certificates.</summary>
    public sealed record Bundle(byte[] Hash, X509Certificate2Collection Roots);

    /// <summary>Reads and parses the bundle; throws <see cref="CertificateLoadException"/> naming the file when it cannot be used.</summary>
    public static Bundle Load(string path)
    {
        var (content, hash) = ReadBytes(path);
        return new Bundle(hash, Parse(content, path));
    }

    /// <summary>Re-reads the file; true when the validator now trusts a different set of CAs.</summary>
    public bool Reload()
    {
        byte[] content, hash;
        X509Certificate2Collection roots;
        try
        {
            (content, hash) = ReadBytes(path);
            if (hash.AsSpan().SequenceEqual(_current))
            {
                return false;
            }

            // Remembered before parsing, so a bundle that does not load is reported once, not at every check.
            _current = hash;
            roots = Parse(content, path);
        }
        catch (CertificateLoadException e)
        {
            logger.LogWarning("keeping the current client CAs: {Error}", e.Message);
            return false;
        }

        validator.Replace(roots);
        logger.LogInformation("trusting {Count} client CA certificate(s) from {Path}", roots.Count, path);
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(checkInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    Reload();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Never let one bad reading stop the checks: the current CAs stay trusted.
                    logger.LogError(e, "checking --client-ca-file {Path} failed; keeping the current client CAs", path);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private static (byte[] Content, byte[] Hash) ReadBytes(string path)
    {
        try
        {
            var content = File.ReadAllBytes(path);
            return (content, SHA256.HashData(content));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CertificateLoadException($"--client-ca-file {path}: {e.Message}", e);
        }
    }

    private static X509Certificate2Collection Parse(byte[] content, string path)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPem(System.Text.Encoding.UTF8.GetString(content));
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new CertificateLoadException($"--client-ca-file {path}: {e.Message}", e);
        }

        return roots.Count > 0 ? roots : throw new CertificateLoadException($"--client-ca-file {path}: contains no PEM certificate");
    }
}
