using Microsoft.Extensions.Logging;
using SandboxOperator.Controller.Caching;
using SandboxOperator.Controller.Metrics;
using SandboxOperator.Policy.Configuration;

namespace SandboxOperator.Controller.Reconciling;

/// <summary>
/// The background audit of every cached pod, claimed by a workload or not, outside the policy's excluded namespaces
/// (no webhook judges their pods, so the audit does not either): finds pods that started before the policy
/// or slipped past the webhook, sets <c>agentsandbox_noncompliant_pods</c> and emits a Warning Event on each such pod
/// (deduplicated; at most <c>maxEvents</c> new ones per pass to spare the API server). Never deletes or evicts.
/// </summary>
/// <remarks>A failed Event is not remembered, so the next pass sends it again; the count is always set.</remarks>
/// <param name="time">The clock compliance is judged at: a pod admitted under a SandboxException turns non-compliant at its expiry.</param>
public sealed class PodAudit(ClusterCache cache, PolicyConfig config, EventRecorder events, ControllerMetrics metrics, ILogger logger, int maxEvents = 50, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Non-compliant pods found by the last pass.</summary>
    public int LastNonCompliant { get; private set; }

    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var bad = new List<(PodFacts Pod, string Message)>();
        var now = _time.GetUtcNow();
        foreach (var (_, _, pod) in cache.Pods.All())
        {
            if (pod.Terminated || config.ExcludedNamespaces.Contains(pod.Namespace))
            {
                continue;
            }

            var violations = PodCompliance.Check(pod, config, cache, now);
            if (violations.Count > 0)
            {
                bad.Add((pod, string.Join("; ", violations.Select(v => v.Message))));
            }
        }

        LastNonCompliant = bad.Count;
        metrics.SetNoncompliantPods(bad.Count);
        var sent = 0;
        foreach (var (pod, message) in bad)
        {
            if (sent >= maxEvents)
            {
                break;
            }

            try
            {
                if (await events.EmitAsync(new EventTarget("v1", "Pod", pod.Namespace, pod.Name, pod.Uid), "Warning", "PolicyViolation", "Audit",
                        $"{message}. The pod keeps running; recreate it so that admission applies the policy", cancellationToken).ConfigureAwait(false))
                {
                    sent++;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "pod audit: Event for pod {Namespace}/{Pod} failed; it is sent again on the next pass", pod.Namespace, pod.Name);
            }
        }

        return bad.Count;
    }
}
