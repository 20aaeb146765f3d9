using System.Diagnostics;
using k8s.Models;
using SandboxOperator.Testing.ControlPlane;

namespace SandboxOperator.Chart.Tests;

/// <summary>
/// The alert rules and the Grafana dashboard: valid PromQL, the rules' behaviour proven by <c>promtool test rules</c> on
/// synthetic series, and the chart shipping both as its values say.
/// </summary>
[Collection(ChartCollection.Name)]
public sealed class MonitoringTests(ChartRenderer chart)
{
    [SkippableFact]
    public void Alert_rules_fire_and_stay_quiet_as_their_promtool_unit_tests_expect()
    {
        var (code, output) = Promtool("test", "rules", MonitoringQueries.AlertTestsFile);
        Assert.True(code == 0, output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_alert_the_operators_page_on_exists()
    {
        Assert.Equal(
            ["SandboxOperatorWebhookDown", "SandboxOperatorWebhookFailing", "SandboxOperatorAdmissionLatencyHigh", "SandboxOperatorCertificateExpiringSoon",
             "SandboxOperatorNonCompliantPods", "SandboxOperatorNodePoolMisconfigured", "SandboxOperatorRuntimeHandlerMissing", "SandboxOperatorNoLeader"],
            MonitoringQueries.Alerts().Select(a => a.Alert));
        var tests = File.ReadAllText(MonitoringQueries.AlertTestsFile);
        Assert.All(MonitoringQueries.Alerts(), a => Assert.Contains("alertname: " + a.Alert, tests, StringComparison.Ordinal));
    }

    [SkippableFact]
    public void Dashboard_queries_are_valid_PromQL()
    {
        // promtool checks expressions in a rules file; the dashboard's variables become what Grafana substitutes.
        var queries = MonitoringQueries.Dashboard();
        var rules = string.Join("\n", queries.Select((q, i) =>
            $"      - record: dashboard_query_{i}\n        expr: '{q.Expr.Replace("$__rate_interval", "1m", StringComparison.Ordinal).Replace("$job", ".+", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal)}'"));
        var file = Path.Combine(Directory.CreateTempSubdirectory("dashboard-").FullName, "queries.yaml");
        File.WriteAllText(file, "groups:\n  - name: dashboard\n    rules:\n" + rules + "\n");

        var (code, output) = Promtool("check", "rules", file);
        Assert.True(code == 0, output);
        Assert.Contains($"SUCCESS: {queries.Count} rules found", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Dashboard_shows_what_operators_of_a_policy_engine_watch()
    {
        var panels = MonitoringQueries.Dashboard().GroupBy(q => q.Panel).ToDictionary(g => g.Key, g => g.Select(q => q.Expr).ToList());
        string[] expected =
        [
            "Admission rate", "Denials by rule", "Admission latency", "Reconcile rate", "Reconcile errors", "Work-queue depth",
            "Workloads by tier and runtime", "Non-compliant pods", "Misconfigured pool nodes", "Certificate expires in", "Leader", "Replicas up", "Pool runtime handlers", "Pods past their exception",
        ];
        Assert.Equal(expected, panels.Keys);
        Assert.Equal(["histogram_quantile(0.5,", "histogram_quantile(0.9,", "histogram_quantile(0.99,"], panels["Admission latency"].Select(e => e.Split(' ')[0]));
        Assert.Contains("by (rule)", Assert.Single(panels["Denials by rule"]), StringComparison.Ordinal);
        Assert.All(MonitoringQueries.Dashboard(), q => Assert.Contains("job=~\"$job\"", q.Expr, StringComparison.Ordinal));
    }

    [SkippableFact]
    public void Chart_ships_the_rules_as_a_PrometheusRule_with_its_job_and_latency_budget()
    {
        Assert.Empty(chart.Render().LooseOfKind("PrometheusRule"));

        var rule = Assert.Single(chart.Render("--set", "metrics.prometheusRule.enabled=true", "--set", "metrics.prometheusRule.labels.release=prometheus",
            "--set", "webhook.timeoutSeconds=10").LooseOfKind("PrometheusRule"));
        Assert.Equal("monitoring.coreos.com/v1", rule.Get<string>("apiVersion"));
        Assert.Equal("prometheus", rule.Get<string>("metadata.labels.release"));
        var rendered = ((List<object>)rule.Get<object>("spec.groups.0.rules")).Cast<Dictionary<object, object>>().ToDictionary(r => (string)r["alert"], r => (string)r["expr"]);
        var source = MonitoringQueries.Alerts().ToDictionary(a => a.Alert, a => a.Expr);
        Assert.Equal(source.Keys, rendered.Keys);
        Assert.Equal($"(sum(up{{job=\"{ChartRenderer.Fullname}-metrics\"}}) or vector(0)) == 0\n", rendered["SandboxOperatorWebhookDown"]);
        Assert.EndsWith("> 5\n", rendered["SandboxOperatorAdmissionLatencyHigh"], StringComparison.Ordinal);
        foreach (var (alert, expr) in source.Where(a => a.Key is not ("SandboxOperatorWebhookDown" or "SandboxOperatorAdmissionLatencyHigh")))
        {
            Assert.Equal(expr, rendered[alert]);
        }

        var ownJob = Assert.Single(chart.Render("--set", "metrics.prometheusRule.enabled=true", "--set", "metrics.prometheusRule.job=kubernetes-pods").LooseOfKind("PrometheusRule"));
        Assert.Contains("job=\"kubernetes-pods\"", ownJob.Get<string>("spec.groups.0.rules.0.expr"), StringComparison.Ordinal);
        Assert.Contains("{{ $value | humanizeDuration }}", ownJob.Get<string>("spec.groups.0.rules.2.annotations.description"), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Chart_ships_the_dashboard_for_the_grafana_sidecar()
    {
        Assert.DoesNotContain(chart.Render().All<V1ConfigMap>(), c => c.Metadata.Name.EndsWith("-dashboard", StringComparison.Ordinal));

        var cm = chart.Render("--set", "metrics.grafanaDashboard.enabled=true", "--set", "metrics.grafanaDashboard.namespace=monitoring",
            "--set", "metrics.grafanaDashboard.annotations.grafana_folder=Sandboxes").Named<V1ConfigMap>(ChartRenderer.Fullname + "-dashboard");
        Assert.Equal("monitoring", cm.Metadata.NamespaceProperty);
        Assert.Equal("1", cm.Metadata.Labels["grafana_dashboard"]);
        Assert.Equal("Sandboxes", cm.Metadata.Annotations["grafana_folder"]);
        Assert.Equal(File.ReadAllText(MonitoringQueries.DashboardFile).TrimEnd('\n'), cm.Data["sandbox-operator.json"]);
    }

    [Fact]
    public void Chart_copies_of_the_rules_and_the_dashboard_match_their_sources()
    {
        foreach (var (source, copy) in new[] { (MonitoringQueries.AlertsFile, "alerts.yaml"), (MonitoringQueries.DashboardFile, "dashboard.json") })
        {
            var path = Path.Combine(chart.ChartDir, "files", copy);
            Assert.True(File.Exists(path) && File.ReadAllText(source) == File.ReadAllText(path), $"{path} differs from {source}: run hack/sync-chart-files.sh");
        }
    }

    private static (int Code, string Output) Promtool(params string[] args)
    {
        var binary = new[] { "/usr/bin/promtool", "/usr/local/bin/promtool" }.FirstOrDefault(File.Exists);
        Skip.If(binary is null, "promtool is not installed (Debian package prometheus; .ci/run installs it)");
        var start = new ProcessStartInfo(binary!) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(MonitoringQueries.AlertsFile)! };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }
}
