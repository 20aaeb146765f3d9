using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SandboxOperator.Controller.Manager;
using SandboxOperator.Controller.Metrics;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Testing;
using SandboxOperator.Testing.KubeApi;

namespace SandboxOperator.Controller.Tests;

/// <summary>
/// A SandboxException runs out on the controller's clock (a fake one here): until its expiresAt the gVisor pod it lets
/// in complies; at expiresAt, without any change to the cluster, the exception's reconcile comes back by itself, emits
/// a SandboxExceptionExpired Event naming the pod, counts it in <c>agentsandbox_expired_exception_pods</c>, and the
/// workload's PodsCompliant condition and the pod audit report the pod.
/// </summary>
public sealed class ExceptionExpiryTests
{
    private const string Ns = "agents";

    [Fact]
    public async Task At_expiry_the_pod_turns_non_compliant_with_an_event_a_metric_and_the_workload_status()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.CreateNamespaceAsync(Ns);
        await cluster.CreateRuntimeClassAsync("kata", "kata-qemu");
        await cluster.CreateRuntimeClassAsync("gvisor", "runsc");
        await cluster.CreateNodeAsync("kata-1", "kata");
        await cluster.CreateNodeAsync("gvisor-1", "gvisor");
        await cluster.CreateWorkloadAsync(Ns, "coder", WorkloadType.Agent);
        await cluster.CreatePodAsync(Ns, "legacy", "coder", runtimeClass: "gvisor", pool: "gvisor");

        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var expiresAt = time.GetUtcNow().AddHours(6);
        await CreateExceptionAsync(cluster.Client, expiresAt);

        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        using var metrics = new ControllerMetrics(factory);
        using var expired = new GaugeReader(factory, "agentsandbox_expired_exception_pods");
        using var noncompliant = new GaugeReader(factory, "agentsandbox_noncompliant_pods");
        var auditInterval = TimeSpan.FromHours(24);
        var controller = await cluster.StartLeadingAsync(time, auditInterval, TimeSpan.FromDays(7), metrics, "expiry-test");

        // Before expiry: the exception lets the gVisor pod comply; the exception's reconcile waits for expiresAt.
        await Eventually.HoldsAsync(() => cluster.Condition(Ns, "coder", "PodsCompliant", out _) == "True", "the workload's pods comply under the exception",
            detail: () => cluster.Status(Ns, "coder")?.ToJsonString() ?? "no status");
        await Eventually.HoldsAsync(() => controller.Exceptions.Processed >= 1 && controller.Exceptions.Queue.Delayed == 1, "the exception's reconcile is requeued for its expiry");
        Assert.Equal(0, noncompliant.Read());
        Assert.Equal(0, expired.Read());
        Assert.DoesNotContain(Events(cluster), e => (string?)e["reason"] == "SandboxExceptionExpired");

        // One second short of expiry nothing changes.
        time.Advance(expiresAt - time.GetUtcNow() - TimeSpan.FromSeconds(1));
        Assert.Empty(Reconciling.PodCompliance.Check(controller.Cache.Pods.Get(Ns, "legacy")!, PolicyConfig.Default, controller.Cache, time.GetUtcNow()));

        // At expiry, with no change to any object: the Event, the metric and the workload's status.
        time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.HoldsAsync(() => Events(cluster).Any(e => (string?)e["reason"] == "SandboxExceptionExpired"), "a SandboxExceptionExpired Event is emitted");
        var ev = Events(cluster).First(e => (string?)e["reason"] == "SandboxExceptionExpired");
        Assert.Equal("Warning", (string?)ev["type"]);
        Assert.Equal(("SandboxException", "legacy-gvisor"), ((string?)ev["regarding"]!["kind"], (string?)ev["regarding"]!["name"]));
        Assert.Equal("expired at 2026-06-01T18:00:00Z (run in gVisor instead of Kata, owner team-agents); 1 pod(s) it covered no longer comply: legacy. Recreate them without the weakening, or extend the exception", (string?)ev["note"]);
        await Eventually.HoldsAsync(() => expired.Read() == 1, "agentsandbox_expired_exception_pods counts the pod", detail: () => $"gauge {expired.Read()}");
        await Eventually.HoldsAsync(() => cluster.Condition(Ns, "coder", "PodsCompliant", out var reason) == "False" && reason == "NonCompliantPods", "the workload reports the pod");

