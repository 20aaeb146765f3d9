using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using SandboxOperator.Webhook.Tls;

namespace SandboxOperator.Testing;

/// <summary>
/// The real <c>sandbox-operator</c> executable on free loopback ports: started against a Kubernetes API (via a
/// kubeconfig), either with serving certificates issued by a test CA that the test's HttpClient trusts, or with no
/// certificate files at all (self-managed: the operator keeps its CA in a Secret and injects it into the webhook
/// configurations, as it does in a pod); or with <c>--state-dir</c> and no cluster at all
/// (<see cref="StartWithStateDirAsync"/>). Everything it writes is kept (<see cref="Output"/>).
/// </summary>
public sealed class OperatorProcess : IAsyncDisposable
{
    private readonly LocalProcess _process;
    private readonly string _dir;
    private readonly X509Certificate2? _ca;

    private OperatorProcess(LocalProcess process, string dir, X509Certificate2? ca, int webhookPort, int healthPort, int metricsPort)
    {
        _process = process;
        _dir = dir;
        _ca = ca;
        WebhookUrl = new Uri($"https://127.0.0.1:{webhookPort}");
        HealthUrl = new Uri($"http://127.0.0.1:{healthPort}");
        MetricsUrl = new Uri($"http://127.0.0.1:{metricsPort}/metrics");
    }

    /// <summary>The test CA behind the certificate files; there is none for a self-managed operator.</summary>
    public X509Certificate2 Ca => _ca ?? throw new InvalidOperationException($"{Name} manages its own certificate: its CA is in the Secret --tls-secret-name");

    /// <summary>The POD_NAME it runs as, i.e. its identity in the leader-election Lease.</summary>
    public string Name => _process.Name;

    public Uri WebhookUrl { get; }
    public Uri HealthUrl { get; }
    public Uri MetricsUrl { get; }

    /// <summary>The process, for its id, CPU time and log file.</summary>
    public LocalProcess Process => _process;

    /// <summary>Everything it has written so far, stdout and stderr (compact JSON log lines).</summary>
    public string Output => _process.Output;

    /// <summary><see cref="Output"/> as lines.</summary>
    public IReadOnlyList<string> Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The URL of <paramref name="path"/> on the webhook port.</summary>
    public Uri WebhookUri(string path) => new(WebhookUrl, path);

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
        using var serving = CertificateFactory.IssueServing(ca, ["localhost", .. extraDnsNames], [IPAddress.Loopback], DateTimeOffset.UtcNow, TimeSpan.FromDays(1));
        using (var key = serving.GetECDsaPrivateKey()!)
        {
            File.WriteAllText(Path.Combine(dir, "tls.key"), key.ExportPkcs8PrivateKeyPem());
        }

