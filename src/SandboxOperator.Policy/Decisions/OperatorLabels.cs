using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Pods;

namespace SandboxOperator.Policy.Decisions;

/// <summary>
/// The operator's statement about a pod: the <c>agentsandbox.io/tier</c> and <c>agentsandbox.io/runtime</c>
/// labels and the <c>agentsandbox.io/reasons</c> annotation. NetworkPolicies, dashboards and audits may trust
/// them, so only the operator writes them: mutation sets them to the decision on managed pods and removes them
/// from unmanaged ones, a created pod must carry exactly the decision, and an update cannot change them.
/// </summary>
public static class OperatorLabels
{
    /// <summary>The values a pod must carry: all three for a managed pod, none (null) for an unmanaged one.</summary>
    public sealed record Statement(string? Tier, string? Runtime, string? Reasons)
    {
        public static Statement None { get; } = new(null, null, null);
    }

    /// <summary>What the decision says of a pod.</summary>
    public static Statement For(PodClassification classification, SandboxRuntime runtime) =>
        classification.Tier is { } tier
            ? new Statement(
                TierNames.LabelValue(tier),
                TierNames.LabelValue(runtime),
                classification.Reasons.Count == 0 ? null : classification.Reasons.Count == 1 ? classification.Reasons[0] : string.Join("; ", classification.Reasons))
            : Statement.None;

    /// <summary>What a pod says of itself.</summary>
    public static Statement Of(PodSpecView pod) => new(
        pod.Labels.GetValueOrDefault(WellKnown.TierLabel),
        pod.Labels.GetValueOrDefault(WellKnown.RuntimeLabel),
        pod.ReasonsAnnotation);

    /// <summary>
    /// A violation for each of the three that a pod carries other than the decision says: the labels must equal
    /// it; the annotation must be present exactly on managed pods (its text is not compared: it legitimately
    /// drifts when an AgentWorkload is edited, while the tier and runtime it explains do not).
    /// </summary>
    public static List<Violation> Mismatches(PodSpecView pod, Statement expected)
    {
        var actual = Of(pod);
        var violations = new List<Violation>(0);
        Compare("label", WellKnown.TierLabel, actual.Tier, expected.Tier, violations);
        Compare("label", WellKnown.RuntimeLabel, actual.Runtime, expected.Runtime, violations);
        if ((actual.Reasons is null) != (expected.Reasons is null))
        {
            Compare("annotation", WellKnown.ReasonsAnnotation, actual.Reasons, expected.Reasons, violations);
        }

        return violations;
    }

    /// <summary>A violation for each of the three that an update changes, adds or removes.</summary>
    public static List<Violation> Changes(PodSpecView before, PodSpecView after)
    {
        var (old, now) = (Of(before), Of(after));
        var violations = new List<Violation>(0);
        Changed("label", WellKnown.TierLabel, old.Tier, now.Tier, violations);
        Changed("label", WellKnown.RuntimeLabel, old.Runtime, now.Runtime, violations);
        Changed("annotation", WellKnown.ReasonsAnnotation, old.Reasons, now.Reasons, violations);
        return violations;
    }

    private static void Compare(string what, string key, string? actual, string? expected, List<Violation> violations)
    {
        if (actual == expected)
        {
            return;
        }

        var message = (actual, expected) switch
        {
            (null, _) => $"{what} {key} is missing (the sandbox operator's mutating webhook sets it on every managed pod)",
            (_, null) => $"{what} {key}={Quote(actual)} is written only by the sandbox operator, and this pod is not managed: remove it",
            _ => $"{what} {key}={Quote(actual)} is written only by the sandbox operator, and its decision is {Quote(expected)}: remove it and let the operator set it",
        };
        violations.Add(new Violation(RuleIds.OperatorLabels, key, message));
    }

    private static void Changed(string what, string key, string? before, string? after, List<Violation> violations)
    {
        if (before != after)
        {
            violations.Add(new Violation(RuleIds.OperatorLabels, key,
                $"{what} {key} is written only by the sandbox operator and cannot be changed on a running pod (from {Quote(before)} to {Quote(after)})"));
        }
    }

    private static string Quote(string? value) => value is null ? "(absent)" : $"\"{Truncate(value)}\"";

    private static string Truncate(string value) => value.Length <= 80 ? value : string.Concat(value.AsSpan(0, 80), "…");
}