        // The background audit, on its next pass, reports the pod itself.
        time.Advance(auditInterval);
        await Eventually.HoldsAsync(() => noncompliant.Read() == 1, "agentsandbox_noncompliant_pods counts the pod", detail: () => $"gauge {noncompliant.Read()}");
        await Eventually.HoldsAsync(() => Events(cluster).Any(e => (string?)e["reason"] == "PolicyViolation" && (string?)e["regarding"]?["name"] == "legacy"), "a PolicyViolation Event is emitted on the pod");
    }

    [Fact]
    public async Task Extending_the_exception_before_expiry_moves_the_wake_up()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.CreateNamespaceAsync(Ns);
        await cluster.CreateWorkloadAsync(Ns, "coder", WorkloadType.Agent);
        await cluster.CreatePodAsync(Ns, "legacy", "coder", runtimeClass: "gvisor", pool: "gvisor");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        await CreateExceptionAsync(cluster.Client, time.GetUtcNow().AddHours(1));

        using var metrics = new ControllerMetrics();
        var controller = await cluster.StartLeadingAsync(time, TimeSpan.FromDays(1), TimeSpan.FromDays(7), metrics, "extend-test");
        await Eventually.HoldsAsync(() => controller.Exceptions.Queue.Delayed == 1, "the exception waits for its expiry");

        var stored = cluster.Server.Store.Get(TestCluster.SandboxExceptions, Ns, "legacy-gvisor")!;
        stored["spec"]!["expiresAt"] = time.GetUtcNow().AddDays(30).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        await cluster.Client.CustomObjects.ReplaceNamespacedCustomObjectAsync(stored, WellKnown.Group, WellKnown.Version, Ns, WellKnown.ExceptionPlural, "legacy-gvisor");
        await Eventually.HoldsAsync(() => controller.Cache.ExceptionsIn(Ns).Single().Spec.ExpiresAt == time.GetUtcNow().AddDays(30), "the cache sees the extension");
        await Eventually.HoldsAsync(() => controller.Exceptions.Processed >= 2 && controller.Exceptions.Queue.Delayed == 1 && controller.Exceptions.Queue.Depth == 0, "the extended exception is reconciled");

        time.Advance(TimeSpan.FromHours(2));
        await Eventually.HoldsAsync(() => controller.Exceptions.Queue.Depth == 0 && controller.Exceptions.Queue.InFlight == 0, "the queue is idle");
        Assert.DoesNotContain(Events(cluster), e => (string?)e["reason"] == "SandboxExceptionExpired");
        Assert.Empty(Reconciling.PodCompliance.Check(controller.Cache.Pods.Get(Ns, "legacy")!, PolicyConfig.Default, controller.Cache, time.GetUtcNow()));
    }

    private static Task<object> CreateExceptionAsync(IKubernetes client, DateTimeOffset expiresAt) =>
        client.CustomObjects.CreateNamespacedCustomObjectAsync(new JsonObject
        {
            ["apiVersion"] = WellKnown.ApiVersion,
            ["kind"] = WellKnown.ExceptionKind,
            ["metadata"] = new JsonObject { ["name"] = "legacy-gvisor", ["namespace"] = Ns },
            ["spec"] = new JsonObject
            {
                ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { [WellKnown.WorkloadLabel] = "coder" } },
                ["grant"] = "RunInGVisor",
                ["reason"] = "the agent image needs a syscall Kata's guest kernel lacks",
                ["owner"] = "team-agents",
                ["expiresAt"] = expiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            },
        }, WellKnown.Group, WellKnown.Version, Ns, WellKnown.ExceptionPlural);

    private static IEnumerable<JsonObject> Events(TestCluster cluster) => cluster.Server.Store.List(BuiltInResources.Events, Ns);
}
