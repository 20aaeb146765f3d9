using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using SandboxOperator.Controller.CustomResources;
using SandboxOperator.Controller.Manager;
using SandboxOperator.Policy.Api;
using SandboxOperator.Testing;
using SandboxOperator.Testing.KubeApi;

namespace SandboxOperator.Controller.Tests;

/// <summary>An in-process API server serving AgentWorkloads and SandboxExceptions, a client for it, and helpers to build a small cluster.</summary>
public sealed class TestCluster : IAsyncDisposable
{
    public static readonly ResourceType AgentWorkloads = ResourceType.CustomResource(WellKnown.Group, WellKnown.Version, WellKnown.Kind, WellKnown.Plural);
    public static readonly ResourceType SandboxExceptions = ResourceType.CustomResource(WellKnown.Group, WellKnown.Version, WellKnown.ExceptionKind, WellKnown.ExceptionPlural);

    private readonly List<(SandboxController Controller, CancellationTokenSource Stop, Task Run)> _controllers = [];

    private TestCluster(KubeApiServer server)
    {
        Server = server;
        Client = NewClient();
    }

    public KubeApiServer Server { get; }

    public IKubernetes Client { get; }

    public static async Task<TestCluster> StartAsync(KubeApiServerOptions? options = null)
    {
        options ??= new KubeApiServerOptions();
        var server = await KubeApiServer.StartAsync(options with { AdditionalResources = [.. options.AdditionalResources, AgentWorkloads, SandboxExceptions] });
        return new TestCluster(server);
    }

    public IKubernetes NewClient() => new Kubernetes(new KubernetesClientConfiguration { Host = Server.Url });

    /// <summary>Starts a controller on its own client; stopped at dispose unless stopped before.</summary>
    public SandboxController StartController(SandboxControllerOptions options, Metrics.ControllerMetrics? metrics = null)
    {
        var controller = new SandboxController(NewClient(), options, metrics: metrics);
        var stop = new CancellationTokenSource();
        var run = Task.Run(() => controller.RunAsync(stop.Token));
        _controllers.Add((controller, stop, run));
        return controller;
    }

    /// <summary>
    /// Starts a controller without leader election on <paramref name="time"/> (the audit every
    /// <paramref name="auditInterval"/>, resync every <paramref name="resyncPeriod"/>) and returns once its caches
    /// have synced and it leads.
    /// </summary>
    public async Task<SandboxController> StartLeadingAsync(TimeProvider time, TimeSpan auditInterval, TimeSpan resyncPeriod, Metrics.ControllerMetrics metrics, string identity)
    {
        var controller = StartController(new SandboxControllerOptions
        {
            LeaderElection = null,
            Policy = Policy.Configuration.PolicyConfig.Default,
            PodAuditInterval = auditInterval,
            ResyncPeriod = resyncPeriod,
            Time = time,
            Identity = identity,
        }, metrics);
        await controller.Cache.Synced.WaitAsync(TestContext.Timeout(30));
        await Eventually.HoldsAsync(() => controller.IsLeader, "the controller leads");
        return controller;
    }

    public async Task StopControllerAsync(SandboxController controller)
    {
        var entry = _controllers.Single(c => c.Controller == controller);
        await entry.Stop.CancelAsync();
        await entry.Run.WaitAsync(TimeSpan.FromSeconds(20));
        _controllers.Remove(entry);
        controller.Dispose();
    }

    public async Task CreateNamespaceAsync(string name, Dictionary<string, string>? labels = null) =>
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name, Labels = labels } });

    /// <summary>Creates a Ready node in a pool (labelled; tainted unless <paramref name="tainted"/> is false), or a general node for a null pool.</summary>
    /// <summary>Creates a Node; <paramref name="runtimeHandlers"/> are the names it reports in <c>status.runtimeHandlers</c>.</summary>
    public async Task CreateNodeAsync(string name, string? pool, bool tainted = true, bool ready = true, params string[] runtimeHandlers)
    {
        var node = new V1Node
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = pool is null ? null : new Dictionary<string, string> { ["agentsandbox.io/pool"] = pool } },
            Spec = new V1NodeSpec { Taints = pool is not null && tainted ? [new V1Taint { Key = "agentsandbox.io/pool", Value = pool, Effect = "NoSchedule" }] : null },
        };
        var created = await Client.CoreV1.CreateNodeAsync(node);
        created.Status = new V1NodeStatus
        {
            Conditions = [new V1NodeCondition { Type = "Ready", Status = ready ? "True" : "False" }],
            RuntimeHandlers = runtimeHandlers.Length == 0 ? null : runtimeHandlers.Select(h => new V1NodeRuntimeHandler { Name = h }).ToList(),
        };
        await Client.CoreV1.ReplaceNodeStatusAsync(created, name);
    }

    public Task<V1RuntimeClass> CreateRuntimeClassAsync(string name, string handler) =>
        Client.NodeV1.CreateRuntimeClassAsync(new V1RuntimeClass { Metadata = new V1ObjectMeta { Name = name }, Handler = handler });

    public async Task CreateWorkloadAsync(string ns, string name, WorkloadType type, Policy.Api.LabelSelector? selector = null)
    {
        var body = new V1Alpha1AgentWorkload
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
            Spec = new AgentWorkloadSpec { Type = type, Selector = selector },
        };
        await Client.CustomObjects.CreateNamespacedCustomObjectAsync(body, WellKnown.Group, WellKnown.Version, ns, WellKnown.Plural);
    }

    /// <summary>Creates a pod of <paramref name="workload"/>; <paramref name="runtimeClass"/> null means none (as if it slipped past the webhook).</summary>
    public Task<V1Pod> CreatePodAsync(string ns, string name, string workload, string? runtimeClass, string? pool)
    {
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = new Dictionary<string, string> { [WellKnown.WorkloadLabel] = workload } },
            Spec = new V1PodSpec
            {
                RuntimeClassName = runtimeClass,
                NodeSelector = pool is null ? null : new Dictionary<string, string> { ["agentsandbox.io/pool"] = pool },
                Tolerations = pool is null ? null : [new V1Toleration { Key = "agentsandbox.io/pool", OperatorProperty = "Equal", Value = pool, Effect = "NoSchedule" }],
                SecurityContext = new V1PodSecurityContext { SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" } },
                Containers = [new V1Container { Name = "main", Image = "example/agent:1" }],
            },
        };
        AdmittedStatement.Apply(pod, runtimeClass);
        return Client.CoreV1.CreateNamespacedPodAsync(pod, ns);
    }

    /// <summary>The stored status of a workload as JSON, or null.</summary>
    public JsonObject? Status(string ns, string name) => Server.Store.Get(AgentWorkloads, ns, name)?["status"] as JsonObject;

    /// <summary>The status of condition <paramref name="type"/> ("True", "False", "Unknown") or null.</summary>
    public string? Condition(string ns, string name, string type, out string? reason)
    {
        reason = null;
        if (Status(ns, name)?["conditions"] is not JsonArray conditions)
        {
            return null;
        }

        var c = conditions.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type);
        reason = (string?)c?["reason"];
        return (string?)c?["status"];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (controller, stop, run) in _controllers)
        {
            await stop.CancelAsync();
            try
            {
                await run.WaitAsync(TimeSpan.FromSeconds(20));
            }
            catch (TimeoutException)
            {
            }

            controller.Dispose();
        }

        await Server.DisposeAsync();
    }
}
