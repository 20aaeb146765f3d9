namespace SandboxOperator.Policy.Api;

/// <summary>
/// Reads the marker labels that make the policy stricter. Matching is deliberately lenient (case and
/// surrounding whitespace are ignored) because a near-miss such as <c>MCP-Server</c> or <c>Kata</c>
/// must never be a way out of Kata. Labels that weaken enforcement (<c>agentsandbox.io/mode: audit</c>)
/// are matched exactly instead.
/// </summary>
public static class MarkerLabels
{
    /// <summary>True when the labels mark an MCP server pod.</summary>
    public static bool IsMcpServer(IReadOnlyDictionary<string, string> labels) =>
        labels.TryGetValue(WellKnown.WorkloadTypeLabel, out var v) && Matches(v, WellKnown.McpServerLabelValue);

    /// <summary>True when namespace labels enforce Kata.</summary>
    public static bool EnforcesKata(IReadOnlyDictionary<string, string> labels) =>
        labels.TryGetValue(WellKnown.EnforceLabel, out var v) && Matches(v, WellKnown.EnforceKataValue);

    private static bool Matches(string value, string expected) =>
        value.Length == expected.Length ? string.Equals(value, expected, StringComparison.OrdinalIgnoreCase)
            : string.Equals(value.Trim(), expected, StringComparison.OrdinalIgnoreCase);
}
