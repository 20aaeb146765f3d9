using System.Text.Json.Nodes;

namespace SandboxOperator.Testing.KubeApi;

/// <summary>
/// One committed object version. The JSON is kept as immutable UTF-8 bytes so that readers on any thread
/// (watch streams, list calls) never share a mutable <see cref="JsonObject"/>.
/// </summary>
internal sealed record StoredObject(ResourceType Type, string Namespace, string Name, long ResourceVersion, byte[] Json)
{
    /// <summary>A fresh, caller-owned copy of the object.</summary>
    public JsonObject Parse() => (JsonObject)JsonNode.Parse(Json)!;

    public static StoredObject From(ResourceType type, JsonObject obj, long resourceVersion) =>
        new(type, ObjectMetadata.Namespace(obj) ?? "", ObjectMetadata.Name(obj)!, resourceVersion, System.Text.Encoding.UTF8.GetBytes(obj.ToJsonString()));
}
