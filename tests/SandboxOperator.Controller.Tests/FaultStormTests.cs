using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using k8s;
using Microsoft.Extensions.DependencyInjection;
using SandboxOperator.Controller.Manager;
using SandboxOperator.Controller.Metrics;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Testing.KubeApi;
using SandboxOperator.Testing;

namespace SandboxOperator.Controller.Tests;

/// <summary>
/// Everything going wrong at once: 5xx and 429 bursts, latency, watches cut mid-stream, a 410 storm and
/// a conflict on every first status write, while workloads keep arriving. The controller loses no object
/// and its metrics show the failures it rode out.
/// </summary>
public sealed class FaultStormTests
{
    private const string Ns = "agents";

    [Fact]
    public async Task Every_workload_converges_through_a_fault_storm_and_the_metrics_show_it()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.CreateNamespaceAsync(Ns);
        await cluster.CreateNodeAsync("kata-1", "kata");
        await cluster.CreateNodeAsync("gvisor-1", "gvisor");
        await cluster.CreateRuntimeClassAsync("kata", "kata-qemu");
        await cluster.CreateRuntimeClassAsync("gvisor", "runsc");
        WorkloadType[] types = [WorkloadType.MCPServer, WorkloadType.Agent, WorkloadType.ExecTool, WorkloadType.Tool, WorkloadType.Internal];
        for (var i = 0; i < 20; i++)
        {
            await cluster.CreateWorkloadAsync(Ns, $"w{i}", types[i % types.Length]);
        }

        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        var results = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == factory && instrument.Name == "agentsandbox_reconcile")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "result")
                {
                    results.AddOrUpdate((string)tag.Value!, value, (_, v) => v + value);
                }
            }
        });
        listener.Start();

        // Faults from the first request on: the initial lists hit 5xx and 429, every status write conflicts first.
        cluster.Server.Faults.Latency = TimeSpan.FromMilliseconds(20);
        cluster.Server.Faults.FailNextRequests(15, 500);
        cluster.Server.Faults.FailNextRequests(15, 429, retryAfterSeconds: 1);
        cluster.Server.Faults.ConflictNextWrites("agentworkloads/status", 40);
        using var client = cluster.NewClient();
        var controller = new SandboxController(client, new SandboxControllerOptions
        {
            LeaderElection = null,
            Policy = PolicyConfig.Default,
            Identity = "storm",
            PodAuditInterval = TimeSpan.FromMinutes(10),
            Informer = new Runtime.InformerOptions { InitialBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromSeconds(1) },
        }, metrics: new ControllerMetrics(factory));
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => controller.RunAsync(stop.Token));

        // While it works: more workloads, watches cut twice, history expired (410 on every reconnect) and another burst.
        for (var i = 20; i < 40; i++)
        {
            var name = $"w{i}";
            var type = types[i % types.Length];
            await AsAUserWouldAsync(() => cluster.CreateWorkloadAsync(Ns, name, type));
            if (i % 7 == 0)
            {
                cluster.Server.Faults.CutWatches();
                cluster.Server.Faults.ExpireResourceVersions();
            }

            if (i == 30)
            {
                cluster.Server.Faults.FailNextRequests(10, 503);
            }
        }

        cluster.Server.Faults.Latency = TimeSpan.Zero;
        await Eventually.HoldsAsync(
            () => Enumerable.Range(0, 40).All(i => (string?)cluster.Status(Ns, $"w{i}")?["riskTier"] == Expected(types[i % types.Length])),
            "every workload has its tier on status",
            TimeSpan.FromSeconds(60),
            () => string.Join(", ", Enumerable.Range(0, 40).Where(i => (string?)cluster.Status(Ns, $"w{i}")?["riskTier"] != Expected(types[i % types.Length])).Select(i => $"w{i}")));

        Assert.True(results.GetValueOrDefault("error") + results.GetValueOrDefault("requeue") > 0, $"no failed reconcile was recorded: {string.Join(", ", results)}");
        Assert.True(results.GetValueOrDefault("success") >= 40, $"fewer successes than workloads: {string.Join(", ", results)}");

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(20));
        controller.Dispose();
    }

    /// <summary>The test's own writes meet the same injected faults; like kubectl users, it tries again.</summary>
    private static async Task AsAUserWouldAsync(Func<Task> write)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await write();
                return;
            }
            catch (k8s.Autorest.HttpOperationException e) when (attempt < 20 && (int)e.Response.StatusCode is 429 or >= 500)
            {
                await Task.Delay(50);
            }
        }
    }

    private static string Expected(WorkloadType type) => type switch
    {
        WorkloadType.Tool => "Medium",
        WorkloadType.Internal => "Low",
        _ => "High",
    };
}
