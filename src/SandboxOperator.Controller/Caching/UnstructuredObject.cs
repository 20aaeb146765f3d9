using System.Text.Json;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace SandboxOperator.Controller.Caching;

/// <summary>An API object kept as JSON with its metadata read out; what the AgentWorkload informer receives.</summary>
public sealed class UnstructuredObject : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>The whole object as received.</summary>
    [JsonIgnore]
    public JsonElement Raw { get; set; }

    /// <summary>Wraps a JSON object (a list item or a watch event's object).</summary>
    public static UnstructuredObject From(JsonElement element)
    {
        var meta = element.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object
            ? KubernetesJson.Deserialize<V1ObjectMeta>(m.GetRawText())
            : new V1ObjectMeta();
        return new UnstructuredObject
        {
            ApiVersion = element.TryGetProperty("apiVersion", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : "",
            Kind = element.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString()! : "",
            Metadata = meta,
            Raw = element.Clone(),
        };
    }
}
