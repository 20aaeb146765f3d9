using System.Diagnostics;
using System.Globalization;
using k8s;
using SandboxOperator.Controller.Manager;
using ControllerScale;

// Usage: ControllerScale [--workloads N] [--pods N] [--namespaces N] [--workers N] [--page-size N] [--probe-list]
// (--probe-list first times one plain paged list of all pods and their projection, for diagnosis.)
// Starts the API server in a child process (seeded over HTTP), then runs the controller here and reports the time until
// every AgentWorkload's status is converged and this process' RSS with everything cached.
var workloads = Arg("--workloads", 10_000);
var pods = Arg("--pods", 50_000);
var namespaces = Arg("--namespaces", 100);
var workers = Arg("--workers", 4);

// The in-process API server re-reads and sorts the whole collection for every page (O(N) per page), unlike a real
// API server; large pages keep that cost from dominating. The controller's default page size is 500.
var pageSize = Arg("--page-size", 5000);

if (args.Contains("--serve"))
{
    return await ApiServerProcess.ServeAsync(workloads, pods, namespaces);
}

var self = Environment.ProcessPath!;
var start = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
if (Path.GetFileNameWithoutExtension(self) == "dotnet")
{
    start.ArgumentList.Add(typeof(ApiServerProcess).Assembly.Location);
}

foreach (var a in new[] { "--serve", "--workloads", workloads.ToString(CultureInfo.InvariantCulture), "--pods", pods.ToString(CultureInfo.InvariantCulture), "--namespaces", namespaces.ToString(CultureInfo.InvariantCulture) })
{
    start.ArgumentList.Add(a);
}

using var server = Process.Start(start)!;
string? url = null;
while (await server.StandardOutput.ReadLineAsync() is { } line)
{
    Console.WriteLine($"[api-server] {line}");
    if (line.StartsWith("READY ", StringComparison.Ordinal))
    {
        url = line[6..];
        break;
    }
}

if (url is null)
{
    Console.Error.WriteLine("the API server process ended before it was ready");
    return 1;
}

var rssBefore = Rss();
var client = new Kubernetes(new KubernetesClientConfiguration { Host = url });
if (args.Contains("--probe-list"))
{
    var probe = Stopwatch.StartNew();
    string? token = null;
    var n = 0;
    var projection = TimeSpan.Zero;
    do
    {
        var page = await client.CoreV1.ListPodForAllNamespacesAsync(continueParameter: token, limit: pageSize);
        token = page.Metadata.ContinueProperty;
        var p0 = Stopwatch.GetTimestamp();
        foreach (var pod in page.Items)
        {
            SandboxOperator.Controller.Caching.PodProjection.Project(pod);
        }

        projection += Stopwatch.GetElapsedTime(p0);
        n += page.Items.Count;
    }
    while (!string.IsNullOrEmpty(token));
    Console.WriteLine($"probe: listed {n} pods in {probe.Elapsed.TotalSeconds:F2} s, projection {projection.TotalSeconds:F2} s");
}

using var controller = new SandboxController(client, new SandboxControllerOptions
{
    LeaderElection = null,
    Workers = workers,
    Identity = "bench",
    Informer = new SandboxOperator.Controller.Runtime.InformerOptions { PageSize = pageSize },
});
using var stop = new CancellationTokenSource();
var sw = Stopwatch.StartNew();
var run = Task.Run(() => controller.RunAsync(stop.Token));
foreach (var informer in controller.Informers)
{
    var name = informer.Name;
    _ = informer.Synced.ContinueWith(_ => Console.WriteLine($"  {name} synced after {sw.Elapsed.TotalSeconds:F2} s"), TaskScheduler.Default);
}

await controller.Cache.Synced;
var synced = sw.Elapsed;
Console.WriteLine($"caches synced after {synced.TotalSeconds:F2} s: {controller.Cache.Workloads.Count} workloads, {controller.Cache.Pods.Count} pods");

var converged = TimeSpan.Zero;
while (true)
{
    var done = 0;
    foreach (var (_, _, e) in controller.Cache.Workloads.All())
    {
        if (e.Status?.ObservedGeneration == e.Generation && e.Status.Conditions is { Count: 4 })
        {
            done++;
        }
    }

    if (done >= workloads && controller.Workloads.Queue.Depth == 0 && controller.Workloads.Queue.InFlight == 0)
    {
        converged = sw.Elapsed;
        break;
    }

    if (sw.Elapsed > TimeSpan.FromMinutes(10))
    {
        Console.Error.WriteLine($"not converged after 10 minutes: {done}/{workloads}");
        return 1;
    }

    await Task.Delay(20);
}

var rssConverged = Rss();
GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
GC.WaitForPendingFinalizers();
await Task.Delay(500);
var rssAfterGc = Rss();
var heap = GC.GetTotalMemory(forceFullCollection: true);
var gc = GC.GetGCMemoryInfo(GCKind.Any);
var pcs = controller.Cache.Workloads.All().Select(e => e.Value.Status!.Pods!).ToList();

Console.WriteLine($"converged after {converged.TotalSeconds:F2} s (target <= 20 s)");
Console.WriteLine($"status writes {controller.WorkloadReconciler.StatusWrites}, reconciles {controller.Workloads.Processed}, events {controller.Events.Emitted}");
Console.WriteLine($"pods counted {pcs.Sum(p => p.Total)}, compliant {pcs.Sum(p => p.Compliant)}");
Console.WriteLine($"RSS before start {rssBefore / 1048576.0:F0} MiB; at convergence {rssConverged / 1048576.0:F0} MiB; after full GC {rssAfterGc / 1048576.0:F0} MiB (target <= 200 MiB); managed heap {heap / 1048576.0:F0} MiB");
Console.WriteLine($"GC: committed {gc.TotalCommittedBytes / 1048576.0:F0} MiB, heap size {gc.HeapSizeBytes / 1048576.0:F0} MiB, fragmented {gc.FragmentedBytes / 1048576.0:F0} MiB; peak working set {Peak() / 1048576.0:F0} MiB");

await stop.CancelAsync();
await run;
server.StandardInput.Close();
await server.WaitForExitAsync();
return 0;

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static long Peak()
{
    using var p = Process.GetCurrentProcess();
    p.Refresh();
    return p.PeakWorkingSet64;
}

static long Rss()
{
    using var p = Process.GetCurrentProcess();
    p.Refresh();
    return p.WorkingSet64;
}
