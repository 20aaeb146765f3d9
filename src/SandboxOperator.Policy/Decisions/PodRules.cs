using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Pods;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Policy.Decisions;

/// <summary>One pod rule of the catalogue (docs/policy.md): its id, what it checks in a few words, and which pods it applies to.</summary>
public sealed record PodRule(string Id, string Checks, PodRuleScope Scope);

/// <summary>Which pods a rule applies to, as the "applies to" column of docs/policy.md says.</summary>
public enum PodRuleScope
{
    /// <summary>Every pod.</summary>
    Every,
    /// <summary>Every pod outside the policy's infrastructure namespaces.</summary>
    OutsideInfrastructure,
    /// <summary>Managed pods (a tier was decided).</summary>
    Managed,
    /// <summary>Pods at tier High or Medium.</summary>
    HighOrMedium,
    /// <summary>Pods whose RuntimeClass the cluster has (the audit's handler proof).</summary>
    KnownRuntimeClass,
}

/// <summary>
/// The pod rules <see cref="PodValidator"/>, <see cref="OperatorLabels"/> and the audit's runtime handler proof check, by id, in catalogue order, and
/// which of them apply to a classified pod. A pod passes every applicable rule it has no violation of; readers that
/// list results (PolicyReports, <c>kubectl sandbox why</c>) report a pass per such rule.
/// </summary>
public static class PodRules
{
    public static IReadOnlyList<PodRule> All { get; } =
    [
        new(RuleIds.KataRequired, "MCP server pods and pods in Kata-enforced namespaces run in Kata", PodRuleScope.Every),
        new(RuleIds.RuntimeTooWeak, "the runtime is at least as strong as the tier needs", PodRuleScope.Managed),
        new(RuleIds.PoolSeparation, "the pod cannot land on another runtime's node pool", PodRuleScope.OutsideInfrastructure),
        new(RuleIds.PoolUnreachable, "the pod can reach its own runtime's node pool", PodRuleScope.OutsideInfrastructure),
        new(RuleIds.SeccompUnconfined, "no seccomp profile Unconfined", PodRuleScope.Managed),
        new(RuleIds.SeccompMissing, "every container has a seccomp profile in effect", PodRuleScope.Managed),
        new(RuleIds.HostNetwork, "no hostNetwork", PodRuleScope.HighOrMedium),
        new(RuleIds.HostPid, "no hostPID", PodRuleScope.HighOrMedium),
        new(RuleIds.HostIpc, "no hostIPC", PodRuleScope.HighOrMedium),
        new(RuleIds.Privileged, "no privileged container", PodRuleScope.HighOrMedium),
        new(RuleIds.HostPath, "no hostPath volume", PodRuleScope.HighOrMedium),
        new(RuleIds.RuntimeHandlerMissing, "the pod's node has its RuntimeClass's handler (or does not say)", PodRuleScope.KnownRuntimeClass),
        new(RuleIds.OperatorLabels, "the operator's labels state the decision", PodRuleScope.Every),
    ];

    /// <summary>The rule of <paramref name="id"/>, or null for an id outside the catalogue.</summary>
    public static PodRule? Find(string id)
    {
        foreach (var rule in All)
        {
            if (rule.Id == id)
            {
                return rule;
            }
        }

        return null;
    }

    /// <summary>The rules that apply to <paramref name="pod"/>, of <paramref name="classification"/> in <paramref name="namespace"/>, in catalogue order.</summary>
    public static IReadOnlyList<PodRule> ApplicableTo(PodSpecView pod, PodClassification classification, string @namespace, PolicyConfig config, IClusterState state) =>
        All.Where(r => r.Scope switch
        {
            PodRuleScope.Every => true,
            PodRuleScope.OutsideInfrastructure => !config.InfrastructureNamespaces.Contains(@namespace),
            PodRuleScope.Managed => classification.Managed,
            PodRuleScope.HighOrMedium => classification.Tier is RiskTier.High or RiskTier.Medium,
            PodRuleScope.KnownRuntimeClass => pod.RuntimeClassNameSet && pod.RuntimeClassName is { Length: > 0 } name && state.RuntimeClass(name) is not null,
            _ => true,
        }).ToList();
}
