using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SandboxOperator.Policy.Api;

namespace SandboxOperator.Controller.Reconciling;

/// <summary>
/// Compares statuses as they would be written, ignoring <c>lastTransitionTime</c> (which only moves when a
/// condition's status changes), and renders a status as the JSON the controller writes.
/// </summary>
public static class StatusComparer
{
    /// <summary>The serializer settings of status writes: null fields are left out.</summary>
    public static JsonSerializerOptions Json { get; } = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static bool Equivalent(AgentWorkloadStatus? a, AgentWorkloadStatus? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        return JsonNode.DeepEquals(Normalize(a), Normalize(b));
    }

    /// <summary>The status as a JSON node, with times in RFC 3339 UTC to the second.</summary>
    public static JsonNode ToJson(AgentWorkloadStatus status) => JsonSerializer.SerializeToNode(status, Json)!;

    private static JsonNode Normalize(AgentWorkloadStatus status)
    {
        var node = ToJson(status);
        if (node["conditions"] is JsonArray conditions)
        {
            foreach (var c in conditions.OfType<JsonObject>())
            {
                c.Remove("lastTransitionTime");
            }
        }

        return node;
    }
}
