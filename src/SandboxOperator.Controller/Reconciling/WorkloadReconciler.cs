using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using SandboxOperator.Controller.Caching;
using SandboxOperator.Controller.Runtime;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;

namespace SandboxOperator.Controller.Reconciling;

/// <summary>
/// Reconciles one AgentWorkload: computes its desired status from the caches, emits Events for a tier change and for
/// non-compliant pods, and writes <c>status</c> through the status subresource only when it differs from the cached
/// one (ignoring <c>lastTransitionTime</c>).
/// </summary>
/// <remarks>
/// Error policy: a 409 Conflict (the cached object is stale) is retried with backoff; 404 means the object is gone
/// (done); any other 4xx on the status write is terminal (retrying the same write cannot help). An invalid spec is
/// recorded on status (Ready=False, InvalidSpec) and is terminal until the object changes. Events are sent before the
/// status write, so a failed write retries and the Event dedupe stops duplicates.
/// </remarks>
public sealed class WorkloadReconciler(IKubernetes client, ClusterCache cache, PolicyConfig config, EventRecorder events, TimeProvider? time = null) : IReconciler
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private long _writes;

    public string Name => "agentworkload";

    /// <summary>Status writes accepted by the API server.</summary>
    public long StatusWrites => Interlocked.Read(ref _writes);

    public async Task<ReconcileResult> ReconcileAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        if (cache.Workloads.Get(@namespace, name) is not { } entry)
        {
            return ReconcileResult.Done;
        }

        var now = DateTimeOffset.FromUnixTimeSeconds(_time.GetUtcNow().ToUnixTimeSeconds());
        var assessment = entry.Workload is null
            ? WorkloadStatusBuilder.BuildInvalid(entry, now)
            : WorkloadStatusBuilder.Build(entry, cache.Pods.List(@namespace), cache.Nodes.List(""), config, cache, now);
        var target = new EventTarget(WellKnown.ApiVersion, WellKnown.Kind, @namespace, name, entry.Uid);

        if (entry.Workload is null)
        {
            await events.EmitAsync(target, "Warning", "InvalidSpec", "Validate", assessment.Status.Conditions![0].Message!, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            if (entry.Status?.RiskTier is { } before && assessment.Tier is { } after && before != after.Tier)
            {
                await events.EmitAsync(target, "Normal", "TierChanged", "Classify",
                    $"tier changed from {before} to {after.Tier} (runtime {after.Runtime}): {string.Join("; ", after.Reasons)}. Existing pods keep their runtime until they are recreated", cancellationToken).ConfigureAwait(false);
            }

            foreach (var issue in assessment.NonCompliantPods)
            {
                await events.EmitAsync(target, "Warning", "NonCompliantPod", "Audit", $"pod {issue.Pod}: {issue.Message}", cancellationToken).ConfigureAwait(false);
            }
        }

        if (!StatusComparer.Equivalent(entry.Status, assessment.Status))
        {
            var written = await WriteStatusAsync(entry, assessment.Status, cancellationToken).ConfigureAwait(false);
            if (written.Outcome != ReconcileOutcome.Success)
            {
                return written;
            }
        }

        return entry.Workload is null
            ? ReconcileResult.Terminal($"invalid spec: {string.Join("; ", entry.SpecErrors.Take(5))}")
            : ReconcileResult.Done;
    }

    private async Task<ReconcileResult> WriteStatusAsync(WorkloadEntry entry, AgentWorkloadStatus status, CancellationToken cancellationToken)
    {
        var resourceVersion = cache.Workloads.VersionOf(entry.Namespace, entry.Name);
        var body = new JsonObject
        {
            ["apiVersion"] = WellKnown.ApiVersion,
            ["kind"] = WellKnown.Kind,
            ["metadata"] = new JsonObject { ["name"] = entry.Name, ["namespace"] = entry.Namespace, ["resourceVersion"] = resourceVersion },
            ["status"] = StatusComparer.ToJson(status),
        };
        try
        {
            await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(
                body, WellKnown.Group, WellKnown.Version, entry.Namespace, WellKnown.Plural, entry.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _writes);
            return ReconcileResult.Done;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            return ReconcileResult.Retry("status write conflicted (409): the cached object is stale");
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return ReconcileResult.Done;
        }
        catch (HttpOperationException e) when ((int)e.Response.StatusCode is >= 400 and < 500 and not 429)
        {
            return ReconcileResult.Terminal($"status write refused ({(int)e.Response.StatusCode}): {e.Response.Content}");
        }
    }
}
