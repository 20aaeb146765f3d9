namespace SandboxOperator.Policy.Manifests;

/// <summary>
/// Where each field of a manifest object was written: field paths in the form <see cref="Api.FieldError"/> uses
/// (<c>spec.selector.matchExpressions[0].key</c>) mapped to their line in the file, so an error about a field names
/// the line the user wrote it on.
/// </summary>
/// <remarks>
/// A field that was not written (a required value that is missing) or that came in through an alias or a merge
/// key is located at its nearest written parent, and the object's own line when there is none.
/// </remarks>
public sealed class SourceLines
{
    private readonly IReadOnlyDictionary<string, int> _lines;
    private readonly string _prefix;

    public SourceLines(IReadOnlyDictionary<string, int> lines, int objectLine, string prefix = "")
    {
        _lines = lines;
        ObjectLine = objectLine;
        _prefix = prefix;
    }

    /// <summary>The line the object starts on.</summary>
    public int ObjectLine { get; }

    /// <summary>The same table for the object at <paramref name="path"/> (an item of a list).</summary>
    public SourceLines Within(string path) => new(_lines, LineOf(path), _prefix + path);

    /// <summary>The line of <paramref name="path"/> or of its nearest located parent.</summary>
    public int LineOf(string path)
    {
        var at = path is "" or "(root)" ? _prefix : _prefix.Length == 0 ? path : path.StartsWith('[') ? _prefix + path : _prefix + "." + path;
        while (at.Length > _prefix.Length)
        {
            if (_lines.TryGetValue(at, out var line))
            {
                return line;
            }

            var cut = Math.Max(at.LastIndexOf('.'), at.LastIndexOf('['));
            if (cut < 0)
            {
                break;
            }

            at = at[..cut];
        }

        return ObjectLine;
    }

    /// <summary>The path of property <paramref name="name"/> under <paramref name="parent"/>.</summary>
    public static string Property(string parent, string name) => parent.Length == 0 ? name : parent + "." + name;

    /// <summary>The path of item <paramref name="index"/> of the list at <paramref name="parent"/>.</summary>
    public static string Item(string parent, int index) => $"{parent}[{index}]";
}
