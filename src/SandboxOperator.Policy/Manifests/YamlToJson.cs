using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace SandboxOperator.Policy.Manifests;

/// <summary>The JSON of one YAML document, where its fields were written, and what was worth a note.</summary>
/// <param name="Root">The document's value; null for an empty document (only comments, or <c>~</c>).</param>
/// <param name="Error">Why the document could not be read; then <paramref name="Root"/> is null.</param>
public sealed record YamlDocument(JsonNode? Root, Dictionary<string, int> Lines, List<ManifestMessage> Notes, ManifestMessage? Error);

/// <summary>
/// Converts one YAML document to JSON the way kubectl does (sigs.k8s.io/yaml over go-yaml v2), on the events of
/// YamlDotNet's parser: scalars resolved by <see cref="YamlScalar"/>, anchors and aliases expanded, merge keys
/// (<c>&lt;&lt;</c>) merged, mapping keys turned into JSON field names, and a repeated key keeping its last value.
/// </summary>
/// <remarks>
/// Merge keys follow go-yaml v2, not the YAML 1.1 draft: a mapping's entries apply in the order written, a merge
/// included, so a key written after <c>&lt;&lt;</c> wins over the merged one and a merge written after a key
/// overrides it (with a note, as the YAML 1.1 draft says otherwise); in a list of merged mappings the first wins. The
/// tests compare this with kubectl's own reading.
/// Bounds: at most <see cref="ManifestLimits.MaxNodes"/> nodes after alias expansion and
/// <see cref="ManifestLimits.MaxDepth"/> levels of nesting, so an alias bomb is refused before it is expanded.
/// </remarks>
public sealed class YamlToJson
{
    private const string MergeTag = "tag:yaml.org,2002:merge";

