using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using SandboxOperator.Policy.Configuration;
using Serilog.Events;

namespace SandboxOperator.Settings;

/// <summary>The result of reading the options: options, or one error line, or a request for help.</summary>
public sealed record OptionsResult(OperatorOptions? Options, string? Error, bool Help = false);

/// <summary>
/// Reads <see cref="OperatorOptions"/>: System.CommandLine parses the flags (<c>--name value</c> or
/// <c>--name=value</c>, <c>--help</c>), Microsoft.Extensions.Configuration layers them over the environment
/// (<c>SANDBOX_OPERATOR_*</c>) and appsettings (section <c>Operator</c>), and each of <see cref="Settings"/>
/// converts its value. Any problem becomes one error line that names the flag; nothing here throws on user input.
/// </summary>
public static class OperatorOptionsReader
{
    public const string EnvPrefix = "SANDBOX_OPERATOR_";

    /// <summary>The appsettings section, and the prefix of every configuration key.</summary>
    public const string Section = "Operator";

    /// <summary>Every option: flag, appsettings key, help text and how its value is read.</summary>
    public static readonly IReadOnlyList<OperatorSetting> Settings =
    [
        OperatorSetting.File("config", "Config", "policy configuration file (YAML); default: built-in policy", (o, v) => o with { ConfigFile = v }),
        OperatorSetting.Text("state-dir", "StateDir", "dir", "directory of manifests (*.yaml, *.yml, *.json, recursive) that form the cluster state; no cluster needed", (o, v) => o with { StateDir = v.Length > 0 ? v : null }),
        OperatorSetting.Address("bind-address", "BindAddress", "IP address to listen on (default 0.0.0.0)", (o, v) => o with { BindAddress = v }),
        OperatorSetting.Port("webhook-port", "WebhookPort", "HTTPS port of /mutate and /validate (default 9443)", (o, v) => o with { WebhookPort = v }),
        OperatorSetting.Port("health-port", "HealthPort", "HTTP port of /healthz and /readyz (default 8081)", (o, v) => o with { HealthPort = v }),
        OperatorSetting.Port("metrics-port", "MetricsPort", "HTTP port of /metrics (default 8080)", (o, v) => o with { MetricsPort = v }),
        OperatorSetting.File("tls-cert-file", "TlsCertFile", "PEM serving certificate; reloaded on change (with --tls-key-file)", (o, v) => o with { TlsCertFile = v }),
        OperatorSetting.File("tls-key-file", "TlsKeyFile", "PEM private key of --tls-cert-file", (o, v) => o with { TlsKeyFile = v }),
        OperatorSetting.File("client-ca-file", "ClientCaFile", "PEM CA bundle; when set, clients must present a certificate issued by it (mTLS); re-read every --tls-check-interval", (o, v) => o with { ClientCaFile = v }),
        OperatorSetting.Name("tls-secret-name", "TlsSecretName", "Secret holding the self-managed CA and certificate (default sandbox-operator-webhook-tls)", (o, v) => o with { TlsSecretName = v }),
        OperatorSetting.Name("service-name", "ServiceName", "Service name the self-managed certificate is issued for (default sandbox-operator-webhook)", (o, v) => o with { ServiceName = v }),
        OperatorSetting.Name("namespace", "Namespace", "namespace of the Service and Secret (default $POD_NAMESPACE, else default)", (o, v) => o with { Namespace = v }),
        OperatorSetting.Name("webhook-configuration-name", "WebhookConfigurationName", "Mutating/ValidatingWebhookConfiguration whose caBundle is kept current (default sandbox-operator)", (o, v) => o with { WebhookConfigurationName = v }),
        OperatorSetting.Name("leader-election-id", "LeaderElectionId", "Lease name for the controllers' leader election (default sandbox-operator-leader)", (o, v) => o with { LeaderElectionId = v }),
        OperatorSetting.Level("log-level", "LogLevel", "trace, debug, info, warn or error (default info)", (o, v) => o with { LogLevel = v }),
        OperatorSetting.Duration("review-timeout", "ReviewTimeout", "deadline of one review, e.g. 4s (default 4s)", (o, v) => o with { ReviewTimeout = v }),
        OperatorSetting.Duration("shutdown-delay", "ShutdownDelay", "time /readyz reports 503 before the listeners close (default 5s)", (o, v) => o with { ShutdownDelay = v }),
        OperatorSetting.Duration("shutdown-timeout", "ShutdownTimeout", "maximum time of a graceful stop, delay included (default 25s)", (o, v) => o with { ShutdownTimeout = v }),
        OperatorSetting.Duration("tls-check-interval", "TlsCheckInterval", "periodic check of certificate files, the client CA file and the certificate Secret (default 10s)", (o, v) => o with { TlsCheckInterval = v }),
        OperatorSetting.Duration("watch-outage-limit", "WatchOutageLimit", "how long a broken informer watch is tolerated before /readyz fails and reviews that read the state are denied (default 30s)", (o, v) => o with { WatchOutageLimit = v }),
        OperatorSetting.Duration("live-read-timeout", "LiveReadTimeout", "deadline of a review's reads from the API server, below --review-timeout (default 2s)", (o, v) => o with { LiveReadTimeout = v }),
        OperatorSetting.Count("max-connections", "MaxConnections", "connections the webhook listener holds at once (default 1000)", 1, 1_000_000, (o, v) => o with { MaxConnections = v }),
        OperatorSetting.Count("max-connections-per-client", "MaxConnectionsPerClient", "connections one client address may hold on the webhook listener (default 100)", 1, 1_000_000, (o, v) => o with { MaxConnectionsPerClient = v }),
        OperatorSetting.Count("http2-max-streams", "Http2MaxStreams", "concurrent HTTP/2 streams per connection (default 100)", 1, 10_000, (o, v) => o with { Http2MaxStreams = v }),
        OperatorSetting.Duration("keep-alive-timeout", "KeepAliveTimeout", "idle connections are closed after this long (default 120s)", (o, v) => o with { KeepAliveTimeout = v }),
        OperatorSetting.Count("max-request-header-bytes", "MaxRequestHeaderBytes", "total size of a request's headers (default 32768)", 1024, 1024 * 1024, (o, v) => o with { MaxRequestHeaderBytes = v }),
        OperatorSetting.Duration("tls-handshake-timeout", "TlsHandshakeTimeout", "a TLS handshake not finished in this time is dropped (default 10s)", (o, v) => o with { TlsHandshakeTimeout = v }),
        OperatorSetting.Hosts("tls-hosts", "TlsHosts", "extra DNS names and IP addresses, comma-separated, the self-managed certificate covers (outside a cluster: the host of the chart's webhook.url)", (o, v) => o with { TlsHosts = v }),
        OperatorSetting.Duration("ca-lifetime", "CaLifetime", "lifetime of the self-managed CA, e.g. 8760h; rotated at 2/3 (default 87600h)", (o, v) => o with { CaLifetime = v }),
        OperatorSetting.Duration("cert-lifetime", "CertLifetime", "lifetime of the self-managed serving certificate; renewed at 2/3 (default 8760h)", (o, v) => o with { CertLifetime = v }),
        OperatorSetting.Duration("pod-audit-interval", "PodAuditInterval", "how often the leader audits every running pod, e.g. 5m (default 5m)", (o, v) => o with { PodAuditInterval = v }),
        OperatorSetting.Bool("policy-reports", "PolicyReports", "true to write wgpolicyk8s.io/v1alpha2 PolicyReports after each pod audit (the report CRDs must be installed; default false)", (o, v) => o with { PolicyReports = v }),
        OperatorSetting.Count("policy-report-max-results", "PolicyReportMaxResults", "results one PolicyReport holds at most; failures are kept before passes (default 1000)", 1, 10_000, (o, v) => o with { PolicyReportMaxResults = v }),
    ];

