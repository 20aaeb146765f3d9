using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using SandboxOperator.Controller.Manager;
using SandboxOperator.Controller.Metrics;
using SandboxOperator.Policy.Api;
using SandboxOperator.Testing;

namespace SandboxOperator.Controller.Tests;

/// <summary>
/// The controller's metrics through OpenTelemetry's Prometheus exporter (as the host exports them), scraped directly
/// and by a real Prometheus server.
/// </summary>
public sealed class MetricsExportTests
{
    private sealed record Running(TestCluster Cluster, WebApplication App, string MetricsUrl) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await App.StopAsync();
            await App.DisposeAsync();
            await Cluster.DisposeAsync();
        }
    }

    private static async Task<Running> StartAsync()
    {
        var cluster = await TestCluster.StartAsync();
        await cluster.CreateNamespaceAsync("agents");
        await cluster.CreateNodeAsync("kata-1", "kata");
        await cluster.CreateRuntimeClassAsync("kata", "kata-qemu");
        await cluster.CreateWorkloadAsync("agents", "coder", WorkloadType.Agent);
        await cluster.CreateWorkloadAsync("agents", "svc", WorkloadType.Internal);
        await cluster.CreatePodAsync("agents", "coder-bad", "coder", null, null);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(cluster.NewClient());
        builder.Services.AddSandboxController(new SandboxControllerOptions { LeaderElection = null, Identity = "metrics-test", PodAuditInterval = TimeSpan.FromMilliseconds(200) });
        builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(ControllerMetrics.MeterName).AddPrometheusExporter());
        var app = builder.Build();
        app.MapPrometheusScrapingEndpoint();
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        await Eventually.HoldsAsync(() => cluster.Status("agents", "coder") is not null && cluster.Status("agents", "svc") is not null, "the controller reconciles");
        return new Running(cluster, app, url + "/metrics");
    }

    [Fact]
    public async Task Exported_names_are_exactly_the_documented_ones()
    {
        await using var running = await StartAsync();
        using var http = new HttpClient();
        var text = "";
        await Eventually.HoldsAsync(() =>
        {
            text = http.GetStringAsync(running.MetricsUrl).GetAwaiter().GetResult();
            return Sample(text, "agentsandbox_noncompliant_pods") == 1;
        }, "the pod audit reports the non-compliant pod", TimeSpan.FromSeconds(60), detail: () => text);

        var names = text.Split('\n')
            .Where(l => l.StartsWith("agentsandbox_", StringComparison.Ordinal))
            .Select(l => l[..l.IndexOfAny(['{', ' '])])
            .ToHashSet();
        Assert.Contains("agentsandbox_reconcile_total", names);
        Assert.Contains("agentsandbox_reconcile_duration_seconds_bucket", names);
        Assert.Contains("agentsandbox_reconcile_duration_seconds_count", names);
        Assert.Contains("agentsandbox_workqueue_depth", names);
        Assert.Contains("agentsandbox_workloads", names);
        Assert.Contains("agentsandbox_noncompliant_pods", names);
        Assert.Contains("agentsandbox_expired_exception_pods", names);
        Assert.Contains("agentsandbox_misconfigured_nodes", names);
        Assert.Contains("agentsandbox_pool_runtime_handler_nodes", names);
        Assert.Contains("agentsandbox_leader", names);
        Assert.DoesNotContain(names, n => n.Contains("_total_total", StringComparison.Ordinal) || n.Contains("seconds_seconds", StringComparison.Ordinal));

        Assert.True(Sample(text, "agentsandbox_reconcile_total", ("controller", "agentworkload"), ("result", "success")) >= 2);
        Assert.Equal(1, Sample(text, "agentsandbox_workloads", ("tier", "high"), ("runtime", "kata")));
        Assert.Equal(1, Sample(text, "agentsandbox_workloads", ("tier", "low"), ("runtime", "runc")));
        Assert.Equal(0, Sample(text, "agentsandbox_workqueue_depth", ("controller", "agentworkload")));
        Assert.Equal(0, Sample(text, "agentsandbox_workqueue_depth", ("controller", "sandboxexception")));
        Assert.Equal(0, Sample(text, "agentsandbox_expired_exception_pods"));
        Assert.Equal(1, Sample(text, "agentsandbox_leader"));

        // kata-1 reports no runtime handlers: unverified, not verified.
        Assert.Equal(1, Sample(text, "agentsandbox_pool_runtime_handler_nodes", ("runtime", "kata"), ("handler", "kata-qemu"), ("state", "unverified")));
        Assert.Equal(0, Sample(text, "agentsandbox_pool_runtime_handler_nodes", ("runtime", "kata"), ("handler", "kata-qemu"), ("state", "verified")));
        Assert.Equal(0, Sample(text, "agentsandbox_pool_runtime_handler_nodes", ("runtime", "kata"), ("handler", "kata-qemu"), ("state", "missing")));
    }

    [SkippableFact]
    public async Task A_real_Prometheus_scrapes_the_operator_and_answers_queries()
    {
        var binary = FindPrometheus();
        Skip.If(binary is null, "the prometheus binary is not installed and `apt-get install -y prometheus` failed; skipping the Prometheus scrape test");

        await using var running = await StartAsync();
        var dir = Directory.CreateTempSubdirectory("prom-");
        var target = new Uri(running.MetricsUrl);
        var config = Path.Combine(dir.FullName, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: sandbox-operator
                metrics_path: /metrics
                static_configs:
                  - targets: ["{target.Authority}"]
            """);
        var port = FreePort();
        using var prometheus = Process.Start(new ProcessStartInfo(binary!)
        {
            ArgumentList = { $"--config.file={config}", $"--web.listen-address=127.0.0.1:{port}", $"--storage.tsdb.path={Path.Combine(dir.FullName, "data")}" },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        prometheus.ErrorDataReceived += (_, _) => { };
        prometheus.BeginErrorReadLine();
        prometheus.BeginOutputReadLine();
        try
        {
            using var http = new HttpClient();
            double value = 0;
            await Eventually.HoldsAsync(() =>
            {
                try
                {
                    var json = http.GetStringAsync($"http://127.0.0.1:{port}/api/v1/query?query=sum(agentsandbox_reconcile_total)").GetAwaiter().GetResult();
                    using var doc = JsonDocument.Parse(json);
                    var result = doc.RootElement.GetProperty("data").GetProperty("result");
                    if (result.GetArrayLength() == 0)
                    {
                        return false;
                    }

                    value = double.Parse(result[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
                    return value > 0;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "Prometheus has scraped agentsandbox_reconcile_total", TimeSpan.FromSeconds(40));
            Assert.True(value >= 2, $"at least one reconcile per workload, got {value}");
        }
        finally
        {
            prometheus.Kill(entireProcessTree: true);
            await prometheus.WaitForExitAsync();
            dir.Delete(recursive: true);
        }
    }

    /// <summary>The value of the first sample of <paramref name="name"/> carrying all <paramref name="labels"/>, or null.</summary>
    private static double? Sample(string exposition, string name, params (string Key, string Value)[] labels)
    {
        foreach (var line in exposition.Split('\n'))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length == name.Length || line[name.Length] is not ('{' or ' '))
            {
                continue;
            }

            if (labels.All(l => line.Contains($"{l.Key}=\"{l.Value}\"", StringComparison.Ordinal)))
            {
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    private static string? FindPrometheus()
    {
        foreach (var candidate in new[] { "/usr/bin/prometheus", "/usr/local/bin/prometheus" })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        try
        {
            using var apt = Process.Start(new ProcessStartInfo("apt-get", "install -y prometheus") { RedirectStandardOutput = true, RedirectStandardError = true });
            apt?.WaitForExit(300_000);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }

        return File.Exists("/usr/bin/prometheus") ? "/usr/bin/prometheus" : null;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