    private readonly string _text;
    private readonly Scanner _scanner;
    private readonly Parser _parser;
    private readonly string _source;
    private readonly int _offset;
    private readonly Dictionary<string, Anchored> _anchors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);
    private readonly List<ManifestMessage> _notes = [];
    private long _nodes;

    private YamlToJson(YamlChunk chunk, string source)
    {
        _text = chunk.Text;
        _scanner = new Scanner(new StringReader(chunk.Text), skipComments: true);
        _parser = new Parser(_scanner);
        _source = source;
        _offset = chunk.FirstLine - 1;
    }

    /// <summary>A value an anchor names: its JSON (or its scalar, which can also be a key), size and depth.</summary>
    private sealed record Anchored(JsonNode? Value, YamlScalar? Scalar, long Size, int Depth);

    /// <summary>Reads the first document of <paramref name="chunk"/>; content after a <c>...</c> end marker is ignored, with a note, as kubectl ignores it.</summary>
    /// <remarks>
    /// Escapes in double-quoted scalars are YAML 1.1's, as go-yaml's: <c>\'</c> is a quote (YamlDotNet, which knows
    /// YAML 1.2's, refuses it: each one it stops at is read again as the same <c>\x27</c>), and <c>\/</c> is refused.
    /// </remarks>
    public static YamlDocument Convert(YamlChunk chunk, string source)
    {
        while (true)
        {
            var converter = new YamlToJson(chunk, source);
            try
            {
                return converter.Read();
            }
            catch (ConversionException e)
            {
                return new YamlDocument(null, converter._lines, converter._notes, new ManifestMessage(source, e.Line, e.Message));
            }
            catch (YamlException e) when (e.Message.Contains("unknown escape character", StringComparison.Ordinal)
                && e.End.Index + 1 < chunk.Text.Length && chunk.Text[(int)e.End.Index] == '\\' && chunk.Text[(int)e.End.Index + 1] == '\'')
            {
                chunk = chunk with { Text = string.Concat(chunk.Text.AsSpan(0, (int)e.End.Index), "\\x27", chunk.Text.AsSpan((int)e.End.Index + 2)) };
            }
            catch (YamlException e)
            {
                return new YamlDocument(null, converter._lines, converter._notes, new ManifestMessage(source, converter.ErrorLine(chunk), "invalid YAML: " + YamlText.Describe(e)));
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException)
            {
                // YamlDotNet reports a few malformed inputs (an unclosed flow collection) without a message of its own.
                return new YamlDocument(null, converter._lines, converter._notes, new ManifestMessage(source, converter.ErrorLine(chunk), YamlText.UnparsableLine));
            }
        }
    }

    private YamlDocument Read()
    {
        _parser.Consume<StreamStart>();
        if (_parser.Accept<StreamEnd>(out _))
        {
            return new YamlDocument(null, _lines, _notes, null);
        }

        _parser.Consume<DocumentStart>();
        var root = ReadNode("", 0).Value;
        _parser.Consume<DocumentEnd>();
        if (_parser.Current is DocumentStart next)
        {
            _notes.Add(new ManifestMessage(_source, Line(next.Start), "everything from here to the next \"---\" follows a document end marker \"...\" and is ignored, as kubectl ignores it"));
        }

        return new YamlDocument(root, _lines, _notes, null);
    }

    private (JsonNode? Value, long Size, int Depth) ReadNode(string path, int depth)
    {
        if (depth > ManifestLimits.MaxDepth)
        {
            throw new ConversionException(Line(_parser.Current!.Start), $"the document is nested deeper than {ManifestLimits.MaxDepth} levels");
        }

        Count(1, _parser.Current!.Start);
        switch (_parser.Current)
        {
            case AnchorAlias alias:
                _parser.MoveNext();
                return Expand(alias, depth);
            case Scalar scalar:
                _parser.MoveNext();
                var resolved = Resolve(scalar);
                var (json, error) = resolved.ToJson();
                if (error is not null)
                {
                    throw new ConversionException(Line(scalar.Start), error);
                }

                Remember(scalar.Anchor, json, resolved, 1, 0);
                return (json, 1, 0);
            case SequenceStart start:
                _parser.MoveNext();
                var array = new JsonArray();
                long arraySize = 1;
                var arrayDepth = 0;
                while (!_parser.Accept<SequenceEnd>(out _))
                {
                    var itemPath = SourceLines.Item(path, array.Count);
                    _lines[itemPath] = Line(_parser.Current!.Start);
                    var (item, size, itemDepth) = ReadNode(itemPath, depth + 1);
                    array.Add(item);
                    arraySize += size;
                    arrayDepth = Math.Max(arrayDepth, itemDepth + 1);
                }

                _parser.MoveNext();
                Remember(start.Anchor, array, null, arraySize, arrayDepth);
                return (array, arraySize, arrayDepth);
            case MappingStart map:
                _parser.MoveNext();
                var (obj, mapSize, mapDepth) = ReadMapping(path, depth);
                Remember(map.Anchor, obj, null, mapSize, mapDepth);
                return (obj, mapSize, mapDepth);
            default:
                throw new ConversionException(Line(_parser.Current!.Start), $"unexpected {_parser.Current.GetType().Name}");
        }
    }

    private (JsonObject Value, long Size, int Depth) ReadMapping(string path, int depth)
    {
        var obj = new JsonObject();
        var written = new Dictionary<string, int>(StringComparer.Ordinal);
        long size = 1;
        var maxDepth = 0;
        while (!_parser.Accept<MappingEnd>(out _))
        {
            var keyEvent = _parser.Current!;
            var line = Line(keyEvent.Start);
            if (keyEvent is Scalar { Value: "<<" } mergeKey && (mergeKey.IsPlainImplicit || TagOf(mergeKey) == MergeTag))
            {
                _parser.MoveNext();
                foreach (var (name, value, valueDepth) in ReadMerge(path, depth, line))
                {
                    if (written.Remove(name, out var replaced))
                    {
                        _notes.Add(new ManifestMessage(_source, line, $"the merge key (<<) replaces \"{name}\" written on line {replaced}: kubectl applies a mapping's entries in the order written, so write the key after the merge to keep it"));
                    }

                    obj[name] = value;
                    _lines[SourceLines.Property(path, name)] = line;
                    maxDepth = Math.Max(maxDepth, valueDepth + 1);
                }

                continue;
            }

            var key = ReadKey();
            var childPath = SourceLines.Property(path, key);
            var (child, childSize, childDepth) = ReadNode(childPath, depth + 1);
            if (written.TryGetValue(key, out var earlier))
            {
                _notes.Add(new ManifestMessage(_source, line, $"key \"{key}\" is repeated (first on line {earlier}); the last value is used, as kubectl uses it"));
            }

            written[key] = line;
            obj[key] = child;
            _lines[childPath] = line;
            size += childSize;
            maxDepth = Math.Max(maxDepth, childDepth + 1);
        }

        _parser.MoveNext();
        return (obj, size, maxDepth);
    }

    /// <summary>The entries a merge key brings, in the order they apply: a mapping's own, or a list's from the last mapping to the first.</summary>
    private List<(string Name, JsonNode? Value, int Depth)> ReadMerge(string path, int depth, int line)
    {
        var sources = new List<(JsonNode? Value, long Size, int Depth)>();
        if (_parser.Accept<SequenceStart>(out var list))
        {
            _parser.MoveNext();
            while (!_parser.Accept<SequenceEnd>(out _))
            {
                sources.Add(ReadNode(path, depth));
            }

            _parser.MoveNext();
            Remember(list.Anchor, new JsonArray([.. sources.Select(s => s.Value?.DeepClone())]), null, 1 + sources.Sum(s => s.Size), sources.Count == 0 ? 0 : sources.Max(s => s.Depth) + 1);
            sources.Reverse();
        }
        else
        {
            sources.Add(ReadNode(path, depth));
        }

        var entries = new List<(string, JsonNode?, int)>();
        foreach (var (value, _, valueDepth) in sources)
        {
            if (value is not JsonObject merged)
            {
                throw new ConversionException(line, "a merge key (<<) needs a mapping, an alias of one, or a list of them");
            }

            var pairs = merged.ToList();
            merged.Clear();
            entries.AddRange(pairs.Select(p => (p.Key, p.Value, Math.Max(valueDepth - 1, 0))));
        }

        return entries;
    }

    private string ReadKey()
    {
        var current = _parser.Current!;
        YamlScalar? scalar;
        switch (current)
        {
            case Scalar s:
                _parser.MoveNext();
                scalar = Resolve(s);
                Count(1, s.Start);
                Remember(s.Anchor, scalar.Value.ToJson().Value, scalar, 1, 0);
                break;
            case AnchorAlias alias:
                _parser.MoveNext();
                scalar = Anchor(alias).Scalar;
                break;
            default:
                scalar = null;
                break;
        }

        if (scalar is not { } key)
        {
            throw new ConversionException(Line(current.Start), "a mapping key must be a single value, not a mapping or a list (kubectl refuses it too)");
        }

        var (name, error) = key.ToKey();
        return name ?? throw new ConversionException(Line(current.Start), error!);
    }

    private (JsonNode? Value, long Size, int Depth) Expand(AnchorAlias alias, int depth)
    {
        var anchored = Anchor(alias);
        if (depth + anchored.Depth > ManifestLimits.MaxDepth)
        {
            throw new ConversionException(Line(alias.Start), $"the document is nested deeper than {ManifestLimits.MaxDepth} levels (after expanding *{alias.Value})");
        }

        Count(anchored.Size, alias.Start);
        return (anchored.Value?.DeepClone(), anchored.Size, anchored.Depth);
    }

    private Anchored Anchor(AnchorAlias alias) =>
        _anchors.TryGetValue(alias.Value.Value, out var anchored)
            ? anchored
            : throw new ConversionException(Line(alias.Start), $"alias *{alias.Value.Value} refers to no anchor &{alias.Value.Value} defined above it");

    private void Remember(AnchorName anchor, JsonNode? value, YamlScalar? scalar, long size, int depth)
    {
        if (!anchor.IsEmpty)
        {
            _anchors[anchor.Value] = new Anchored(value, scalar, size, depth);
        }
    }

    private YamlScalar Resolve(Scalar scalar)
    {
        if (scalar.Style == ScalarStyle.DoubleQuoted && HasSlashEscape(_text.AsSpan((int)scalar.Start.Index, (int)(scalar.End.Index - scalar.Start.Index))))
        {
            throw new ConversionException(Line(scalar.Start), "invalid YAML: found unknown escape character \\/ (YAML 1.1, which kubectl reads, has none; write / alone)");
        }

        var (resolved, error) = YamlScalar.Resolve(scalar.Value, TagOf(scalar), scalar.IsPlainImplicit);
        return error is null ? resolved : throw new ConversionException(Line(scalar.Start), error);
    }

    /// <summary>Whether a double-quoted scalar as written holds the escape <c>\/</c> (and not an escaped backslash before a slash).</summary>
    private static bool HasSlashEscape(ReadOnlySpan<char> written)
    {
        for (var i = 0; i < written.Length - 1; i++)
        {
            if (written[i] == '\\')
            {
                if (written[i + 1] == '/')
                {
                    return true;
                }

                i++;
            }
        }

        return false;
    }

    /// <summary>The scalar's explicit tag, expanded (<c>tag:yaml.org,2002:str</c> for <c>!!str</c>; <c>!</c> for the non-specific tag), or null.</summary>
    private static string? TagOf(Scalar scalar) => scalar.Tag.IsEmpty ? null : scalar.Tag.IsNonSpecific ? "!" : scalar.Tag.Value;

    private void Count(long nodes, Mark at)
    {
        _nodes += nodes;
        if (_nodes > ManifestLimits.MaxNodes)
        {
            throw new ConversionException(Line(at), $"the document has more than {ManifestLimits.MaxNodes} nodes (after expanding aliases)");
        }
    }

    private int Line(Mark mark) => (int)mark.Line + _offset;

    private int ErrorLine(YamlChunk chunk) => YamlText.ErrorLine(_scanner, chunk.Text) + _offset;

    private sealed class ConversionException(int line, string message) : Exception(message)
    {
        public int Line { get; } = line;
    }
}
