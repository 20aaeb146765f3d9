using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using SandboxOperator.Controller.Manager;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Testing.KubeApi;
using SandboxOperator.Testing;

namespace SandboxOperator.Controller.Tests;

/// <summary>The controller against the in-process API server over real HTTP.</summary>
public sealed class ControllerScenarioTests
{
    private const string Ns = "agents";

    private static SandboxControllerOptions Options(bool manage = false, TimeSpan? resync = null) => new()
    {
        LeaderElection = null,
        Policy = PolicyConfig.Default with { ManageRuntimeClasses = manage },
        ResyncPeriod = resync ?? TimeSpan.FromMinutes(10),
        PodAuditInterval = TimeSpan.FromMinutes(10),
        Identity = "test-" + Guid.NewGuid().ToString("N")[..6],
    };

    private static async Task<TestCluster> ClusterWithKataPoolAsync(bool runtimeClass = true)
    {
        var cluster = await TestCluster.StartAsync();
        await cluster.CreateNamespaceAsync(Ns);
        await cluster.CreateNodeAsync("kata-1", "kata");
        await cluster.CreateNodeAsync("general-1", null);
        if (runtimeClass)
        {
            await cluster.CreateRuntimeClassAsync("kata", "kata-qemu");
        }

        return cluster;
    }

    [Fact]
    public async Task AgentWorkload_status_converges_with_tier_conditions_and_pod_counts()
    {
        await using var cluster = await ClusterWithKataPoolAsync();
        await cluster.CreateWorkloadAsync(Ns, "coder", WorkloadType.Agent);
        await cluster.CreateWorkloadAsync(Ns, "svc", WorkloadType.Internal);
        await cluster.CreatePodAsync(Ns, "coder-ok", "coder", "kata", "kata");
        await cluster.CreatePodAsync(Ns, "coder-bad", "coder", null, null);
        cluster.StartController(Options());

        await Eventually.HoldsAsync(() => cluster.Condition(Ns, "coder", "PodsCompliant", out var r) == "False" && r == "NonCompliantPods", "coder reports its non-compliant pod");
        var status = cluster.Status(Ns, "coder")!;
        Assert.Equal("High", (string?)status["riskTier"]);
        Assert.Equal("Kata", (string?)status["runtime"]);
        Assert.Equal("kata", (string?)status["runtimeClassName"]);
        Assert.Equal("kata", (string?)status["nodePool"]);
        Assert.Equal(1, (long?)status["observedGeneration"]);
        Assert.Equal(2, (int?)status["pods"]!["total"]);
        Assert.Equal(1, (int?)status["pods"]!["compliant"]);
        Assert.Contains("type Agent", status["reasons"]!.AsArray().Select(r => (string?)r).First());
        Assert.Equal("True", cluster.Condition(Ns, "coder", "RuntimeClassAvailable", out var rcReason));
        Assert.Equal("Available", rcReason);
        // The fake kubelet-less node reports no runtime handlers: the pool is usable but its handler unverified.
        Assert.Equal("True", cluster.Condition(Ns, "coder", "NodePoolAvailable", out var poolReason));
        Assert.Equal("HandlerUnverified", poolReason);
        Assert.Equal("False", cluster.Condition(Ns, "coder", "Ready", out var readyReason));
        Assert.Equal("NonCompliantPods", readyReason);
        var message = (string?)status["conditions"]!.AsArray().First(c => (string?)c!["type"] == "PodsCompliant")!["message"];
        Assert.Contains("coder-bad", message);

        await Eventually.HoldsAsync(() => cluster.Server.Store.List(BuiltInResources.Events, Ns)
            .Any(e => (string?)e["reason"] == "NonCompliantPod" && ((string?)e["note"])!.Contains("coder-bad")), "a NonCompliantPod Event is emitted");

        Assert.Equal("True", cluster.Condition(Ns, "svc", "RuntimeClassAvailable", out var lowRc));
        Assert.Equal("NotRequired", lowRc);
        Assert.Equal("True", cluster.Condition(Ns, "svc", "NodePoolAvailable", out var lowPool));
        Assert.Equal("NotRequired", lowPool);
        Assert.Equal("True", cluster.Condition(Ns, "svc", "Ready", out _));

        await cluster.Client.CoreV1.DeleteNamespacedPodAsync("coder-bad", Ns);
        await Eventually.HoldsAsync(() => cluster.Condition(Ns, "coder", "Ready", out _) == "True", "coder becomes Ready once the bad pod is gone");
        Assert.Equal(1, (int?)cluster.Status(Ns, "coder")!["pods"]!["total"]);
    }

