using System.Buffers;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

// Usage: BareEndpoint <port> <mutate-response.json> <validate-response.json>
// Reads and discards the request body, then writes the fixed response for the path: the cost of
// Kestrel + TLS + HTTP for a review of the same size, without decoding or policy.
if (args.Length != 3 || !int.TryParse(args[0], out var port))
{
    Console.Error.WriteLine("usage: BareEndpoint <port> <mutate-response.json> <validate-response.json>");
    return 2;
}

var mutate = File.ReadAllBytes(args[1]);
var validate = File.ReadAllBytes(args[2]);
using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
var req = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
var san = new SubjectAlternativeNameBuilder();
san.AddIpAddress(IPAddress.Loopback);
req.CertificateExtensions.Add(san.Build());
req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k =>
{
    k.AddServerHeader = false;
    k.Listen(IPAddress.Loopback, port, lo =>
    {
        lo.Protocols = HttpProtocols.Http1AndHttp2;
        lo.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificateSelector = (_, _) => cert,
            SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        });
    });
});
var app = builder.Build();
app.Run(async ctx =>
{
    var reader = ctx.Request.BodyReader;
    while (true)
    {
        var result = await reader.ReadAsync();
        reader.AdvanceTo(result.Buffer.End);
        if (result.IsCompleted)
        {
            break;
        }
    }

    var body = ctx.Request.Path.Value == "/validate" ? validate : mutate;
    ctx.Response.StatusCode = 200;
    ctx.Response.ContentType = "application/json";
    ctx.Response.BodyWriter.Write(body);
});
await app.RunAsync();
return 0;
