using System.Text.Json.Nodes;

namespace SandboxOperator.Policy.Json;

/// <summary>One RFC 6902 operation. The policy only emits <c>add</c> and <c>replace</c>.</summary>
public sealed record PatchOperation(string Op, string Path, JsonNode? Value)
{
    public static PatchOperation Add(string path, JsonNode? value) => new("add", path, value);

    public static PatchOperation Replace(string path, JsonNode? value) => new("replace", path, value);
}
