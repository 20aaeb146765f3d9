using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Policy.Decisions;

/// <summary>
/// Applies the SandboxExceptions of a pod's namespace to its classification, at a given time. Pure: the time is an
/// argument, so the webhook, the controller's audit and <c>sandboxctl</c> agree about the same instant, and a test
/// can move it.
/// </summary>
/// <remarks>
/// An exception applies to a pod when its selector (with at least one term) matches the pod's labels and it is
/// active: <c>now</c> is before <c>expiresAt</c> and <c>expiresAt</c> is at most 90 days after <c>now</c> (one that
/// claims more was never admitted by the guard, so it is not trusted). RunInGVisor lowers a High pod to Medium
/// (gVisor), except an MCP server unless <see cref="PolicyConfig.ExceptionsMayReleaseMcpServers"/>; it never changes a
/// Medium or Low pod. TolerateExtraPool adds a pool the pod may be placed on. A matching exception that does not apply
/// (expired, too long, refused for an MCP server) gives a warning naming it.
/// </remarks>
public static class ExceptionGrants
{
    /// <summary>Whether <paramref name="exception"/> applies at <paramref name="now"/>.</summary>
    public static bool IsActive(SandboxException exception, DateTimeOffset now) =>
        now < exception.Spec.ExpiresAt && exception.Spec.ExpiresAt - now <= SandboxExceptionSpec.MaxDuration;

    /// <summary>Whether <paramref name="exception"/> covers a pod with <paramref name="podLabels"/> (in its namespace): an empty selector covers none.</summary>
    public static bool Covers(SandboxException exception, IReadOnlyDictionary<string, string> podLabels) =>
        exception.Spec.Selector is { } s
        && (s.MatchLabels is { Count: > 0 } || s.MatchExpressions is { Count: > 0 })
        && LabelSelectorMatcher.Matches(s, podLabels);

    /// <summary>
    /// The classification of a pod in <paramref name="namespace"/> with <paramref name="podLabels"/> once the exceptions
    /// active at <paramref name="now"/> are applied; <paramref name="classification"/> itself when none covers the pod.
    /// </summary>
    public static PodClassification Apply(PodClassification classification, IReadOnlyDictionary<string, string> podLabels, string @namespace, PolicyConfig config, IClusterState state, DateTimeOffset now)
    {
        var exceptions = state.ExceptionsIn(@namespace);
        if (exceptions.Count == 0)
        {
            return classification;
        }

        var result = classification;
        List<string>? reasons = null;
        List<string>? warnings = null;
        List<string>? applied = null;
        List<SandboxRuntime>? pools = null;
        foreach (var e in exceptions.OrderBy(x => x.Name, StringComparer.Ordinal))
        {
            if (!Covers(e, podLabels))
            {
                continue;
            }

            var spec = e.Spec;
            if (now >= spec.ExpiresAt)
            {
                (warnings ??= []).Add($"SandboxException {e.Name} ({spec.Describe}, owner {spec.Owner}) expired at {Format(spec.ExpiresAt)} and no longer applies");
                continue;
            }

            if (spec.ExpiresAt - now > SandboxExceptionSpec.MaxDuration)
            {
                (warnings ??= []).Add($"SandboxException {e.Name} is ignored: its expiresAt {Format(spec.ExpiresAt)} is more than 90 days ahead");
                continue;
            }

            var label = $"SandboxException {e.Name} (owner {spec.Owner}, until {Format(spec.ExpiresAt)})";
            if (spec.Grant == ExceptionGrant.RunInGVisor)
            {
                if (result.Tier != RiskTier.High)
                {
                    continue;
                }

                if (result.McpServer && !config.ExceptionsMayReleaseMcpServers)
                {
                    (warnings ??= []).Add($"{label} does not apply: MCP server pods stay in Kata unless the policy sets exceptions.allowMcpServers");
                    continue;
                }

                result = result with { Tier = RiskTier.Medium, KataRequiredBecause = null };
                (reasons ??= []).Add($"{label}: runs in gVisor instead of Kata: {spec.Reason}");
                (applied ??= []).Add(e.Name);
            }
            else if (spec.ExtraPool is { } pool && !(pools ??= []).Contains(pool))
            {
                pools.Add(pool);
                (reasons ??= []).Add($"{label}: may be placed on the {pool} pool: {spec.Reason}");
                (applied ??= []).Add(e.Name);
            }
        }

        if (reasons is null && warnings is null)
        {
            return classification;
        }

        return result with
        {
            Reasons = reasons is null || !result.Managed ? result.Reasons : [.. result.Reasons, .. reasons],
            Warnings = warnings is null ? result.Warnings : [.. result.Warnings, .. warnings],
            ToleratedPools = pools is null ? result.ToleratedPools : [.. result.ToleratedPools, .. pools],
            Exceptions = applied is null ? result.Exceptions : [.. result.Exceptions, .. applied],
        };
    }

    /// <summary>The earliest <c>expiresAt</c> after <paramref name="now"/> among <paramref name="exceptions"/>, or null: when decisions next change by the clock alone.</summary>
    public static DateTimeOffset? NextExpiry(IEnumerable<SandboxException> exceptions, DateTimeOffset now)
    {
        DateTimeOffset? next = null;
        foreach (var e in exceptions)
        {
            if (e.Spec.ExpiresAt > now && (next is null || e.Spec.ExpiresAt < next))
            {
                next = e.Spec.ExpiresAt;
            }
        }

        return next;
    }

    internal static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
