using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;

namespace SandboxOperator.Policy.Decisions;

/// <summary>
/// Who may grant a SandboxException and for how long: creating one, or changing the spec of one (extending it,
/// widening its selector, changing its grant), needs membership in <see cref="PolicyConfig.ExceptionAdminGroups"/>,
/// and the resulting <c>expiresAt</c> must lie in the future and at most 90 days after the time of the request.
/// An update that leaves the spec alone (labels, finalizers) is not judged, so an expired exception can still be
/// cleaned up.
/// </summary>
public static class ExceptionGuard
{
    /// <param name="old">The exception before the change; null for a CREATE.</param>
    public static List<Violation> Check(SandboxException exception, SandboxException? old, RequestUser user, PolicyConfig config, DateTimeOffset now)
    {
        var violations = new List<Violation>(0);
        if (old is not null && SameSpec(old.Spec, exception.Spec))
        {
            return violations;
        }

        var what = old is null ? "creating" : "changing the spec of";
        if (!user.Groups.Any(config.ExceptionAdminGroups.Contains))
        {
            var groups = config.ExceptionAdminGroups.Count == 0 ? "(no group is configured)" : string.Join(", ", config.ExceptionAdminGroups.Order(StringComparer.Ordinal));
            violations.Add(new Violation(RuleIds.ExceptionAdmin, exception.Name,
                $"{what} SandboxException {exception.Name} weakens the sandbox of namespace {exception.Namespace} and needs membership in one of: {groups} (the policy's exceptions.adminGroups)"));
        }

        var expires = exception.Spec.ExpiresAt;
        if (expires <= now)
        {
            violations.Add(new Violation(RuleIds.ExceptionExpiry, exception.Name,
                $"spec.expiresAt {ExceptionGrants.Format(expires)} is not in the future (now {ExceptionGrants.Format(now)})"));
        }
        else if (expires - now > SandboxExceptionSpec.MaxDuration)
        {
            violations.Add(new Violation(RuleIds.ExceptionExpiry, exception.Name,
                $"spec.expiresAt {ExceptionGrants.Format(expires)} is more than 90 days ahead: the latest allowed now is {ExceptionGrants.Format(now + SandboxExceptionSpec.MaxDuration)}; extend the exception again before it expires"));
        }

        return violations;
    }

    private static bool SameSpec(SandboxExceptionSpec a, SandboxExceptionSpec b) =>
        a.Grant == b.Grant && a.Pool == b.Pool && a.Reason == b.Reason && a.Owner == b.Owner && a.ExpiresAt == b.ExpiresAt
        && SameSelector(a.Selector, b.Selector);

    private static bool SameSelector(LabelSelector a, LabelSelector b) =>
        (a.MatchLabels ?? []).OrderBy(p => p.Key, StringComparer.Ordinal).SequenceEqual((b.MatchLabels ?? []).OrderBy(p => p.Key, StringComparer.Ordinal))
        && (a.MatchExpressions ?? []).Select(Text).SequenceEqual((b.MatchExpressions ?? []).Select(Text));

    private static string Text(LabelSelectorRequirement r) => $"{r.Key}\u0000{r.Operator}\u0000{string.Join('\u0000', r.Values ?? [])}";
}
