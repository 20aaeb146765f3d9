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
    private const string Ns = "placement";

    [SkippableFact]
    public async Task The_scheduler_places_every_pod_of_each_tiers_deployment_on_that_tiers_pool_only()
    {
        cluster.SkipUnlessControllersRun();
        await cluster.CreateNamespaceAsync(Ns);

        await cluster.Admin.ApplyAsync(Workload("agent", "Agent") + "---\n" + Workload("tool", "Tool") + "---\n" + Workload("service", "Internal"));

        foreach (var (app, runtime, pool) in new[] { ("agent", "kata", "kata"), ("tool", "gvisor", "gvisor"), ("service", "runc", (string?)null) })
        {
            IList<V1Pod> pods = [];
            await Eventually.HoldsAsync(async () =>
            {
                pods = (await cluster.Client.CoreV1.ListNamespacedPodAsync(Ns, labelSelector: $"app={app}")).Items;
                return pods.Count == 3 && pods.All(p => p.Spec.NodeName is not null);
            }, $"the 3 {app} pods are created and bound to nodes", OperatorCluster.Patience, () => string.Join("; ", pods.Select(Pods.Describe)));

            foreach (var pod in pods)
            {
                Assert.True(Pods.Runtime(pod) == runtime, Pods.Describe(pod));
                Assert.True(PoolOf(pod.Spec.NodeName) == pool, $"expected pool {pool ?? "(general)"}: {Pods.Describe(pod)}");
            }
        }
    }

    [SkippableFact]
    public async Task A_template_asking_for_a_weaker_runtime_than_its_tier_is_refused_at_apply_time()
    {
        cluster.SkipIfUnavailable();
        await cluster.CreateNamespaceAsync("placement-conflict");

        var apply = await ApplyAfterWorkloadAsync(Workload("coder", "ExecTool", ns: "placement-conflict", templateSpec: "runtimeClassName: gvisor"));

        Assert.Equal(1, apply.ExitCode);
        Assert.Contains("error when creating \"STDIN\": admission webhook \"validate.agentsandbox.io\" denied the request", apply.Stderr, StringComparison.Ordinal);
        Assert.Contains("AgentWorkload coder is High and needs runtimeClassName \"kata\"", apply.Stderr, StringComparison.Ordinal);
        Assert.Empty((await cluster.Client.AppsV1.ListNamespacedDeploymentAsync("placement-conflict")).Items);
    }

    [SkippableFact]
    public async Task A_template_aimed_at_another_runtimes_pool_is_refused_at_apply_time()
    {
        cluster.SkipIfUnavailable();
        await cluster.CreateNamespaceAsync("placement-pool");

        var apply = await ApplyAfterWorkloadAsync(Workload("converter", "Tool", ns: "placement-pool", templateSpec: "nodeSelector: { agentsandbox.io/pool: kata }"));

        Assert.Equal(1, apply.ExitCode);
        Assert.Contains("admission webhook \"validate.agentsandbox.io\" denied the request", apply.Stderr, StringComparison.Ordinal);
        Assert.Contains("spec.template: a gvisor pod must run on the gvisor pool (agentsandbox.io/pool=gvisor), but its nodeSelector, node affinity or nodeName rule that out",
            apply.Stderr, StringComparison.Ordinal);
        Assert.Empty((await cluster.Client.AppsV1.ListNamespacedDeploymentAsync("placement-pool")).Items);
    }

    /// <summary>Applies the AgentWorkload, waits until the operator has classified it, then applies the Deployment.</summary>
    private async Task<KubectlResult> ApplyAfterWorkloadAsync(string yaml)
    {
        var parts = yaml.Split("---\n", 2);
        await cluster.Admin.ApplyAsync(parts[0]);
        var name = System.Text.RegularExpressions.Regex.Match(parts[0], @"name: ([a-z-]+), namespace: ([a-z-]+)");
        await Eventually.HoldsAsync(async () => (await cluster.Admin.RunAsync("get", "aw", name.Groups[1].Value, "-n", name.Groups[2].Value, "-o", "jsonpath={.status.riskTier}")).Stdout.Length > 0,
            $"the operator has classified AgentWorkload {name.Groups[1].Value}", OperatorCluster.Patience);
        return await cluster.Admin.RunWithInputAsync(parts[1], "apply", "-f", "-");
    }

    private static string? PoolOf(string nodeName) =>
        OperatorCluster.Nodes.Single(n => n.Name == nodeName).Labels.TryGetValue("agentsandbox.io/pool", out var pool) ? pool : null;

    /// <summary>An AgentWorkload of <paramref name="type"/> selecting app=<paramref name="name"/>, and a 3-replica Deployment of that app.</summary>
    private static string Workload(string name, string type, string ns = Ns, string templateSpec = "") => $$"""
        apiVersion: agentsandbox.io/v1alpha1
        kind: AgentWorkload
        metadata: { name: {{name}}, namespace: {{ns}} }
        spec:
          type: {{type}}
          selector: { matchLabels: { app: {{name}} } }
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: {{name}}, namespace: {{ns}} }
        spec:
          replicas: 3
          selector: { matchLabels: { app: {{name}} } }
          template:
            metadata: { labels: { app: {{name}} } }
            spec:
              {{templateSpec}}
              containers: [{ name: main, image: registry.example/none:1 }]

        """;
}
