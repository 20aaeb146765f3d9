using System.Buffers;
using System.Text.Json;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Json;
using SandboxOperator.Webhook.State;

namespace SandboxOperator.Webhook.Admission;

/// <summary>
/// Decides reviews with the policy core against the current cluster state. <c>/mutate</c> answers only
/// the patch and the mutation warnings and never denies a policy violation (only an object the policy
/// cannot read, with 400); <c>/validate</c> answers the decision. Before the state source has synced it
/// waits for it, up to the review deadline.
/// </summary>
public sealed class PolicyAdmissionHandler(PolicyConfig config, IClusterStateSource source) : IAdmissionHandler
{
    public ValueTask<AdmissionOutcome> HandleAsync(AdmissionCall call, CancellationToken cancellationToken) =>
        source.Synced ? new ValueTask<AdmissionOutcome>(Decide(call)) : WaitThenDecideAsync(call, cancellationToken);

    private async ValueTask<AdmissionOutcome> WaitThenDecideAsync(AdmissionCall call, CancellationToken cancellationToken)
    {
        await source.WhenSynced.WaitAsync(cancellationToken).ConfigureAwait(false);
        return Decide(call);
    }

    private AdmissionOutcome Decide(AdmissionCall call)
    {
        var decision = AdmissionEvaluator.Evaluate(call.Request, config, source.Current);
        if (call.Webhook == WebhookKind.Validate)
        {
            return new AdmissionOutcome(decision.Allowed, decision.Allowed ? 200 : decision.StatusCode, decision.Message, null, decision.Warnings, decision);
        }

        if (!decision.Allowed && decision.StatusCode == 400)
        {
            return new AdmissionOutcome(false, 400, decision.Message, null, [], decision);
        }

        // The mutation is returned even when validation will deny, so the denial lists only real problems.
        return new AdmissionOutcome(true, 200, null, decision.MutationPatch, decision.MutationWarnings, decision);
    }
}
