using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SandboxOperator.Webhook.Tls;

/// <summary>The certificate files cannot be used; the message names the file and the problem.</summary>
public sealed class CertificateLoadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Serves the certificate from <c>--tls-cert-file</c>/<c>--tls-key-file</c> and reloads it when the files
/// change: a FileSystemWatcher on their directories (which also sees Kubernetes' atomic symlink swaps of
/// mounted Secrets) plus a periodic check, since watchers miss events on some volumes. A pair that does
/// not load (for example the certificate written before its key) keeps the current certificate until a
/// later event or check finds a consistent pair.
/// </summary>
public sealed class FileCertificateSource(
    string certFile,
    string keyFile,
    ServingCertificate target,
    TimeSpan checkInterval,
    ILogger<FileCertificateSource> logger) : BackgroundService
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(100);
    private readonly Lock _gate = new();
    private readonly List<FileSystemWatcher> _watchers = [];
    private byte[]? _loadedHash;
    private byte[]? _failedHash;
    private int _pending;

    /// <summary>Loads the pair now; throws <see cref="CertificateLoadException"/> when it cannot be used.</summary>
    public void LoadInitial()
    {
        var (hash, cert) = Read(out var certText, out var keyText);
        cert ??= Parse(certText, keyText, rethrow: true)!;
        lock (_gate)
        {
            _loadedHash = hash;
        }

        target.Set(cert);
        logger.LogInformation("serving the certificate from {CertFile}, valid until {NotAfter:o}", certFile, cert.NotAfter.ToUniversalTime());
    }

    /// <summary>Re-reads the files and serves them if they changed and load. Returns true when a new certificate is served.</summary>
    public bool Reload()
    {
        lock (_gate)
        {
            byte[] hash;
            string certText, keyText;
            try
            {
                (hash, _) = Read(out certText, out keyText);
            }
            catch (CertificateLoadException e)
            {
                logger.LogWarning("keeping the current certificate: {Error}", e.Message);
                return false;
            }

            if ((_loadedHash is not null && hash.AsSpan().SequenceEqual(_loadedHash)) || (_failedHash is not null && hash.AsSpan().SequenceEqual(_failedHash)))
            {
                return false;
            }

            X509Certificate2? cert;
            try
            {
                cert = Parse(certText, keyText, rethrow: true);
            }
            catch (CertificateLoadException e)
            {
                _failedHash = hash;
                logger.LogWarning("keeping the current certificate: {Error}", e.Message);
                return false;
            }

            _loadedHash = hash;
            _failedHash = null;
            target.Set(cert!);
            logger.LogInformation("reloaded the certificate from {CertFile}, valid until {NotAfter:o}", certFile, cert!.NotAfter.ToUniversalTime());
            return true;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var dir in new[] { Path.GetDirectoryName(Path.GetFullPath(certFile))!, Path.GetDirectoryName(Path.GetFullPath(keyFile))! }.Distinct(StringComparer.Ordinal))
        {
            var watcher = new FileSystemWatcher(dir) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime };
            watcher.Changed += OnEvent;
            watcher.Created += OnEvent;
            watcher.Renamed += OnEvent;
            watcher.Deleted += OnEvent;
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }

        using var timer = new PeriodicTimer(checkInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                Reload();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override void Dispose()
    {
        foreach (var w in _watchers)
        {
            w.Dispose();
        }

        base.Dispose();
    }

    private void OnEvent(object sender, FileSystemEventArgs e)
    {
        // Coalesce bursts (cert and key written separately) into one reload shortly after the last event.
        if (Interlocked.Exchange(ref _pending, 1) == 1)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            await Task.Delay(Debounce).ConfigureAwait(false);
            Interlocked.Exchange(ref _pending, 0);
            Reload();
        });
    }

    private (byte[] Hash, X509Certificate2? Cert) Read(out string certText, out string keyText)
    {
        try
        {
            certText = File.ReadAllText(certFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CertificateLoadException($"--tls-cert-file {certFile}: {e.Message}", e);
        }

        try
        {
            keyText = File.ReadAllText(keyFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CertificateLoadException($"--tls-key-file {keyFile}: {e.Message}", e);
        }

        return (SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(certText + "\0" + keyText)), null);
    }

    private X509Certificate2? Parse(string certText, string keyText, bool rethrow)
    {
        try
        {
            var cert = X509Certificate2.CreateFromPem(certText, keyText);
            if (cert.NotAfter.ToUniversalTime() < DateTime.UtcNow)
            {
                logger.LogWarning("the certificate in {CertFile} expired at {NotAfter:o}", certFile, cert.NotAfter.ToUniversalTime());
            }

            return cert;
        }
        catch (CryptographicException e) when (rethrow)
        {
            // The message of CreateFromPem never contains key material.
            throw new CertificateLoadException($"--tls-cert-file {certFile} / --tls-key-file {keyFile}: not a usable PEM certificate and matching private key ({e.Message})", e);
        }
        catch (ArgumentException e) when (rethrow)
        {
            throw new CertificateLoadException($"--tls-cert-file {certFile} / --tls-key-file {keyFile}: not a usable PEM certificate and matching private key ({e.Message})", e);
        }
    }
}
