using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.State;
using SandboxOperator.Policy.Pods;
using SandboxOperator.Webhook.StateSources;

namespace SandboxOperator.Webhook.Admission;

/// <summary>
/// Decides reviews with the policy core against the cluster state. <c>/mutate</c> answers only the patch
/// and the mutation warnings and never denies a policy violation (only an object the policy cannot read,
/// with 400); <c>/validate</c> answers the decision. Before the state source has synced it waits for it,
/// up to the review deadline.
/// </summary>
/// <remarks>
/// <para>Fail closed on state it cannot trust. A review that reads the state (CREATE or UPDATE of a kind the
/// policy covers) is denied with code 503 and a message asking to retry, instead of decided, when:</para>
/// <list type="bullet">
/// <item>the source reports itself stale (<see cref="IClusterStateSource.StaleBecause"/>: a watch broken
/// for longer than the limit);</item>
/// <item>with a <see cref="ILiveClusterReader"/> (in a cluster), the live read below fails or does not
/// answer within the live-read timeout.</item>
/// </list>
/// <para>With a live reader every such review is decided on a <see cref="ReviewClusterState"/>: the
/// AgentWorkloads of the review's namespace from a consistent read, merged over the cache, and the
/// namespace's labels read live when the cache does not know the namespace (the API server only admits
/// objects into namespaces that exist, so a namespace missing from the cache means the cache is behind).
/// An informer's resourceVersion cannot prove the cache fresh (it moves only on events and bookmarks),
/// and a pod is claimed by its AgentWorkload's selector, so nothing in the pod says a claim is missing:
/// only a read from the API server sees an AgentWorkload created just before the pod (one
/// <c>kubectl apply</c> of both). The cost is one LIST per review (and a GET for an unknown namespace, or for
/// the pod of a binding the cache has not seen yet). DELETE and CONNECT read nothing and are decided at once.
/// One exception: <c>/mutate</c> called again for a managed pod that already carries all the cache's decision would
/// add (the reinvocation after another plugin's change) answers from the cache; <c>/validate</c> always reads.</para>
/// <para>SandboxExceptions: when the cache holds some for the review's namespace, they are read live too and the
/// live ones alone apply, so an exception deleted or narrowed a moment ago grants nothing (an exception only relaxes,
/// so a stale one would be weaker). When the cache holds none, none apply and nothing is read: one created a moment
/// ago may not apply yet (stricter, never weaker). Every decision is made at the handler's clock, so an exception
/// stops applying at its expiresAt.</para>
/// <para>A kind the policy does not cover is denied: the webhook configuration routes only covered kinds, so such a
/// review means it cannot judge what it is asked to, and it does not guess "allowed".</para>
/// </remarks>
/// <param name="time">The clock decisions are made at (which SandboxExceptions apply); the system clock when null.</param>
public sealed class PolicyAdmissionHandler(PolicyConfig config, IClusterStateSource source, ILiveClusterReader? live = null, TimeSpan liveReadTimeout = default, TimeProvider? time = null) : IAdmissionHandler
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>status.code of a review denied because the state cannot be trusted right now.</summary>
    public const int UnavailableCode = 503;

    private readonly TimeSpan _liveReadTimeout = liveReadTimeout > TimeSpan.Zero ? liveReadTimeout : TimeSpan.FromSeconds(2);

    public ValueTask<AdmissionOutcome> HandleAsync(AdmissionCall call, CancellationToken cancellationToken) =>
        source.Synced ? DecideAsync(call, cancellationToken) : WaitThenDecideAsync(call, cancellationToken);

    private async ValueTask<AdmissionOutcome> WaitThenDecideAsync(AdmissionCall call, CancellationToken cancellationToken)
    {
        await source.WhenSynced.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await DecideAsync(call, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask<AdmissionOutcome> DecideAsync(AdmissionCall call, CancellationToken cancellationToken)
    {
        var request = call.Request;
        if (!AdmissionEvaluator.ReadsClusterState(request))
        {
            return new ValueTask<AdmissionOutcome>(Decide(call, source.Current));
        }

        if (source.StaleBecause is { } stale)
        {
            return new ValueTask<AdmissionOutcome>(Unavailable($"the sandbox policy cannot decide from a stale view of the cluster: {stale}; retry shortly"));
        }

        if (live is null)
        {
            return new ValueTask<AdmissionOutcome>(Decide(call, source.Current));
        }

        if (call.Webhook == WebhookKind.Mutate && Decide(call, source.Current) is { Decision: { Tier: not null, MutationPatch.Count: 0 } } settled)
        {
            // A managed pod that already carries everything the cache's decision would give it, the operator's
            // labels included: the mutating webhook called again after another plugin changed the pod (the
            // RuntimeClass plugin does, for every class with scheduling or overhead). Nothing to add, so no read;
            // /validate still reads live and refuses the pod if those labels are not the truth.
            return new ValueTask<AdmissionOutcome>(settled);
        }

        return DecideOnLiveStateAsync(call, live, cancellationToken);
    }

    private async ValueTask<AdmissionOutcome> DecideOnLiveStateAsync(AdmissionCall call, ILiveClusterReader reader, CancellationToken cancellationToken)
    {
        var ns = call.Request.Namespace;
        var cached = source.Current;
        ReviewClusterState state;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(_liveReadTimeout);
            var workloads = reader.WorkloadsInAsync(ns, timeout.Token);
            var labels = cached.NamespaceLabels(ns) is null
                ? reader.NamespaceLabelsAsync(ns, timeout.Token)
                : Task.FromResult<IReadOnlyDictionary<string, string>?>(null);
            var pod = AdmissionEvaluator.SubjectPod(call.Request) is { } podName && cached.Pod(ns, podName) is null
                ? reader.PodAsync(ns, podName, timeout.Token)
                : Task.FromResult<PodSpecView?>(null);
            var readsExceptions = cached.ExceptionsIn(ns).Count > 0;
            var exceptions = readsExceptions
                ? LiveExceptionsAsync(reader, ns, timeout.Token)
                : Task.FromResult<IReadOnlyList<SandboxException>?>(null);
            try
            {
                await Task.WhenAll(workloads, labels, pod, exceptions).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                var why = timeout.IsCancellationRequested ? $"no answer within {_liveReadTimeout.TotalSeconds:0.###} s" : e.GetType().Name;
                var what = readsExceptions ? "AgentWorkloads, SandboxExceptions and labels" : "AgentWorkloads and labels";
                return Unavailable($"the sandbox policy could not read the {what} of namespace {LogText.Cap(ns)} from the API server ({why}); retry shortly");
            }

            state = new ReviewClusterState(cached, ns, labels.Result, workloads.Result, pod.Result, exceptions.Result);
        }

        return Decide(call, state);
    }


    private static async Task<IReadOnlyList<SandboxException>?> LiveExceptionsAsync(ILiveClusterReader reader, string @namespace, CancellationToken cancellationToken) =>
        await reader.ExceptionsInAsync(@namespace, cancellationToken).ConfigureAwait(false);

    private static AdmissionOutcome Unavailable(string message) => AdmissionOutcome.Failure(UnavailableCode, message);

    private AdmissionOutcome Decide(AdmissionCall call, IClusterState state)
    {
        var decision = AdmissionEvaluator.Evaluate(call.Request, config, state, _time.GetUtcNow());
        var request = call.Request;
        if (!AdmissionEvaluator.Covers(request.Group, request.Kind))
        {
            // Only what the policy judges is routed here: anything else is a configuration that sends the webhook
            // what it cannot judge, and it is refused rather than admitted unchecked. (An excluded namespace is
            // different: the configuration says not to judge it, and it is allowed.)
            var kind = request.Group.Length == 0 ? request.Kind : $"{request.Group}/{request.Kind}";
            return new AdmissionOutcome(false, 403, $"the sandbox policy does not judge {LogText.Cap(kind)} objects, so the webhook refuses them rather than admit them unchecked: remove them from the webhook configuration's rules", null, [], decision);
        }

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
