using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Placement;
using SandboxOperator.Policy.Pods;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Policy.Decisions;

/// <summary>
/// The rules a pod must satisfy, checked on the pod as it will run (after mutation):
/// Kata for MCP pods and Kata-enforced namespaces; a runtime at least as strong as the tier; node-pool
/// separation by every placement path (infrastructure namespaces exempt); on managed pods a seccomp
/// profile other than Unconfined in effect for every container, init and ephemeral container included;
/// and no host namespaces, privileged containers or hostPath volumes at High and Medium.
/// </summary>
public static class PodValidator
{
    public static List<Violation> Validate(PodSpecView pod, PodClassification classification, SandboxRuntime runtime, string @namespace, PolicyConfig config, IClusterState state)
    {
        var violations = new List<Violation>(0);
        var className = pod.RuntimeClassNameSet ? pod.RuntimeClassName : null;

        if (classification.KataRequiredBecause is { } because && runtime != SandboxRuntime.Kata)
        {
            violations.Add(new Violation("kata-required", "runtimeClassName",
                $"{because}: {DescribeClass(className, config, state)}; set it to \"{config.Kata.RuntimeClassName}\" or leave it unset"));
        }
        else if (classification.Tier is { } tier && runtime < TierNames.RuntimeFor(tier))
        {
            var needed = config.SettingsFor(TierNames.RuntimeFor(tier))!;
            var who = classification.Workload is { } w ? $"AgentWorkload {w} is {tier}" : $"tier {tier}";
            violations.Add(new Violation("runtime-too-weak", "runtimeClassName",
                $"{who} and needs runtimeClassName \"{needed.RuntimeClassName}\" ({needed.Runtime}): {DescribeClass(className, config, state)}"));
        }

        if (!config.InfrastructureNamespaces.Contains(@namespace))
        {
            CheckPlacement(pod, runtime, className, config, state, violations);
        }

        if (classification.Managed)
        {
            if (pod.PodSeccompType == "Unconfined")
            {
                violations.Add(new Violation("seccomp-unconfined", "pod", "seccomp profile Unconfined is not allowed (spec.securityContext.seccompProfile)"));
            }

            var podHasProfile = pod.PodSeccompType is { Length: > 0 };
            for (var i = 0; i < pod.Containers.Count; i++)
            {
                var c = pod.Containers[i];
                if (c.SeccompType == "Unconfined")
                {
                    violations.Add(new Violation("seccomp-unconfined", c.Name, $"seccomp profile Unconfined is not allowed ({c.Describe(0)})"));
                }
                else if (c.SeccompType is not { Length: > 0 } && !podHasProfile)
                {
                    var hint = c.Kind == ContainerKind.EphemeralContainer ? " (kubectl debug --profile=restricted sets it)" : "";
                    violations.Add(new Violation("seccomp-missing", c.Name,
                        $"{c.Describe(0)} runs without a seccomp profile: set securityContext.seccompProfile.type to RuntimeDefault or Localhost on it{hint}, or spec.securityContext.seccompProfile on the pod"));
                }
            }
        }

        if (classification.Tier is RiskTier.High or RiskTier.Medium)
        {
            var t = classification.Tier.Value;
            AddIf(pod.HostNetwork, "host-network", "hostNetwork", t, violations);
            AddIf(pod.HostPid, "host-pid", "hostPID", t, violations);
            AddIf(pod.HostIpc, "host-ipc", "hostIPC", t, violations);
            for (var i = 0; i < pod.Containers.Count; i++)
            {
                var c = pod.Containers[i];
                if (c.Privileged)
                {
                    violations.Add(new Violation("privileged", c.Name, $"privileged {c.Describe(0)} is not allowed at tier {t}: it bypasses the sandbox"));
                }
            }

            for (var i = 0; i < pod.HostPathVolumes.Count; i++)
            {
                var v = pod.HostPathVolumes[i];
                violations.Add(new Violation("host-path", v, $"hostPath volume \"{v}\" is not allowed at tier {t}: it bypasses the sandbox"));
            }
        }

        return violations;
    }

    /// <summary>
    /// The node-pool rules alone, for a pod placed as <paramref name="pod"/> says (a binding sets its nodeName):
    /// no path onto another runtime's pool, and a path onto its own. Empty in infrastructure namespaces.
    /// </summary>
    public static List<Violation> ValidatePlacement(PodSpecView pod, SandboxRuntime runtime, string @namespace, PolicyConfig config, IClusterState state)
    {
        var violations = new List<Violation>(0);
        if (!config.InfrastructureNamespaces.Contains(@namespace))
        {
            CheckPlacement(pod, runtime, pod.RuntimeClassNameSet ? pod.RuntimeClassName : null, config, state, violations);
        }

        return violations;
    }

    private static void CheckPlacement(PodSpecView pod, SandboxRuntime runtime, string? className, PolicyConfig config, IClusterState state, List<Violation> violations)
    {
        var rc = className is null ? null : state.RuntimeClass(className);
        var reach = PlacementAnalyzer.Reach(pod, rc, config, state);
        var runtimeName = TierNames.LabelValue(runtime);
        var reachesOwnPool = false;
        foreach (var r in reach)
        {
            if (r.Pool == runtime)
            {
                reachesOwnPool = true;
            }
            else
            {
                violations.Add(new Violation("pool-separation", TierNames.LabelValue(r.Pool),
                    $"a {runtimeName} pod could land on the {PlacementAnalyzer.PoolName(r.Pool, config)}: {r.How}"));
            }
        }

        if (config.SettingsFor(runtime) is { } own && !reachesOwnPool)
        {
            var cause = pod.NodeName is not { Length: > 0 } && !PlacementAnalyzer.ToleratesPoolTaint(pod, rc, own.Pool.Taint)
                ? $"it has no toleration for {own.Pool.Taint}"
                : "its nodeSelector, node affinity or nodeName rule that out";
            violations.Add(new Violation("pool-unreachable", TierNames.LabelValue(runtime),
                $"a {runtimeName} pod must run on the {PlacementAnalyzer.PoolName(runtime, config)}, but {cause}"));
        }
    }

    private static void AddIf(bool set, string rule, string field, RiskTier tier, List<Violation> violations)
    {
        if (set)
        {
            violations.Add(new Violation(rule, "pod", $"{field} is not allowed at tier {tier}: it bypasses the sandbox"));
        }
    }

    private static string DescribeClass(string? className, PolicyConfig config, IClusterState state)
    {
        if (className is null)
        {
            return "spec.runtimeClassName is not set";
        }

        var sandbox = config.SandboxRuntimes.FirstOrDefault(r => r.RuntimeClassName == className);
        return sandbox is not null && state.RuntimeClass(className) is { } rc && rc.Handler != sandbox.Handler
            ? $"RuntimeClass \"{className}\" has handler \"{rc.Handler}\", not the {sandbox.Runtime} handler \"{sandbox.Handler}\""
            : $"spec.runtimeClassName is \"{className}\"";
    }
}
