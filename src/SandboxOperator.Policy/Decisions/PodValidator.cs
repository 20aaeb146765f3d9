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
/// and no host namespaces, privileged containers or hostPath volumes at High and Medium. A pool a SandboxException
/// tolerates (<see cref="PodClassification.ToleratedPools"/>) is not another runtime's pool for the separation rule.
/// </summary>
public static class PodValidator
{
    public static List<Violation> Validate(PodSpecView pod, PodClassification classification, SandboxRuntime runtime, string @namespace, PolicyConfig config, IClusterState state)
    {
        var violations = new List<Violation>(0);
        var className = pod.RuntimeClassNameSet ? pod.RuntimeClassName : null;

        if (classification.KataRequiredBecause is { } because && runtime != SandboxRuntime.Kata)
        {
            violations.Add(new Violation(RuleIds.KataRequired, "runtimeClassName", $"{because}: {WhyNot(className, config.Kata, advise: true, config, state)}"));
        }
        else if (classification.Tier is { } tier && runtime < TierNames.RuntimeFor(tier))
        {
            var needed = config.SettingsFor(TierNames.RuntimeFor(tier))!;
            var who = classification.Workload is { } w ? $"AgentWorkload {w} is {tier}" : $"tier {tier}";
            var what = className == needed.RuntimeClassName ? $"{needed.Runtime}" : $"runtimeClassName \"{needed.RuntimeClassName}\" ({needed.Runtime})";
            violations.Add(new Violation(RuleIds.RuntimeTooWeak, "runtimeClassName", $"{who} and needs {what}: {WhyNot(className, needed, advise: false, config, state)}"));
        }

        if (!config.InfrastructureNamespaces.Contains(@namespace) && UnknownNode(pod, state) is null)
        {
            CheckPlacement(pod, runtime, className, classification.ToleratedPools, config, state, violations);
        }

        if (classification.Managed)
        {
            if (pod.PodSeccompType == "Unconfined")
            {
                violations.Add(new Violation(RuleIds.SeccompUnconfined, "pod", "seccomp profile Unconfined is not allowed (spec.securityContext.seccompProfile)"));
            }

            var podHasProfile = pod.PodSeccompType is { Length: > 0 };
            for (var i = 0; i < pod.Containers.Count; i++)
            {
                var c = pod.Containers[i];
                if (c.SeccompType == "Unconfined")
                {
                    violations.Add(new Violation(RuleIds.SeccompUnconfined, c.Name, $"seccomp profile Unconfined is not allowed ({c.Describe(0)})"));
                }
                else if (c.SeccompType is not { Length: > 0 } && !podHasProfile)
                {
                    var hint = c.Kind == ContainerKind.EphemeralContainer ? " (kubectl debug --profile=restricted sets it)" : "";
                    violations.Add(new Violation(RuleIds.SeccompMissing, c.Name,
                        $"{c.Describe(0)} runs without a seccomp profile: set securityContext.seccompProfile.type to RuntimeDefault or Localhost on it{hint}, or spec.securityContext.seccompProfile on the pod"));
                }
            }
        }

        if (classification.Tier is RiskTier.High or RiskTier.Medium)
        {
            var t = classification.Tier.Value;
            AddIf(pod.HostNetwork, RuleIds.HostNetwork, "hostNetwork", t, violations);
            AddIf(pod.HostPid, RuleIds.HostPid, "hostPID", t, violations);
            AddIf(pod.HostIpc, RuleIds.HostIpc, "hostIPC", t, violations);
            for (var i = 0; i < pod.Containers.Count; i++)
            {
                var c = pod.Containers[i];
                if (c.Privileged)
                {
                    violations.Add(new Violation(RuleIds.Privileged, c.Name, $"privileged {c.Describe(0)} is not allowed at tier {t}: it bypasses the sandbox"));
                }
            }

            for (var i = 0; i < pod.HostPathVolumes.Count; i++)
            {
                var v = pod.HostPathVolumes[i];
                violations.Add(new Violation(RuleIds.HostPath, v, $"hostPath volume \"{v}\" is not allowed at tier {t}: it bypasses the sandbox"));
            }
        }

        return violations;
    }

