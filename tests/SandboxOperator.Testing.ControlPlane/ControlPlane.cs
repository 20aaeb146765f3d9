using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using k8s;
using k8s.Autorest;
using SandboxOperator.Webhook.Tls;

namespace SandboxOperator.Testing.ControlPlane;

/// <summary>
/// A real Kubernetes control plane on loopback, started from <see cref="ControlPlaneBinaries"/>: etcd,
/// kube-apiserver with TLS, static-token users and RBAC, and (where the binaries exist)
/// kube-controller-manager and kube-scheduler. No kubelet runs: nodes are Node objects
/// (<see cref="FakeNodes"/>), pods are stored, mutated, validated and bound, never started.
/// </summary>
/// <remarks>
/// Everything lives in one temporary directory (etcd's data on /dev/shm where it exists, for speed) and
/// on free loopback ports; disposing kills every process and deletes the directory (kept, but for etcd's
/// data, when SANDBOX_KEEP_CONTROL_PLANE=1). The controller
/// manager runs without the node lifecycle controller, which would mark kubelet-less nodes unready.
/// Flags that newer releases removed (<c>--insecure-port</c>, <c>--port</c>) are passed only where a
/// binary's <c>--help</c> still lists them, so envtest assets of other versions start too.
/// </remarks>
public sealed class ControlPlane : IAsyncDisposable
{
    public const string AdminUser = "admin";
    private const string ServiceAccountIssuer = "https://kubernetes.default.svc.cluster.local";
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    private readonly string _dir;
    private readonly string? _etcdDir;
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);
    private readonly List<LocalProcess> _processes = [];
    private readonly Lazy<Kubernetes> _admin;

    private ControlPlane(ControlPlaneBinaries binaries, ControlPlaneOptions options)
    {
        Binaries = binaries;
        Options = options;
        _dir = Directory.CreateTempSubdirectory("control-plane-").FullName;
        _etcdDir = CreateShmDirectory();
        CaFile = Path.Combine(_dir, "ca.crt");
        _admin = new Lazy<Kubernetes>(() => ClientFor(AdminUser));
    }

    public ControlPlaneBinaries Binaries { get; }

    public ControlPlaneOptions Options { get; }

    /// <summary>The API server's version (from the binaries).</summary>
    public Version Version => Binaries.Version;

    /// <summary>https://127.0.0.1:port of the API server.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>The CA that issued the API server's serving certificate.</summary>
    public string CaFile { get; }

    /// <summary>The API server's audit log (JSON lines), when <see cref="ControlPlaneOptions.AuditLog"/> is set.</summary>
    public string? AuditLogFile { get; private set; }

    public string WorkDirectory => _dir;

    public LocalProcess ApiServer { get; private set; } = null!;

    /// <summary>Whether kube-controller-manager runs (Deployments and Jobs create pods, service account tokens are issued).</summary>
    public bool RunsControllerManager { get; private set; }

    /// <summary>Whether kube-scheduler runs (pods get a node).</summary>
    public bool RunsScheduler { get; private set; }

    /// <summary>The admin's client (system:masters), shared; do not dispose it.</summary>
    public Kubernetes Admin => _admin.Value;

    public IReadOnlyList<LocalProcess> Processes => _processes;

    /// <summary>Starts the control plane and returns once the API server is ready and, with a controller manager, the first service account token exists.</summary>
    public static async Task<ControlPlane> StartAsync(ControlPlaneBinaries binaries, ControlPlaneOptions? options = null, CancellationToken cancellationToken = default)
    {
        var cp = new ControlPlane(binaries, options ?? new ControlPlaneOptions());
        try
        {
            await cp.StartProcessesAsync(cancellationToken);
            return cp;
        }
        catch
        {
            await cp.DisposeAsync();
            throw;
        }
    }

    /// <summary>A kubeconfig file for <see cref="AdminUser"/> or one of <see cref="ControlPlaneOptions.Users"/>.</summary>
    public string KubeconfigFor(string user) =>
        _tokens.TryGetValue(user, out var token)
            ? WriteKubeconfig(user, token)
            : throw new ArgumentException($"no static user {user}; declare it in ControlPlaneOptions.Users", nameof(user));

    /// <summary>Writes a kubeconfig for a bearer token (e.g. a service account's) and returns its path.</summary>
    public string WriteKubeconfig(string name, string token)
    {
        var path = Path.Combine(_dir, $"{name.Replace(':', '-')}.kubeconfig");
        File.WriteAllText(path, KubeconfigText(name, token));
        return path;
    }

    /// <summary>The text of a kubeconfig for a bearer token, trusting this control plane's CA.</summary>
    public string KubeconfigText(string name, string token) => $$"""
        apiVersion: v1
        kind: Config
        clusters:
          - name: control-plane
            cluster: { server: "{{Url}}", certificate-authority: "{{CaFile}}" }
        users:
          - name: "{{name}}"
            user: { token: "{{token}}" }
        contexts:
          - name: "{{name}}"
            context: { cluster: control-plane, user: "{{name}}" }
        current-context: "{{name}}"
        """;

    /// <summary>A new client for a static user; the caller disposes it.</summary>
    public Kubernetes ClientFor(string user) => ClientForKubeconfig(KubeconfigFor(user));

    public static Kubernetes ClientForKubeconfig(string path) =>
        new(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));

    public async ValueTask DisposeAsync()
    {
        if (_admin.IsValueCreated)
        {
            _admin.Value.Dispose();
        }

        // The API server first, so nothing writes to a stopped etcd and the controllers see it go.
        for (var i = _processes.Count - 1; i >= 0; i--)
        {
            await _processes[i].DisposeAsync();
        }

        // SANDBOX_KEEP_CONTROL_PLANE=1 keeps the logs, audit log and kubeconfigs for a look after a failure.
        foreach (var dir in Environment.GetEnvironmentVariable("SANDBOX_KEEP_CONTROL_PLANE") == "1" ? [_etcdDir] : new[] { _dir, _etcdDir })
        {
            try
            {
                if (dir is not null)
                {
                    Directory.Delete(dir, recursive: true);
                }
            }
            catch (IOException)
            {
                // Left for the OS to clean: a process may still release a file.
            }
        }
    }

    private static string? CreateShmDirectory()
    {
        if (!Directory.Exists("/dev/shm"))
        {
            return null;
        }

        try
        {
            var dir = Path.Combine("/dev/shm", $"control-plane-etcd-{Guid.NewGuid():N}");
            Directory.CreateDirectory(dir);
            return dir;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private async Task StartProcessesAsync(CancellationToken cancellationToken)
    {
        WritePki();
        WriteTokens();

        var etcdUrl = await StartEtcdAsync(cancellationToken);
        await StartApiServerAsync(etcdUrl, cancellationToken);

        if (Options.RunControllers && Binaries.HasControllerManager)
        {
            StartControllerManager();
            RunsControllerManager = true;
            await WaitForServiceAccountAsync("default", cancellationToken);
        }

        if (Options.RunControllers && Binaries.HasScheduler)
        {
            StartScheduler();
            RunsScheduler = true;
        }
    }

    private void WritePki()
    {
        var now = DateTimeOffset.UtcNow;
        using var ca = CertificateFactory.CreateCa("control-plane-ca", now, TimeSpan.FromDays(2));
        using var serving = CertificateFactory.IssueServing(ca,
            ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"],
            [IPAddress.Loopback, IPAddress.Parse("10.0.0.1")], now, TimeSpan.FromDays(2));
        File.WriteAllText(CaFile, ca.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(_dir, "apiserver.crt"), serving.ExportCertificatePem() + "\n");
        using (var key = serving.GetECDsaPrivateKey()!)
        {
            File.WriteAllText(Path.Combine(_dir, "apiserver.key"), key.ExportPkcs8PrivateKeyPem() + "\n");
        }

        using var sa = RSA.Create(2048);
        File.WriteAllText(Path.Combine(_dir, "sa.key"), sa.ExportPkcs8PrivateKeyPem() + "\n");
    }

    /// <summary>The static token file: the admin, the controller manager and scheduler under their well-known names (bootstrap RBAC covers them), and the declared users.</summary>
    private void WriteTokens()
    {
        var users = new List<ControlPlaneUser>
        {
            new(AdminUser, "system:masters"),
            new("system:kube-controller-manager"),
            new("system:kube-scheduler"),
        };
        users.AddRange(Options.Users);
        var lines = new StringBuilder();
        foreach (var user in users)
        {
            var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
            _tokens[user.Name] = token;
            lines.Append(CultureInfo.InvariantCulture, $"{token},{user.Name},{user.Name}-uid");
            if (user.Groups.Length > 0)
            {
                lines.Append(",\"").Append(string.Join(',', user.Groups)).Append('"');
            }

            lines.Append('\n');
        }

        File.WriteAllText(Path.Combine(_dir, "tokens.csv"), lines.ToString());
    }

    private async Task<string> StartEtcdAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            int client = FreePort(), peer = FreePort();
            var dataDir = Path.Combine(_etcdDir ?? _dir, $"etcd-{attempt}");
            var etcd = Track(LocalProcess.Start("etcd", Binaries.Etcd,
            [
                "--name", "default", "--data-dir", dataDir,
                "--listen-client-urls", $"http://127.0.0.1:{client}", "--advertise-client-urls", $"http://127.0.0.1:{client}",
                "--listen-peer-urls", $"http://127.0.0.1:{peer}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peer}",
                "--initial-cluster", $"default=http://127.0.0.1:{peer}",
            ], Path.Combine(_dir, $"etcd-{attempt}.log")));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var ready = await WaitAsync(async () => (await TryGetAsync(http, $"http://127.0.0.1:{client}/health"))?.Contains("\"true\"", StringComparison.Ordinal) == true,
                etcd, "etcd is healthy", retryable: attempt < 3, cancellationToken);
            if (ready)
            {
                return $"http://127.0.0.1:{client}";
            }
        }
    }

    private async Task StartApiServerAsync(string etcdUrl, CancellationToken cancellationToken)
    {
        string Dir(string file) => Path.Combine(_dir, file);
        var args = new List<string>
        {
            "--etcd-servers", etcdUrl,
            "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
            "--tls-cert-file", Dir("apiserver.crt"), "--tls-private-key-file", Dir("apiserver.key"), "--cert-dir", Dir("apiserver-certs"),
            "--client-ca-file", CaFile,
            "--token-auth-file", Dir("tokens.csv"),
            "--service-account-key-file", Dir("sa.key"), "--service-account-signing-key-file", Dir("sa.key"),
            "--service-account-issuer", ServiceAccountIssuer, "--api-audiences", ServiceAccountIssuer,
            "--service-cluster-ip-range", "10.0.0.0/24",
            "--authorization-mode", "RBAC",
        };
        if (HelpLists(Binaries.KubeApiServer, "insecure-port"))
        {
            args.AddRange(["--insecure-port", "0"]);
        }

        if (!(Options.RunControllers && Binaries.HasControllerManager) && Version < new Version(1, 24))
        {
            // Before 1.24 the ServiceAccount admission plugin refuses pods until the token controller (in
            // the controller manager) has issued the namespace's token Secret; without one, pods mount no token.
            args.AddRange(["--disable-admission-plugins", "ServiceAccount"]);
        }

        if (Options.AuditLog)
        {
            AuditLogFile = Dir("audit.log");
            File.WriteAllText(Dir("audit-policy.yaml"), """
                apiVersion: audit.k8s.io/v1
                kind: Policy
                omitStages: [RequestReceived]
                rules:
                  - level: Metadata
                """);
            args.AddRange(["--audit-policy-file", Dir("audit-policy.yaml"), "--audit-log-path", AuditLogFile, "--audit-log-format", "json"]);
        }

        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var apiServer = Track(LocalProcess.Start("kube-apiserver", Binaries.KubeApiServer, [.. args, "--secure-port", port.ToString(CultureInfo.InvariantCulture)],
                Dir($"kube-apiserver-{attempt}.log")));
            Url = new Uri($"https://127.0.0.1:{port}");
            using var http = TrustingHttpClient(_tokens[AdminUser]);
            var ready = await WaitAsync(async () => (await TryGetAsync(http, new Uri(Url, "/readyz").ToString())) == "ok",
                apiServer, "kube-apiserver is ready", retryable: attempt < 3, cancellationToken);
            if (ready)
            {
                ApiServer = apiServer;
                return;
            }
        }
    }

    private void StartControllerManager()
    {
        var args = new List<string>
        {
            "--kubeconfig", KubeconfigFor("system:kube-controller-manager"),
            "--bind-address", "127.0.0.1", "--secure-port", "0",
            // Without kubelets the node lifecycle controller would mark every node NotReady and taint it.
            "--controllers", "*,-nodelifecycle",
            "--service-account-private-key-file", Path.Combine(_dir, "sa.key"), "--root-ca-file", CaFile,
            "--use-service-account-credentials", "--leader-elect=false",
        };
        if (HelpLists(Binaries.KubeControllerManager, "port"))
        {
            args.AddRange(["--port", "0"]);
        }

        Track(LocalProcess.Start("kube-controller-manager", Binaries.KubeControllerManager, args, Path.Combine(_dir, "kube-controller-manager.log")));
    }

    private void StartScheduler()
    {
        var args = new List<string>
        {
            "--kubeconfig", KubeconfigFor("system:kube-scheduler"),
            "--bind-address", "127.0.0.1", "--secure-port", "0", "--leader-elect=false",
        };
        if (HelpLists(Binaries.KubeScheduler, "port"))
        {
            args.AddRange(["--port", "0"]);
        }

        Track(LocalProcess.Start("kube-scheduler", Binaries.KubeScheduler, args, Path.Combine(_dir, "kube-scheduler.log")));
    }

    /// <summary>
    /// Waits until pods can be created in <paramref name="namespace"/>: with a controller manager, the
    /// ServiceAccount admission plugin refuses them until the namespace's default service account exists
    /// (and, before 1.24, its token Secret). kubectl retries that refusal by itself; other clients wait here.
    /// </summary>
    public async Task WaitForServiceAccountAsync(string @namespace, CancellationToken cancellationToken = default)
    {
        if (!RunsControllerManager)
        {
            return;
        }

        var controllerManager = _processes.Single(p => p.Name == "kube-controller-manager");
        await WaitAsync(async () =>
        {
            try
            {
                var sa = await Admin.CoreV1.ReadNamespacedServiceAccountAsync("default", @namespace, cancellationToken: cancellationToken);
                return Version >= new Version(1, 24) || sa.Secrets is { Count: > 0 };
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return false;
            }
        }, controllerManager, $"the controller manager has created the default service account of {@namespace} and its token", retryable: false, cancellationToken);
    }

    private LocalProcess Track(LocalProcess process)
    {
        _processes.Add(process);
        return process;
    }

    /// <summary>Polls until <paramref name="condition"/> holds; false when the process exited and a retry is allowed, else throws on exit or timeout.</summary>
    private async Task<bool> WaitAsync(Func<Task<bool>> condition, LocalProcess process, string what, bool retryable, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (process.HasExited)
            {
                // A free port taken between choosing and binding it: try other ports.
                if (retryable && process.Output.Contains("address already in use", StringComparison.Ordinal))
                {
                    return false;
                }

                process.ThrowIfExited();
            }

            if (clock.Elapsed > Options.StartTimeout)
            {
                throw new TimeoutException($"timed out after {Options.StartTimeout} waiting until {what}; {process.Name}'s last lines ({process.LogFile}):\n{process.Tail()}");
            }

            await Task.Delay(Poll, cancellationToken);
        }

        return true;
    }

    private static async Task<string?> TryGetAsync(HttpClient http, string url)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(url));
            return response.IsSuccessStatusCode ? (await response.Content.ReadAsStringAsync()).Trim() : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>An HttpClient that trusts this control plane's CA only and sends <paramref name="token"/>.</summary>
    private HttpClient TrustingHttpClient(string? token = null)
    {
        var ca = X509Certificate2.CreateFromPem(File.ReadAllText(CaFile));
        var http = new HttpClient(new SocketsHttpHandler
        {
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && CertificateFactory.ChainsTo(new X509Certificate2(cert), [ca]),
            },
        })
        { Timeout = TimeSpan.FromSeconds(10) };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    /// <summary>Whether <paramref name="binary"/>'s --help lists <c>--<paramref name="flag"/></c>.</summary>
    private static bool HelpLists(string binary, string flag)
    {
        using var p = Process.Start(new ProcessStartInfo(binary, "--help") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        var errors = p.StandardError.ReadToEndAsync();
        var help = p.StandardOutput.ReadToEnd() + errors.GetAwaiter().GetResult();
        p.WaitForExit();
        return Regex.IsMatch(help, $@"\s--{Regex.Escape(flag)}[\s=]");
    }

    /// <summary>A loopback port free at the time of the call.</summary>
    public static int FreePort() => LocalProcess.FreePort();
}
