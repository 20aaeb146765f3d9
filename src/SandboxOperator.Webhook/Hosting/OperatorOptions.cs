using System.Net;
using SandboxOperator.Policy.Configuration;
using Serilog.Events;

namespace SandboxOperator.Webhook.Hosting;

/// <summary>
/// The operator's settings, from flags, environment variables (<c>SANDBOX_OPERATOR_*</c>) and
/// <c>appsettings.json</c> (section <c>Operator</c>), in that order of precedence. See docs/operator.md.
/// </summary>
public sealed record OperatorOptions
{
    public string? ConfigFile { get; init; }
    /// <summary>The policy configuration loaded from <see cref="ConfigFile"/>, or the built-in one.</summary>
    public PolicyConfig Policy { get; init; } = PolicyConfig.Default;
    public string? StateDir { get; init; }
    public IPAddress BindAddress { get; init; } = IPAddress.Any;
    public int WebhookPort { get; init; } = 9443;
    public int HealthPort { get; init; } = 8081;
    public int MetricsPort { get; init; } = 8080;
    public string? TlsCertFile { get; init; }
    public string? TlsKeyFile { get; init; }
    public string? ClientCaFile { get; init; }
    public string TlsSecretName { get; init; } = "sandbox-operator-webhook-tls";
    public string ServiceName { get; init; } = "sandbox-operator-webhook";
    public string Namespace { get; init; } = "default";
    public string WebhookConfigurationName { get; init; } = "sandbox-operator";
    public string LeaderElectionId { get; init; } = "sandbox-operator-leader";
    public LogEventLevel LogLevel { get; init; } = LogEventLevel.Information;
    /// <summary>Deadline for one review, well under the API server's default 10 s webhook timeout.</summary>
    public TimeSpan ReviewTimeout { get; init; } = TimeSpan.FromSeconds(4);
    /// <summary>How long /readyz answers 503 while still serving, before the listeners close, so endpoints can drop the pod.</summary>
    public TimeSpan ShutdownDelay { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>HostOptions.ShutdownTimeout: the whole stop, drain delay included; keep it below terminationGracePeriodSeconds.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(25);
    /// <summary>Periodic re-read of the certificate files and of the self-managed Secret.</summary>
    public TimeSpan TlsCheckInterval { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>
    /// How long an informer watch may stay broken before <c>/readyz</c> answers 503 and reviews that read the cluster
    /// state are denied (code 503, retry) instead of decided from a cache that no longer follows the cluster.
    /// </summary>
    public TimeSpan WatchOutageLimit { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Deadline of the live reads of one review (AgentWorkloads of its namespace, an unknown namespace); must be below <see cref="ReviewTimeout"/>.</summary>
    public TimeSpan LiveReadTimeout { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Whether a Kubernetes API is reachable from here (KUBERNETES_SERVICE_HOST is set).</summary>
    public bool InCluster { get; init; }

    /// <summary>Connections the webhook listener holds at once; further ones are closed before the TLS handshake.</summary>
    public int MaxConnections { get; init; } = 1000;
    /// <summary>Connections one client address may hold at once on the webhook listener; further ones are closed before the TLS handshake.</summary>
    public int MaxConnectionsPerClient { get; init; } = 100;
    /// <summary>Concurrent HTTP/2 streams per connection.</summary>
    public int Http2MaxStreams { get; init; } = 100;
    /// <summary>An idle connection is closed after this long (Kestrel's keep-alive timeout); above Go's 90 s idle timeout so the API server closes first.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(120);
    /// <summary>Total size of a request's headers (and of one HTTP/2 header field).</summary>
    public int MaxRequestHeaderBytes { get; init; } = 32 * 1024;
    /// <summary>A TLS handshake not finished within this time is dropped.</summary>
    public TimeSpan TlsHandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Extra DNS names and IP addresses the self-managed certificate covers (e.g. the host of a webhook URL).</summary>
    public IReadOnlyList<string> TlsHosts { get; init; } = [];

    /// <summary>How often the controller's leader audits every running pod (Events, metrics and, when enabled, PolicyReports).</summary>
    public TimeSpan PodAuditInterval { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Whether each pod audit pass writes <c>wgpolicyk8s.io/v1alpha2</c> PolicyReports and a ClusterPolicyReport.</summary>
    public bool PolicyReports { get; init; }
    /// <summary>Results one report holds at most (failures before passes; the summary counts all).</summary>
    public int PolicyReportMaxResults { get; init; } = 1000;

    /// <summary>Self-managed certificate lifetimes.</summary>
    public TimeSpan CaLifetime { get; init; } = TimeSpan.FromDays(3650);
    public TimeSpan CertLifetime { get; init; } = TimeSpan.FromDays(365);
}
