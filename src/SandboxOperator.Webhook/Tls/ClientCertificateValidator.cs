using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SandboxOperator.Webhook.Tls;

/// <summary>
/// Checks client certificates for mTLS against the CAs of <c>--client-ca-file</c> only
/// (<see cref="X509ChainTrustMode.CustomRootTrust"/>; the system roots are not trusted), requiring the
/// clientAuth usage when the certificate restricts its usages. The CAs can be replaced while serving
/// (<see cref="ClientCaFileSource"/>); each handshake checks against the set current when it starts, and
/// connections already established stay open.
/// </summary>
public sealed class ClientCertificateValidator
{
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");
    private volatile X509Certificate2Collection _roots;

    public ClientCertificateValidator(X509Certificate2Collection roots)
    {
        _roots = NonEmpty(roots);
    }

    /// <summary>Trusts <paramref name="roots"/> instead of the current CAs, from the next handshake on.</summary>
    public void Replace(X509Certificate2Collection roots) => _roots = NonEmpty(roots);

    private static X509Certificate2Collection NonEmpty(X509Certificate2Collection roots) =>
        roots.Count > 0 ? roots : throw new CertificateLoadException("the client CA bundle contains no certificate");

    /// <summary>For <c>HttpsConnectionAdapterOptions.ClientCertificateValidation</c>.</summary>
    public bool Validate(X509Certificate2 certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        if ((errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_roots);  // one read: a concurrent Replace swaps the whole set
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
