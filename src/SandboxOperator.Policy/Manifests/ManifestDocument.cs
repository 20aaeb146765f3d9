using System.Text.Json.Nodes;

namespace SandboxOperator.Policy.Manifests;

/// <summary>One Kubernetes object read from a manifest, with where it came from.</summary>
public sealed record ManifestDocument(string Source, int Line, JsonObject Object)
{
    /// <summary>Where each of the object's fields was written; every field is at <see cref="Line"/> when unknown.</summary>
    public SourceLines Lines { get; init; } = new(new Dictionary<string, int>(), Line);

    public string ApiVersion => (string?)Object["apiVersion"] is { } v ? v : "";
    public string Kind => (string?)Object["kind"] is { } k ? k : "";
    public string Group => ApiVersion.Contains('/', StringComparison.Ordinal) ? ApiVersion[..ApiVersion.IndexOf('/', StringComparison.Ordinal)] : "";
    public string? Name => Metadata("name");
    public string? Namespace => Metadata("namespace");
    public string Location => $"{Source}:{Line}";

    /// <summary>
    /// How to name the object in a message: <c>Pod web</c>, <c>Pod (generateName web-)</c>, or <c>ConfigMap (no name)</c>
    /// for an object whose metadata gives none.
    /// </summary>
    public string Display => Name is { Length: > 0 } name ? $"{Kind} {name}"
        : Metadata("generateName") is { Length: > 0 } generated ? $"{Kind} (generateName {generated})"
        : $"{Kind} (no name)";

    private string? Metadata(string field) =>
        Object["metadata"] is JsonObject m && m[field] is JsonValue n && n.TryGetValue<string>(out var s) ? s : null;
}

/// <summary>An error or a note about a manifest, located by file and line (0 when the whole file is meant).</summary>
public sealed record ManifestMessage(string Source, int Line, string Message)
{
    public override string ToString() => Line > 0 ? $"{Source}:{Line}: {Message}" : $"{Source}: {Message}";
}
