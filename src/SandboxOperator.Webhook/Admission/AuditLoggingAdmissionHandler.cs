using Microsoft.Extensions.Logging;
using SandboxOperator.Policy.Api;

namespace SandboxOperator.Webhook.Admission;

/// <summary>
/// Writes exactly one structured line per denial and one per audit-mode violation (at most
/// <see cref="MaxViolationLines"/> per review, then one line counting the rest), with namespace, name,
/// kind, user, tier and reason. Only <c>/validate</c> outcomes are logged: <c>/mutate</c> evaluates the
/// same object first and would log every finding twice.
/// </summary>
/// <remarks>
/// Guarantee: a review cannot make the log grow by more than a bounded amount. Strings that come from
/// the review (names, user, uid) are cut to <see cref="LogText.MaxFieldLength"/> characters, messages and
/// reasons (which quote the object) to <see cref="LogText.MaxMessageLength"/>, so no line is longer than
/// <see cref="LogText.MaxLineLength"/>; a pod with 50,000 violating containers writes
/// <see cref="MaxViolationLines"/> + 1 lines, not 50,000.
/// </remarks>
public sealed class AuditLoggingAdmissionHandler(IAdmissionHandler inner, ILogger<AuditLoggingAdmissionHandler> logger) : IAdmissionHandler
{
    /// <summary>Audit-mode violation lines per review; the rest are counted in one more line.</summary>
    public const int MaxViolationLines = 20;

    public ValueTask<AdmissionOutcome> HandleAsync(AdmissionCall call, CancellationToken cancellationToken)
    {
        var pending = inner.HandleAsync(call, cancellationToken);
        if (pending.IsCompletedSuccessfully)
        {
            Log(call, pending.Result);
            return pending;
        }

        return AwaitAsync(pending, call);
    }

    private async ValueTask<AdmissionOutcome> AwaitAsync(ValueTask<AdmissionOutcome> pending, AdmissionCall call)
    {
        var outcome = await pending.ConfigureAwait(false);
        Log(call, outcome);
        return outcome;
    }

    private void Log(AdmissionCall call, AdmissionOutcome outcome)
    {
        if (call.Webhook != WebhookKind.Validate || outcome.Decision is not { } decision)
        {
            return;
        }

        var r = call.Request;
        var tier = decision.Tier is { } t ? TierNames.LabelValue(t) : null;
        var user = Cap(r.User?.Username ?? "");
        var kind = Cap(r.Kind);
        var ns = Cap(r.Namespace);
        var name = Cap(call.DisplayName ?? "");
        var uid = Cap(call.Uid);
        if (!outcome.Allowed)
        {
            logger.LogWarning(
                "admission denied: {Kind} {Namespace}/{Name} by {User}: tier {Tier}, reason {Reason}: {Message} (code {Code}, uid {Uid}, dryRun {DryRun})",
                kind, ns, name, user, tier, Message(decision.DecidingReason), Message(outcome.Message), outcome.Code, uid, r.DryRun);
            return;
        }

        if (decision.Mode != EnforcementMode.Audit)
        {
            return;
        }

        var violations = decision.Violations;
        var reason = violations.Count > 0 ? Message(decision.DecidingReason) : null;
        for (var i = 0; i < violations.Count && i < MaxViolationLines; i++)
        {
            var v = violations[i];
            logger.LogWarning(
                "audit mode violation: {Kind} {Namespace}/{Name} by {User}: tier {Tier}, reason {Reason}: {Rule}: {Message} (uid {Uid}, dryRun {DryRun})",
                kind, ns, name, user, tier, reason, Cap(v.Rule), Message(v.Message), uid, r.DryRun);
        }

        if (violations.Count > MaxViolationLines)
        {
            logger.LogWarning(
                "audit mode violations not logged: {Kind} {Namespace}/{Name} by {User}: {Omitted} more after the first {Logged} (uid {Uid}, dryRun {DryRun})",
                kind, ns, name, user, violations.Count - MaxViolationLines, MaxViolationLines, uid, r.DryRun);
        }
    }

    private static string Cap(string value) => LogText.Cap(value, LogText.MaxFieldLength);

    private static string? Message(string? value) => value is null ? null : LogText.Cap(value, LogText.MaxMessageLength);
}
