using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;

namespace SandboxOperator.Policy.Decisions;

/// <summary>
/// Protects the enforcement labels on namespaces, by whatever path they change (create, update, and the
/// <c>status</c> and <c>finalize</c> subresources, which keep label changes): a change that drops or weakens
/// <c>agentsandbox.io/enforce=kata</c>, or that switches the namespace from Enforce to Audit through
/// <c>agentsandbox.io/mode</c> (creating a namespace with <c>mode: audit</c> included), is denied unless the
/// requester is in one of the configured <see cref="PolicyConfig.LabelAdminGroups"/>. A namespace listed in
/// <see cref="PolicyConfig.EnforcedNamespaces"/> is never put into audit by a label, whoever asks.
/// </summary>
public static class NamespaceGuard
{
    /// <param name="oldLabels">The labels before the change; null for a CREATE (compared with a namespace that has none).</param>
    public static Violation? Check(
        string name,
        IReadOnlyDictionary<string, string>? oldLabels,
        IReadOnlyDictionary<string, string> newLabels,
        RequestUser user,
        PolicyConfig config)
    {
        oldLabels ??= Pods.PodSpecView.Empty;
        if (config.EnforcedNamespaces.Contains(name) && IsAudit(newLabels) && !IsAudit(oldLabels))
        {
            return new Violation(RuleIds.NamespaceLabels, name,
                $"namespace {name} is listed in the policy's enforcedNamespaces, so {WellKnown.ModeLabel}=audit would have no effect; remove it from the configuration to audit it instead");
        }

        var oldKata = MarkerLabels.EnforcesKata(oldLabels);
        var newKata = MarkerLabels.EnforcesKata(newLabels);
        newLabels.TryGetValue(WellKnown.EnforceLabel, out var ne);
        var oldMode = ModeFrom(oldLabels, config);
        var newMode = ModeFrom(newLabels, config);
        string? change = null;
        if (oldKata && !newKata)
        {
            change = ne is null ? $"removing {WellKnown.EnforceLabel}={WellKnown.EnforceKataValue}" : $"changing {WellKnown.EnforceLabel} from {WellKnown.EnforceKataValue} to \"{ne}\"";
        }
        else if (oldMode == EnforcementMode.Enforce && newMode == EnforcementMode.Audit)
        {
            change = newLabels.ContainsKey(WellKnown.ModeLabel) ? $"setting {WellKnown.ModeLabel}=audit" : $"removing {WellKnown.ModeLabel}";
        }

        if (change is null || user.Groups.Any(config.LabelAdminGroups.Contains))
        {
            return null;
        }

        var groups = config.LabelAdminGroups.Count == 0 ? "(no group is configured)" : string.Join(", ", config.LabelAdminGroups.Order(StringComparer.Ordinal));
        return new Violation(RuleIds.NamespaceLabels, name,
            $"{change} on namespace {name} weakens sandbox enforcement and needs membership in one of: {groups}");
    }

    private static bool IsAudit(IReadOnlyDictionary<string, string> labels) =>
        labels.TryGetValue(WellKnown.ModeLabel, out var m) && m == "audit";

    private static EnforcementMode ModeFrom(IReadOnlyDictionary<string, string> labels, PolicyConfig config) =>
        labels.TryGetValue(WellKnown.ModeLabel, out var m) ? m switch
        {
            "audit" => EnforcementMode.Audit,
            "enforce" => EnforcementMode.Enforce,
            _ => config.Mode,
        } : config.Mode;
}
