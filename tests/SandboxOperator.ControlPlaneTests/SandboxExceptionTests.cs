using System.Globalization;
using SandboxOperator.ControlPlaneTests.Support;

namespace SandboxOperator.ControlPlaneTests;

/// <summary>
/// SandboxExceptions on a real API server: the CRD from crds/ installs with columns kubectl prints, only the configured
/// groups may create one (RBAC lets the developer try, the webhook refuses), and an exception an admin grants admits a
/// gVisor pod of a High workload that is refused without it.
/// </summary>
[Collection(OperatorClusterCollection.Name)]
public sealed class SandboxExceptionTests(OperatorCluster cluster)
{
    private const string Ns = "exceptions";

    private static string Exception(string expiresAt) => $$"""
        apiVersion: agentsandbox.io/v1alpha1
        kind: SandboxException
        metadata: { name: legacy-gvisor, namespace: {{Ns}} }
        spec:
          selector: { matchLabels: { app: legacy } }
          grant: RunInGVisor
          reason: the agent image needs io_uring, which the Kata guest kernel lacks
          owner: team-agents
          expiresAt: "{{expiresAt}}"
        """;

    private const string GVisorPod = $$"""
        apiVersion: v1
        kind: Pod
        metadata: { name: legacy-1, namespace: {{Ns}}, labels: { app: legacy } }
        spec:
          runtimeClassName: gvisor
          containers: [{ name: main, image: {{Pods.Image}} }]
        """;

    [SkippableFact]
    public async Task The_crd_installs_with_owner_and_expiry_columns_and_an_exception_admits_a_gvisor_pod_that_is_otherwise_denied()
    {
        cluster.SkipIfUnavailable();
        var crd = await cluster.Admin.SucceedAsync("get", "crd", "sandboxexceptions.agentsandbox.io", "-o", "jsonpath={.status.conditions[?(@.type==\"Established\")].status}");
        Assert.Equal("True", crd);
        await cluster.CreateNamespaceAsync(Ns);
        Assert.Equal("High", await cluster.ApplyWorkloadAsync(Ns, "legacy", "Agent"));

        // Without an exception the High workload's pod cannot run in gVisor.
        var refused = await cluster.Admin.RunWithInputAsync(GVisorPod, "create", "-f", "-");
        Assert.False(refused.Succeeded, refused.ToString());
        Assert.Contains("AgentWorkload legacy is High and needs runtimeClassName \"kata\"", refused.Stderr, StringComparison.Ordinal);

        // The developer may use the chart's exception-admin role, but is not in exceptions.adminGroups.
        await cluster.Admin.ApplyAsync($$"""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: { name: developers-exception-admin }
            roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {{cluster.Chart.Fullname}}-exception-admin }
            subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: Group, name: {{OperatorCluster.DeveloperGroup}} }]
            """);
        var expiresAt = DateTimeOffset.UtcNow.AddDays(7).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var byDeveloper = await cluster.AsDeveloper.RunWithInputAsync(Exception(expiresAt), "create", "-f", "-");
        Assert.False(byDeveloper.Succeeded, byDeveloper.ToString());
        Assert.Contains("admission webhook \"validate.agentsandbox.io\" denied the request: creating SandboxException legacy-gvisor weakens the sandbox of namespace exceptions and needs membership in one of: system:masters",
            byDeveloper.Stderr, StringComparison.Ordinal);

        // Nor may anyone grant more than 90 days.
        var tooLong = await cluster.Admin.RunWithInputAsync(Exception(DateTimeOffset.UtcNow.AddDays(91).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)), "create", "-f", "-");
        Assert.False(tooLong.Succeeded, tooLong.ToString());
        Assert.Contains("is more than 90 days ahead", tooLong.Stderr, StringComparison.Ordinal);

        var created = await cluster.Admin.RunWithInputAsync(Exception(expiresAt), "create", "-f", "-");
        Assert.True(created.Succeeded, created.ToString());
        var table = await cluster.Admin.SucceedAsync("get", "sandboxexceptions", "-n", Ns);
        var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAME\s+GRANT\s+POOL\s+OWNER\s+EXPIRES\s+AGE$", lines[0]);
        // The Pool column is empty for RunInGVisor.
        Assert.Matches($@"^legacy-gvisor\s+RunInGVisor\s+team-agents\s+{expiresAt}\s+\S+$", lines[1]);

        // Once the operator has seen the exception, the same pod is admitted in gVisor.
        await Eventually.HoldsAsync(async () => (await cluster.Admin.RunWithInputAsync(GVisorPod, "create", "--dry-run=server", "-f", "-")).Succeeded,
            "the webhooks honour the exception", OperatorCluster.Patience);
        var admitted = await cluster.Admin.RunWithInputAsync(GVisorPod, "create", "-f", "-");
        Assert.True(admitted.Succeeded, admitted.ToString());
        var pod = await cluster.Client.CoreV1.ReadNamespacedPodAsync("legacy-1", Ns);
        Assert.Equal("gvisor", pod.Spec.RuntimeClassName);
        Assert.Equal("gvisor", Pods.Runtime(pod));
        Assert.Contains("SandboxException legacy-gvisor (owner team-agents", pod.Metadata.Annotations["agentsandbox.io/reasons"], StringComparison.Ordinal);
    }
}
