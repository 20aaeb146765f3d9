using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SandboxOperator.Webhook.Tls;

/// <summary>A CA and a serving certificate issued by it, as PEM. <see cref="CaPem"/> may hold the previous CA too, after a CA rotation.</summary>
public sealed record CertificateBundle(string CaPem, string CaKeyPem, string CertPem, string KeyPem)
{
    /// <summary>The serving certificate with its private key.</summary>
    public X509Certificate2 LoadServing() => X509Certificate2.CreateFromPem(CertPem, KeyPem);

    /// <summary>The signing CA (the first certificate of <see cref="CaPem"/>) with its private key.</summary>
    public X509Certificate2 LoadCa() => X509Certificate2.CreateFromPem(CaPem, CaKeyPem);

    /// <summary>Renders without key material.</summary>
    public override string ToString() => "CertificateBundle(keys redacted)";
}

/// <summary>Issues ECDSA P-256 certificates: a self-signed CA, serving certificates and (for tests and tools) client certificates.</summary>
public static class CertificateFactory
{
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    public static X509Certificate2 CreateCa(string commonName, DateTimeOffset now, TimeSpan lifetime)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(new X500DistinguishedName("CN=" + commonName), key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        return req.CreateSelfSigned(now - Backdate(lifetime), now + lifetime);
    }

    public static X509Certificate2 IssueServing(X509Certificate2 ca, IReadOnlyList<string> dnsNames, IReadOnlyList<IPAddress> ipAddresses, DateTimeOffset now, TimeSpan lifetime) =>
        Issue(ca, dnsNames.Count > 0 ? dnsNames[0] : "sandbox-operator", dnsNames, ipAddresses, ServerAuthOid, now, lifetime);

    public static X509Certificate2 IssueClient(X509Certificate2 ca, string commonName, DateTimeOffset now, TimeSpan lifetime) =>
        Issue(ca, commonName, [], [], ClientAuthOid, now, lifetime);

    /// <summary>A new CA and a serving certificate from it.</summary>
    public static CertificateBundle NewBundle(IReadOnlyList<string> dnsNames, IReadOnlyList<IPAddress> ipAddresses, DateTimeOffset now, TimeSpan caLifetime, TimeSpan certLifetime)
    {
        using var ca = CreateCa("sandbox-operator-webhook-ca", now, caLifetime);
        using var cert = IssueServing(ca, dnsNames, ipAddresses, now, certLifetime);
        return new CertificateBundle(ca.ExportCertificatePem() + "\n", KeyPem(ca), cert.ExportCertificatePem() + "\n", KeyPem(cert));
    }

    /// <summary>A new serving certificate from the bundle's CA, keeping the CA.</summary>
    public static CertificateBundle Reissue(CertificateBundle bundle, IReadOnlyList<string> dnsNames, IReadOnlyList<IPAddress> ipAddresses, DateTimeOffset now, TimeSpan certLifetime)
    {
        using var ca = bundle.LoadCa();
        using var cert = IssueServing(ca, dnsNames, ipAddresses, now, certLifetime);
        return bundle with { CertPem = cert.ExportCertificatePem() + "\n", KeyPem = KeyPem(cert) };
    }

    /// <summary>
    /// A new CA and serving certificate; the old CA stays in <see cref="CertificateBundle.CaPem"/> while it
    /// is valid, so clients holding the old caBundle keep trusting the replicas that still serve the old certificate.
    /// </summary>
    public static CertificateBundle RotateCa(CertificateBundle bundle, IReadOnlyList<string> dnsNames, IReadOnlyList<IPAddress> ipAddresses, DateTimeOffset now, TimeSpan caLifetime, TimeSpan certLifetime)
    {
        var fresh = NewBundle(dnsNames, ipAddresses, now, caLifetime, certLifetime);
        using var oldCa = X509Certificate2.CreateFromPem(bundle.CaPem);
        return oldCa.NotAfter.ToUniversalTime() > now.UtcDateTime ? fresh with { CaPem = fresh.CaPem + oldCa.ExportCertificatePem() + "\n" } : fresh;
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string commonName, IReadOnlyList<string> dnsNames, IReadOnlyList<IPAddress> ipAddresses, string eku, DateTimeOffset now, TimeSpan lifetime)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(new X500DistinguishedName("CN=" + commonName), key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(eku)], false));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (dnsNames.Count > 0 || ipAddresses.Count > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var name in dnsNames)
            {
                san.AddDnsName(name);
            }

            foreach (var ip in ipAddresses)
            {
                san.AddIpAddress(ip);
            }

            req.CertificateExtensions.Add(san.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        var notAfter = now + lifetime;
        if (notAfter > ca.NotAfter)
        {
            notAfter = ca.NotAfter;
        }

        using var cert = req.Create(ca, now - Backdate(lifetime), notAfter, serial);
        return cert.CopyWithPrivateKey(key);
    }

    /// <summary>
    /// How far NotBefore lies in the past, for clocks that run behind: 5 minutes, or a tenth of a short
    /// lifetime, because renewal is due at a fraction of NotBefore..NotAfter and a fixed 5 minutes would
    /// make a certificate of a few minutes due the moment it is issued.
    /// </summary>
    private static TimeSpan Backdate(TimeSpan lifetime) => lifetime / 10 < TimeSpan.FromMinutes(5) ? lifetime / 10 : TimeSpan.FromMinutes(5);

    private static string KeyPem(X509Certificate2 cert)
    {
        using var key = cert.GetECDsaPrivateKey() ?? throw new InvalidOperationException("the certificate has no ECDSA private key");
        return key.ExportPkcs8PrivateKeyPem() + "\n";
    }

    /// <summary>True when <paramref name="now"/> is past <paramref name="fraction"/> of the certificate's lifetime.</summary>
    public static bool PastFraction(X509Certificate2 cert, DateTimeOffset now, double fraction)
    {
        var from = cert.NotBefore.ToUniversalTime();
        var to = cert.NotAfter.ToUniversalTime();
        return now.UtcDateTime >= from + ((to - from) * fraction);
    }

    /// <summary>
    /// Whether <paramref name="certificate"/> chains to one of <paramref name="roots"/> and to nothing else (no system
    /// roots, no revocation check), at <paramref name="at"/> or now: how the API server checks a webhook's caBundle.
    /// </summary>
    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2Collection roots, DateTimeOffset? at = null)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (at is { } time)
        {
            chain.ChainPolicy.VerificationTime = time.UtcDateTime;
        }

        return chain.Build(certificate);
    }

    /// <summary><see cref="ChainsTo(X509Certificate2, X509Certificate2Collection, DateTimeOffset?)"/> against the CAs of a PEM bundle.</summary>
    public static bool ChainsTo(X509Certificate2 certificate, string caPem, DateTimeOffset? at = null)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPem(caPem);
        try
        {
            return ChainsTo(certificate, roots, at);
        }
        finally
        {
            foreach (var root in roots)
            {
                root.Dispose();
            }
        }
    }

    /// <summary>Whether the certificate's SAN extension lists every name and address.</summary>
    public static bool Covers(X509Certificate2 cert, IReadOnlyList<string> dnsNames, IReadOnlyList<IPAddress> ipAddresses)
    {
        var san = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (san is null)
        {
            return dnsNames.Count == 0 && ipAddresses.Count == 0;
        }

        var names = san.EnumerateDnsNames().ToHashSet(StringComparer.OrdinalIgnoreCase);
        var ips = san.EnumerateIPAddresses().ToHashSet();
        return dnsNames.All(names.Contains) && ipAddresses.All(ips.Contains);
    }
}
