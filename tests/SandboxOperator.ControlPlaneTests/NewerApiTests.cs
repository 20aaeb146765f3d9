using SandboxOperator.ControlPlaneTests.Support;

namespace SandboxOperator.ControlPlaneTests;

/// <summary>Behaviour that needs APIs an older control plane does not serve; each test names the API it skips for.</summary>
[Collection(OperatorClusterCollection.Name)]
public sealed class NewerApiTests(OperatorCluster cluster)
{
    [SkippableFact]
    public async Task A_batch_v1_cronjob_whose_template_is_too_weak_is_refused_at_apply_time()
    {
        cluster.SkipBelow(new Version(1, 21), "batch/v1 CronJob");
        const string ns = "cronjobs";
        await cluster.CreateNamespaceAsync(ns);
        Assert.Equal("High", await cluster.ApplyWorkloadAsync(ns, "nightly", "ExecTool"));

        var apply = await cluster.Admin.RunWithInputAsync($$"""
            apiVersion: batch/v1
            kind: CronJob
            metadata: { name: nightly, namespace: {{ns}} }
            spec:
              schedule: "0 3 * * *"
              jobTemplate:
                spec:
                  template:
                    metadata: { labels: { app: nightly } }
                    spec:
                      runtimeClassName: gvisor
                      restartPolicy: Never
                      containers: [{ name: main, image: registry.example/none:1 }]
            """, "apply", "-f", "-");

        Assert.Equal(1, apply.ExitCode);
        Assert.Contains("AgentWorkload nightly is High and needs runtimeClassName \"kata\"", apply.Stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task The_whole_rendered_chart_passes_the_api_servers_validation()
    {
        cluster.SkipBelow(new Version(1, 21), "policy/v1 PodDisruptionBudget, which the chart renders");
        var helm = HelmRenderTool.Build(out var whyNot);
        Skip.If(helm is null, whyNot);
        using var _ = helm;
        var rendered = helm!.Render("--kube-version", $"v{cluster.ControlPlane.Version}");
        Assert.True(rendered.ExitCode == 0, rendered.Stderr);

        var dryRun = await cluster.Admin.RunWithInputAsync(rendered.Stdout, "apply", "--dry-run=server", "-f", "-");

        Assert.True(dryRun.Succeeded, dryRun.ToString());
    }
}
