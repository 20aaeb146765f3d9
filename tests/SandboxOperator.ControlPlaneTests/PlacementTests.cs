using k8s.Models;
using SandboxOperator.ControlPlaneTests.Support;

namespace SandboxOperator.ControlPlaneTests;

/// <summary>
/// Deployments per tier: the ReplicaSet controller creates the pods, the webhook mutates them, and the
/// real scheduler places each on its own pool only, kata and gvisor on their tainted pools and runc on
/// the general nodes; a template that contradicts its tier is refused when it is applied.
/// </summary>
[Collection(OperatorClusterCollection.Name)]
public sealed class PlacementTests(OperatorCluster cluster)
{
    [SkippableFact]
    public async Task The_scheduler_places_every_pod_of_each_tiers_deployment_on_that_tiers_pool_only()
    {
        cluster.SkipUnlessControllersRun();
        const string ns = "placement";
        await cluster.CreateNamespaceAsync(ns);
        foreach (var (app, type) in new[] { ("agent", "Agent"), ("tool", "Tool"), ("service", "Internal") })
        {
            await cluster.ApplyWorkloadAsync(ns, app, type);
        }

        await cluster.Admin.ApplyAsync(Deployment("agent", ns) + "---\n" + Deployment("tool", ns) + "---\n" + Deployment("service", ns));

        foreach (var (app, runtime, pool) in new[] { ("agent", "kata", "kata"), ("tool", "gvisor", "gvisor"), ("service", "runc", (string?)null) })
        {
            IList<V1Pod> pods = [];
            await Eventually.HoldsAsync(async () =>
            {
                pods = (await cluster.Client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: $"app={app}")).Items;
                return pods.Count == 3 && pods.All(p => p.Spec.NodeName is not null);
            }, $"the 3 {app} pods are created and bound to nodes", OperatorCluster.Patience, () => string.Join("; ", pods.Select(Pods.Describe)));

            foreach (var pod in pods)
            {
                Assert.True(Pods.Runtime(pod) == runtime, Pods.Describe(pod));
                Assert.True(PoolOf(pod.Spec.NodeName) == pool, $"expected pool {pool ?? "(general)"}: {Pods.Describe(pod)}");
            }
        }
    }

    [SkippableTheory]
    [InlineData("coder", "ExecTool", "runtimeClassName: gvisor",
        "AgentWorkload coder is High and needs runtimeClassName \"kata\"")]
    [InlineData("converter", "Tool", "nodeSelector: { agentsandbox.io/pool: kata }",
        "spec.template: a gvisor pod must run on the gvisor pool (agentsandbox.io/pool=gvisor), but its nodeSelector, node affinity or nodeName rule that out")]
    public async Task A_template_that_contradicts_its_tier_is_refused_at_apply_time(string app, string type, string templateSpec, string message)
    {
        cluster.SkipIfUnavailable();
        var ns = $"conflict-{app}";
        await cluster.CreateNamespaceAsync(ns);
        await cluster.ApplyWorkloadAsync(ns, app, type);

        var apply = await cluster.Admin.RunWithInputAsync(Deployment(app, ns, templateSpec), "apply", "-f", "-");

        Assert.Equal(1, apply.ExitCode);
        Assert.Contains("error when creating \"STDIN\": admission webhook \"validate.agentsandbox.io\" denied the request", apply.Stderr, StringComparison.Ordinal);
        Assert.Contains(message, apply.Stderr, StringComparison.Ordinal);
        Assert.Empty((await cluster.Client.AppsV1.ListNamespacedDeploymentAsync(ns)).Items);
    }

    private static string? PoolOf(string nodeName) =>
        OperatorCluster.Nodes.Single(n => n.Name == nodeName).Labels.TryGetValue("agentsandbox.io/pool", out var pool) ? pool : null;

    /// <summary>A 3-replica Deployment of pods labelled app=<paramref name="app"/>, with <paramref name="templateSpec"/> in its pod spec.</summary>
    private static string Deployment(string app, string ns, string templateSpec = "") => $$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: {{app}}, namespace: {{ns}} }
        spec:
          replicas: 3
          selector: { matchLabels: { app: {{app}} } }
          template:
            metadata: { labels: { app: {{app}} } }
            spec:
              {{templateSpec}}
              containers: [{ name: main, image: registry.example/none:1 }]

        """;
}
