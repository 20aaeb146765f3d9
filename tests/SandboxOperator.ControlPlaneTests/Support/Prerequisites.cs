namespace SandboxOperator.ControlPlaneTests.Support;

/// <summary>
/// What the control-plane suite needs on the machine: the control-plane binaries, kubectl, and go to
/// render the chart. Missing any of them, every test skips with the reason and how to fix it.
/// </summary>
public sealed class Prerequisites
{
    private Prerequisites(ControlPlaneBinaries? binaries, string? kubectl, HelmRenderTool? helm, string? skipReason)
    {
        Binaries = binaries;
        KubectlPath = kubectl;
        Helm = helm;
        SkipReason = skipReason;
    }

    public ControlPlaneBinaries? Binaries { get; }

    public string? KubectlPath { get; }

    public HelmRenderTool? Helm { get; }

    /// <summary>Why the suite cannot run here, or null.</summary>
    public string? SkipReason { get; }

    public static Prerequisites Check()
    {
        var binaries = ControlPlaneBinaries.Locate(out var noBinaries);
        if (binaries is null)
        {
            return new Prerequisites(null, null, null, noBinaries);
        }

        var kubectl = Kubectl.Find();
        if (kubectl is null)
        {
            return new Prerequisites(binaries, null, null, "kubectl is not on PATH: the control-plane tests drive the cluster with it, as a user does");
        }

        var helm = HelmRenderTool.Build(out var noHelm);
        return helm is null
            ? new Prerequisites(binaries, kubectl, null, noHelm + " for the control-plane tests")
            : new Prerequisites(binaries, kubectl, helm, null);
    }
}
