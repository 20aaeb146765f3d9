using System.Globalization;
using ControlPlaneAdmission;
using k8s;
using SandboxOperator.Testing;
using SandboxOperator.Testing.ControlPlane;

// Pod creates through a real kube-apiserver, with the operator's webhooks installed and removed in
// alternating rounds (with, without, without, with, ...), so a slow spell of the machine hits both.
// Settings come from the environment (bench/control-plane-admission.sh documents them).
var creators = Setting("CREATORS", 10);
var rounds = Setting("ROUNDS", 6);
var duration = TimeSpan.FromSeconds(Setting("DURATION", 20));
var warmup = TimeSpan.FromSeconds(Setting("WARMUP", 15));
var settle = TimeSpan.FromSeconds(Setting("SETTLE", 3));
const string Ns = "bench";
const string Creator = "bench-creator";
var patience = TimeSpan.FromSeconds(120);

var binaries = ControlPlaneBinaries.Locate(out var noBinaries) ?? throw new InvalidOperationException(noBinaries);
using var helm = HelmRenderTool.Build(out var noHelm) ?? throw new InvalidOperationException(noHelm);
var kubectlPath = Kubectl.Find() ?? throw new InvalidOperationException("kubectl is not on PATH");

Console.Error.WriteLine($"== starting Kubernetes {binaries.Version} from {binaries.Directory}");
await using var cp = await ControlPlane.StartAsync(binaries, new ControlPlaneOptions { Users = [new ControlPlaneUser(Creator, "bench-creators")] });
var admin = new Kubectl(kubectlPath, cp.KubeconfigFor(ControlPlane.AdminUser));
await NamespaceLabels.LabelExistingAsync(cp);
foreach (var node in new[]
         {
             FakeNode.Pool("kata-1", "agentsandbox.io/pool", "kata", 100_000), FakeNode.Pool("kata-2", "agentsandbox.io/pool", "kata", 100_000),
             FakeNode.Pool("gvisor-1", "agentsandbox.io/pool", "gvisor", 100_000),
             FakeNode.General("general-1", 100_000), FakeNode.General("general-2", 100_000),
         })
{
    await FakeNodes.CreateAsync(cp.Admin, node);
}

await admin.SucceedAsync("apply", "-f", Path.Combine(RepositoryLayout.Samples, "01-runtimeclasses.yaml"));
// Before the chart: its webhooks review namespace creates too, and no replica answers yet.
await NamespaceLabels.CreateAsync(cp, Ns, new Dictionary<string, string> { ["agentsandbox.io/enforce"] = "kata" });
await cp.WaitForServiceAccountAsync(Ns);
var chart = await ChartInstallation.InstallAsync(cp, admin, helm, ControlPlane.FreePort(), []);
// The creator is an ordinary user with the edit role in the namespace, so RBAC is evaluated as for a controller.
await admin.ApplyAsync($$"""
    apiVersion: rbac.authorization.k8s.io/v1
    kind: RoleBinding
    metadata: { name: bench-creators, namespace: {{Ns}} }
    roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit }
    subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: Group, name: bench-creators }]
    """);

await using var op = chart.StartOperator("sandbox-operator-0");
await op.WaitUntilReadyAsync(patience);
var installed = true;
await WebhookProbe.WaitAsync(ct => WebhookProbe.WhyNotAnsweringAsync(cp.Admin, Ns, ct), "the webhooks answer", patience, op.Process);

using var client = cp.ClientFor(Creator);
string[] controlPlaneProcesses = ["kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler"];
var processes = controlPlaneProcesses
    .Select(name => cp.Processes.LastOrDefault(p => p.Name == name && !p.HasExited))
    .OfType<LocalProcess>()
    .Append(op.Process)
    .ToList();

Console.Error.WriteLine($"== warm-up: {warmup.TotalSeconds:0} s with the webhooks");
await CreateLoad.RunAsync(client, Ns, "warmup", creators, warmup);
await DeletePodsAsync();

using var metrics = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
var results = new List<(int Round, bool Webhooks, LoadResult Load, Dictionary<string, TimeSpan> Cpu, double Reviews)>();
for (var round = 0; round < rounds; round++)
{
    var withWebhooks = round % 4 is 0 or 3;
    await SetWebhooksAsync(withWebhooks);
    await Task.Delay(settle);
    var reviewsBefore = await ReviewsAsync();
    var before = processes.ToDictionary(p => p.Name, p => p.ProcessorTime);
    var load = await CreateLoad.RunAsync(client, Ns, $"r{round}", creators, duration);
    var cpu = processes.ToDictionary(p => p.Name, p => p.ProcessorTime - before[p.Name]);
    results.Add((round, withWebhooks, load, cpu, await ReviewsAsync() - reviewsBefore));
    Console.Error.WriteLine($"round {round + 1}/{rounds} {(withWebhooks ? "with" : "without")} webhooks: {load.Creates} creates, p50 {load.Percentile(0.5):0.0} ms, p99 {load.Percentile(0.99):0.0} ms, {load.Errors} errors{(load.FirstError is null ? "" : ": " + load.FirstError)}");
    await DeletePodsAsync();
}