    /// <summary>
    /// The node-pool rules alone, for a pod placed as <paramref name="pod"/> says (a binding sets its nodeName):
    /// no path onto another runtime's pool, and a path onto its own. Empty in infrastructure namespaces.
    /// </summary>
    /// <param name="toleratedPools">Pools SandboxExceptions let the pod be placed on besides its own.</param>
    public static List<Violation> ValidatePlacement(PodSpecView pod, SandboxRuntime runtime, string @namespace, IReadOnlyList<SandboxRuntime> toleratedPools, PolicyConfig config, IClusterState state)
    {
        var violations = new List<Violation>(0);
        if (!config.InfrastructureNamespaces.Contains(@namespace) && UnknownNode(pod, state) is null)
        {
            CheckPlacement(pod, runtime, pod.RuntimeClassNameSet ? pod.RuntimeClassName : null, toleratedPools, config, state, violations);
        }

        return violations;
    }

    /// <summary>
    /// A warning when the pod names a node in a state that does not hold the cluster's nodes
    /// (<see cref="IClusterState.KnowsNodes"/>): its pool is unknown, so placement is not judged. Null otherwise; a
    /// state that knows the nodes judges an unknown name as a node that could be in any pool.
    /// </summary>
    public static string? UnknownNode(PodSpecView pod, IClusterState state) =>
        pod.NodeName is { Length: > 0 } node && !state.KnowsNodes && state.Node(node) is null
            ? $"spec.nodeName \"{node}\": no Node objects were given, so which node pool it is in is unknown and placement was not checked; add the nodes (kubectl get nodes -o yaml) to the input to check it"
            : null;

    private static void CheckPlacement(PodSpecView pod, SandboxRuntime runtime, string? className, IReadOnlyList<SandboxRuntime> toleratedPools, PolicyConfig config, IClusterState state, List<Violation> violations)
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
            else if (!toleratedPools.Contains(r.Pool))
            {
                violations.Add(new Violation(RuleIds.PoolSeparation, TierNames.LabelValue(r.Pool),
                    $"a {runtimeName} pod could land on the {PlacementAnalyzer.PoolName(r.Pool, config)}: {r.How}"));
            }
        }

        if (config.SettingsFor(runtime) is { } own && !reachesOwnPool)
        {
            var cause = pod.NodeName is not { Length: > 0 } && !PlacementAnalyzer.ToleratesPoolTaint(pod, rc, own.Pool.Taint)
                ? $"it has no toleration for {own.Pool.Taint}"
                : "its nodeSelector, node affinity or nodeName rule that out";
            violations.Add(new Violation(RuleIds.PoolUnreachable, TierNames.LabelValue(runtime),
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

    /// <summary>
    /// Why the pod's class does not give it <paramref name="needed"/>'s runtime: it is not set, its RuntimeClass has a
    /// handler no sandbox runtime accepts (or it is the needed class with a wrong handler), or it names another class.
    /// With <paramref name="advise"/>, what to set, but never what is already set: when the RuntimeClass itself is wrong,
    /// the message names it and the handlers the policy accepts.
    /// </summary>
    private static string WhyNot(string? className, RuntimeSettings needed, bool advise, PolicyConfig config, IClusterState state)
    {
        if (className is null)
        {
            // Only a pod the mutating webhook did not see gets here: mutation sets the class of every managed pod.
            return $"spec.runtimeClassName is not set, so the pod would run in runc; the mutating webhook (mutate.agentsandbox.io) would have set it to \"{needed.RuntimeClassName}\", so it did not run for this pod: check that the MutatingWebhookConfiguration exists and that its namespaceSelector matches this namespace";
        }

        var neededClass = state.RuntimeClass(needed.RuntimeClassName);
        var neededClassWorks = neededClass is null || needed.Accepts(neededClass.Handler);
        // A class of another sandbox runtime is a choice of runtime, not a broken class: it is named like any other.
        if (state.RuntimeClass(className) is { } rc && (className == needed.RuntimeClassName || !config.SandboxRuntimes.Any(r => r.Accepts(rc.Handler))))
        {
            var problem = $"RuntimeClass \"{className}\" has handler \"{rc.Handler}\", which is not a {needed.Runtime} handler (the policy accepts {needed.AcceptedHandlers})";
            return className != needed.RuntimeClassName && neededClassWorks
                ? problem + $"; set spec.runtimeClassName to \"{needed.RuntimeClassName}\" or leave it unset"
                : problem + $"; recreate RuntimeClass \"{(className == needed.RuntimeClassName ? className : needed.RuntimeClassName)}\" with one of those handlers (a handler cannot be changed in place)";
        }

        var named = $"spec.runtimeClassName is \"{className}\"";
        return !advise ? named
            : neededClassWorks ? named + $"; set it to \"{needed.RuntimeClassName}\" or leave it unset"
            : named + $", and RuntimeClass \"{needed.RuntimeClassName}\" has handler \"{neededClass!.Handler}\", which is not a {needed.Runtime} handler either (the policy accepts {needed.AcceptedHandlers})";
    }
}
