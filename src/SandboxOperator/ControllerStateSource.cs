using SandboxOperator.Controller.Caching;
using SandboxOperator.Controller.Runtime;
using SandboxOperator.Policy.State;
using SandboxOperator.Webhook.StateSources;

namespace SandboxOperator;

/// <summary>
/// Serves the webhook from the controller's informer caches, which every replica keeps warm, leader or not. Synced
/// once the caches of <paramref name="informers"/> (those the decisions read: not the pods', which the webhook reads
/// live when its cache does not know a pod yet) hold their first list; stale once one of them has had a broken watch
/// for longer than <paramref name="outageLimit"/>.
/// </summary>
internal sealed class ControllerStateSource(ClusterCache cache, IReadOnlyList<IInformer> informers, TimeSpan outageLimit) : IClusterStateSource
{
    public IClusterState Current => cache;

    public bool Synced => informers.All(i => i.Synced.IsCompletedSuccessfully);

    // The contract says WhenSynced never faults: a failed or cancelled start shows as "not ready", not as an exception.
    public Task WhenSynced { get; } = Task.WhenAll(informers.Select(i => i.Synced)).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>Each informer whose first list has not completed, with why its last attempt failed.</summary>
    public string? SyncPendingBecause
    {
        get
        {
            var pending = informers.Where(i => !i.Synced.IsCompletedSuccessfully).Select(i => i.LastError is { } error ? $"{i.Name}: {error}" : $"{i.Name}: listing").ToList();
            return pending.Count == 0 ? null : string.Join("; ", pending);
        }
    }

    public string? StaleBecause
    {
        get
        {
            for (var i = 0; i < informers.Count; i++)
            {
                if (informers[i].BrokenFor is { } broken && broken > outageLimit)
                {
                    return $"the {informers[i].Name} watch has been broken for {broken.TotalSeconds:0} s (limit {outageLimit.TotalSeconds:0.###} s){(informers[i].LastError is { } error ? ": " + error : "")}";
                }
            }

            return null;
        }
    }
}
