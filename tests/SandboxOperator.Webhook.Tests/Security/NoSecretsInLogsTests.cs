using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SandboxOperator.Webhook.Tests.Support;
using SandboxOperator.Webhook.Tls;
using Serilog.Formatting.Compact;
using SandboxOperator.Testing;

namespace SandboxOperator.Webhook.Tests.Security;

/// <summary>
/// Everything the operator logs, at the most verbose level, through startup, certificate reload, denials,
/// audit-mode findings and shutdown, holds no private key, bearer token or Secret data.
/// </summary>
public sealed class NoSecretsInLogsTests
{
    private const string BearerToken = "eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3QifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YWdlbnRzOmRlZmF1bHQifQ.c2lnbmF0dXJlLW5vdC1mb3ItbG9ncw";
    private const string CredentialId = "JTI=6f0c5b8e-credential-id-not-for-logs";
    private const string SecretValue = "hunter2-secret-value-not-for-logs";

    private static readonly Dictionary<string, string> Mcp = new() { ["agentsandbox.io/workload-type"] = "mcp-server" };

    [Fact]
    public async Task File_certificates_real_process_logs_no_key_token_or_secret()
    {
        using var certs = new TestCertificates();
        certs.WriteServing();
        var firstKey = await File.ReadAllTextAsync(certs.KeyFile);
        await using var op = await OperatorProcess.StartWithStateDirAsync(
            RunningHost.SamplesDir,
            ["--tls-cert-file", certs.CertFile, "--tls-key-file", certs.KeyFile, "--tls-check-interval", "1s", "--log-level", "trace", "--shutdown-delay", "0"]);
        using var client = RunningHost.CreateClient(certs.Trusted);

        await SendSensitiveReviewsAsync(client, op.WebhookUri);

        // A reload, then a replacement whose key is cut short (refused, logged as a warning), then a good one.
        certs.WriteServing();
        var secondKey = await File.ReadAllTextAsync(certs.KeyFile);
        await op.WaitForLogAsync("reloaded the certificate", TimeSpan.FromSeconds(15));
        certs.WriteServing();
        var thirdKey = await File.ReadAllTextAsync(certs.KeyFile);
        await File.WriteAllTextAsync(certs.KeyFile, thirdKey[..(thirdKey.Length / 2)] + "\n-----END PRIVATE KEY-----\n");
        await op.WaitForLogAsync("keeping the current certificate", TimeSpan.FromSeconds(15));
        await File.WriteAllTextAsync(certs.KeyFile, thirdKey);
        await WaitForCountAsync(op, "reloaded the certificate", 2);
        await SendSensitiveReviewsAsync(client, op.WebhookUri);

        op.Terminate();
        Assert.Equal(0, await op.WaitForExitAsync(TimeSpan.FromSeconds(20)));

        var lines = op.Lines.ToList();
        Assert.All(lines, l => JsonDocument.Parse(l).Dispose()); // compact JSON, one event per line
        Assert.Contains(lines, l => l.Contains("serving the certificate from", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("admission denied", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("audit mode violation", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("shutting down", StringComparison.Ordinal));
        AssertNoSecrets(op.Output, [firstKey, secondKey, thirdKey]);
    }

    [Fact]
    public async Task Self_managed_certificates_log_no_key_token_or_secret()
    {
        var logs = new StringWriter();
        var formatter = new CompactJsonFormatter();
        var sink = new FormattingSink(formatter, logs);
        var host = await RunningHost.StartAsync(RunningHost.DefaultOptions with { LogLevel = Serilog.Events.LogEventLevel.Verbose });
        var source = host.App.Services.GetRequiredService<SelfManagedCertificateSource>();
        var bundle = source.Bundle!;
        try
        {
            await SendSensitiveReviewsAsync(host.Client(), host.WebhookUri);
        }
        finally
        {
            await host.DisposeAsync();
        }

        foreach (var e in host.Logs.Events)
        {
            sink.Emit(e);
        }

        var text = logs.ToString();
        Assert.Contains("serving a self-managed certificate", text, StringComparison.Ordinal);
        Assert.Contains("admission denied", text, StringComparison.Ordinal);
        Assert.Contains("audit mode violation", text, StringComparison.Ordinal);
        AssertNoSecrets(text, [bundle.KeyPem, bundle.CaKeyPem]);
    }

    /// <summary>A denied pod, an audit-mode pod and a Secret, each with a token in userInfo.extra and an Authorization header.</summary>
    private static async Task SendSensitiveReviewsAsync(HttpClient client, Func<string, Uri> uri)
    {
        var denied = Reviews.PodObject("mcp-secret", "agents", Mcp, runtimeClassName: "gvisor");
        denied["spec"]!["containers"]![0]!["env"] = new JsonArray(new JsonObject { ["name"] = "API_KEY", ["value"] = SecretValue });
        denied["metadata"]!["annotations"] = new JsonObject { ["example.org/token"] = BearerToken };
        var audited = Reviews.PodObject("audited-secret", "audited", new Dictionary<string, string> { ["app"] = "audited-agent" });
        audited["spec"]!["containers"]![0]!["env"] = new JsonArray(new JsonObject { ["name"] = "API_KEY", ["value"] = SecretValue });
        var secret = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject { ["name"] = "creds", ["namespace"] = "agents" },
            ["data"] = new JsonObject { ["password"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(SecretValue)) },
            ["stringData"] = new JsonObject { ["token"] = BearerToken },
        };

        foreach (var (path, review) in new[]
        {
            ("/validate", Reviews.Request(Reviews.Pod, "CREATE", "agents", denied)),
            ("/mutate", Reviews.Request(Reviews.Pod, "CREATE", "agents", denied)),
            ("/validate", Reviews.Request(Reviews.Pod, "CREATE", "audited", audited)),
            ("/validate", Reviews.Request(("", "v1", "Secret", "secrets"), "CREATE", "agents", secret)),
        })
        {
            review["request"]!["userInfo"]!["extra"] = new JsonObject
            {
                ["authentication.kubernetes.io/credential-id"] = new JsonArray(CredentialId),
                ["authentication.kubernetes.io/token"] = new JsonArray(BearerToken),
            };
            using var request = new HttpRequestMessage(HttpMethod.Post, uri(path)) { Content = RunningHost.Json(review.ToJsonString()) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", BearerToken);
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // An undecodable review carrying the token is refused without echoing it.
        using var bad = new HttpRequestMessage(HttpMethod.Post, uri("/validate")) { Content = RunningHost.Json($"{{\"token\":\"{BearerToken}\",\"password\":\"{SecretValue}\"") };
        using var refused = await client.SendAsync(bad);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
    }

    private static void AssertNoSecrets(string log, IEnumerable<string> keyPems)
    {
        Assert.DoesNotContain("PRIVATE KEY", log, StringComparison.Ordinal);
        foreach (var pem in keyPems)
        {
            var base64 = string.Concat(pem.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal)));
            Assert.True(base64.Length > 100, "the key was not read");
            // Any 24-character run of the key's base64 (18 bytes of key material), also with JSON's escaped '/' and '+'.
            for (var i = 0; i + 24 <= base64.Length; i += 8)
            {
                var run = base64.Substring(i, 24);
                Assert.DoesNotContain(run, log, StringComparison.Ordinal);
                Assert.DoesNotContain(run.Replace("+", "\\u002B", StringComparison.Ordinal).Replace("/", "\\/", StringComparison.Ordinal), log, StringComparison.Ordinal);
            }
        }

        Assert.DoesNotContain(BearerToken, log, StringComparison.Ordinal);
        Assert.DoesNotContain(BearerToken[..40], log, StringComparison.Ordinal);
        Assert.DoesNotContain(CredentialId, log, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretValue, log, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(SecretValue)), log, StringComparison.Ordinal);
    }

    private static Task WaitForCountAsync(OperatorProcess op, string text, int count) =>
        Eventually.HoldsAsync(() => op.Lines.Count(l => l.Contains(text, StringComparison.Ordinal)) >= count, $"{count} lines contain \"{text}\"", detail: () => op.Output);

    private sealed class FormattingSink(CompactJsonFormatter formatter, TextWriter output) : Serilog.Core.ILogEventSink
    {
        public void Emit(Serilog.Events.LogEvent logEvent) => formatter.Format(logEvent, output);
    }
}
