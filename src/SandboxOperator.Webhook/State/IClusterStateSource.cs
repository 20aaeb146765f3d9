using SandboxOperator.Policy.State;

namespace SandboxOperator.Webhook.State;

/// <summary>
/// Where the webhook gets its view of the cluster: manifests from <c>--state-dir</c> now, the
/// controller's informer caches later. <see cref="Current"/> must be cheap and never block; it may
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
}
