using System.Runtime.CompilerServices;
using SandboxOperator.Policy.Api;

namespace SandboxOperator.Policy.Decisions;

/// <summary>
/// The tier and the one-line reason of an <see cref="AgentWorkload"/>, computed once per workload
/// object and reused by every pod decision that sees it (the webhook evaluates the same workloads
/// for every pod of a namespace).
/// </summary>
/// <remarks>
/// Keyed by object identity: callers must treat <see cref="AgentWorkload"/> and its spec as immutable
/// once built (the caches replace the object on every change, they never edit it). Entries go away
/// with the workload objects.
/// </remarks>
internal static class WorkloadTierCache
{
    private static readonly ConditionalWeakTable<AgentWorkload, Entry> Cache = [];

    public sealed record Entry(WorkloadTier Tier, string Reason);

    public static Entry For(AgentWorkload workload) =>
        Cache.GetValue(workload, static w =>
        {
            var tier = Tiering.Compute(w.Spec);
            return new Entry(tier, $"AgentWorkload {w.Name}: {string.Join("; ", tier.Reasons)}");
        });
}
