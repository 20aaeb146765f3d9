using System.Text.Json;
using SandboxOperator.Policy.Api;

namespace SandboxOperator.Policy.Pods;

/// <summary>Typed, null-tolerant reads of JSON properties that record a <see cref="FieldError"/> for every wrong type.</summary>
internal sealed class FieldReader(string prefix)
{
    private List<FieldError>? _errors;

    /// <summary>The errors recorded so far; empty (and not allocated) while every field read well.</summary>
    public IReadOnlyList<FieldError> Errors => _errors is null ? System.Array.Empty<FieldError>() : _errors;

    public void Error(FieldPath path, string message) => (_errors ??= []).Add(new FieldError(prefix + path.ToString(), message));

    public JsonElement? Object(JsonElement parent, ReadOnlySpan<byte> prop, FieldPath path)
    {
        if (!parent.TryGetProperty(prop, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Object)
        {
            Error(path, $"must be an object, got {AgentWorkloadReader.Describe(v)}");
            return null;
        }

        return v;
    }

    public JsonElement? Array(JsonElement parent, ReadOnlySpan<byte> prop, FieldPath path)
    {
        if (!parent.TryGetProperty(prop, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Array)
        {
            Error(path, $"must be a list, got {AgentWorkloadReader.Describe(v)}");
            return null;
        }

        return v;
    }

    public string? String(JsonElement parent, ReadOnlySpan<byte> prop, FieldPath path)
    {
        if (!parent.TryGetProperty(prop, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            Error(path, $"must be a string, got {AgentWorkloadReader.Describe(v)}");
            return null;
        }

        return v.GetString();
    }

    public bool Bool(JsonElement parent, ReadOnlySpan<byte> prop, FieldPath path)
    {
        if (!parent.TryGetProperty(prop, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        if (v.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return v.GetBoolean();
        }

        Error(path, $"must be a boolean, got {AgentWorkloadReader.Describe(v)}");
        return false;
    }

    /// <summary>Reads a string-to-string map; returns whether the property exists as an object.</summary>
    public bool StringMap(JsonElement parent, ReadOnlySpan<byte> prop, FieldPath path, out IReadOnlyDictionary<string, string> map)
    {
        map = PodSpecView.Empty;
        if (Object(parent, prop, path) is not { } obj)
        {
            return false;
        }

        var dict = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in obj.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.String)
            {
                dict[p.Name] = p.Value.GetString()!;
            }
            else
            {
                Error(path.Then(p.Name), $"must be a string, got {AgentWorkloadReader.Describe(p.Value)}");
            }
        }

        map = dict;
        return true;
    }
}
