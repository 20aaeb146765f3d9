using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SandboxOperator.Webhook.Tls;

/// <summary>
/// Re-reads <c>--client-ca-file</c> every <c>--tls-check-interval</c> and, when its content changed and
/// still holds at least one PEM certificate, makes the <see cref="ClientCertificateValidator"/> trust the
/// new set: a CA rotation (a new bundle mounted from a ConfigMap or Secret) takes effect without a
/// restart. A bundle that does not load keeps the current CAs and is logged once per content.
/// </summary>
/// <remarks>
/// It compares content, not timestamps, so Kubernetes' atomic symlink swaps of mounted volumes are seen.
/// To rotate without refusing the API server in between, mount a bundle with both the old and the new CA
/// first, then one with only the new CA.
/// </remarks>
public sealed class ClientCaFileSource(string path, ClientCertificateValidator validator, TimeSpan checkInterval, ILogger<ClientCaFileSource> logger) : BackgroundService
{
    private byte[]? _current;

    /// <summary>Re-reads the file; true when the validator now trusts a different set of CAs.</summary>
    public bool Reload()
    {
        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("keeping the current client CAs: --client-ca-file {Path}: {Error}", path, e.Message);
            return false;
        }

        var hash = SHA256.HashData(content);
        if (_current is not null && hash.AsSpan().SequenceEqual(_current))
        {
            return false;
        }

        // Remembered before loading, so a bundle that does not load is reported once, not at every check.
        // Parsed from the bytes that were hashed: a file being rewritten is judged on one reading of it.
        _current = hash;
        try
        {
            validator.Replace(ClientCertificateValidator.ParseBundle(System.Text.Encoding.UTF8.GetString(content), path));
        }
        catch (CertificateLoadException e)
        {
            logger.LogWarning("keeping the current client CAs: {Error}", e.Message);
            return false;
        }

        logger.LogInformation("trusting {Count} client CA certificate(s) from {Path}", validator.CaCount, path);
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The validator was built from the file at start; this records that content without logging it again.
        try
        {
            _current = SHA256.HashData(await File.ReadAllBytesAsync(path, stoppingToken).ConfigureAwait(false));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("cannot read --client-ca-file {Path}: {Error}", path, e.Message);
        }

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
}
