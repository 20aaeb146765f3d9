using Microsoft.Extensions.Logging;
using SandboxOperator.Policy.Api;

namespace SandboxOperator.Webhook.Admission;

/// <summary>
/// Writes exactly one structured line per denial and one per audit-mode violation, with namespace,
/// name, kind, user, tier and reason. Only <c>/validate</c> outcomes are logged: <c>/mutate</c>
/// evaluates the same object first and would log every finding twice.
/// </summary>
public sealed class AuditLoggingAdmissionHandler(IAdmissionHandler inner, ILogger<AuditLoggingAdmissionHandler> logger) : IAdmissionHandler
{
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
        var user = r.User?.Username ?? "";
        if (!outcome.Allowed)
        {
            logger.LogWarning(
                "admission denied: {Kind} {Namespace}/{Name} by {User}: tier {Tier}, reason {Reason}: {Message} (code {Code}, uid {Uid}, dryRun {DryRun})",
                r.Kind, r.Namespace, call.DisplayName, user, tier, decision.DecidingReason, outcome.Message, outcome.Code, call.Uid, r.DryRun);
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
                r.Kind, r.Namespace, call.DisplayName, user, tier, decision.DecidingReason, v.Rule, v.Message, call.Uid, r.DryRun);
        }
    }
}
