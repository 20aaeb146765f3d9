using SandboxOperator.ControlPlaneTests.Support;

namespace SandboxOperator.ControlPlaneTests;

/// <summary>
/// The chart never reviews kube-system or its own namespace (selected out by kubernetes.io/metadata.name),
/// so the control plane and the operator can be repaired while no replica answers.
/// </summary>
[Collection(OperatorClusterCollection.Name)]
public sealed class NamespaceExclusionTests(OperatorCluster cluster)
{
    [SkippableTheory]
    [InlineData("kube-system")]
    [InlineData(ChartInstallation.Namespace)]
    public async Task Pods_in_excluded_namespaces_are_never_reviewed(string ns)
    {
        cluster.SkipIfUnavailable();

        // An MCP pod asking for gVisor is refused anywhere the webhook looks.
        var pod = await cluster.Client.CoreV1.CreateNamespacedPodAsync(Pods.Mcp("not-reviewed", runtimeClassName: "gvisor"), ns, dryRun: "All");

        Assert.Equal("gvisor", pod.Spec.RuntimeClassName);
        Assert.Null(Pods.Runtime(pod));
    }
}