    /// <summary>Every flag with its appsettings key and help text.</summary>
    public static IEnumerable<(string Flag, string Key, string Help)> Flags => Settings.Select(s => (s.Flag, s.Key, s.Help));

    /// <summary>The <c>--help</c> text, as System.CommandLine writes it for <see cref="Command"/>.</summary>
    public static string Usage
    {
        get
        {
            var (command, _) = Command();
            using var writer = new StringWriter(CultureInfo.InvariantCulture);
            command.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = writer });
            return writer.ToString();
        }
    }

    /// <summary>The environment variable of a flag: <c>SANDBOX_OPERATOR_</c> and the flag in upper case, dashes as underscores.</summary>
    public static string EnvironmentVariable(string flag) => EnvPrefix + flag.Replace('-', '_').ToUpperInvariant();

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
        var (command, options) = Command();
        var parsed = command.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parsed.Action is HelpAction)
        {
            return new OptionsResult(null, null, Help: true);
        }

        if (CommandLineError(parsed) is { } commandLineError)
        {
            return Fail(commandLineError);
        }

        // Precedence, lowest first: appsettings, environment, flags.
        var builder = new ConfigurationBuilder();
        if (appSettings is not null)
        {
            builder.AddConfiguration(appSettings);
        }

        builder.AddInMemoryCollection(Settings
            .Select(s => (Key: Key(s), Value: environment(EnvironmentVariable(s.Flag))))
            .Where(e => e.Value is not null)
            .Select(e => KeyValuePair.Create(e.Key, e.Value)));
        builder.AddInMemoryCollection(Settings
            .Select((s, i) => (Key: Key(s), Value: parsed.GetResult(options[i]) is { Tokens: [.., var last] } ? last.Value : null))
            .Where(f => f.Value is not null)
            .Select(f => KeyValuePair.Create(f.Key, f.Value)));
        var configuration = builder.Build();

        var o = new OperatorOptions
        {
            InCluster = !string.IsNullOrEmpty(environment("KUBERNETES_SERVICE_HOST")),
            Namespace = environment("POD_NAMESPACE") is { Length: > 0 } podNs ? podNs : "default",
        };
        foreach (var setting in Settings)
        {
            if (configuration[Key(setting)] is not { } value)
            {
                continue;
            }

            var (next, error) = setting.Apply(o, value);
            if (error is not null)
            {
                return Fail(error);
            }

            o = next;
        }

        if (Validate(o) is { } invalid)
        {
            return Fail(invalid);
        }

        return o.ConfigFile is { } configFile ? LoadPolicy(o, configFile) : new OptionsResult(o, null);
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

    private static string Key(OperatorSetting setting) => $"{Section}:{setting.Key}";

    /// <summary>The command: one string option per setting (the settings convert the values), plus System.CommandLine's help.</summary>
    private static (RootCommand Command, Option<string>[] Options) Command()
    {
        var command = new RootCommand(
            "sandbox-operator: the Sandbox Operator's admission webhook and controller.\n"
            + $"Every flag is also an environment variable ({EnvPrefix}<FLAG>, e.g. {EnvironmentVariable("webhook-port")}) and an appsettings.json key "
            + $"(section \"{Section}\", e.g. {Section}:WebhookPort); a flag wins over the environment, which wins over appsettings.");
        var options = Settings.Select(s => new Option<string>("--" + s.Flag) { Description = s.Help, HelpName = s.HelpName }).ToArray();
        foreach (var option in command.Options.Where(o => o is not HelpOption).ToList())
        {
            // No --version and the like: the flags are exactly the settings and --help.
            command.Options.Remove(option);
        }

        command.Directives.Clear();
        foreach (var option in options)
        {
            command.Options.Add(option);
        }

        return (command, options);
    }

    /// <summary>The first problem System.CommandLine found, said as the operator says it.</summary>
    private static string? CommandLineError(ParseResult parsed)
    {
        // A directive ([name]) or "--" is nothing the operator takes; System.CommandLine would set it aside silently.
        if (parsed.Tokens.FirstOrDefault(t => t.Type is TokenType.Directive or TokenType.DoubleDash) is { } aside)
        {
            return $"unexpected argument \"{aside.Value}\" (flags look like --name value; see --help)";
        }

        // A flag followed by another flag has no value (System.CommandLine would take the second flag as the value).
        var missing = parsed.Errors.Select(e => e.SymbolResult switch
            {
                OptionResult o => o,
                ArgumentResult { Parent: OptionResult o } => o,
                _ => null,
            })
            .Where(o => o is { Tokens.Count: 0 })
            .Concat(parsed.CommandResult.Children.OfType<OptionResult>().Where(o => o.Tokens.Any(t => t.Value.StartsWith("--", StringComparison.Ordinal))))
            .FirstOrDefault();
        if (missing is not null)
        {
            return $"flag {missing.Option.Name} needs a value";
        }

        if (parsed.UnmatchedTokens is [var unmatched, ..])
        {
            return unmatched.StartsWith("--", StringComparison.Ordinal) && unmatched.Length > 2
                ? $"unknown flag {unmatched.Split('=')[0]} (see --help)"
                : $"unexpected argument \"{unmatched}\" (flags look like --name value; see --help)";
        }

        // A flag given twice takes its last value (read from the tokens), as it always has; System.CommandLine's
        // "expects a single argument" about it is no error here.
        return parsed.Errors.FirstOrDefault(e => e.SymbolResult is not OptionResult { Tokens.Count: > 1 } and not ArgumentResult { Parent: OptionResult { Tokens.Count: > 1 } })?.Message;
    }

    /// <summary>What no single value shows: settings that contradict each other.</summary>
    private static string? Validate(OperatorOptions o)
    {
        if ((o.TlsCertFile is null) != (o.TlsKeyFile is null))
        {
            return o.TlsCertFile is null ? "--tls-key-file needs --tls-cert-file" : "--tls-cert-file needs --tls-key-file";
        }

        (string Flag, int Port)[] ports = [("webhook-port", o.WebhookPort), ("health-port", o.HealthPort), ("metrics-port", o.MetricsPort)];
        foreach (var (a, pa) in ports.OrderBy(p => p.Flag, StringComparer.Ordinal))
        {
            if (ports.FirstOrDefault(p => string.CompareOrdinal(a, p.Flag) < 0 && pa != 0 && pa == p.Port) is { Flag: { } b })
            {
                return $"--{a} and --{b} are both {pa}: each listener needs its own port";
            }
        }

        (string Flag, TimeSpan Value)[] positive =
        [
            ("review-timeout", o.ReviewTimeout), ("tls-check-interval", o.TlsCheckInterval), ("pod-audit-interval", o.PodAuditInterval), ("watch-outage-limit", o.WatchOutageLimit),
            ("live-read-timeout", o.LiveReadTimeout), ("keep-alive-timeout", o.KeepAliveTimeout), ("tls-handshake-timeout", o.TlsHandshakeTimeout),
        ];
        if (positive.FirstOrDefault(p => p.Value <= TimeSpan.Zero) is { Flag: { } zero })
        {
            return $"--{zero} must be greater than 0";
        }

        if (o.LiveReadTimeout >= o.ReviewTimeout)
        {
            return $"--live-read-timeout ({o.LiveReadTimeout.TotalSeconds:0.###}s) must be below --review-timeout ({o.ReviewTimeout.TotalSeconds:0.###}s): a review that waits for the API server must still be answered in time";
        }

        if (o.MaxConnectionsPerClient > o.MaxConnections)
        {
            return $"--max-connections-per-client ({o.MaxConnectionsPerClient}) must not exceed --max-connections ({o.MaxConnections})";
        }

        // Renewal happens at 2/3 of a lifetime and is noticed within one check interval: a lifetime of
        // three intervals or less could expire before any round renews it.
        (string Flag, TimeSpan Value)[] lifetimes = [("ca-lifetime", o.CaLifetime), ("cert-lifetime", o.CertLifetime)];
        if (lifetimes.FirstOrDefault(l => l.Value <= o.TlsCheckInterval * 3) is { Flag: { } tooShort })
        {
            return $"--{tooShort} must be longer than 3 times --tls-check-interval ({o.TlsCheckInterval.TotalSeconds:0.###}s), or the certificate may expire before it is renewed";
        }

        return null;
    }

    private static OptionsResult LoadPolicy(OperatorOptions o, string configFile)
    {
        string text;
        try
        {
            text = File.ReadAllText(configFile);
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

        return new OptionsResult(o with { Policy = config }, null);
    }

    private static OptionsResult Fail(string error) => new(null, error);
}

