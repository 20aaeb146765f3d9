using Microsoft.Extensions.Logging;
using SandboxOperator.Policy.Api;

namespace SandboxOperator.Webhook.Admission;

/// <summary>
/// Writes exactly one structured line per denial and one per audit-mode violation, with namespace,
/// name, kind, user, tier and reason. Only <c>/validate</c> outcomes are logged: <c>/mutate</c>
/// evaluates the same object first and would log every finding twice. Strings that come from the
/// review (names, user, uid) are cut to <see cref="MaxFieldLength"/> characters, so a caller reaching
/// the webhook directly cannot write arbitrarily long log lines.
/// </summary>
public sealed class AuditLoggingAdmissionHandler(IAdmissionHandler inner, ILogger<AuditLoggingAdmissionHandler> logger) : IAdmissionHandler
{
    /// <summary>Longest review-supplied string written to a log line (Kubernetes names are at most 253).</summary>
    public const int MaxFieldLength = 256;

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
                kind, ns, name, user, tier, decision.DecidingReason, outcome.Message, outcome.Code, uid, r.DryRun);
            return;
        }

        if (decision.Mode != EnforcementMode.Audit)
        {
            return;
        }

        foreach (var v in decision.Violations)
        {
            logger.LogWarning(
                "audit mode violation: {Kind} {Namespace}/{Name} by {User}: tier {Tier}, reason {Reason}: {Rule}: {Message} (uid {Uid}, dryRun {DryRun})",
                kind, ns, name, user, tier, decision.DecidingReason, v.Rule, v.Message, uid, r.DryRun);
        }
    }

    private static string Cap(string value) => value.Length <= MaxFieldLength ? value : string.Concat(value.AsSpan(0, MaxFieldLength), "…");
}