    [Fact]
    public async Task A_spec_change_raises_the_tier_bumps_observedGeneration_and_emits_TierChanged()
    {
        await using var cluster = await ClusterWithKataPoolAsync();
        await cluster.CreateWorkloadAsync(Ns, "svc", WorkloadType.Internal);
        cluster.StartController(Options());
        await Eventually.HoldsAsync(() => (string?)cluster.Status(Ns, "svc")?["riskTier"] == "Low", "svc is Low");

        await cluster.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("{\"spec\":{\"type\":\"Agent\"}}", V1Patch.PatchType.MergePatch), WellKnown.Group, WellKnown.Version, Ns, WellKnown.Plural, "svc");

        await Eventually.HoldsAsync(() => (string?)cluster.Status(Ns, "svc")?["riskTier"] == "High", "svc becomes High");
        var status = cluster.Status(Ns, "svc")!;
        Assert.Equal(2, (long?)status["observedGeneration"]);
        Assert.Equal("kata", (string?)status["runtimeClassName"]);
        Assert.All(status["conditions"]!.AsArray(), c => Assert.Equal(2, (long?)c!["observedGeneration"]));
        await Eventually.HoldsAsync(() => cluster.Server.Store.List(BuiltInResources.Events, Ns)
            .Any(e => (string?)e["reason"] == "TierChanged" && ((string?)e["note"])!.StartsWith("tier changed from Low to High", StringComparison.Ordinal)), "a TierChanged Event is emitted");
    }

    [Fact]
    public async Task Deleting_the_RuntimeClass_flips_RuntimeClassAvailable()
    {
        await using var cluster = await ClusterWithKataPoolAsync();
        await cluster.CreateWorkloadAsync(Ns, "mcp", WorkloadType.MCPServer);
        cluster.StartController(Options());
        await Eventually.HoldsAsync(() => cluster.Condition(Ns, "mcp", "Ready", out _) == "True", "mcp is Ready");

        await cluster.Client.NodeV1.DeleteRuntimeClassAsync("kata");
        await Eventually.HoldsAsync(() => cluster.Condition(Ns, "mcp", "RuntimeClassAvailable", out var r) == "False" && r == "RuntimeClassMissing", "RuntimeClassAvailable turns False");
        Assert.Equal("False", cluster.Condition(Ns, "mcp", "Ready", out var reason));
        Assert.Equal("RuntimeClassMissing", reason);
    }

    [Fact]
    public async Task Managed_RuntimeClasses_are_created_and_recreated_after_deletion()
    {
        await using var cluster = await ClusterWithKataPoolAsync(runtimeClass: false);
        await cluster.CreateWorkloadAsync(Ns, "mcp", WorkloadType.MCPServer);
        cluster.StartController(Options(manage: true));

        await Eventually.HoldsAsync(() => cluster.Condition(Ns, "mcp", "RuntimeClassAvailable", out _) == "True", "the kata RuntimeClass is created");
        await Eventually.HoldsAsync(() => cluster.Server.Store.Get(BuiltInResources.RuntimeClasses, null, "gvisor") is not null, "the gvisor RuntimeClass is created");
        var kata = cluster.Server.Store.Get(BuiltInResources.RuntimeClasses, null, "kata")!;
        Assert.Equal("kata-qemu", (string?)kata["handler"]);
        Assert.Equal("160Mi", (string?)kata["overhead"]!["podFixed"]!["memory"]);
        Assert.Equal("250m", (string?)kata["overhead"]!["podFixed"]!["cpu"]);
        Assert.Equal("kata", (string?)kata["scheduling"]!["nodeSelector"]!["agentsandbox.io/pool"]);
        Assert.Equal("NoSchedule", (string?)kata["scheduling"]!["tolerations"]![0]!["effect"]);

        var before = (string?)kata["metadata"]!["uid"];
        await cluster.Client.NodeV1.DeleteRuntimeClassAsync("kata");
        await Eventually.HoldsAsync(() => cluster.Server.Store.Get(BuiltInResources.RuntimeClasses, null, "kata") is { } k && (string?)k["metadata"]!["uid"] != before,
            "the deleted kata RuntimeClass is recreated");
        await Eventually.HoldsAsync(() => cluster.Condition(Ns, "mcp", "RuntimeClassAvailable", out _) == "True", "RuntimeClassAvailable is True again");
    }

    [Fact]
    public async Task A_managed_class_with_another_accepted_handler_keeps_it_and_gets_its_scheduling()
    {
        await using var cluster = await ClusterWithKataPoolAsync(runtimeClass: false);
        await cluster.CreateRuntimeClassAsync("kata", "kata");
        await cluster.CreateWorkloadAsync(Ns, "mcp", WorkloadType.MCPServer);
        cluster.StartController(Options(manage: true));

        await Eventually.HoldsAsync(
            () => cluster.Server.Store.Get(BuiltInResources.RuntimeClasses, null, "kata") is { } k && (string?)k["scheduling"]?["nodeSelector"]?["agentsandbox.io/pool"] == "kata",
            "the kata RuntimeClass gets the pool's scheduling");
        Assert.Equal("kata", (string?)cluster.Server.Store.Get(BuiltInResources.RuntimeClasses, null, "kata")!["handler"]);
        await Eventually.HoldsAsync(() => cluster.Condition(Ns, "mcp", "RuntimeClassAvailable", out _) == "True", "RuntimeClassAvailable is True");
    }

    [Fact]
    public async Task A_pool_node_without_the_handler_turns_the_pool_unavailable_until_it_reports_it()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.CreateNamespaceAsync(Ns);
        await cluster.CreateNodeAsync("kata-1", "kata", runtimeHandlers: ["", "kata-qemu"]);
        await cluster.CreateNodeAsync("kata-2", "kata", runtimeHandlers: ["", "runc"]);
        await cluster.CreateRuntimeClassAsync("kata", "kata-qemu");
        await cluster.CreateWorkloadAsync(Ns, "coder", WorkloadType.Agent);
        var pod = await cluster.CreatePodAsync(Ns, "coder-on-2", "coder", "kata", "kata");
        pod.Spec.NodeName = "kata-2";
        await cluster.Client.CoreV1.ReplaceNamespacedPodAsync(pod, "coder-on-2", Ns);
        var controller = cluster.StartController(Options());

        await Eventually.HoldsAsync(() => cluster.Condition(Ns, "coder", "NodePoolAvailable", out var r) == "False" && r == "RuntimeHandlerMissing", "the pool is unavailable");
        var message = (string?)cluster.Status(Ns, "coder")!["conditions"]!.AsArray().First(c => (string?)c!["type"] == "NodePoolAvailable")!["message"];
        Assert.StartsWith("node(s) kata-2 in the kata pool", message);
        await Eventually.HoldsAsync(() => cluster.Condition(Ns, "coder", "PodsCompliant", out var r) == "False" && r == "NonCompliantPods", "the pod on kata-2 is non-compliant");
        Assert.Equal(1, await controller.PodAudit.RunOnceAsync(CancellationToken.None));

        var node = await cluster.Client.CoreV1.ReadNodeAsync("kata-2");
        node.Status.RuntimeHandlers = [new V1NodeRuntimeHandler { Name = "" }, new V1NodeRuntimeHandler { Name = "kata-qemu" }];
        await cluster.Client.CoreV1.ReplaceNodeStatusAsync(node, "kata-2");
        await Eventually.HoldsAsync(() => cluster.Condition(Ns, "coder", "Ready", out _) == "True", "coder is Ready once kata-2 reports the handler");
        Assert.Equal("True", cluster.Condition(Ns, "coder", "NodePoolAvailable", out var reason));
        Assert.Equal("PoolReady", reason);
        Assert.Equal(0, await controller.PodAudit.RunOnceAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_pod_audit_skips_excluded_namespaces_as_admission_does()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.CreateNamespaceAsync(Ns);
        await cluster.CreateNamespaceAsync("kube-system");
        // kube-proxy's shape: it tolerates every taint, which breaks pool separation wherever the policy judges.
        foreach (var ns in new[] { Ns, "kube-system" })
        {
            await cluster.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = "kube-proxy", NamespaceProperty = ns },
                Spec = new V1PodSpec { Tolerations = [new V1Toleration { OperatorProperty = "Exists" }], Containers = [new V1Container { Name = "proxy", Image = "registry.k8s.io/kube-proxy:v1.30.0" }] },
            }, ns);
        }

        var controller = cluster.StartController(Options());
        await Eventually.HoldsAsync(() => controller.Cache.Pods.Get("kube-system", "kube-proxy") is not null && controller.Cache.Pods.Get(Ns, "kube-proxy") is not null, "both pods are cached");

        Assert.Equal(1, await controller.PodAudit.RunOnceAsync(CancellationToken.None));
        await cluster.Client.CoreV1.DeleteNamespacedPodAsync("kube-proxy", Ns);
        await Eventually.HoldsAsync(() => controller.Cache.Pods.Get(Ns, "kube-proxy") is null, "the judged pod is gone from the cache");
        Assert.Equal(0, await controller.PodAudit.RunOnceAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Cut_watches_and_410_Gone_miss_nothing()
    {
        await using var cluster = await ClusterWithKataPoolAsync();
        await cluster.CreateWorkloadAsync(Ns, "w1", WorkloadType.Agent);
        await cluster.CreateWorkloadAsync(Ns, "w-doomed", WorkloadType.Tool);
        var controller = cluster.StartController(Options());
        await Eventually.HoldsAsync(() => cluster.Status(Ns, "w1") is not null && cluster.Status(Ns, "w-doomed") is not null, "first workloads converge");
        var listsBefore = controller.Informers.Sum(i => i.Lists);

        // A cut connection: the informers resume from their last resourceVersion.
        cluster.Server.Faults.CutWatches();
        await cluster.CreateWorkloadAsync(Ns, "w2", WorkloadType.Tool);
        await Eventually.HoldsAsync(() => cluster.Status(Ns, "w2") is not null, "w2 created while watches were cut converges");

        // History compacted while disconnected: the resumed watch gets 410 and the informers relist.
        await cluster.Server.WaitForOpenWatchesAsync(5);
        cluster.Server.Faults.CutWatches();
        await cluster.CreateWorkloadAsync(Ns, "w3", WorkloadType.ExecTool);
        await cluster.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(WellKnown.Group, WellKnown.Version, Ns, WellKnown.Plural, "w-doomed");
        await cluster.CreatePodAsync(Ns, "w1-bad", "w1", null, null);
        cluster.Server.Faults.ExpireResourceVersions();

        await Eventually.HoldsAsync(() => cluster.Status(Ns, "w3") is not null, "w3 created before the 410 converges");
        await Eventually.HoldsAsync(() => controller.Cache.Workloads.Get(Ns, "w-doomed") is null, "the deletion missed during the outage is seen");
        await Eventually.HoldsAsync(() => (int?)cluster.Status(Ns, "w1")?["pods"]?["total"] == 1, "the pod created during the outage is counted");
        Assert.True(controller.Informers.Sum(i => i.Lists) > listsBefore, "the informers relisted after 410");
    }

    [Fact]
    public async Task Conflicting_status_writes_are_retried()
    {
        await using var cluster = await ClusterWithKataPoolAsync();
        cluster.Server.Faults.ConflictNextWrites("agentworkloads/status", 3);
        await cluster.CreateWorkloadAsync(Ns, "w", WorkloadType.Agent);
        var controller = cluster.StartController(Options());

        // The stored condition can be seen before the reconcile that wrote it has counted the write: wait for both.
        await Eventually.HoldsAsync(() => cluster.Condition(Ns, "w", "Ready", out _) == "True" && controller.WorkloadReconciler.StatusWrites >= 1, "the status is written despite conflicts");
        Assert.True(cluster.Server.Requests.Writes("agentworkloads/status") >= 4, "three conflicted writes, then one that succeeded");
        Assert.Equal(1, controller.WorkloadReconciler.StatusWrites);
    }

    [Fact]
    public async Task An_unchanged_cluster_gets_no_writes_over_several_resyncs()
    {
        await using var cluster = await ClusterWithKataPoolAsync();
        await cluster.CreateWorkloadAsync(Ns, "a", WorkloadType.Agent);
        await cluster.CreateWorkloadAsync(Ns, "b", WorkloadType.Tool);
        await cluster.CreateWorkloadAsync(Ns, "c", WorkloadType.Internal);
        await cluster.CreatePodAsync(Ns, "a-bad", "a", null, null);
        await cluster.CreateNodeAsync("kata-untainted", "kata", tainted: false);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var controller = cluster.StartController(Options(resync: TimeSpan.FromSeconds(1)) with { Time = time });
        await Eventually.HoldsAsync(() => new[] { "a", "b", "c" }.All(n => cluster.Status(Ns, n) is not null), "all statuses are written");
        // The cache must hold what was written: a resync that reads a status older than the stored one rightly tries
        // again (and the stale resourceVersion makes that write conflict), which is not what this test is about.
        await Eventually.HoldsAsync(
            () => new[] { "a", "b", "c" }.All(n => controller.Cache.Workloads.VersionOf(Ns, n) == (string?)cluster.Server.Store.Get(TestCluster.AgentWorkloads, Ns, n)?["metadata"]?["resourceVersion"]),
            "the controller's cache holds the written statuses");
        await Eventually.HoldsAsync(() => controller.Workloads.Queue is { Depth: 0, Delayed: 0, InFlight: 0 }, "the first reconciles are done");

        // Resyncs come only when the test moves the controller's clock: five rounds of the three workloads.
        cluster.Server.Requests.Reset();
        var processed = controller.Workloads.Processed;
        await Eventually.HoldsAsync(
            () => (controller.Workloads.Processed - processed >= 3 * 5 && controller.Workloads.Queue is { Depth: 0, InFlight: 0 }) || Advance(time, TimeSpan.FromSeconds(1)),
            "resyncs reconcile the workloads again");

        Assert.True(cluster.Server.Requests.Writes() == 0, "writes during the resyncs: " + string.Join(", ", cluster.Server.Requests.Snapshot().Select(p => $"{p.Key}={p.Value}")));

        // What the resyncs did not repeat was emitted once: the node audit's Event and the non-compliant pod's.
        var events = cluster.Server.Store.List(BuiltInResources.Events, "default").Concat(cluster.Server.Store.List(BuiltInResources.Events, Ns)).ToList();
        Assert.Single(events, e => (string?)e["reason"] == "PoolTaintMissing" && (string?)e["regarding"]!["name"] == "kata-untainted");
        Assert.Single(events, e => (string?)e["reason"] == "NonCompliantPod" && ((string?)e["note"])!.Contains("a-bad"));
        var pool = cluster.Status(Ns, "a")!["conditions"]!.AsArray().First(c => (string?)c!["type"] == "NodePoolAvailable")!;
        Assert.Equal("True", (string?)pool["status"]);
        Assert.Contains("kata-untainted carries label agentsandbox.io/pool=kata but not taint", (string?)pool["message"]);
    }

    [Fact]
    public async Task An_invalid_spec_is_recorded_on_status_and_not_retried()
    {
        await using var cluster = await ClusterWithKataPoolAsync();
        var body = new JsonObject
        {
            ["apiVersion"] = WellKnown.ApiVersion,
            ["kind"] = WellKnown.Kind,
            ["metadata"] = new JsonObject { ["name"] = "robot", ["namespace"] = Ns },
            ["spec"] = new JsonObject { ["type"] = "Robot" },
        };
        await cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync(body, WellKnown.Group, WellKnown.Version, Ns, WellKnown.Plural);
        await cluster.CreateWorkloadAsync(Ns, "fine", WorkloadType.Agent);
        var controller = cluster.StartController(Options());

        await Eventually.HoldsAsync(() => cluster.Condition(Ns, "robot", "Ready", out var r) == "False" && r == "InvalidSpec", "the invalid spec is reported");
        await Eventually.HoldsAsync(() => cluster.Condition(Ns, "fine", "Ready", out _) == "True", "a valid neighbour is not held up");
        var message = (string?)cluster.Status(Ns, "robot")!["conditions"]![0]!["message"];
        Assert.Contains("spec.type", message);

        // Idle with nothing delayed: a terminal result schedules no retry, so no reconcile can follow.
        await Eventually.HoldsAsync(() => controller.Workloads.Queue is { Depth: 0, Delayed: 0, InFlight: 0 }, "the queue is idle");
        Assert.Equal(0, controller.Workloads.Queue.Failures(SandboxOperator.Controller.Runtime.ReconcileLoop.KeyOf(Ns, "robot")));
    }

    [Fact]
    public async Task Two_replicas_elect_one_leader_and_fail_over_without_losing_work()
    {
        await using var cluster = await ClusterWithKataPoolAsync();
        var election = new LeaderElectionOptions
        {
            Namespace = "agentsandbox-system",
            // The production timings: a leader on a loaded machine keeps its lease, and the stop hands it over at once.
            LeaseDuration = TimeSpan.FromSeconds(15),
            RenewDeadline = TimeSpan.FromSeconds(10),
            RetryPeriod = TimeSpan.FromMilliseconds(200),
        };
        var leaders = 0;
        var maxLeaders = 0;
        SandboxController Start(string id)
        {
            var c = cluster.StartController(Options() with { LeaderElection = election, Identity = id });
            c.LeadershipChanged += leading =>
            {
                var now = leading ? Interlocked.Increment(ref leaders) : Interlocked.Decrement(ref leaders);
                InterlockedMax(ref maxLeaders, now);
            };
            return c;
        }

        var a = Start("replica-a");
        var b = Start("replica-b");
        await Eventually.HoldsAsync(() => a.IsLeader || b.IsLeader, "one replica leads");
        await cluster.CreateWorkloadAsync(Ns, "before", WorkloadType.Agent);
        await Eventually.HoldsAsync(() => cluster.Status(Ns, "before") is not null, "the leader reconciles");
        Assert.True(a.Cache.Workloads.Get(Ns, "before") is not null && b.Cache.Workloads.Get(Ns, "before") is not null, "both replicas keep warm caches");

        var (leader, standby) = a.IsLeader ? (a, b) : (b, a);
        Assert.Equal(0, standby.Workloads.Processed);
        await cluster.StopControllerAsync(leader);
        await cluster.CreateWorkloadAsync(Ns, "during", WorkloadType.Tool);
        await Eventually.HoldsAsync(() => standby.IsLeader, "the standby takes over", TimeSpan.FromSeconds(15));
        await cluster.CreateWorkloadAsync(Ns, "after", WorkloadType.MCPServer);
        await Eventually.HoldsAsync(() => cluster.Status(Ns, "during") is not null && cluster.Status(Ns, "after") is not null, "the new leader reconciles work created during and after the failover");
        Assert.Equal(1, maxLeaders);
    }

    [Fact]
    public async Task A_leader_that_stops_cleanly_hands_the_lease_over_without_waiting_for_it_to_expire()
    {
        await using var cluster = await ClusterWithKataPoolAsync();
        var election = new LeaderElectionOptions
        {
            Namespace = "agentsandbox-system",
            LeaseDuration = TimeSpan.FromSeconds(20),
            RenewDeadline = TimeSpan.FromSeconds(15),
            RetryPeriod = TimeSpan.FromMilliseconds(200),
        };
        var a = cluster.StartController(Options() with { LeaderElection = election, Identity = "replica-a" });
        await Eventually.HoldsAsync(() => a.IsLeader, "the first replica leads");
        var b = cluster.StartController(Options() with { LeaderElection = election, Identity = "replica-b" });
        await cluster.Server.WaitForOpenWatchesAsync(1);

        await cluster.StopControllerAsync(a);
        // Only a released Lease lets the standby in before the 20 s lease expires (the wait gives up at 10 s).
        await Eventually.HoldsAsync(() => b.IsLeader, "the standby leads right after the clean stop", TimeSpan.FromSeconds(10));
        var lease = await cluster.Client.CoordinationV1.ReadNamespacedLeaseAsync(election.LeaseName, election.Namespace);
        Assert.Equal("replica-b", lease.Spec.HolderIdentity);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    /// <summary>Moves <paramref name="time"/> on; false, so it can stand in a condition that keeps polling.</summary>
    private static bool Advance(Microsoft.Extensions.Time.Testing.FakeTimeProvider time, TimeSpan by)
    {
        time.Advance(by);
        return false;
    }
}