Report();
return results.Sum(r => r.Load.Errors) == 0 ? 0 : 1;

async Task SetWebhooksAsync(bool on)
{
    if (on == installed)
    {
        return;
    }

    if (on)
    {
        // The running operator finds the configurations without caBundle and injects it within --tls-check-interval.
        await admin.ApplyAsync(chart.WebhookConfigurations);
        await WebhookProbe.WaitAsync(ct => WebhookProbe.WhyNotAnsweringAsync(cp.Admin, Ns, ct), "the webhooks answer again", patience, op.Process);
    }
    else
    {
        await admin.SucceedAsync("delete", "mutatingwebhookconfiguration,validatingwebhookconfiguration", chart.Fullname);
        await WebhookProbe.WaitAsync(ct => WebhookProbe.WhyStillCalledAsync(cp.Admin, Ns, ct), "the API server stops calling the webhooks", patience);
    }

    installed = on;
}

// Pod reviews the operator has answered, mutating and validating (its own counter).
async Task<double> ReviewsAsync() =>
    PrometheusText.Sum(await metrics.GetStringAsync(op.MetricsUrl), "agentsandbox_admission_requests_total", "kind=\"Pod\"");

async Task DeletePodsAsync()
{
    // No kubelet confirms a deletion, so pods bound to nodes go only with a zero grace period; one creator's
    // pods at a time, as one request for ten thousand pods outlasts the API server's request timeout.
    for (var c = 0; c < creators; c++)
    {
        try
        {
            await cp.Admin.CoreV1.DeleteCollectionNamespacedPodAsync(Ns, gracePeriodSeconds: 0, labelSelector: $"{CreateLoad.CreatorLabel}={c}");
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.GatewayTimeout)
        {
            // The API server goes on deleting after it stopped waiting; the loop below waits for the rest.
        }
    }

    var deadline = DateTime.UtcNow + patience;
    while ((await cp.Admin.CoreV1.ListNamespacedPodAsync(Ns, limit: 1)).Items.Count > 0)
    {
        if (DateTime.UtcNow > deadline)
        {
            throw new TimeoutException("pods of the last round were not deleted");
        }

        await Task.Delay(500);
    }
}

void Report()
{
    string Ms(double v) => v.ToString("0.00", CultureInfo.InvariantCulture);
    double CpuPerCreate((int Round, bool Webhooks, LoadResult Load, Dictionary<string, TimeSpan> Cpu, double Reviews) r, string process) =>
        r.Cpu.TryGetValue(process, out var t) && r.Load.Creates > 0 ? t.TotalMilliseconds / r.Load.Creates : double.NaN;
    string[] columns = ["kube-apiserver", "sandbox-operator-0", "etcd", "kube-scheduler", "kube-controller-manager"];

    Console.WriteLine($"Kubernetes {binaries.Version}, {Environment.ProcessorCount} cores, {creators} creators, {rounds} rounds of {duration.TotalSeconds:0} s, load average {File.ReadAllText("/proc/loadavg").Trim()}");
    Console.WriteLine();
    Console.WriteLine("| round | webhooks | creates | creates/s | p50 ms | p99 ms | errors | reviews per create | CPU ms per create: kube-apiserver | operator | etcd | scheduler | controller-manager |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    foreach (var r in results)
    {
        Console.WriteLine($"| {r.Round + 1} | {(r.Webhooks ? "with" : "without")} | {r.Load.Creates} | {r.Load.PerSecond:0.0} | {Ms(r.Load.Percentile(0.5))} | {Ms(r.Load.Percentile(0.99))} | {r.Load.Errors} | {Ms(r.Reviews / r.Load.Creates)} | "
            + string.Join(" | ", columns.Select(c => Ms(CpuPerCreate(r, c)))) + " |");
    }

    Console.WriteLine();
    Console.WriteLine("| medians | creates/s | p50 ms | p99 ms | CPU ms per create: kube-apiserver | operator | etcd | scheduler | controller-manager |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
    foreach (var mode in new[] { true, false })
    {
        var rs = results.Where(r => r.Webhooks == mode).ToList();
        Console.WriteLine($"| {(mode ? "with webhooks" : "without webhooks")} | {Median(rs.Select(r => r.Load.PerSecond)):0.0} | {Ms(Median(rs.Select(r => r.Load.Percentile(0.5))))} | {Ms(Median(rs.Select(r => r.Load.Percentile(0.99))))} | "
            + string.Join(" | ", columns.Select(c => Ms(Median(rs.Select(r => CpuPerCreate(r, c)))))) + " |");
    }
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count == 0 ? double.NaN : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

static int Setting(string name, int fallback) =>
    int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : fallback;
