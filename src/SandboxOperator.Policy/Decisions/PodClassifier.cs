using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Pods;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Policy.Decisions;

/// <summary>
/// Decides whether a pod is managed and at which tier: the AgentWorkloads and the configuration's classification
/// rules that claim it (<see cref="WorkloadClaims"/>; the highest tier wins, an AgentWorkload before a rule of the
/// same tier), the MCP label, and Kata enforcement on its namespace (both force High).
/// </summary>
public static class PodClassifier
{
    public static PodClassification Classify(PodSpecView pod, string @namespace, PolicyConfig config, IClusterState state)
    {
        RiskTier? tier = null;
        string? workload = null;
        List<string>? reasons = null;
        List<string>? warnings = null;
        List<string>? claims = null;
        var mcpWorkload = false;

        pod.Labels.TryGetValue(WellKnown.WorkloadLabel, out var workloadLabel);
        var candidates = state.WorkloadsIn(@namespace);
        for (var i = 0; i < candidates.Count; i++)
        {
            var w = candidates[i];
            if (!WorkloadClaims.Claims(w, pod.Labels))
            {
                continue;
            }

            (claims ??= []).Add(w.Name);
            mcpWorkload |= w.Spec.Type == WorkloadType.MCPServer;
            var computed = WorkloadTierCache.For(w);
            if (tier is null || computed.Tier.Tier > tier || (computed.Tier.Tier == tier && string.CompareOrdinal(w.Name, workload) < 0))
            {
                tier = computed.Tier.Tier;
                workload = w.Name;
                reasons = [computed.Reason];
            }
        }

        // Classification rules claim pods as an AgentWorkload would; a rule decides only with a strictly higher tier,
        // and then the pod's workload is none (the reason names the rule).
        var rules = config.Classification;
        ClassificationRule? decidingRule = null;
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            if (!WorkloadClaims.Matches(rule, pod, @namespace))
            {
                continue;
            }

            mcpWorkload |= rule.Spec.Type == WorkloadType.MCPServer;
            if (tier is null || rule.Tier.Tier > tier)
            {
                tier = rule.Tier.Tier;
                workload = null;
                decidingRule = rule;
                reasons = [rule.Reason];
            }
        }

        if (claims is { Count: > 1 })
        {
            claims.Sort(StringComparer.Ordinal);
            (warnings ??= []).Add($"claimed by AgentWorkloads {string.Join(", ", claims)}; the highest tier ({tier}, from {decidingRule?.Title ?? workload}) applies");
        }

        if (workloadLabel is { Length: > 0 } && (claims is null || !claims.Contains(workloadLabel)))
        {
            (warnings ??= []).Add($"label {WellKnown.WorkloadLabel}={workloadLabel} names no AgentWorkload in namespace {@namespace}");
        }

        string? kataBecause = null;
        if (MarkerLabels.IsMcpServer(pod.Labels))
        {
            kataBecause = "MCP server pods must run in Kata";
            (reasons ??= []).Add($"label {WellKnown.WorkloadTypeLabel}={WellKnown.McpServerLabelValue}: MCP servers run in Kata");
        }
        else if (mcpWorkload)
        {
            kataBecause = "MCP server pods must run in Kata";
        }

        if (IsKataEnforced(@namespace, config, state))
        {
            kataBecause ??= $"namespace {@namespace} enforces Kata";
            (reasons ??= []).Add($"namespace {@namespace} enforces Kata");
        }

        if (kataBecause is not null)
        {
            tier = RiskTier.High;
        }

        return tier is null
            ? (warnings is null ? PodClassification.Unmanaged : PodClassification.Unmanaged with { Warnings = warnings })
            : new PodClassification(tier, reasons ?? [], workload, kataBecause, (IReadOnlyList<string>?)warnings ?? [])
            {
                McpServer = mcpWorkload || MarkerLabels.IsMcpServer(pod.Labels),
            };
    }

    /// <summary>True when the namespace is labelled <c>agentsandbox.io/enforce=kata</c> (any case) or listed in the configuration.</summary>
    public static bool IsKataEnforced(string @namespace, PolicyConfig config, IClusterState state) =>
        config.EnforcedNamespaces.Contains(@namespace)
        || (state.NamespaceLabels(@namespace) is { } labels && MarkerLabels.EnforcesKata(labels));

    /// <summary>
    /// The namespace's mode: its <c>agentsandbox.io/mode</c> label (audit or enforce) or the configured default. A
    /// namespace listed in <see cref="PolicyConfig.EnforcedNamespaces"/> is never put into audit by its label.
    /// </summary>
    public static EnforcementMode ModeOf(string @namespace, PolicyConfig config, IClusterState state)
    {
        if (state.NamespaceLabels(@namespace) is { } labels && labels.TryGetValue(WellKnown.ModeLabel, out var mode))
        {
            if (mode == "audit" && !config.EnforcedNamespaces.Contains(@namespace))
            {
                return EnforcementMode.Audit;
            }

            if (mode == "enforce")
            {
                return EnforcementMode.Enforce;
            }
        }

        return config.Mode;
    }
}
