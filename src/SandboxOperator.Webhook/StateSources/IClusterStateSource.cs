using SandboxOperator.Policy.State;

namespace SandboxOperator.Webhook.StateSources;

/// <summary>
/// Where the webhook gets its view of the cluster: manifests from <c>--state-dir</c>, or the
/// controller's informer caches. <see cref="Current"/> must be cheap and never block; it may
/// return a different object after each change.
/// </summary>
public interface IClusterStateSource
{
    /// <summary>The state to decide with. Before <see cref="Synced"/> it may be incomplete.</summary>
    IClusterState Current { get; }

    /// <summary>True once every cache has completed its initial list.</summary>
    bool Synced { get; }

    /// <summary>Completes when <see cref="Synced"/> becomes true; never faults.</summary>
    Task WhenSynced { get; }

    /// <summary>
    /// While <see cref="Synced"/> is false, what it waits for when that is known (e.g. a list the API server refuses,
    /// and why); null otherwise. Readiness reports it.
    /// </summary>
    string? SyncPendingBecause => null;

    /// <summary>
    /// Null while <see cref="Current"/> can be trusted; otherwise why not (e.g. a watch broken for longer than the
    /// configured limit), naming what is stale and for how long. Readiness reports it and reviews that read the
    /// state are denied with it. Must be cheap: it is asked on every review. A static state is never stale.
    /// </summary>
    string? StaleBecause => null;
}
