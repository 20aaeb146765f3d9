using SandboxOperator.Controller.Caching;
using SandboxOperator.Policy.State;
using SandboxOperator.Webhook.State;

namespace SandboxOperator;

/// <summary>Serves the webhook from the controller's informer caches, which every replica keeps warm, leader or not.</summary>
internal sealed class ControllerStateSource(ClusterCache cache) : IClusterStateSource
{
    public IClusterState Current => cache;

    public bool Synced => cache.IsSynced;

    // The contract says WhenSynced never faults: a failed or cancelled start shows as "not ready", not as an exception.
    public Task WhenSynced { get; } = cache.Synced.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
