using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Cli.Live;

/// <summary>One rule's line in an explanation: its id, pass/fail/warn and the message.</summary>
internal sealed record RuleLine(string Rule, string Result, string Message);

/// <summary>A SandboxException that applies to the pod: its name, the weakening it grants, who answers for it and until when.</summary>
internal sealed record ExceptionLine(string Name, string Grant, string Owner, DateTimeOffset ExpiresAt, string Reason);

/// <summary>
/// Why a live pod stands as it does with the policy (<c>kubectl sandbox why</c>): its tier and what decided it, its
/// runtime and the runtime its tier needs, the namespace's mode, one line per rule that applies, and which rules
/// admission would deny it for if it were created now, the SandboxExceptions that apply to it at that time and
/// warnings (such as an exception that covers it but has expired). Built from <see cref="PodVerdict"/>, as the
/// operator's audit judges the pod. Pure.
/// </summary>
internal sealed record PodExplanation(
    string Namespace,
    string Name,
    string Tier,
    string? Workload,
    IReadOnlyList<string> Reasons,
    string Runtime,
    string? RuntimeClassName,
    string? NeededRuntime,
    string Mode,
    IReadOnlyList<RuleLine> Rules,
    IReadOnlyList<string> DeniedBy,
    IReadOnlyList<string> WarnedBy,
    IReadOnlyList<ExceptionLine> Exceptions,
    IReadOnlyList<string> Warnings,
    string Verdict,
    string? Error)
{
    public bool Compliant => Error is null && DeniedBy.Count == 0 && WarnedBy.Count == 0;

    public static PodExplanation Explain(LivePod pod, PolicyConfig config, IClusterState state, DateTimeOffset now)
    {
        if (pod.View is not { } view)
        {
            return new PodExplanation(pod.Namespace, pod.Name, "unknown", null, [], "unknown", null, null, "", [], [], [], [], [],
                $"the pod cannot be read ({pod.Error}); admission would refuse such a pod (code 400)", pod.Error);
        }

        if (config.ExcludedNamespaces.Contains(pod.Namespace))
        {
            // As admission: neither webhook judges a pod here.
            return new PodExplanation(pod.Namespace, pod.Name, "not covered", null, [], "", view.RuntimeClassNameSet ? view.RuntimeClassName : null, null, "", [], [], [], [], [],
                $"namespace {pod.Namespace} is excluded from the policy (excludedNamespaces): no webhook judges its pods", null);
        }

        var verdict = PodVerdict.Judge(view, pod.Namespace, config, state, now);
        var c = verdict.Classification;
        var exceptions = state.ExceptionsIn(pod.Namespace).Where(e => c.Exceptions.Contains(e.Name))
            .Select(e => new ExceptionLine(e.Name, e.Spec.Grant == ExceptionGrant.TolerateExtraPool ? $"{e.Spec.Grant} {e.Spec.Pool}" : e.Spec.Grant.ToString(), e.Spec.Owner, e.Spec.ExpiresAt, e.Spec.Reason))
            .ToList();
        var needed = c.KataRequiredBecause is not null ? SandboxRuntime.Kata : c.Tier is { } t ? TierNames.RuntimeFor(t) : (SandboxRuntime?)null;
        var rules = verdict.Rules.Select(r => new RuleLine(r.Rule.Id, r.Outcome.ToString().ToLowerInvariant(), r.Message)).ToList();
        var denied = verdict.Rules.Where(r => r.Outcome == RuleOutcome.Fail).Select(r => r.Rule.Id).ToList();
        var warned = verdict.Rules.Where(r => r.Outcome == RuleOutcome.Warn).Select(r => r.Rule.Id).ToList();
        var sentence = denied.Count > 0
            ? $"admission would deny this pod if it were created now (rule{(denied.Count > 1 ? "s" : "")} {string.Join(", ", denied)}); it keeps running until it is recreated"
            : warned.Count > 0
                ? $"the namespace is in audit mode: admission would admit this pod with warnings (rule{(warned.Count > 1 ? "s" : "")} {string.Join(", ", warned)})"
                : "complies: admission would admit this pod as it is";
        return new PodExplanation(
            pod.Namespace,
            pod.Name,
            c.Tier?.ToString() ?? "unmanaged",
            c.Workload,
            [.. c.Reasons, .. c.KataRequiredBecause is { } k && !c.Reasons.Contains(k) ? [k] : Array.Empty<string>()],
            TierNames.LabelValue(verdict.Runtime),
            view.RuntimeClassNameSet ? view.RuntimeClassName : null,
            needed is { } n ? TierNames.LabelValue(n) : null,
            verdict.Mode == EnforcementMode.Audit ? "audit" : "enforce",
            rules,
            denied,
            warned,
            exceptions,
            c.Warnings,
            sentence,
            null);
    }

    /// <summary>The explanation as kubectl-style text.</summary>
    public void WriteTable(TextWriter w, string policyFrom)
    {
        w.WriteLine($"Pod:       {Namespace}/{Name}");
        if (Error is not null || Rules.Count == 0)
        {
            w.WriteLine($"Verdict:   {Verdict}");
            return;
        }

        w.WriteLine($"Tier:      {Tier}{(Workload is null ? "" : $" (AgentWorkload {Workload})")}");
        foreach (var (reason, i) in Reasons.Select((r, i) => (r, i)))
        {
            w.WriteLine($"{(i == 0 ? "Reasons:" : ""),-11}{reason}");
        }

        var cls = RuntimeClassName is null ? "runtimeClassName not set" : $"runtimeClassName {RuntimeClassName}";
        w.WriteLine($"Runtime:   {Runtime} ({cls}){(NeededRuntime is null ? "" : $"; its tier needs {NeededRuntime}")}");
        w.WriteLine($"Mode:      {Mode}");
        foreach (var (e, i) in Exceptions.Select((e, i) => (e, i)))
        {
            w.WriteLine($"{(i == 0 ? "Exception:" : ""),-11}{e.Name}: {e.Grant}, owner {e.Owner}, until {e.ExpiresAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'} ({e.Reason})");
        }

        foreach (var (warning, i) in Warnings.Select((x, i) => (x, i)))
        {
            w.WriteLine($"{(i == 0 ? "Warnings:" : ""),-11}{warning}");
        }

        w.WriteLine($"Verdict:   {Verdict}");
        w.WriteLine("Rules:");
        var width = Rules.Count == 0 ? 0 : Rules.Max(r => r.Rule.Length);
        foreach (var r in Rules)
        {
            w.WriteLine($"  {(r.Result == "pass" ? "pass" : r.Result.ToUpperInvariant()),-5} {r.Rule.PadRight(width)}  {r.Message}");
        }

        w.WriteLine($"Policy:    {policyFrom}");
    }
}
