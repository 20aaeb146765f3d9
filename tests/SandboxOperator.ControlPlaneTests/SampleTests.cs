using System.Text.Json.Nodes;
using k8s.Models;
using SandboxOperator.ControlPlaneTests.Support;
using SandboxOperator.Policy.Api;

namespace SandboxOperator.ControlPlaneTests;

/// <summary>config/samples as a user applies them: one kubectl apply of namespaces, AgentWorkloads, controllers and pods together.</summary>
[Collection(OperatorClusterCollection.Name)]
public sealed class SampleTests(OperatorCluster cluster)
{
    /// <summary>Every pod of the samples (bare, or made by a Deployment, StatefulSet or Job), by namespace and app label, with the runtime its tier needs.</summary>
    private static readonly (string Namespace, string App, string Runtime, int Pods)[] Expected =
    [
        ("agents", "github-mcp", "kata", 3),
        ("tools", "pdf-reader", "kata", 1),
        ("tools", "unit-converter", "gvisor", 2),
        ("internal", "billing-api", "runc", 4),
    ];

    [SkippableFact]
    public async Task Applying_the_samples_stores_every_pod_mutated_into_its_tiers_runtime_and_every_workload_becomes_ready()
    {
        cluster.SkipUnlessControllersRun();

        var apply = await cluster.Admin.RunAsync("apply", "-f", RepositoryLayout.Samples);

        Assert.True(apply.Succeeded, apply.ToString());
        Assert.Contains("agentworkload.agentsandbox.io/github-mcp created", apply.Stdout, StringComparison.Ordinal);
        Assert.Contains("pod/code-runner created", apply.Stdout, StringComparison.Ordinal);

        // The code runner is claimed by its AgentWorkload's label, created in the same apply just before it.
        var codeRunner = await cluster.Client.CoreV1.ReadNamespacedPodAsync("code-runner", "tools");
        Assert.Equal("kata", codeRunner.Spec.RuntimeClassName);
        Assert.Equal("high", codeRunner.Metadata.Labels[WellKnown.TierLabel]);

        foreach (var (ns, app, runtime, count) in Expected)
        {
            IList<V1Pod> pods = [];
            await Eventually.HoldsAsync(async () =>
            {
                pods = (await cluster.Client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: $"app={app}")).Items;
                return pods.Count == count;
            }, $"{count} {app} pods exist in {ns}", OperatorCluster.Patience, () => string.Join("; ", pods.Select(Pods.Describe)));

            foreach (var pod in pods)
            {
                Assert.True(Pods.Runtime(pod) == runtime, $"expected runtime {runtime}: {Pods.Describe(pod)}");
                Assert.Equal(runtime == "runc" ? null : runtime, pod.Spec.RuntimeClassName);
                Assert.NotNull(pod.Spec.SecurityContext?.SeccompProfile);
            }
        }

        // Every workload converges to Ready: RuntimeClass present, pool nodes present, pods compliant.
        string[] workloads = ["agents/github-mcp", "tools/code-runner", "tools/pdf-reader", "tools/unit-converter", "internal/billing-api"];
        var table = "";
        await Eventually.HoldsAsync(async () =>
        {
            table = await cluster.Admin.SucceedAsync("get", "aw", "-A");
            var ready = await ReadyWorkloadsAsync();
            return workloads.All(ready.Contains);
        }, "every sample AgentWorkload is Ready", OperatorCluster.Patience, () => table);

        var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAMESPACE\s+NAME\s+TYPE\s+TIER\s+RUNTIME\s+READY\s+AGE$", lines[0]);
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^agents\s+github-mcp\s+MCPServer\s+High\s+Kata\s+True\s"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^tools\s+unit-converter\s+Tool\s+Medium\s+GVisor\s+True\s"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^internal\s+billing-api\s+Internal\s+Low\s+Runc\s+True\s"));
    }

    private async Task<HashSet<string>> ReadyWorkloadsAsync()
    {
        var list = JsonNode.Parse(KubernetesJson.Serialize(await cluster.Client.CustomObjects.ListClusterCustomObjectAsync(WellKnown.Group, WellKnown.Version, WellKnown.Plural)))!;
        return list["items"]!.AsArray()
            .Where(i => i!["status"]?["conditions"]?.AsArray().Any(c => (string?)c!["type"] == "Ready" && (string?)c["status"] == "True") == true)
            .Select(i => $"{i!["metadata"]!["namespace"]}/{i["metadata"]!["name"]}")
            .ToHashSet();
    }
}
