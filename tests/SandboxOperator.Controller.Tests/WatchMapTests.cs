using k8s;
using SandboxOperator.Controller.Manager;
using SandboxOperator.Policy.Configuration;

namespace SandboxOperator.Controller.Tests;

/// <summary>What each reconcile loop watches is declared in one place, and a loop the policy switches off is not run.</summary>
public sealed class WatchMapTests
{
    [Fact]
    public void Each_loop_declares_its_own_kind_first_then_what_it_watches()
    {
        using var controller = Controller(PolicyConfig.Default);

        var declared = controller.Controllers.ToDictionary(c => c.Loop.Name, c => string.Join(",", c.Sources));

        Assert.Equal("agentworkloads,pods,namespaces,runtimeclasses,nodes,sandboxexceptions", declared[controller.Workloads.Name]);
        Assert.Equal("runtimeclasses", declared[controller.RuntimeClasses.Name]);
        Assert.Equal("nodes", declared[controller.Nodes.Name]);
        Assert.Equal("sandboxexceptions", declared[controller.Exceptions.Name]);
    }

    [Fact]
    public void The_RuntimeClass_loop_runs_only_when_the_policy_manages_RuntimeClasses()
    {
        using var managed = Controller(PolicyConfig.Default with { ManageRuntimeClasses = true });
        using var unmanaged = Controller(PolicyConfig.Default with { ManageRuntimeClasses = false });

        Assert.True(managed.Controllers.Single(c => c.Loop == managed.RuntimeClasses).Enabled);
        Assert.False(unmanaged.Controllers.Single(c => c.Loop == unmanaged.RuntimeClasses).Enabled);
    }

    // Never called: nothing here runs the controller.
    private static readonly Kubernetes Unreachable = new(new KubernetesClientConfiguration { Host = "http://127.0.0.1:9" });

    private static SandboxController Controller(PolicyConfig policy) =>
        new(Unreachable, new SandboxControllerOptions { Policy = policy, LeaderElection = null });
}