        File.WriteAllText(Path.Combine(dir, "tls.crt"), serving.ExportCertificatePem());
        return Launch(dir, ca, kubeconfig, podName, webhookPort,
            ["--tls-cert-file", Path.Combine(dir, "tls.crt"), "--tls-key-file", Path.Combine(dir, "tls.key"), "--namespace", "agentsandbox-system", .. extraArgs]);
    }

    /// <summary>
    /// Starts the operator with <paramref name="args"/> and no certificate files, so it manages its
    /// certificate itself. Listeners are bound to 127.0.0.1 on <paramref name="webhookPort"/> (a free port
    /// when null) and free health and metrics ports, whatever <paramref name="args"/> say.
    /// </summary>
    public static OperatorProcess StartSelfManaged(string kubeconfig, string podName, int? webhookPort, IEnumerable<string> args) =>
        Launch(Directory.CreateTempSubdirectory("operator-").FullName, null, kubeconfig, podName, webhookPort, args);

    /// <summary>
    /// Starts the operator with <c>--state-dir <paramref name="stateDir"/></c> (no cluster: no kubeconfig, not in a pod)
    /// and <paramref name="args"/>, and waits until <c>/readyz</c> answers 200.
    /// </summary>
    public static async Task<OperatorProcess> StartWithStateDirAsync(string stateDir, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var op = Launch(Directory.CreateTempSubdirectory("operator-").FullName, null, null, "operator", null, ["--state-dir", stateDir, .. args], environment);
        try
        {
            await op.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
            return op;
        }
        catch
        {
            await op.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until a line it wrote contains <paramref name="text"/>.</summary>
    public Task WaitForLogAsync(string text, TimeSpan timeout) =>
        Eventually.HoldsAsync(() => Lines.Any(l => l.Contains(text, StringComparison.Ordinal)), $"{Name} logs a line containing \"{text}\"", timeout, () => _process.Tail());

    /// <summary>Sends SIGTERM, as the kubelet does when the pod is deleted, and returns at once.</summary>
    public void Terminate() => _process.Terminate();

    /// <summary>The exit code; throws when the process has not exited within <paramref name="timeout"/>.</summary>
    public Task<int> WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync(timeout);

    /// <summary>An HttpClient for the webhook port that trusts only the test CA.</summary>
    public HttpMessageHandler TrustingHandler() => new SocketsHttpHandler
    {
        SslOptions =
        {
            RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && CertificateFactory.ChainsTo(new X509Certificate2(cert), [Ca]),
        },
    };

    /// <summary>The certificate a TLS client is shown on a loopback port, unchecked (the caller checks it).</summary>
    public static async Task<X509Certificate2> ServedCertificateAsync(int port)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
#pragma warning disable CA5359 // Deliberately unchecked: the caller inspects the certificate it was shown.
        await using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
#pragma warning restore CA5359
        await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions { TargetHost = "127.0.0.1" });
        return new X509Certificate2(tls.RemoteCertificate!);
    }

    /// <summary>Polls /readyz until it answers 200; throws when the process exits or the time is up.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            _process.ThrowIfExited();
            try
            {
                if ((await http.GetAsync(new Uri(HealthUrl, "/readyz"))).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet, or busy starting.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{Name} not ready within {timeout}:\n{_process.Tail()}");
    }

    /// <summary>SIGTERM, as a rolling update stops a pod; SIGKILL after <paramref name="grace"/>.</summary>
    public Task StopAsync(TimeSpan grace) => _process.StopAsync(grace);

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        _ca?.Dispose();
        Directory.Delete(_dir, true);
    }

    public static int FreePort() => LocalProcess.FreePort();

    /// <param name="kubeconfig">The kubeconfig text; null for none (a path to no file, so none from the user's home either).</param>
    private static OperatorProcess Launch(string dir, X509Certificate2? ca, string? kubeconfig, string podName, int? webhookPort, IEnumerable<string> args,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var kubeconfigFile = Path.Combine(dir, "kubeconfig");
        if (kubeconfig is not null)
        {
            File.WriteAllText(kubeconfigFile, kubeconfig);
        }

        int webhook = webhookPort ?? FreePort(), health = FreePort(), metrics = FreePort();
        string Port(int p) => p.ToString(CultureInfo.InvariantCulture);

        // The operator reads its flags in order and the last one wins, so these listeners override any in args.
        var process = LocalProcess.Start(podName, "dotnet",
        [
            Path.Combine(AppContext.BaseDirectory, "sandbox-operator.dll"), .. args,
            "--bind-address", "127.0.0.1", "--webhook-port", Port(webhook), "--health-port", Port(health), "--metrics-port", Port(metrics),
        ], Path.Combine(dir, "operator.log"), new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>())
        {
            // Out of cluster: no in-cluster service account, the kubeconfig instead.
            ["KUBERNETES_SERVICE_HOST"] = null,
            ["KUBECONFIG"] = kubeconfigFile,
            ["POD_NAME"] = podName,
        });
        return new OperatorProcess(process, dir, ca, webhook, health, metrics);
    }
}
