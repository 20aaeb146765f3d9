using k8s.Models;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Pods;

namespace SandboxOperator.Controller.Tests;

/// <summary>
/// The operator's labels and reasons annotation as the webhook writes them on a pod it admits in a sandbox runtime
/// (<c>kata</c> → high, <c>gvisor</c> → medium), for fixtures of pods that are meant to comply.
/// </summary>
internal static class AdmittedStatement
{
    public static (string Tier, string Runtime)? For(string? runtimeClass) => runtimeClass switch
    {
        "kata" => ("high", "kata"),
        "gvisor" => ("medium", "gvisor"),
        _ => null,
    };

    public static void Apply(V1Pod pod, string? runtimeClass)
    {
        if (For(runtimeClass) is not var (tier, runtime))
        {
            return;
        }

        pod.Metadata.Labels[WellKnown.TierLabel] = tier;
        pod.Metadata.Labels[WellKnown.RuntimeLabel] = runtime;
        (pod.Metadata.Annotations ??= new Dictionary<string, string>())[WellKnown.ReasonsAnnotation] = "admitted by the sandbox operator";
    }

    public static PodSpecView Apply(PodSpecView pod, string? runtimeClass)
    {
        if (For(runtimeClass) is not var (tier, runtime))
        {
            return pod;
        }

        return pod with
        {
            Labels = new Dictionary<string, string>(pod.Labels) { [WellKnown.TierLabel] = tier, [WellKnown.RuntimeLabel] = runtime },
            ReasonsAnnotation = "admitted by the sandbox operator",
        };
    }
}
