using System.Text.Json.Nodes;

namespace SandboxOperator.Testing.KubeApi;

/// <summary>
/// Applies RFC 7386 JSON Merge Patch: objects merge recursively, <c>null</c> deletes a member, anything else
/// (arrays included) replaces. Also used for strategic merge patch, which this server treats as a plain merge
/// patch (caveat: lists are replaced, not merged by key, and <c>$patch</c> directives are not interpreted).
/// </summary>
public static class JsonMergePatch
{
    /// <summary>Returns a new document: <paramref name="target"/> with <paramref name="patch"/> merged in. Inputs are not modified.</summary>
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : new JsonObject();
        foreach (var (name, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(name);
            }
            else
            {
                result[name] = Apply(result[name], value);
            }
        }

        return result;
    }
}