/// <summary>
/// One option of the operator: its flag, appsettings key, help and how a value (from any source) becomes part of
/// <see cref="OperatorOptions"/>, or an error line naming the flag.
/// </summary>
public sealed record OperatorSetting(string Flag, string Key, string HelpName, string Help, Func<OperatorOptions, string, (OperatorOptions Options, string? Error)> Apply)
{
    public static OperatorSetting Text(string flag, string key, string helpName, string help, Func<OperatorOptions, string, OperatorOptions> set) =>
        new(flag, key, helpName, help, (o, s) => (set(o, s), null));

    public static OperatorSetting Port(string flag, string key, string help, Func<OperatorOptions, int, OperatorOptions> set) =>
        Checked(flag, key, "port", help, "expected a port number 0-65535",
            (o, s) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 0 and <= 65535 ? set(o, p) : null);

    public static OperatorSetting Count(string flag, string key, string help, int min, int max, Func<OperatorOptions, int, OperatorOptions> set) =>
        Checked(flag, key, "count", help, $"expected a whole number from {min} to {max}",
            (o, s) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max ? set(o, n) : null);

    public static OperatorSetting Duration(string flag, string key, string help, Func<OperatorOptions, TimeSpan, OperatorOptions> set) =>
        Checked(flag, key, "duration", help, "expected a duration such as 500ms, 4s or 1m",
            (o, s) => OperatorOptionsReader.TryParseDuration(s, out var d) && d >= TimeSpan.Zero ? set(o, d) : null);

