using SandboxOperator.Controller.Caching;
using SandboxOperator.Controller.Metrics;
using SandboxOperator.Controller.Runtime;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;

namespace SandboxOperator.Controller.Reconciling;

/// <summary>
/// Watches one SandboxException run out. Before its <c>expiresAt</c> it asks to come back at that instant; from then
/// on it emits a Warning Event <c>SandboxExceptionExpired</c> on the exception naming the pods it covered that no
/// longer comply, asks the AgentWorkloads of the namespace to be reconciled (their PodsCompliant condition changes), and
/// recounts <c>agentsandbox_expired_exception_pods</c> over every cached exception. Never deletes anything.
/// </summary>
/// <remarks>
/// Level-triggered: the outcome depends only on the cache and the clock, so a resync or a missed wake-up is harmless.
/// An exception whose spec breaks the schema gets a Warning Event <c>InvalidSandboxException</c> and grants nothing.
/// </remarks>
public sealed class ExceptionReconciler(ClusterCache cache, PolicyConfig config, EventRecorder events, ControllerMetrics metrics, Action<string> namespaceChanged, TimeProvider? time = null) : IReconciler
{
    private const int MessagePods = 5;
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string Name => "sandboxexception";

    public async Task<ReconcileResult> ReconcileAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        metrics.SetExpiredExceptionPods(CountExpiredPods(now));
        if (cache.Exceptions.Get(@namespace, name) is not { } entry)
        {
            namespaceChanged(@namespace);
            return ReconcileResult.Done;
        }

        var target = new EventTarget(WellKnown.ApiVersion, WellKnown.ExceptionKind, @namespace, name, entry.Uid);
        if (entry.Exception is not { } exception)
        {
            await events.EmitAsync(target, "Warning", "InvalidSandboxException", "Validate",
                $"the exception grants nothing: {string.Join("; ", entry.SpecErrors.Take(5))}", cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        if (now < exception.Spec.ExpiresAt)
        {
            return ReconcileResult.After(exception.Spec.ExpiresAt - now);
        }

        namespaceChanged(@namespace);
        var pods = NonCompliantPods(exception, now);
        var which = pods.Count == 0
            ? "no pod it covers is affected"
            : $"{pods.Count} pod(s) it covered no longer comply: {string.Join(", ", pods.Take(MessagePods))}{(pods.Count > MessagePods ? ", ..." : "")}";
        await events.EmitAsync(target, "Warning", "SandboxExceptionExpired", "Expire",
            $"expired at {exception.Spec.ExpiresAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'} ({exception.Spec.Describe}, owner {exception.Spec.Owner}); {which}. Recreate them without the weakening, or extend the exception",
            cancellationToken).ConfigureAwait(false);
        return ReconcileResult.Done;
    }

    /// <summary>Pods covered by an expired exception that break the policy now, across every cached exception.</summary>
    public int CountExpiredPods(DateTimeOffset now)
    {
        var counted = new HashSet<(string, string)>();
        foreach (var (_, _, entry) in cache.Exceptions.All())
        {
            if (entry.Exception is { } e && now >= e.Spec.ExpiresAt)
            {
                foreach (var pod in NonCompliantPods(e, now))
                {
                    counted.Add((e.Namespace, pod));
                }
            }
        }

        return counted.Count;
    }

    private List<string> NonCompliantPods(SandboxException exception, DateTimeOffset now)
    {
        var names = new List<string>();
        foreach (var pod in cache.Pods.List(exception.Namespace))
        {
            if (!pod.Terminated && ExceptionGrants.Covers(exception, pod.Labels) && PodCompliance.Check(pod, config, cache, now).Count > 0)
            {
                names.Add(pod.Name);
            }
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }
}
