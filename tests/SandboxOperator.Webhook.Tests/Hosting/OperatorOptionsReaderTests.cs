using System.Net;
using Microsoft.Extensions.Configuration;
using SandboxOperator.Policy.Api;
using SandboxOperator.Webhook.Hosting;
using Serilog.Events;

namespace SandboxOperator.Webhook.Tests.Hosting;

public sealed class OperatorOptionsReaderTests
{
    private static readonly Func<string, string?> NoEnv = _ => null;

    [Fact]
    public void Defaults_match_the_contract()
    {
        var o = OperatorOptionsReader.Read([], NoEnv).Options!;

        Assert.Equal(IPAddress.Any, o.BindAddress);
        Assert.Equal((9443, 8081, 8080), (o.WebhookPort, o.HealthPort, o.MetricsPort));
        Assert.Equal("default", o.Namespace);
        Assert.Equal(TimeSpan.FromSeconds(4), o.ReviewTimeout);
        Assert.Equal(LogEventLevel.Information, o.LogLevel);
        Assert.False(o.InCluster);
    }

    [Fact]
    public void Connection_limits_and_state_freshness_default_sensibly_and_are_read_from_flags()
    {
        var d = OperatorOptionsReader.Read([], NoEnv).Options!;
        Assert.Equal((1000, 100, 100, 32 * 1024), (d.MaxConnections, d.MaxConnectionsPerClient, d.Http2MaxStreams, d.MaxRequestHeaderBytes));
        Assert.Equal((TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(10)), (d.KeepAliveTimeout, d.TlsHandshakeTimeout));
        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2)), (d.WatchOutageLimit, d.LiveReadTimeout));

        var o = OperatorOptionsReader.Read(
            ["--max-connections", "200", "--max-connections-per-client", "20", "--http2-max-streams", "50", "--max-request-header-bytes", "16384",
             "--keep-alive-timeout", "95s", "--tls-handshake-timeout", "5s", "--watch-outage-limit", "1m", "--live-read-timeout", "1500ms"], NoEnv).Options!;
        Assert.Equal((200, 20, 50, 16384), (o.MaxConnections, o.MaxConnectionsPerClient, o.Http2MaxStreams, o.MaxRequestHeaderBytes));
        Assert.Equal((TimeSpan.FromSeconds(95), TimeSpan.FromSeconds(5)), (o.KeepAliveTimeout, o.TlsHandshakeTimeout));
        Assert.Equal((TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(1500)), (o.WatchOutageLimit, o.LiveReadTimeout));
    }

    [Fact]
    public void Policy_reports_are_off_until_asked_for_and_the_audit_interval_is_read()
    {
        var d = OperatorOptionsReader.Read([], NoEnv).Options!;
        Assert.Equal((false, 1000, TimeSpan.FromMinutes(5)), (d.PolicyReports, d.PolicyReportMaxResults, d.PodAuditInterval));

        var o = OperatorOptionsReader.Read(["--policy-reports=true", "--policy-report-max-results", "200", "--pod-audit-interval", "30s"], NoEnv).Options!;
        Assert.Equal((true, 200, TimeSpan.FromSeconds(30)), (o.PolicyReports, o.PolicyReportMaxResults, o.PodAuditInterval));
    }

    [Fact]
    public void Flags_override_environment_which_overrides_appsettings()
    {
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Operator:WebhookPort"] = "1001",
            ["Operator:HealthPort"] = "1002",
            ["Operator:MetricsPort"] = "1003",
        }).Build();
        var env = new Dictionary<string, string> { ["SANDBOX_OPERATOR_HEALTH_PORT"] = "2002", ["SANDBOX_OPERATOR_METRICS_PORT"] = "2003", ["POD_NAMESPACE"] = "sandbox-system", ["KUBERNETES_SERVICE_HOST"] = "10.0.0.1" };

        var o = OperatorOptionsReader.Read(["--metrics-port", "3003", "--log-level=debug"], k => env.GetValueOrDefault(k), settings).Options!;

        Assert.Equal((1001, 2002, 3003), (o.WebhookPort, o.HealthPort, o.MetricsPort));
        Assert.Equal("sandbox-system", o.Namespace);
        Assert.Equal(LogEventLevel.Debug, o.LogLevel);
        Assert.True(o.InCluster);
    }

    [Theory]
    [InlineData(new[] { "--nope" }, "unknown flag --nope")]
    [InlineData(new[] { "stray" }, "unexpected argument \"stray\"")]
    [InlineData(new[] { "--webhook-port" }, "flag --webhook-port needs a value")]
    [InlineData(new[] { "--webhook-port", "99999" }, "--webhook-port \"99999\": expected a port number")]
    [InlineData(new[] { "--bind-address", "example.com" }, "--bind-address \"example.com\": expected an IP address")]
    [InlineData(new[] { "--log-level", "loud" }, "--log-level \"loud\"")]
    [InlineData(new[] { "--review-timeout", "soon" }, "--review-timeout \"soon\"")]
    [InlineData(new[] { "--review-timeout", "0s" }, "--review-timeout must be greater than 0")]
    [InlineData(new[] { "--tls-cert-file", "/etc/hostname" }, "--tls-cert-file needs --tls-key-file")]
    [InlineData(new[] { "--tls-cert-file", "/nonexistent/tls.crt", "--tls-key-file", "/nonexistent/tls.key" }, "--tls-cert-file /nonexistent/tls.crt: the file does not exist")]
    [InlineData(new[] { "--webhook-port", "8080" }, "--metrics-port and --webhook-port are both 8080")]
    [InlineData(new[] { "--namespace", "Bad_Name" }, "--namespace \"Bad_Name\": expected a lower-case DNS name")]
    [InlineData(new[] { "--max-connections", "0" }, "--max-connections \"0\": expected a whole number from 1 to 1000000")]
    [InlineData(new[] { "--max-connections", "many" }, "--max-connections \"many\": expected a whole number")]
    [InlineData(new[] { "--max-connections", "50", "--max-connections-per-client", "60" }, "--max-connections-per-client (60) must not exceed --max-connections (50)")]
    [InlineData(new[] { "--http2-max-streams", "-1" }, "--http2-max-streams \"-1\": expected a whole number from 1 to 10000")]
    [InlineData(new[] { "--max-request-header-bytes", "100" }, "--max-request-header-bytes \"100\": expected a whole number from 1024 to 1048576")]
    [InlineData(new[] { "--keep-alive-timeout", "0s" }, "--keep-alive-timeout must be greater than 0")]
    [InlineData(new[] { "--tls-handshake-timeout", "later" }, "--tls-handshake-timeout \"later\": expected a duration")]
    [InlineData(new[] { "--watch-outage-limit", "0" }, "--watch-outage-limit must be greater than 0")]
    [InlineData(new[] { "--live-read-timeout", "4s" }, "--live-read-timeout (4s) must be below --review-timeout (4s)")]
    [InlineData(new[] { "--tls-hosts", "host.docker.internal,not a host" }, "--tls-hosts \"not a host\": expected DNS names or IP addresses")]
    [InlineData(new[] { "--cert-lifetime", "30s" }, "--cert-lifetime must be longer than 3 times --tls-check-interval (10s)")]
    [InlineData(new[] { "--ca-lifetime", "1m", "--tls-check-interval", "30s" }, "--ca-lifetime must be longer than 3 times --tls-check-interval (30s)")]
    [InlineData(new[] { "--policy-reports", "yes" }, "--policy-reports \"yes\": expected true or false")]
    [InlineData(new[] { "--policy-report-max-results", "0" }, "--policy-report-max-results \"0\": expected a whole number from 1 to 10000")]
    [InlineData(new[] { "--pod-audit-interval", "0s" }, "--pod-audit-interval must be greater than 0")]
    public void Bad_flags_give_one_error_naming_the_flag(string[] args, string expected)
    {
        var result = OperatorOptionsReader.Read(args, NoEnv);

        Assert.Null(result.Options);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', result.Error!);
    }

    [Fact]
    public void Self_managed_certificate_names_and_lifetimes_are_read()
    {
        var o = OperatorOptionsReader.Read(["--tls-hosts", "host.docker.internal, 172.18.0.1", "--cert-lifetime", "30s", "--ca-lifetime", "90s", "--tls-check-interval", "2s"], NoEnv).Options!;

        Assert.Equal(["host.docker.internal", "172.18.0.1"], o.TlsHosts);
        Assert.Equal(TimeSpan.FromSeconds(30), o.CertLifetime);
        Assert.Equal(TimeSpan.FromSeconds(90), o.CaLifetime);
        var (dns, ips) = SandboxOperator.Webhook.Tls.SelfManagedCertificateSettings.NamesFor("svc", "ns", local: true, o.TlsHosts);
        Assert.Contains("host.docker.internal", dns);
        Assert.Contains(IPAddress.Parse("172.18.0.1"), ips);
        Assert.Contains(IPAddress.Loopback, ips);
    }

    [Fact]
    public void An_invalid_config_file_is_an_error_naming_the_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"policy-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "mode: sometimes\n");
        try
        {
            var result = OperatorOptionsReader.Read(["--config", path], NoEnv);

            Assert.Null(result.Options);
            Assert.StartsWith($"--config {path}: ", result.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_valid_config_file_is_loaded()
    {
        var path = Path.Combine(Path.GetTempPath(), $"policy-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "mode: Audit\n");
        try
        {
            var result = OperatorOptionsReader.Read(["--config", path], NoEnv);

            Assert.Equal(EnforcementMode.Audit, result.Options!.Policy.Mode);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("4s", 4000)]
    [InlineData("1.5s", 1500)]
    [InlineData("2m", 120000)]
    [InlineData("3", 3000)]
    public void Durations_parse(string text, int milliseconds)
    {
        Assert.True(OperatorOptionsReader.TryParseDuration(text, out var d));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), d);
    }

    [Fact]
    public void Help_lists_every_flag()
    {
        Assert.True(OperatorOptionsReader.Read(["--help"], NoEnv).Help);
        foreach (var (flag, _, _) in OperatorOptionsReader.Flags)
        {
            Assert.Contains($"--{flag}", OperatorOptionsReader.Usage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_flag_is_documented_in_operator_md()
    {
        var doc = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "operator.md"));
        foreach (var (flag, key, _) in OperatorOptionsReader.Flags)
        {
            Assert.Contains($"`--{flag}`", doc, StringComparison.Ordinal);
            Assert.Contains($"`SANDBOX_OPERATOR_{flag.Replace('-', '_').ToUpperInvariant()}`", doc, StringComparison.Ordinal);
            Assert.Contains($"`Operator:{key}`", doc, StringComparison.Ordinal);
        }
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SandboxOperator.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
