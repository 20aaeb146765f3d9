using System.Text.Json;
using System.Text.Json.Nodes;

namespace SandboxOperator.Testing.KubeApi;

/// <summary>
/// Applies RFC 6902 JSON Patch documents (add, remove, replace, move, copy, test) to a <see cref="JsonNode"/>.
/// </summary>
/// <remarks>
/// Written here rather than taken from Microsoft.AspNetCore.JsonPatch.SystemTextJson 10.0.14: that package applies
/// to a <c>JsonObject</c>, but it silently accepts unknown operations and throws <c>ArgumentNullException</c> on the
/// root pointer <c>""</c>, and it reports failures by exception. This applier is atomic (it works on a copy and
/// returns the result or an error, never a half-patched document) and strict about the RFC.
/// </remarks>
public static class JsonPatch
{
    /// <summary>
    /// Parses <paramref name="patch"/> (a JSON array of operations) and applies it to a copy of <paramref name="document"/>.
    /// A malformed patch is a 400; a patch that does not apply (missing path, failed test) is a 422.
    /// </summary>
    public static Outcome<JsonNode?> Apply(JsonNode? document, string patch)
    {
        JsonNode? parsed;
        try
        {
            parsed = JsonNode.Parse(patch);
        }
        catch (JsonException e)
        {
            return ApiError.BadRequest($"invalid JSON patch: {e.Message}");
        }

        return parsed is JsonArray operations ? Apply(document, operations) : ApiError.BadRequest("invalid JSON patch: the document must be an array of operations");
    }

    /// <summary>Applies already-parsed <paramref name="operations"/> to a copy of <paramref name="document"/>.</summary>
    public static Outcome<JsonNode?> Apply(JsonNode? document, JsonArray operations)
    {
        var root = new JsonObject { ["$"] = document?.DeepClone() };
        foreach (var node in operations)
        {
            var parsed = Operation.Parse(node);
            if (!parsed.IsSuccess)
            {
                return parsed.Error;
            }

            var o = parsed.Value;
            string? error = o.Op switch
            {
                "add" => Add(root, o.Path, o.Value?.DeepClone()),
                "remove" => Remove(root, o.Path, out _),
                "replace" => Replace(root, o.Path, o.Value?.DeepClone()),
                "test" => Test(root, o.Path, o.Value),
                "move" => Move(root, o.From!, o.FromText!, o.Path, o.PathText),
                _ => Copy(root, o.From!, o.Path),
            };
            if (error is not null)
            {
                return new ApiError(422, "Invalid", $"the JSON patch could not be applied: {o.Op} {o.PathText}: {error}");
            }
        }

        return Outcome<JsonNode?>.Success(root["$"]);
    }

    /// <summary>Prefixes the synthetic root token so that pointer "" addresses the whole document.</summary>
    private static string[] Rooted(string[] tokens) => ["$", .. tokens];

    private static JsonNode? Resolve(JsonObject root, string[] tokens, out bool found)
    {
        JsonNode? node = root;
        foreach (var token in Rooted(tokens))
        {
            switch (node)
            {
                case JsonObject obj when obj.TryGetPropertyValue(token, out var child):
                    node = child;
                    break;
                case JsonArray array when JsonPointer.ArrayIndex(token, array.Count - 1, allowAppend: false) is { } index:
                    node = array[index];
                    break;
                default:
                    found = false;
                    return null;
            }
        }

        found = true;
        return node;
    }

    private static string? Add(JsonObject root, string[] tokens, JsonNode? value)
    {
        if (tokens.Length == 0)
        {
            root["$"] = value;
            return null;
        }

        var parent = Resolve(root, tokens[..^1], out var found);
        if (!found)
        {
            return "the parent of the target location does not exist";
        }

        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject obj:
                obj[last] = value;
                return null;
            case JsonArray array when JsonPointer.ArrayIndex(last, array.Count, allowAppend: true) is { } index:
                array.Insert(index, value);
                return null;
            case JsonArray:
                return "array index out of range";
            default:
                return "the parent of the target location is not a container";
        }
    }

    private static string? Remove(JsonObject root, string[] tokens, out JsonNode? removed)
    {
        removed = null;
        if (tokens.Length == 0)
        {
            removed = root["$"];
            root["$"] = null;
            return null;
        }

        var parent = Resolve(root, tokens[..^1], out var found);
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject obj when found && obj.TryGetPropertyValue(last, out removed):
                obj.Remove(last);
                return null;
            case JsonArray array when found && JsonPointer.ArrayIndex(last, array.Count - 1, allowAppend: false) is { } index:
                removed = array[index];
                array.RemoveAt(index);
                return null;
            default:
                return "the target location does not exist";
        }
    }

    private static string? Replace(JsonObject root, string[] tokens, JsonNode? value) =>
        Remove(root, tokens, out _) ?? Add(root, tokens, value);

    private static string? Test(JsonObject root, string[] tokens, JsonNode? expected)
    {
        var actual = Resolve(root, tokens, out var found);
        if (!found)
        {
            return "the target location does not exist";
        }

        return JsonNode.DeepEquals(actual, expected) ? null : $"test failed: the value is {actual?.ToJsonString() ?? "null"}";
    }

    private static string? Move(JsonObject root, string[] from, string fromPath, string[] to, string toPath)
    {
        if (toPath.StartsWith(fromPath + "/", StringComparison.Ordinal))
        {
            return "cannot move a value into one of its children";
        }

        if (fromPath == toPath)
        {
            _ = Resolve(root, from, out var found);
            return found ? null : "the source location does not exist";
        }

        return Remove(root, from, out var value) ?? Add(root, to, value?.DeepClone());
    }

    private static string? Copy(JsonObject root, string[] from, string[] to)
    {
        var value = Resolve(root, from, out var found);
        return found ? Add(root, to, value?.DeepClone()) : "the source location does not exist";
    }

    /// <summary>One operation, checked for shape: a known op, a valid path, and "value" or "from" where required.</summary>
    private sealed record Operation(string Op, string PathText, string[] Path, JsonNode? Value, string? FromText, string[]? From)
    {
        public static Outcome<Operation> Parse(JsonNode? node)
        {
            if (node is not JsonObject operation || ObjectMetadata.AsString(operation["op"]) is not { } op || ObjectMetadata.AsString(operation["path"]) is not { } pathText)
            {
                return ApiError.BadRequest("invalid JSON patch: every operation needs string \"op\" and \"path\"");
            }

            if (op is not ("add" or "remove" or "replace" or "test" or "move" or "copy"))
            {
                return ApiError.BadRequest($"invalid JSON patch: unknown operation \"{op}\"");
            }

            if (JsonPointer.Parse(pathText) is not { } path)
            {
                return ApiError.BadRequest($"invalid JSON patch: malformed path \"{pathText}\"");
            }

            JsonNode? value = null;
            if (op is "add" or "replace" or "test" && !operation.TryGetPropertyValue("value", out value))
            {
                return ApiError.BadRequest($"invalid JSON patch: {op} {pathText} needs \"value\"");
            }

            string? fromText = null;
            string[]? from = null;
            if (op is "move" or "copy")
            {
                fromText = ObjectMetadata.AsString(operation["from"]);
                from = fromText is null ? null : JsonPointer.Parse(fromText);
                if (from is null)
                {
                    return ApiError.BadRequest($"invalid JSON patch: {op} {pathText} needs a valid \"from\" pointer");
                }
            }

            return new Operation(op, pathText, path, value, fromText, from);
        }
    }
}
