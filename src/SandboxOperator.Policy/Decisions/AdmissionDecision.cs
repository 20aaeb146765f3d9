using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Json;

namespace SandboxOperator.Policy.Decisions;

/// <summary>
/// The outcome of one admission evaluation: the record the webhook, the controller and the CLI all
/// render. <see cref="Patch"/> is non-empty only for an allowed Pod CREATE that needs mutation.
/// </summary>
public sealed record AdmissionDecision
{
    public required bool Allowed { get; init; }
    public required EnforcementMode Mode { get; init; }
    /// <summary>Whether the policy covers this kind at all; uncovered kinds are allowed untouched.</summary>
    public bool Covered { get; init; } = true;
    public RiskTier? Tier { get; init; }
    public SandboxRuntime? Runtime { get; init; }
    public string? RuntimeClassName { get; init; }
    public string? Workload { get; init; }
    public IReadOnlyList<string> Reasons { get; init; } = [];
    /// <summary>The denial message (Enforce) or null.</summary>
    public string? Message { get; init; }
    /// <summary>HTTP-style code for a denial: 403 for a policy violation, 400 for an object the policy cannot read.</summary>
    public int StatusCode { get; init; } = 200;
    /// <summary>
    /// The <see cref="RuleIds"/> of what denied the object: the rules of the violations that decided (on an UPDATE,
    /// only those it introduced), <see cref="RuleIds.Unreadable"/> or <see cref="RuleIds.StateUnknown"/>. Empty
    /// when allowed.
    /// </summary>
    public IReadOnlyList<string> DeniedBy { get; init; } = [];
    /// <summary>Advice and audit-mode findings, each meant to fit one kubectl warning line.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
    /// <summary>Warnings about what mutation changed (returned by the mutating webhook).</summary>
    public IReadOnlyList<string> MutationWarnings { get; init; } = [];
    /// <summary>Every violation found, including pre-existing ones on UPDATE and audit-mode ones.</summary>
    public IReadOnlyList<Violation> Violations { get; init; } = [];
    /// <summary>The patch for an allowed Pod CREATE (empty when denied: what <c>sandboxctl</c> reports).</summary>
    public IReadOnlyList<PatchOperation> Patch { get; init; } = [];
    /// <summary>
    /// The mutation for a Pod CREATE whether or not validation then denies it. The mutating webhook
    /// returns this, so the validating webhook's denial names only the real problems (not fields the
    /// mutation would have filled in).
    /// </summary>
    public IReadOnlyList<PatchOperation> MutationPatch { get; init; } = [];

    /// <summary>The first reason, for audit annotations and log lines.</summary>
    public string? DecidingReason => Reasons.Count > 0 ? Reasons[0] : null;

    public static AdmissionDecision Uncovered(EnforcementMode mode) => new() { Allowed = true, Mode = mode, Covered = false };
}
