using System.Text;

namespace SandboxOperator.Policy.Json;

/// <summary>
/// A tree of the JSON fields a reader uses, for <see cref="JsonPruner"/>: at each node either the whole
/// value (<see cref="All"/>), or, for an object, only the named properties (each with its own node), or,
/// for an array, every element through one node.
/// </summary>
/// <remarks>
/// A value whose JSON type differs from what its node describes (a string where the node lists
/// properties, an object where it describes an array) is kept whole, so a reader of the pruned text
/// reports the same type error it would have reported on the original.
/// </remarks>
public sealed class JsonFieldSet
{
    private readonly byte[][] _names;
    private readonly JsonFieldSet[] _values;

    private JsonFieldSet(byte[][] names, JsonFieldSet[] values, JsonFieldSet? items, bool describesObject)
    {
        _names = names;
        _values = values;
        Items = items;
        DescribesObject = describesObject;
    }

    /// <summary>Keeps the whole value, whatever it is.</summary>
    public static JsonFieldSet All { get; } = new([], [], null, describesObject: false);

    /// <summary>
    /// An object of which only <paramref name="properties"/> are kept (names compared after unescaping,
    /// ordinal); every other property is dropped.
    /// </summary>
    public static JsonFieldSet Object(params (string Name, JsonFieldSet Value)[] properties)
    {
        if (properties.Select(p => p.Name).Distinct(StringComparer.Ordinal).Count() != properties.Length)
        {
            throw new ArgumentException("a property is listed twice", nameof(properties));
        }

        return new([.. properties.Select(p => Encoding.UTF8.GetBytes(p.Name))], [.. properties.Select(p => p.Value)], null, describesObject: true);
    }

    /// <summary>An array whose every element is pruned through <paramref name="items"/>.</summary>
    public static JsonFieldSet ArrayOf(JsonFieldSet items) => new([], [], items, describesObject: false);

    /// <summary>True for <see cref="All"/>.</summary>
    public bool KeepsAll => !DescribesObject && Items is null;

    /// <summary>True when this node lists the properties of an object.</summary>
    public bool DescribesObject { get; }

    /// <summary>The node for each element when this node describes an array, else null.</summary>
    public JsonFieldSet? Items { get; }

    /// <summary>The node of property <paramref name="utf8Name"/> (unescaped UTF-8), or null when it is dropped.</summary>
    public JsonFieldSet? Find(ReadOnlySpan<byte> utf8Name)
    {
        var names = _names;
        for (var i = 0; i < names.Length; i++)
        {
            var candidate = names[i];
            if (candidate.Length == utf8Name.Length && (candidate.Length == 0 || candidate[0] == utf8Name[0]) && utf8Name.SequenceEqual(candidate))
            {
                return _values[i];
            }
        }

        return null;
    }
}
