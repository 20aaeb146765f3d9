using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Pods;

namespace SandboxOperator.Policy.Configuration;

/// <summary>
/// A classification rule of the configuration: pods it matches are classified as if an AgentWorkload with
/// <see cref="Spec"/> claimed them (same tier, same reasons), without anyone labelling them.
/// </summary>
/// <remarks>
/// The tier is computed once, when the rule is built, by the same <see cref="Tiering"/> an AgentWorkload uses.
/// <see cref="WorkloadClaims.Matches"/> decides whether the rule matches a pod.
/// </remarks>
public sealed record ClassificationRule
{
    public ClassificationRule(string name, RuleMatch match, AgentWorkloadSpec spec, string? preset = null)
    {
        Name = name;
        Match = match;
        Spec = spec;
        Preset = preset;
        Tier = Tiering.Compute(spec);
        Title = $"{(preset is null ? "classification rule" : "classification preset")} {name}";
        Reason = $"{Title}: {string.Join("; ", Tier.Reasons)}";
    }

    /// <summary>The rule's name, unique in the configuration; a preset's rule carries the preset's name.</summary>
    public string Name { get; }

    public RuleMatch Match { get; }

    /// <summary>The type, traits and riskTier an AgentWorkload would declare (its selector is unused).</summary>
    public AgentWorkloadSpec Spec { get; }

    /// <summary>The preset the rule comes from, or null for a rule written in the configuration.</summary>
    public string? Preset { get; }

    public WorkloadTier Tier { get; }

    /// <summary>How messages name it: <c>classification rule NAME</c> or <c>classification preset NAME</c>.</summary>
    public string Title { get; }

    /// <summary>The reason pods it decides carry: the rule's name and the tier's reasons.</summary>
    public string Reason { get; }
}

/// <summary>
/// What a rule matches: every criterion given must hold. <see cref="Labels"/> is a label selector,
/// <see cref="Owners"/> matches when one of the pod's own ownerReferences has one of the kinds and API groups,
/// <see cref="Namespaces"/> when the pod is in one of them. A rule has at least one criterion.
/// </summary>
public sealed record RuleMatch(LabelSelector? Labels, IReadOnlyList<OwnerKind>? Owners, IReadOnlySet<string>? Namespaces)
{
    /// <summary>The criteria, for messages: <c>labels {…}, owner Sandbox.agents.x-k8s.io, namespaces a, b</c>.</summary>
    public override string ToString()
    {
        var parts = new List<string>(3);
        if (Labels is not null)
        {
            parts.Add("labels");
        }

        if (Owners is { Count: > 0 })
        {
            parts.Add("owner " + string.Join(" or ", Owners));
        }

        if (Namespaces is { Count: > 0 })
        {
            parts.Add("namespaces " + string.Join(", ", Namespaces.Order(StringComparer.Ordinal)));
        }

        return string.Join(", ", parts);
    }
}
