using SandboxOperator.Policy.Api;

namespace SandboxOperator.Policy.Placement;

/// <summary>A pool a pod could land on, and how (for messages). Runc stands for the general, untainted nodes.</summary>
public sealed record PoolReach(SandboxRuntime Pool, string How);
