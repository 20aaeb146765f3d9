using SandboxOperator.Policy.Api;

namespace SandboxOperator.Policy.Decisions;

/// <summary>
/// Whether a pod is managed and at which tier. <see cref="Tier"/> is null for unmanaged pods, which are
/// not mutated but still subject to node-pool separation.
/// </summary>
/// <param name="Workload">The AgentWorkload whose tier decided, if any.</param>
/// <param name="KataRequiredBecause">Set when the pod must run in Kata whatever else is said: an MCP pod or a Kata-enforced namespace.</param>
public sealed record PodClassification(
    RiskTier? Tier,
    IReadOnlyList<string> Reasons,
    string? Workload,
    string? KataRequiredBecause,
    IReadOnlyList<string> Warnings)
{
    public bool Managed => Tier is not null;

    /// <summary>Whether the pod is an MCP server (by its label or a claiming MCPServer workload): no exception takes it out of Kata unless the configuration allows it.</summary>
    public bool McpServer { get; init; }

    /// <summary>Node pools a SandboxException lets the pod be placed on besides its own.</summary>
    public IReadOnlyList<SandboxRuntime> ToleratedPools { get; init; } = [];

    /// <summary>The SandboxExceptions that changed this classification, by name.</summary>
    public IReadOnlyList<string> Exceptions { get; init; } = [];

    public static PodClassification Unmanaged { get; } = new(null, [], null, null, []);
}
