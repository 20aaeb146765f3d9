using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Configuration;
using SandboxOperator.Policy.Configuration;
using Serilog.Events;

namespace SandboxOperator.Webhook.Hosting;

/// <summary>The result of reading the options: options, or one error line, or a request for help.</summary>
public sealed record OptionsResult(OperatorOptions? Options, string? Error, bool Help = false);

/// <summary>
/// Reads <see cref="OperatorOptions"/> from flags (<c>--name value</c> or <c>--name=value</c>),
/// environment variables and appsettings, and validates them. Any problem becomes one error line that
/// names the flag; nothing here throws on user input.
/// </summary>
public static class OperatorOptionsReader
{
    public const string EnvPrefix = "SANDBOX_OPERATOR_";

    /// <summary>Every flag, its appsettings key and help text.</summary>
    public static readonly IReadOnlyList<(string Flag, string Key, string Help)> Flags =
    [
        ("config", "Config", "policy configuration file (YAML); default: built-in policy"),
        ("state-dir", "StateDir", "directory of manifests (*.yaml, *.yml, *.json, recursive) that form the cluster state; no cluster needed"),
        ("bind-address", "BindAddress", "IP address to listen on (default 0.0.0.0)"),
        ("webhook-port", "WebhookPort", "HTTPS port of /mutate and /validate (default 9443)"),
        ("health-port", "HealthPort", "HTTP port of /healthz and /readyz (default 8081)"),
        ("metrics-port", "MetricsPort", "HTTP port of /metrics (default 8080)"),
        ("tls-cert-file", "TlsCertFile", "PEM serving certificate; reloaded on change (with --tls-key-file)"),
        ("tls-key-file", "TlsKeyFile", "PEM private key of --tls-cert-file"),
        ("client-ca-file", "ClientCaFile", "PEM CA bundle; when set, clients must present a certificate issued by it (mTLS); re-read every --tls-check-interval"),
        ("tls-secret-name", "TlsSecretName", "Secret holding the self-managed CA and certificate (default sandbox-operator-webhook-tls)"),
        ("service-name", "ServiceName", "Service name the self-managed certificate is issued for (default sandbox-operator-webhook)"),
        ("namespace", "Namespace", "namespace of the Service and Secret (default $POD_NAMESPACE, else default)"),
        ("webhook-configuration-name", "WebhookConfigurationName", "Mutating/ValidatingWebhookConfiguration whose caBundle is kept current (default sandbox-operator)"),
        ("leader-election-id", "LeaderElectionId", "Lease name for the controllers' leader election (default sandbox-operator-leader)"),
        ("log-level", "LogLevel", "trace, debug, info, warn or error (default info)"),
        ("review-timeout", "ReviewTimeout", "deadline of one review, e.g. 4s (default 4s)"),
        ("shutdown-delay", "ShutdownDelay", "time /readyz reports 503 before the listeners close (default 5s)"),
        ("shutdown-timeout", "ShutdownTimeout", "maximum time of a graceful stop, delay included (default 25s)"),
        ("tls-check-interval", "TlsCheckInterval", "periodic check of certificate files, the client CA file and the certificate Secret (default 10s)"),
        ("watch-outage-limit", "WatchOutageLimit", "how long a broken informer watch is tolerated before /readyz fails and reviews that read the state are denied (default 30s)"),
        ("live-read-timeout", "LiveReadTimeout", "deadline of a review's reads from the API server, below --review-timeout (default 2s)"),
        ("max-connections", "MaxConnections", "connections the webhook listener holds at once (default 1000)"),
        ("max-connections-per-client", "MaxConnectionsPerClient", "connections one client address may hold on the webhook listener (default 100)"),
        ("http2-max-streams", "Http2MaxStreams", "concurrent HTTP/2 streams per connection (default 100)"),
        ("keep-alive-timeout", "KeepAliveTimeout", "idle connections are closed after this long (default 120s)"),
        ("max-request-header-bytes", "MaxRequestHeaderBytes", "total size of a request's headers (default 32768)"),
        ("tls-handshake-timeout", "TlsHandshakeTimeout", "a TLS handshake not finished in this time is dropped (default 10s)"),
        ("tls-hosts", "TlsHosts", "extra DNS names and IP addresses, comma-separated, the self-managed certificate covers (outside a cluster: the host of the chart's webhook.url)"),
        ("ca-lifetime", "CaLifetime", "lifetime of the self-managed CA, e.g. 8760h; rotated at 2/3 (default 87600h)"),
        ("cert-lifetime", "CertLifetime", "lifetime of the self-managed serving certificate; renewed at 2/3 (default 8760h)"),
        ("pod-audit-interval", "PodAuditInterval", "how often the leader audits every running pod, e.g. 5m (default 5m)"),
        ("policy-reports", "PolicyReports", "true to write wgpolicyk8s.io/v1alpha2 PolicyReports after each pod audit (the report CRDs must be installed; default false)"),
        ("policy-report-max-results", "PolicyReportMaxResults", "results one PolicyReport holds at most; failures are kept before passes (default 1000)"),
    ];

