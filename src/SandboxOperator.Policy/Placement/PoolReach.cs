using SandboxOperator.Policy.Api;

namespace SandboxOperator.Policy.Placement;

/// <summary>
/// A pool a pod could land on, and how. Runc stands for the general, untainted nodes. The
/// description is built only when a message needs it.
/// </summary>
public sealed class PoolReach(SandboxRuntime pool, Func<string> how)
{
    public SandboxRuntime Pool { get; } = pool;

    /// <summary>How the pod gets there, for messages, e.g. <c>toleration {operator: Exists} tolerates the pool's taint</c>.</summary>
    public string How => how();
}
