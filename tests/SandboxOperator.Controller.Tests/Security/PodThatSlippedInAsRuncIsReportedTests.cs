using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SandboxOperator.Controller.Manager;
using SandboxOperator.Controller.Metrics;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Testing.KubeApi;
using SandboxOperator.Testing;

namespace SandboxOperator.Controller.Tests.Security;

/// <summary>
/// What still slips through a race is caught after the fact. A pod created as runc before its AgentWorkload existed
/// (nothing claimed it when it was admitted) becomes non-compliant the moment the AgentWorkload appears: the
/// AgentWorkload's status and a Warning Event say so at once, and within one pod-audit interval (measured on a fake
/// clock) the pod gets its own PolicyViolation Event and <c>agentsandbox_noncompliant_pods</c> counts it.
/// </summary>
public sealed class PodThatSlippedInAsRuncIsReportedTests
{
    private const string Ns = "agents";

    [Fact]
    public async Task A_runc_pod_created_before_its_workload_is_reported_in_status_events_and_metric_within_one_audit()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.CreateNamespaceAsync(Ns);
        await cluster.CreateRuntimeClassAsync("kata", "kata-qemu");
        await cluster.CreateNodeAsync("kata-1", "kata");
        await cluster.CreatePodAsync(Ns, "early", "coder", runtimeClass: null, pool: null);

        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        using var metrics = new ControllerMetrics(factory);
        using var gauge = new GaugeReader(factory, "agentsandbox_noncompliant_pods");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var interval = TimeSpan.FromMinutes(5);
        var controller = await cluster.StartLeadingAsync(time, interval, TimeSpan.FromMinutes(10), metrics, "audit-test");

        // Unclaimed when it was admitted: compliant as an unmanaged pod.
        Assert.Empty(Policy(controller, "early"));

        await cluster.CreateWorkloadAsync(Ns, "coder", WorkloadType.Agent);

        // At once, from the AgentWorkload's reconcile: status and a Warning Event on the AgentWorkload.
        await Eventually.HoldsAsync(() => cluster.Condition(Ns, "coder", "PodsCompliant", out var r) == "False" && r == "NonCompliantPods", "the workload reports its non-compliant pod");
        Assert.Contains("early", (string?)cluster.Status(Ns, "coder")!["conditions"]!.AsArray().First(c => (string?)c!["type"] == "PodsCompliant")!["message"], StringComparison.Ordinal);
        await Eventually.HoldsAsync(() => Events(cluster).Any(e => (string?)e["reason"] == "NonCompliantPod" && ((string?)e["note"])!.Contains("pod early", StringComparison.Ordinal)), "a NonCompliantPod Event names the pod");
        Assert.NotEmpty(Policy(controller, "early"));

        // Within one audit interval: the pod's own Event and the metric.
        time.Advance(interval);
        await Eventually.HoldsAsync(() => gauge.Read() == 1, "agentsandbox_noncompliant_pods counts the pod", detail: () => $"gauge {gauge.Read()}");
        await Eventually.HoldsAsync(() => Events(cluster).Any(e => (string?)e["reason"] == "PolicyViolation" && (string?)e["regarding"]?["name"] == "early"), "a PolicyViolation Event is emitted on the pod");
        var violation = Events(cluster).First(e => (string?)e["reason"] == "PolicyViolation");
        Assert.Equal("Warning", (string?)violation["type"]);
        Assert.Contains("runtimeClassName", (string?)violation["note"], StringComparison.Ordinal);
    }

    private static IReadOnlyList<Policy.Decisions.Violation> Policy(SandboxController controller, string pod) =>
        Reconciling.PodCompliance.Check(controller.Cache.Pods.Get(Ns, pod)!, PolicyConfig.Default, controller.Cache, TimeProvider.System.GetUtcNow());

    private static IEnumerable<System.Text.Json.Nodes.JsonObject> Events(TestCluster cluster) => cluster.Server.Store.List(BuiltInResources.Events, Ns);
}
