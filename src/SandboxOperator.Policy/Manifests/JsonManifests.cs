using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SandboxOperator.Policy.Manifests;

/// <summary>One JSON value of a manifest stream, with the line it starts on and where its fields were written.</summary>
public sealed record JsonManifest(JsonNode? Root, int Line, Dictionary<string, int> Lines);

/// <summary>
/// Reads manifest text that starts with <c>{</c> as kubectl does: a stream of JSON values one after another (Go's
/// <c>json.Decoder</c>), without comments or trailing commas, a repeated key keeping its last value.
/// </summary>
/// <remarks>Reading stops at the first syntax error, which is reported with its line; the values before it are kept.</remarks>
public static class JsonManifests
{
    private static readonly JsonReaderOptions Options = new()
    {
        AllowMultipleValues = true,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        MaxDepth = ManifestLimits.MaxDepth,
    };

    public static (List<JsonManifest> Values, List<ManifestMessage> Errors, List<ManifestMessage> Notes) Read(string text, string source)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var lineStarts = LineStarts(bytes);
        var values = new List<JsonManifest>();
        var errors = new List<ManifestMessage>();
        var notes = new List<ManifestMessage>();
        var reader = new Utf8JsonReader(bytes, Options);
        try
        {
            while (reader.Read())
            {
                var lines = new Dictionary<string, int>(StringComparer.Ordinal);
                var line = LineOf(lineStarts, reader.TokenStartIndex);
                var value = ReadValue(ref reader, "", lines, lineStarts, source, notes);
                values.Add(new JsonManifest(value, line, lines));
            }
        }
        catch (JsonException e)
        {
            errors.Add(new ManifestMessage(source, (int)(e.LineNumber ?? 0) + 1, "invalid JSON: " + Describe(e)));
        }
        catch (NumberException e)
        {
            errors.Add(new ManifestMessage(source, e.Line, $"the number {e.Message} is beyond what a 64-bit float holds (kubectl refuses it too)"));
        }

        return (values, errors, notes);
    }

    private static JsonNode? ReadValue(ref Utf8JsonReader reader, string path, Dictionary<string, int> lines, int[] lineStarts, string source, List<ManifestMessage> notes)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var obj = new JsonObject();
                var written = new Dictionary<string, int>(StringComparer.Ordinal);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var name = reader.GetString()!;
                    var line = LineOf(lineStarts, reader.TokenStartIndex);
                    var childPath = SourceLines.Property(path, name);
                    reader.Read();
                    if (written.TryGetValue(name, out var earlier))
                    {
                        notes.Add(new ManifestMessage(source, line, $"key \"{name}\" is repeated (first on line {earlier}); the last value is used, as kubectl uses it"));
                    }

                    written[name] = line;
                    obj[name] = ReadValue(ref reader, childPath, lines, lineStarts, source, notes);
                    lines[childPath] = line;
                }

                return obj;
            case JsonTokenType.StartArray:
                var array = new JsonArray();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    var itemPath = SourceLines.Item(path, array.Count);
                    lines[itemPath] = LineOf(lineStarts, reader.TokenStartIndex);
                    array.Add(ReadValue(ref reader, itemPath, lines, lineStarts, source, notes));
                }

                return array;
            case JsonTokenType.String:
                return JsonValue.Create(reader.GetString());
            case JsonTokenType.Number:
                if (reader.TryGetInt64(out var l))
                {
                    return JsonValue.Create(l);
                }

                if (reader.TryGetUInt64(out var u))
                {
                    return JsonValue.Create(u);
                }

                return reader.TryGetDouble(out var d) && double.IsFinite(d)
                    ? JsonValue.Create(d)
                    : throw new NumberException(LineOf(lineStarts, reader.TokenStartIndex), Encoding.UTF8.GetString(reader.ValueSpan));
            case JsonTokenType.True or JsonTokenType.False:
                return JsonValue.Create(reader.GetBoolean());
            default:
                return null;
        }
    }

    private static int[] LineStarts(byte[] bytes)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                starts.Add(i + 1);
            }
        }

        return [.. starts];
    }

    private static int LineOf(int[] lineStarts, long offset)
    {
        var index = Array.BinarySearch(lineStarts, (int)offset);
        return (index >= 0 ? index : ~index - 1) + 1;
    }

    /// <summary>The reader's message without its position suffix (the line is reported separately).</summary>
    private static string Describe(JsonException e)
    {
        var message = e.Message;
        foreach (var marker in new[] { " LineNumber:", " Path:" })
        {
            if (message.IndexOf(marker, StringComparison.Ordinal) is >= 0 and var at)
            {
                message = message[..at];
            }
        }

        message = message.TrimEnd(' ', '.', '|');
        return message.Length > 0 ? char.ToLowerInvariant(message[0]) + message[1..] : "malformed";
    }

    private sealed class NumberException(int line, string number) : Exception(number)
    {
        public int Line { get; } = line;
    }
}
