using System.Text;
using System.Text.Json;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Json;

namespace SandboxOperator.Policy.Pods;

/// <summary>A JSON value together with the fields declared readable in it (a node of <see cref="Decisions.PolicyFields"/>).</summary>
internal readonly record struct FieldNode(JsonElement Element, JsonFieldSet Fields)
{
    /// <summary>An element of this array, with the declaration of the array's items.</summary>
    public FieldNode Item(JsonElement element) => new(element, Fields.Items ?? JsonFieldSet.All);
}

/// <summary>
/// Typed, null-tolerant reads of JSON properties that record a <see cref="FieldError"/> for every wrong type, read
/// only fields that are declared, and read a bounded number of list entries and map keys.
/// </summary>
/// <remarks>
/// Guarantees: a read of a property its node does not declare throws <see cref="UndeclaredFieldException"/>, so a
/// rule can never see "absent" for a field that a pruned or projected copy of the object left out: the webhook and
/// the controller read such copies, and the declaration is what they keep. At most <see cref="PodSpecReader.MaxEntries"/>
/// list elements and map entries are read in one object (all lists and maps together); past that, one error is
/// recorded and no more are read, so the work and memory per object are bounded whatever its size.
/// </remarks>
internal sealed class FieldReader(string prefix, int maxEntries)
{
    private List<FieldError>? _errors;
    private int _entries;

    /// <summary>The errors recorded so far; empty (and not allocated) while every field read well.</summary>
    public IReadOnlyList<FieldError> Errors => _errors is null ? System.Array.Empty<FieldError>() : _errors;

    public void Error(FieldPath path, string message) => (_errors ??= []).Add(new FieldError(prefix + path.ToString(), message));

    /// <summary>Counts one list element or map entry at <paramref name="path"/>; false (with one error recorded) once the budget is spent.</summary>
    public bool Take(FieldPath path)
    {
        if (++_entries <= maxEntries)
        {
            return true;
        }

        if (_entries == maxEntries + 1)
        {
            Error(path, $"the object has more than {maxEntries} list entries and map keys in the fields the sandbox policy reads (labels, annotations, tolerations, node affinity, containers, volumes); it is refused rather than read in part");
        }

        return false;
    }

    /// <summary>The object to read from with its declaration; null (and an error) when it is not a JSON object.</summary>
    public FieldNode? Root(JsonElement obj, JsonFieldSet fields)
    {
        if (obj.ValueKind == JsonValueKind.Object)
        {
            return new FieldNode(obj, fields);
        }

        Error("", $"the object must be a JSON object, got {AgentWorkloadReader.Describe(obj)}");
        return null;
    }

    /// <summary>Whether the property is present and not null.</summary>
    public static bool Has(FieldNode parent, ReadOnlySpan<byte> prop) =>
        TryGet(parent, prop, out var v, out _) && v.ValueKind != JsonValueKind.Null;

    public FieldNode? Object(FieldNode parent, ReadOnlySpan<byte> prop, FieldPath path)
    {
        if (!TryGet(parent, prop, out var v, out var fields) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Object)
        {
            Error(path, $"must be an object, got {AgentWorkloadReader.Describe(v)}");
            return null;
        }

        return new FieldNode(v, fields);
    }

    public FieldNode? Array(FieldNode parent, ReadOnlySpan<byte> prop, FieldPath path)
    {
        if (!TryGet(parent, prop, out var v, out var fields) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Array)
        {
            Error(path, $"must be a list, got {AgentWorkloadReader.Describe(v)}");
            return null;
        }

        return new FieldNode(v, fields);
    }

    public string? String(FieldNode parent, ReadOnlySpan<byte> prop, FieldPath path)
    {
        if (!TryGet(parent, prop, out var v, out _) || v.ValueKind == JsonValueKind.Null)
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

    public bool Bool(FieldNode parent, ReadOnlySpan<byte> prop, FieldPath path)
    {
        if (!TryGet(parent, prop, out var v, out _) || v.ValueKind == JsonValueKind.Null)
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
    public bool StringMap(FieldNode parent, ReadOnlySpan<byte> prop, FieldPath path, out IReadOnlyDictionary<string, string> map)
    {
        map = PodSpecView.Empty;
        if (Object(parent, prop, path) is not { } obj)
        {
            return false;
        }

        var dict = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in obj.Element.EnumerateObject())
        {
            if (!Take(path))
            {
                break;
            }

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

    /// <summary>The property's value and its declaration; throws when the property is not declared.</summary>
    private static bool TryGet(FieldNode parent, ReadOnlySpan<byte> prop, out JsonElement value, out JsonFieldSet fields)
    {
        fields = parent.Fields.KeepsAll ? JsonFieldSet.All
            : parent.Fields.Find(prop) ?? throw new UndeclaredFieldException(Encoding.UTF8.GetString(prop));
        return parent.Element.TryGetProperty(prop, out value);
    }
}

/// <summary>
/// A rule read a field that <see cref="Decisions.PolicyFields"/> does not declare: a defect in the policy, never
/// caused by input. It surfaces as an error (a denial in the webhook), never as a silent "absent".
/// </summary>
public sealed class UndeclaredFieldException(string field)
    : InvalidOperationException($"the sandbox policy read \"{field}\", which PolicyFields does not declare; declare it there so pruned and projected objects keep it");
