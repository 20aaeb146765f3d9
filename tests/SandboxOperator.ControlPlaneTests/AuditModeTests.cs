using SandboxOperator.ControlPlaneTests.Support;
using SandboxOperator.Policy.Api;

namespace SandboxOperator.ControlPlaneTests;

/// <summary>A namespace in audit mode: violations are admitted, and kubectl shows what would have been denied.</summary>
[Collection(OperatorClusterCollection.Name)]
public sealed class AuditModeTests(OperatorCluster cluster)
{
    [SkippableFact]
    public async Task An_audited_namespace_admits_a_violation_and_kubectl_prints_the_warning()
    {
        cluster.SkipIfUnavailable();
        await cluster.CreateNamespaceAsync("audit-trial", new Dictionary<string, string> { [WellKnown.ModeLabel] = "audit" });

        var apply = await cluster.Admin.RunWithInputAsync("""
            apiVersion: v1
            kind: Pod
            metadata:
              name: mcp-on-gvisor
              namespace: audit-trial
              labels: { agentsandbox.io/workload-type: mcp-server }
            spec:
              runtimeClassName: gvisor
              containers: [{ name: server, image: registry.example/none:1 }]
            """, "apply", "-f", "-");

        Assert.True(apply.Succeeded, apply.ToString());
        Assert.Contains("pod/mcp-on-gvisor created", apply.Stdout, StringComparison.Ordinal);
        Assert.Contains("Warning: audit mode, would be denied: MCP server pods must run in Kata: spec.runtimeClassName is \"gvisor\"", apply.Stderr, StringComparison.Ordinal);
        // Filled in, never overridden: the pod keeps the runtime it asked for.
        var stored = await cluster.Client.CoreV1.ReadNamespacedPodAsync("mcp-on-gvisor", "audit-trial");
        Assert.Equal("gvisor", stored.Spec.RuntimeClassName);
    }
}
