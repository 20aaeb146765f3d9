using System.Text.Json.Nodes;

namespace SandboxOperator.Policy.Manifests;

/// <summary>One Kubernetes object read from a manifest, with where it came from.</summary>
public sealed record ManifestDocument(string Source, int Line, JsonObject Object)
{
    public string ApiVersion => (string?)Object["apiVersion"] is { } v ? v : "";
    public string Kind => (string?)Object["kind"] is { } k ? k : "";
    public string Group => ApiVersion.Contains('/', StringComparison.Ordinal) ? ApiVersion[..ApiVersion.IndexOf('/', StringComparison.Ordinal)] : "";
    public string? Name => Object["metadata"] is JsonObject m && m["name"] is JsonValue n && n.TryGetValue<string>(out var s) ? s : null;
    public string? Namespace => Object["metadata"] is JsonObject m && m["namespace"] is JsonValue n && n.TryGetValue<string>(out var s) ? s : null;
    public string Location => $"{Source}:{Line}";
}

/// <summary>A problem with a manifest, located by file and line.</summary>
public sealed record ManifestError(string Source, int Line, string Message)
{
    public override string ToString() => Line > 0 ? $"{Source}:{Line}: {Message}" : $"{Source}: {Message}";
}
