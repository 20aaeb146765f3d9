using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SandboxOperator.Webhook.Tls;

/// <summary>
/// Checks client certificates for mTLS against the CAs of <c>--client-ca-file</c> only
/// (<see cref="X509ChainTrustMode.CustomRootTrust"/>; the system roots are not trusted), requiring the
/// clientAuth usage when the certificate restricts its usages.
/// </summary>
public sealed class ClientCertificateValidator
{
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");
    private readonly X509Certificate2Collection _roots;

    public ClientCertificateValidator(X509Certificate2Collection roots)
    {
        if (roots.Count == 0)
        {
            throw new CertificateLoadException("the client CA bundle contains no certificate");
        }

        _roots = roots;
    }

    /// <summary>Loads the CA bundle; throws <see cref="CertificateLoadException"/> naming the file.</summary>
    public static ClientCertificateValidator FromFile(string path)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new CertificateLoadException($"--client-ca-file {path}: {e.Message}", e);
        }

        if (roots.Count == 0)
        {
            throw new CertificateLoadException($"--client-ca-file {path}: contains no PEM certificate");
        }

        return new ClientCertificateValidator(roots);
    }

    /// <summary>For <c>HttpsConnectionAdapterOptions.ClientCertificateValidation</c>.</summary>
    public bool Validate(X509Certificate2 certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        if ((errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(ClientAuth);
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                if (!element.Certificate.RawDataMemory.Span.SequenceEqual(certificate.RawDataMemory.Span))
                {
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }
        }

        return chain.Build(certificate);
    }
}
