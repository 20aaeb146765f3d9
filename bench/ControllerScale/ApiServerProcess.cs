using System.Diagnostics;
using k8s;
using k8s.Models;
using SandboxOperator.Controller.CustomResources;
using SandboxOperator.Policy.Api;
using SandboxOperator.Testing.KubeApi;

namespace ControllerScale;

/// <summary>
/// The API server side of the benchmark, run in a child process so the controller's RSS is measured alone: starts the
/// in-process API server, seeds it over HTTP and prints <c>READY url</c>; exits when its stdin closes.
/// </summary>
internal static class ApiServerProcess
{
    public static async Task<int> ServeAsync(int workloads, int pods, int namespaces)
    {
        var type = ResourceType.CustomResource(WellKnown.Group, WellKnown.Version, WellKnown.Kind, WellKnown.Plural);
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { AdditionalResources = [type, ResourceType.CustomResource(WellKnown.Group, WellKnown.Version, WellKnown.ExceptionKind, WellKnown.ExceptionPlural)], WatchHistoryLimit = 200_000 });
        var client = new Kubernetes(new KubernetesClientConfiguration { Host = server.Url });
        var sw = Stopwatch.StartNew();
        await SeedAsync(client, workloads, pods, namespaces);
        Console.WriteLine($"SEEDED {workloads} workloads, {pods} pods in {sw.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"READY {server.Url}");
        await Console.In.ReadToEndAsync();
        return 0;
    }

    private static async Task SeedAsync(Kubernetes client, int workloads, int pods, int namespaces)
    {
        for (var i = 0; i < namespaces; i++)
        {
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = $"team-{i:D3}" } });
        }

        foreach (var (name, pool) in Enumerable.Range(0, 10).Select(i => ($"kata-{i}", (string?)"kata")).Concat(Enumerable.Range(0, 10).Select(i => ($"gvisor-{i}", (string?)"gvisor"))).Concat(Enumerable.Range(0, 10).Select(i => ($"general-{i}", (string?)null))))
        {
            var node = await client.CoreV1.CreateNodeAsync(new V1Node
            {
                Metadata = new V1ObjectMeta { Name = name, Labels = pool is null ? null : new Dictionary<string, string> { ["agentsandbox.io/pool"] = pool } },
                Spec = new V1NodeSpec { Taints = pool is null ? null : [new V1Taint { Key = "agentsandbox.io/pool", Value = pool, Effect = "NoSchedule" }] },
            });
            node.Status = new V1NodeStatus { Conditions = [new V1NodeCondition { Type = "Ready", Status = "True" }] };
            await client.CoreV1.ReplaceNodeStatusAsync(node, name);
        }

        await client.NodeV1.CreateRuntimeClassAsync(new V1RuntimeClass { Metadata = new V1ObjectMeta { Name = "kata" }, Handler = "kata-qemu" });
        await client.NodeV1.CreateRuntimeClassAsync(new V1RuntimeClass { Metadata = new V1ObjectMeta { Name = "gvisor" }, Handler = "runsc" });

        WorkloadType[] types = [WorkloadType.Agent, WorkloadType.MCPServer, WorkloadType.Tool, WorkloadType.Internal, WorkloadType.ExecTool];
        var podsPerWorkload = Math.Max(1, pods / Math.Max(1, workloads));
        await Parallel.ForEachAsync(Enumerable.Range(0, workloads), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var ns = $"team-{i % namespaces:D3}";
            var name = $"wl-{i:D5}";
            var wtype = types[i % types.Length];
            await client.CustomObjects.CreateNamespacedCustomObjectAsync(
                new V1Alpha1AgentWorkload { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns }, Spec = new AgentWorkloadSpec { Type = wtype } },
                WellKnown.Group, WellKnown.Version, ns, WellKnown.Plural, cancellationToken: ct);
            var (rc, pool, tier, runtime) = wtype switch
            {
                WorkloadType.Tool => ("gvisor", "gvisor", "medium", "gvisor"),
                WorkloadType.Internal => ((string?)null, (string?)null, "low", "runc"),
                _ => ("kata", "kata", "high", "kata"),
            };
            for (var p = 0; p < podsPerWorkload; p++)
            {
                // One workload in a hundred has a pod that slipped past admission (no RuntimeClass, none of the
                // operator's labels); the others carry what the webhook writes.
                var slipped = p == 0 && i % 100 == 7 && rc is not null;
                var labels = new Dictionary<string, string> { [WellKnown.WorkloadLabel] = name, ["app"] = name };
                var annotations = new Dictionary<string, string> { ["kubectl.kubernetes.io/default-container"] = "main" };
                if (!slipped)
                {
                    labels[WellKnown.TierLabel] = tier;
                    labels[WellKnown.RuntimeLabel] = runtime;
                    annotations[WellKnown.ReasonsAnnotation] = $"AgentWorkload {name}: type {wtype}";
                }

                await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
                {
                    Metadata = new V1ObjectMeta
                    {
                        Name = $"{name}-{p}",
                        NamespaceProperty = ns,
                        Labels = labels,
                        Annotations = annotations,
                    },
                    Spec = new V1PodSpec
                    {
                        RuntimeClassName = slipped ? null : rc,
                        NodeSelector = pool is null || slipped ? null : new Dictionary<string, string> { ["agentsandbox.io/pool"] = pool },
                        Tolerations = pool is null || slipped ? null : [new V1Toleration { Key = "agentsandbox.io/pool", OperatorProperty = "Equal", Value = pool, Effect = "NoSchedule" }],
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "main",
                                Image = "registry.example/agents/runtime:1.4.2",
                                Args = ["--listen", ":8080"],
                                Env = [new V1EnvVar { Name = "MODE", Value = "production" }],
                                Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("128Mi") } },
                                SecurityContext = new V1SecurityContext { AllowPrivilegeEscalation = false, SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" } },
                            },
                        ],
                    },
                }, ns, cancellationToken: ct);
            }
        });
    }
}
