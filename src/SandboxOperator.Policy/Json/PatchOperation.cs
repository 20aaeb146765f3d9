using System.Text.Json.Nodes;

namespace SandboxOperator.Policy.Json;

/// <summary>One RFC 6902 operation. The policy only emits <c>add</c> and <c>replace</c>.</summary>
public sealed record PatchOperation(string Op, string Path, JsonNode? Value)
{
    /// <summary>
    /// The serialized <see cref="Value"/> when it is a <see cref="PreparedJsonValue"/>; empty otherwise.
    /// Not part of equality: it is a cache of <see cref="Value"/>.
    /// </summary>
    internal ReadOnlyMemory<byte> ValueText { get; private init; }

    public static PatchOperation Add(string path, JsonNode? value) => new("add", path, value);

    public static PatchOperation Add(string path, PreparedJsonValue value) => new("add", path, value.Node) { ValueText = value.Text };

    public static PatchOperation Replace(string path, JsonNode? value) => new("replace", path, value);

    public bool Equals(PatchOperation? other) =>
        other is not null && Op == other.Op && Path == other.Path && Equals(Value, other.Value);

    public override int GetHashCode() => HashCode.Combine(Op, Path, Value);
}
