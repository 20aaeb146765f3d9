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
    /// <summary>The listed properties grouped by the length of their UTF-8 name: <c>[length][i]</c>.</summary>
    private readonly (byte[] Name, JsonFieldSet Value)[][] _byLength;

    private JsonFieldSet(byte[][] names, JsonFieldSet[] values, JsonFieldSet? items, bool describesObject)
    {
        var longest = names.Length == 0 ? -1 : names.Max(n => n.Length);
        _byLength = new (byte[], JsonFieldSet)[longest + 1][];
        for (var length = 0; length <= longest; length++)
        {
            _byLength[length] = [.. names.Select((n, i) => (n, values[i])).Where(p => p.n.Length == length)];
        }

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

    /// <summary>An object that holds <paramref name="value"/> at <paramref name="path"/> (property names, outermost first).</summary>
    public static JsonFieldSet At(IReadOnlyList<string> path, JsonFieldSet value)
    {
        var node = value;
        for (var i = path.Count - 1; i >= 0; i--)
        {
            node = Object((path[i], node));
        }

        return node;
    }

    /// <summary>Everything either set keeps: <see cref="All"/> wins, objects merge property by property, arrays merge their items.</summary>
    public static JsonFieldSet Union(JsonFieldSet a, JsonFieldSet b)
    {
        if (a.KeepsAll || b.KeepsAll)
        {
            return All;
        }

        if (a.DescribesObject && b.DescribesObject)
        {
            var merged = new Dictionary<string, JsonFieldSet>(StringComparer.Ordinal);
            foreach (var (name, value) in a.Properties.Concat(b.Properties))
            {
                merged[name] = merged.TryGetValue(name, out var existing) ? Union(existing, value) : value;
            }

            return Object([.. merged.Select(p => (p.Key, p.Value))]);
        }

        if (a.Items is { } ai && b.Items is { } bi)
        {
            return ArrayOf(Union(ai, bi));
        }

        throw new ArgumentException("one set describes an object where the other describes an array");
    }

    /// <summary>The listed properties of an object node.</summary>
    public IEnumerable<(string Name, JsonFieldSet Value)> Properties =>
        _byLength.SelectMany(group => group).Select(p => (Encoding.UTF8.GetString(p.Name), p.Value));

    /// <summary>True for <see cref="All"/>.</summary>
    public bool KeepsAll => !DescribesObject && Items is null;

    /// <summary>True when this node lists the properties of an object.</summary>
    public bool DescribesObject { get; }

    /// <summary>The node for each element when this node describes an array, else null.</summary>
    public JsonFieldSet? Items { get; }

    /// <summary>The node of property <paramref name="utf8Name"/> (unescaped UTF-8), or null when it is dropped.</summary>
    public JsonFieldSet? Find(ReadOnlySpan<byte> utf8Name)
    {
        if ((uint)utf8Name.Length >= (uint)_byLength.Length)
        {
            return null;
        }

        foreach (var (name, value) in _byLength[utf8Name.Length])
        {
            if (utf8Name.SequenceEqual(name))
            {
                return value;
            }
        }

        return null;
    }
}
