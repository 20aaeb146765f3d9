using k8s.Models;
using SandboxOperator.ControlPlaneTests.Support;

namespace SandboxOperator.ControlPlaneTests;

/// <summary>
/// The runtime handler proof on a real API server. Kubernetes 1.20 has no <c>status.runtimeHandlers</c>, so the
/// pools are unverified, never ready by default; kata-deploy's label <c>katacontainers.io/kata-runtime=cleanup</c>
/// on a kata node (Kata being removed) makes the pool unavailable naming the node, raises the metric, and a pod
/// bound to that node is non-compliant.
/// </summary>
[Collection(OperatorClusterCollection.Name)]
public sealed class RuntimeHandlerProofTests(OperatorCluster cluster)
{
    private const string Ns = "handler-proof";
    private const string Label = "katacontainers.io/kata-runtime";

    [SkippableFact]
    public async Task A_kata_node_that_kata_deploy_is_cleaning_up_makes_the_pool_unavailable_and_its_pods_non_compliant()
    {
        cluster.SkipIfUnavailable();
        await cluster.CreateNamespaceAsync(Ns);
        Assert.Equal("High", await cluster.ApplyWorkloadAsync(Ns, "coder", "Agent"));
        await Eventually.HoldsAsync(async () => await ConditionAsync("NodePoolAvailable") == "True/HandlerUnverified", "nodes of 1.20 report no handlers: unverified", OperatorCluster.Patience);

        await cluster.Admin.SucceedAsync("label", "nodes", "kata-2", $"{Label}=cleanup");
        try
        {
            var pod = Pods.Plain("coder-on-kata-2", new Dictionary<string, string> { ["app"] = "coder" });
            pod.Spec.NodeName = "kata-2";
            await cluster.Client.CoreV1.CreateNamespacedPodAsync(pod, Ns);

            await Eventually.HoldsAsync(async () => await ConditionAsync("NodePoolAvailable") == "False/RuntimeHandlerMissing", "the pool is unavailable", OperatorCluster.Patience);
            Assert.StartsWith("node(s) kata-2 in the kata pool (agentsandbox.io/pool=kata) do not have handler \"kata-qemu\" of RuntimeClass \"kata\"",
                await cluster.Admin.SucceedAsync("get", "aw", "coder", "-n", Ns, "-o", "jsonpath={.status.conditions[?(@.type==\"NodePoolAvailable\")].message}"), StringComparison.Ordinal);
            await Eventually.HoldsAsync(async () => await ConditionAsync("PodsCompliant") == "False/NonCompliantPods", "the pod on kata-2 is non-compliant", OperatorCluster.Patience);
            Assert.Contains("the pod is on node kata-2, which does not have handler \"kata-qemu\"",
                await cluster.Admin.SucceedAsync("get", "aw", "coder", "-n", Ns, "-o", "jsonpath={.status.conditions[?(@.type==\"PodsCompliant\")].message}"), StringComparison.Ordinal);

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var metrics = await http.GetStringAsync(cluster.Operator!.MetricsUrl);
            Assert.Equal(1, PrometheusText.Sum(metrics, "agentsandbox_pool_runtime_handler_nodes", "runtime=\"kata\"", "state=\"missing\""));
            Assert.Equal(1, PrometheusText.Sum(metrics, "agentsandbox_pool_runtime_handler_nodes", "runtime=\"kata\"", "state=\"unverified\""));
        }
        finally
        {
            await cluster.Admin.SucceedAsync("label", "nodes", "kata-2", $"{Label}-");
        }

        await Eventually.HoldsAsync(async () => await ConditionAsync("NodePoolAvailable") == "True/HandlerUnverified", "the pool is back to unverified", OperatorCluster.Patience);
    }

    private async Task<string> ConditionAsync(string type) =>
        await cluster.Admin.SucceedAsync("get", "aw", "coder", "-n", Ns, "-o", $"jsonpath={{.status.conditions[?(@.type==\"{type}\")].status}}/{{.status.conditions[?(@.type==\"{type}\")].reason}}");
}
