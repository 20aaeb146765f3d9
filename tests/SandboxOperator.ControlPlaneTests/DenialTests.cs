using System.Net;
using k8s.Autorest;
using SandboxOperator.ControlPlaneTests.Support;

namespace SandboxOperator.ControlPlaneTests;

/// <summary>What a user sees in kubectl when the operator refuses a pod, and that nothing is stored.</summary>
[Collection(OperatorClusterCollection.Name)]
public sealed class DenialTests(OperatorCluster cluster)
{
    [SkippableFact]
    public async Task An_mcp_pod_without_kata_is_refused_and_kubectl_prints_the_webhooks_message()
    {
        cluster.SkipIfUnavailable();
        await cluster.CreateNamespaceAsync("mcp-denial");

        var apply = await cluster.Admin.RunWithInputAsync("""
            apiVersion: v1
            kind: Pod
            metadata:
              name: rogue-mcp
              namespace: mcp-denial
              labels: { agentsandbox.io/workload-type: mcp-server }
            spec:
              runtimeClassName: gvisor
              containers: [{ name: server, image: registry.example/none:1 }]
            """, "apply", "-f", "-");

        Assert.Equal(1, apply.ExitCode);
        Assert.Contains(
            "Error from server (Forbidden): error when creating \"STDIN\": admission webhook \"validate.agentsandbox.io\" denied the request: " +
            "MCP server pods must run in Kata: spec.runtimeClassName is \"gvisor\"; set it to \"kata\" or leave it unset",
            apply.Stderr, StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.ReadNamespacedPodAsync("rogue-mcp", "mcp-denial"));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
    }

    [SkippableFact]
    public async Task An_mcp_pod_that_leaves_the_runtime_unset_is_stored_in_kata()
    {
        cluster.SkipIfUnavailable();
        await cluster.CreateNamespaceAsync("mcp-allowed");

        var created = await cluster.Client.CoreV1.CreateNamespacedPodAsync(Pods.Mcp("github-mcp-0"), "mcp-allowed");

        Assert.Equal("kata", created.Spec.RuntimeClassName);
        Assert.Equal("kata", Pods.Runtime(created));
    }
}