    public static OperatorSetting Bool(string flag, string key, string help, Func<OperatorOptions, bool, OperatorOptions> set) =>
        Checked(flag, key, "bool", help, "expected true or false",
            (o, s) => bool.TryParse(s, out var b) ? set(o, b) : null);

    public static OperatorSetting Name(string flag, string key, string help, Func<OperatorOptions, string, OperatorOptions> set) =>
        Checked(flag, key, "name", help, "expected a lower-case DNS name",
            (o, s) => s.Length is > 0 and <= 253 && s.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.') ? set(o, s) : null);

    public static OperatorSetting Address(string flag, string key, string help, Func<OperatorOptions, IPAddress, OperatorOptions> set) =>
        Checked(flag, key, "address", help, "expected an IP address such as 0.0.0.0 or 127.0.0.1",
            (o, s) => IPAddress.TryParse(s, out var a) ? set(o, a) : null);

    public static OperatorSetting Level(string flag, string key, string help, Func<OperatorOptions, LogEventLevel, OperatorOptions> set) =>
        Checked(flag, key, "level", help, "expected trace, debug, info, warn or error", (o, s) => s.ToLowerInvariant() switch
        {
            "trace" or "verbose" => set(o, LogEventLevel.Verbose),
            "debug" => set(o, LogEventLevel.Debug),
            "info" or "information" => set(o, LogEventLevel.Information),
            "warn" or "warning" => set(o, LogEventLevel.Warning),
            "error" => set(o, LogEventLevel.Error),
            _ => null,
        });

    /// <summary>An existing file; an empty value means none.</summary>
    public static OperatorSetting File(string flag, string key, string help, Func<OperatorOptions, string?, OperatorOptions> set) =>
        new(flag, key, "file", help, (o, s) => s.Length == 0 ? (set(o, null), null)
            : System.IO.File.Exists(s) ? (set(o, s), null)
            : (o, $"--{flag} {s}: the file does not exist"));

    /// <summary>Comma-separated DNS names and IP addresses.</summary>
    public static OperatorSetting Hosts(string flag, string key, string help, Func<OperatorOptions, IReadOnlyList<string>, OperatorOptions> set) =>
        new(flag, key, "hosts", help, (o, s) =>
        {
            var names = s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return names.FirstOrDefault(n => !IPAddress.TryParse(n, out _) && Uri.CheckHostName(n) != UriHostNameType.Dns) is { } bad
                ? (o, $"--{flag} \"{bad}\": expected DNS names or IP addresses separated by commas")
                : (set(o, names), null);
        });

    /// <summary>A value <paramref name="tryApply"/> accepts (returns the options with it) or refuses (returns null) with the line "--flag \"value\": expected...".</summary>
    private static OperatorSetting Checked(string flag, string key, string helpName, string help, string expected, Func<OperatorOptions, string, OperatorOptions?> tryApply) =>
        new(flag, key, helpName, help, (o, s) => tryApply(o, s) is { } next ? (next, null) : (o, $"--{flag} \"{s}\": {expected}"));
}
