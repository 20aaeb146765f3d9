using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Placement;
using SandboxOperator.Policy.Pods;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Policy.Decisions;

/// <summary>How one rule came out for a pod.</summary>
public enum RuleOutcome
{
    /// <summary>The pod satisfies the rule.</summary>
    Pass,
    /// <summary>The pod breaks the rule in a namespace in Enforce mode: admission would deny it.</summary>
    Fail,
    /// <summary>The pod breaks the rule in a namespace in Audit mode: admission would only warn.</summary>
    Warn,
}

/// <summary>One rule's result for a pod; <see cref="Violations"/> is empty exactly when it passed.</summary>
public sealed record RuleResult(PodRule Rule, RuleOutcome Outcome, IReadOnlyList<Violation> Violations)
{
    /// <summary>What a reader is told: the violations' messages, or what the rule checks when it passed.</summary>
    public string Message => Violations.Count == 0 ? Rule.Checks : string.Join("; ", Violations.Select(v => v.Message));
}

/// <summary>
/// The policy's whole judgement of a running pod, as the validating webhook would judge it if it were created now
/// (already mutated), with the audit's runtime handler proof: its classification, its runtime, the namespace's mode, its violations and one result per
/// applicable rule. The background audit, its PolicyReports and <c>kubectl sandbox why</c> all read this. Pure.
/// </summary>
public sealed record PodVerdict(
    PodClassification Classification,
    SandboxRuntime Runtime,
    EnforcementMode Mode,
    IReadOnlyList<Violation> Violations,
    IReadOnlyList<RuleResult> Rules)
{
    public bool Compliant => Violations.Count == 0;

    /// <summary>Judges <paramref name="pod"/> in <paramref name="namespace"/> against <paramref name="state"/>.</summary>
    /// <param name="now">As for <see cref="Evaluate"/>: the time SandboxExceptions are applied at; null applies none.</param>
    /// <remarks>
    /// A violation of a rule outside <see cref="PodRules.ApplicableTo"/> is still reported (as a result of its own rule,
    /// or of an ad-hoc one for an id outside the catalogue): nothing the validator finds is dropped.
    /// </remarks>
    public static PodVerdict Judge(PodSpecView pod, string @namespace, PolicyConfig config, IClusterState state, DateTimeOffset? now = null)
    {
        var (classification, runtime, violations) = Evaluate(pod, @namespace, config, state, now);
        var mode = PodClassifier.ModeOf(@namespace, config, state);

        var broken = mode == EnforcementMode.Audit ? RuleOutcome.Warn : RuleOutcome.Fail;
        var results = new List<RuleResult>();
        foreach (var rule in PodRules.ApplicableTo(pod, classification, @namespace, config, state))
        {
            var own = violations.Where(v => v.Rule == rule.Id).ToList();
            results.Add(new RuleResult(rule, own.Count == 0 ? RuleOutcome.Pass : broken, own));
        }

        foreach (var group in violations.Where(v => !results.Any(r => r.Rule.Id == v.Rule)).GroupBy(v => v.Rule))
        {
            results.Add(new RuleResult(PodRules.Find(group.Key) ?? new PodRule(group.Key, group.Key, PodRuleScope.Every), broken, group.ToList()));
        }

        return new PodVerdict(classification, runtime, mode, violations, results);
    }

    /// <summary>
    /// The classification, runtime and violations alone, without the per-rule results (the audit's counting path):
    /// the pod validator's rules, the operator's own labels and the runtime handler proof of the pod's node.
    /// </summary>
    /// <param name="now">
    /// The time the SandboxExceptions of the namespace are applied at; null applies none (stricter, never weaker).
    /// </param>
    public static (PodClassification Classification, SandboxRuntime Runtime, List<Violation> Violations) Evaluate(
        PodSpecView pod, string @namespace, PolicyConfig config, IClusterState state, DateTimeOffset? now = null)
    {
        var classification = now is { } at
            ? AdmissionEvaluator.ClassifyAt(pod, @namespace, config, state, at)
            : PodClassifier.Classify(pod, @namespace, config, state);
        var runtime = pod.RuntimeClassNameSet ? RuntimeResolver.Resolve(pod.RuntimeClassName, config, state) : SandboxRuntime.Runc;
        var violations = PodValidator.Validate(pod, classification, runtime, @namespace, config, state);
        violations.AddRange(OperatorLabels.Mismatches(pod, OperatorLabels.For(classification, runtime)));
        if (RuntimeHandlerProof.ForPod(pod, config, state) is { } noHandler)
        {
            violations.Add(noHandler);
        }

        return (classification, runtime, violations);
    }
}
