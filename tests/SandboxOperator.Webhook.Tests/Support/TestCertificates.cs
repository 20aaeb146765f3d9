using System.Net;
using System.Security.Cryptography.X509Certificates;
using SandboxOperator.Webhook.Tls;

namespace SandboxOperator.Webhook.Tests.Support;

/// <summary>Certificates written to a temporary directory, as a mounted Secret would provide them.</summary>
internal sealed class TestCertificates : IDisposable
{
    public TestCertificates()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("webhook-tls-").FullName;
        Ca = CertificateFactory.CreateCa("test-ca", DateTimeOffset.UtcNow, TimeSpan.FromDays(30));
    }

    public string Directory { get; }
    public X509Certificate2 Ca { get; }
    public string CertFile => Path.Combine(Directory, "tls.crt");
    public string KeyFile => Path.Combine(Directory, "tls.key");
    public string CaFile => Path.Combine(Directory, "ca.crt");

    public X509Certificate2Collection Trusted => [X509CertificateLoader.LoadCertificate(Ca.RawData)];

    /// <summary>Issues a serving certificate for 127.0.0.1 and writes it (key first, then certificate, non-atomically).</summary>
    public X509Certificate2 WriteServing()
    {
        var cert = CertificateFactory.IssueServing(Ca, ["localhost"], [IPAddress.Loopback], DateTimeOffset.UtcNow, TimeSpan.FromDays(1));
        using var key = cert.GetECDsaPrivateKey()!;
        File.WriteAllText(KeyFile, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(CertFile, cert.ExportCertificatePem());
        return cert;
    }

    public void WriteCa() => File.WriteAllText(CaFile, Ca.ExportCertificatePem());

    public void Dispose()
    {
        Ca.Dispose();
        System.IO.Directory.Delete(Directory, true);
    }
}