    public static string Usage
    {
        get
        {
            var sb = new StringBuilder("Usage: sandbox-operator [flags]\n\nFlags (also SANDBOX_OPERATOR_<FLAG> environment variables and appsettings.json section \"Operator\"):\n");
            foreach (var (flag, _, help) in Flags)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  --{flag,-28} {help}\n");
            }

            return sb.Append("  --help                         this text\n").ToString();
        }
    }

    /// <summary>Loads appsettings.json from <paramref name="directory"/> when present; a malformed file is an error line.</summary>
    public static (IConfiguration? Configuration, string? Error) LoadAppSettings(string directory)
    {
        var path = Path.Combine(directory, "appsettings.json");
        if (!File.Exists(path))
        {
            return (null, null);
        }

        try
        {
            return (new ConfigurationBuilder().AddJsonFile(path, optional: true, reloadOnChange: false).Build(), null);
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException)
        {
            return (null, $"{path}: {e.Message}");
        }
    }

    public static OptionsResult Read(IReadOnlyList<string> args, Func<string, string?> environment, IConfiguration? appSettings = null)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (flag, key, _) in Flags)
        {
            if (appSettings?[$"Operator:{key}"] is { } fromSettings)
            {
                values[flag] = fromSettings;
            }

            if (environment(EnvPrefix + flag.Replace('-', '_').ToUpperInvariant()) is { } fromEnv)
            {
                values[flag] = fromEnv;
            }
        }

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "--help" or "-h")
            {
                return new OptionsResult(null, null, Help: true);
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                return Fail($"unexpected argument \"{arg}\" (flags look like --name value; see --help)");
            }

            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var name = eq > 0 ? arg[2..eq] : arg[2..];
            if (!Flags.Any(f => f.Flag == name))
            {
                return Fail($"unknown flag --{name} (see --help)");
            }

            if (eq > 0)
            {
                values[name] = arg[(eq + 1)..];
            }
            else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                values[name] = args[++i];
            }
            else
            {
                return Fail($"flag --{name} needs a value");
            }
        }

        return Validate(values, environment);
    }

    private static OptionsResult Validate(Dictionary<string, string> v, Func<string, string?> environment)
    {
        var o = new OperatorOptions
        {
            InCluster = !string.IsNullOrEmpty(environment("KUBERNETES_SERVICE_HOST")),
            Namespace = environment("POD_NAMESPACE") is { Length: > 0 } podNs ? podNs : "default",
        };
        string? error = null;

        int Port(string flag, int fallback)
        {
            if (!v.TryGetValue(flag, out var s))
            {
                return fallback;
            }

            if (int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 0 and <= 65535)
            {
                return p;
            }

            error ??= $"--{flag} \"{s}\": expected a port number 0-65535";
            return fallback;
        }

        TimeSpan Duration(string flag, TimeSpan fallback)
        {
            if (!v.TryGetValue(flag, out var s))
            {
                return fallback;
            }

            if (TryParseDuration(s, out var d) && d >= TimeSpan.Zero)
            {
                return d;
            }

            error ??= $"--{flag} \"{s}\": expected a duration such as 500ms, 4s or 1m";
            return fallback;
        }

        int Count(string flag, int fallback, int min, int max)
        {
            if (!v.TryGetValue(flag, out var s))
            {
                return fallback;
            }

            if (int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max)
            {
                return n;
            }

            error ??= $"--{flag} \"{s}\": expected a whole number from {min} to {max}";
            return fallback;
        }

        string Name(string flag, string fallback)
        {
            if (!v.TryGetValue(flag, out var s))
            {
                return fallback;
            }

            if (s.Length is > 0 and <= 253 && s.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.'))
            {
                return s;
            }

            error ??= $"--{flag} \"{s}\": expected a lower-case DNS name";
            return fallback;
        }

        string? File(string flag)
        {
            if (!v.TryGetValue(flag, out var s) || s.Length == 0)
            {
                return null;
            }

            if (!System.IO.File.Exists(s))
            {
                error ??= $"--{flag} {s}: the file does not exist";
            }

            return s;
        }

        o = o with
        {
            WebhookPort = Port("webhook-port", o.WebhookPort),
            HealthPort = Port("health-port", o.HealthPort),
            MetricsPort = Port("metrics-port", o.MetricsPort),
            ReviewTimeout = Duration("review-timeout", o.ReviewTimeout),
            ShutdownDelay = Duration("shutdown-delay", o.ShutdownDelay),
            ShutdownTimeout = Duration("shutdown-timeout", o.ShutdownTimeout),
            TlsCheckInterval = Duration("tls-check-interval", o.TlsCheckInterval),
            WatchOutageLimit = Duration("watch-outage-limit", o.WatchOutageLimit),
            LiveReadTimeout = Duration("live-read-timeout", o.LiveReadTimeout),
            MaxConnections = Count("max-connections", o.MaxConnections, 1, 1_000_000),
            MaxConnectionsPerClient = Count("max-connections-per-client", o.MaxConnectionsPerClient, 1, 1_000_000),
            Http2MaxStreams = Count("http2-max-streams", o.Http2MaxStreams, 1, 10_000),
            KeepAliveTimeout = Duration("keep-alive-timeout", o.KeepAliveTimeout),
            MaxRequestHeaderBytes = Count("max-request-header-bytes", o.MaxRequestHeaderBytes, 1024, 1024 * 1024),
            TlsHandshakeTimeout = Duration("tls-handshake-timeout", o.TlsHandshakeTimeout),
            CaLifetime = Duration("ca-lifetime", o.CaLifetime),
            CertLifetime = Duration("cert-lifetime", o.CertLifetime),
            PodAuditInterval = Duration("pod-audit-interval", o.PodAuditInterval),
            PolicyReportMaxResults = Count("policy-report-max-results", o.PolicyReportMaxResults, 1, 10_000),
            TlsSecretName = Name("tls-secret-name", o.TlsSecretName),
            ServiceName = Name("service-name", o.ServiceName),
            Namespace = Name("namespace", o.Namespace),
            WebhookConfigurationName = Name("webhook-configuration-name", o.WebhookConfigurationName),
            LeaderElectionId = Name("leader-election-id", o.LeaderElectionId),
            TlsCertFile = File("tls-cert-file"),
            TlsKeyFile = File("tls-key-file"),
            ClientCaFile = File("client-ca-file"),
            ConfigFile = File("config"),
            StateDir = v.TryGetValue("state-dir", out var dir) && dir.Length > 0 ? dir : null,
        };

        if (v.TryGetValue("bind-address", out var bind))
        {
            if (IPAddress.TryParse(bind, out var address))
            {
                o = o with { BindAddress = address };
            }
            else
            {
                error ??= $"--bind-address \"{bind}\": expected an IP address such as 0.0.0.0 or 127.0.0.1";
            }
        }

        if (v.TryGetValue("tls-hosts", out var hosts))
        {
            var names = hosts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (names.FirstOrDefault(n => !IPAddress.TryParse(n, out _) && Uri.CheckHostName(n) != UriHostNameType.Dns) is { } bad)
            {
                error ??= $"--tls-hosts \"{bad}\": expected DNS names or IP addresses separated by commas";
            }
            else
            {
                o = o with { TlsHosts = names };
            }
        }

        if (v.TryGetValue("log-level", out var level))
        {
            LogEventLevel? parsed = level.ToLowerInvariant() switch
            {
                "trace" or "verbose" => LogEventLevel.Verbose,
                "debug" => LogEventLevel.Debug,
                "info" or "information" => LogEventLevel.Information,
                "warn" or "warning" => LogEventLevel.Warning,
                "error" => LogEventLevel.Error,
                _ => null,
            };
            if (parsed is { } l)
            {
                o = o with { LogLevel = l };
            }
            else
            {
                error ??= $"--log-level \"{level}\": expected trace, debug, info, warn or error";
            }
        }

        if (v.TryGetValue("policy-reports", out var reports))
        {
            if (bool.TryParse(reports, out var enabled))
            {
                o = o with { PolicyReports = enabled };
            }
            else
            {
                error ??= $"--policy-reports \"{reports}\": expected true or false";
            }
        }

        if (error is null && (o.TlsCertFile is null) != (o.TlsKeyFile is null))
        {
            error = o.TlsCertFile is null ? "--tls-key-file needs --tls-cert-file" : "--tls-cert-file needs --tls-key-file";
        }

        if (error is null)
        {
            var ports = new[] { ("webhook-port", o.WebhookPort), ("health-port", o.HealthPort), ("metrics-port", o.MetricsPort) };
            foreach (var (a, pa) in ports)
            {
                foreach (var (b, pb) in ports)
                {
                    if (string.CompareOrdinal(a, b) < 0 && pa != 0 && pa == pb)
                    {
                        error ??= $"--{a} and --{b} are both {pa}: each listener needs its own port";
                    }
                }
            }
        }

        if (error is null && o.ReviewTimeout <= TimeSpan.Zero)
        {
            error = "--review-timeout must be greater than 0";
        }

        if (error is null && o.TlsCheckInterval <= TimeSpan.Zero)
        {
            error = "--tls-check-interval must be greater than 0";
        }

        foreach (var (flag, value) in new[] { ("pod-audit-interval", o.PodAuditInterval), ("watch-outage-limit", o.WatchOutageLimit), ("live-read-timeout", o.LiveReadTimeout), ("keep-alive-timeout", o.KeepAliveTimeout), ("tls-handshake-timeout", o.TlsHandshakeTimeout) })
        {
            if (error is null && value <= TimeSpan.Zero)
            {
                error = $"--{flag} must be greater than 0";
            }
        }

        if (error is null && o.LiveReadTimeout >= o.ReviewTimeout)
        {
            error = $"--live-read-timeout ({o.LiveReadTimeout.TotalSeconds:0.###}s) must be below --review-timeout ({o.ReviewTimeout.TotalSeconds:0.###}s): a review that waits for the API server must still be answered in time";
        }

        if (error is null && o.MaxConnectionsPerClient > o.MaxConnections)
        {
            error = $"--max-connections-per-client ({o.MaxConnectionsPerClient}) must not exceed --max-connections ({o.MaxConnections})";
        }

        // Renewal happens at 2/3 of a lifetime and is noticed within one check interval: a lifetime of
        // three intervals or less could expire before any round renews it.
        foreach (var (flag, lifetime) in new[] { ("ca-lifetime", o.CaLifetime), ("cert-lifetime", o.CertLifetime) })
        {
            if (error is null && lifetime <= o.TlsCheckInterval * 3)
            {
                error = $"--{flag} must be longer than 3 times --tls-check-interval ({o.TlsCheckInterval.TotalSeconds:0.###}s), or the certificate may expire before it is renewed";
            }
        }

        if (error is null && o.ConfigFile is { } configFile)
        {
            string text;
            try
            {
                text = System.IO.File.ReadAllText(configFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Fail($"--config {configFile}: {e.Message}");
            }

            var (config, errors) = PolicyConfigLoader.Load(text, configFile);
            if (config is null)
            {
                var first = errors.Count > 0 ? errors[0] : "invalid configuration";
                return Fail($"--config {configFile}: {first}{(errors.Count > 1 ? $" (and {errors.Count - 1} more)" : "")}");
            }

            o = o with { Policy = config };
        }

        return error is null ? new OptionsResult(o, null) : Fail(error);
    }

    /// <summary>Parses 500ms, 4s, 2m, 1h or a plain number of seconds.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : text.EndsWith('h') ? (text[..^1], 3600.0)
            : (text, 1.0);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(n * unit);
        return true;
    }

    private static OptionsResult Fail(string error) => new(null, error);
}
