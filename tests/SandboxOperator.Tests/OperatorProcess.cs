using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SandboxOperator.Webhook.Tls;

namespace SandboxOperator.Tests;

/// <summary>
/// The real <c>sandbox-operator</c> executable, started against a Kubernetes API (via a kubeconfig), with
/// serving certificates issued by a test CA that the test's HttpClient trusts. Ports are free loopback ports.
/// </summary>
internal sealed class OperatorProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _dir;

    private OperatorProcess(Process process, string dir, X509Certificate2 ca, int webhookPort, int healthPort, int metricsPort)
    {
        _process = process;
        _dir = dir;
        Ca = ca;
        WebhookUrl = new Uri($"https://127.0.0.1:{webhookPort}");
        HealthUrl = new Uri($"http://127.0.0.1:{healthPort}");
        MetricsUrl = new Uri($"http://127.0.0.1:{metricsPort}/metrics");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public X509Certificate2 Ca { get; }
    public Uri WebhookUrl { get; }
    public Uri HealthUrl { get; }
    public Uri MetricsUrl { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>A kubeconfig for an API server at <paramref name="url"/> with a bearer token (the test server does not check it).</summary>
    public static string KubeconfigFor(string url) => $$"""
        apiVersion: v1
        kind: Config
        clusters: [{ name: test, cluster: { server: "{{url}}" } }]
        users: [{ name: test, user: { token: e2e-test-token } }]
        contexts: [{ name: test, context: { cluster: test, user: test } }]
        current-context: test
        """;

    public static OperatorProcess Start(string apiServerUrl, string podName, params string[] extraArgs) =>
        Start(KubeconfigFor(apiServerUrl), podName, [], null, extraArgs);

    /// <param name="kubeconfig">The kubeconfig text the operator uses.</param>
    /// <param name="extraDnsNames">Names the serving certificate covers besides localhost and 127.0.0.1 (e.g. the name a container uses to reach this host).</param>
    /// <param name="webhookPort">A port chosen (and perhaps exposed to containers) in advance; a free one when null.</param>
    public static OperatorProcess Start(string kubeconfig, string podName, IReadOnlyList<string> extraDnsNames, int? webhookPort, params string[] extraArgs)
    {
        var dir = Directory.CreateTempSubdirectory("operator-e2e-").FullName;
        var ca = CertificateFactory.CreateCa("e2e-ca", DateTimeOffset.UtcNow, TimeSpan.FromDays(1));
        var serving = CertificateFactory.IssueServing(ca, ["localhost", .. extraDnsNames], [IPAddress.Loopback], DateTimeOffset.UtcNow, TimeSpan.FromDays(1));
        using (var key = serving.GetECDsaPrivateKey()!)
        {
            File.WriteAllText(Path.Combine(dir, "tls.key"), key.ExportPkcs8PrivateKeyPem());
        }

        File.WriteAllText(Path.Combine(dir, "tls.crt"), serving.ExportCertificatePem());
        var kubeconfigFile = Path.Combine(dir, "kubeconfig");
        File.WriteAllText(kubeconfigFile, kubeconfig);

        int webhook = webhookPort ?? FreePort(), health = FreePort(), metrics = FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sandbox-operator.dll"));
        foreach (var a in (string[])["--bind-address", "127.0.0.1", "--webhook-port", $"{webhook}", "--health-port", $"{health}", "--metrics-port", $"{metrics}",
                     "--tls-cert-file", Path.Combine(dir, "tls.crt"), "--tls-key-file", Path.Combine(dir, "tls.key"), "--namespace", "agentsandbox-system", .. extraArgs])
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment.Remove("KUBERNETES_SERVICE_HOST");
        psi.Environment["KUBECONFIG"] = kubeconfigFile;
        psi.Environment["POD_NAME"] = podName;
        return new OperatorProcess(Process.Start(psi)!, dir, ca, webhook, health, metrics);
    }

    /// <summary>An HttpClient for the webhook port that trusts only the test CA.</summary>
    public HttpMessageHandler TrustingHandler() => new SocketsHttpHandler
    {
        SslOptions =
        {
            RemoteCertificateValidationCallback = (_, cert, _, _) =>
            {
                if (cert is null)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(Ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(new X509Certificate2(cert));
            },
        },
    };

    /// <summary>Polls /readyz until it answers 200 or the process exits.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"operator exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                if ((await http.GetAsync(new Uri(HealthUrl, "/readyz"))).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"operator not ready within {timeout}:\n{Output}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Ca.Dispose();
        Directory.Delete(_dir, true);
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
