using System.Text;
using System.Text.Json;

namespace SandboxOperator.Policy.Json;

/// <summary>What made <see cref="JsonPruner"/> refuse its input.</summary>
public enum JsonPruneErrorKind
{
    /// <summary>Not JSON, or nested deeper than the limit.</summary>
    Syntax,
    /// <summary>A kept object names the same property twice (compared after unescaping).</summary>
    DuplicateKey,
    /// <summary>A <c>\u</c> escape in a kept string or name that is an unpaired UTF-16 surrogate.</summary>
    InvalidEscape,
    /// <summary>The kept part does not fit the output buffer, whose length is the caller's limit.</summary>
    TooLarge,
}

/// <summary>Why the input was refused, and where (a dotted path such as <c>request.object.spec</c>; empty at the root).</summary>
public sealed record JsonPruneError(JsonPruneErrorKind Kind, string Path, string Detail)
{
    public string Message => Path.Length == 0 ? Detail : $"{Detail} (at {Path})";
}

/// <summary>
/// Copies JSON text keeping only the fields of a <see cref="JsonFieldSet"/> and parses what is kept, refusing text
/// whose kept part a reader could take two ways.
/// </summary>
/// <remarks>
/// <para>
/// The whole input goes through <see cref="Utf8JsonReader"/> once: its syntax and nesting depth are checked
/// everywhere, dropped parts included (they are skipped by the reader, never copied). What is kept is also
/// checked for what a reader could take differently from the API server: duplicate property names (Go's decoder
/// keeps the last, other readers the first; refused by <see cref="Parse"/>, which parses with
/// <see cref="JsonDocumentOptions.AllowDuplicateProperties"/> off) and <c>\u</c> escapes of unpaired surrogates
/// (Go reads them as U+FFFD). Dropped values are not checked for either: no reader of the output sees them. It
/// does not check that the input is valid UTF-8; callers do that first.
/// </para>
/// <para>
/// The output is compact JSON in which every kept value is byte-for-byte the input's (escapes and, inside values
/// kept whole, whitespace included) and properties keep their order; it is never longer than the input. Names are
/// matched after unescaping. A value whose JSON type differs from what its node describes is kept whole, so a
/// reader of the output reports the same type error as on the input. The output buffer's length is the limit on
/// the kept part: what does not fit is refused with <see cref="JsonPruneErrorKind.TooLarge"/>, so the memory a
/// caller spends on parsing the output is bounded by the buffer it chose.
/// </para>
/// </remarks>
public static class JsonPruner
{
    [ThreadStatic]
    private static Scratch? _scratch;

    /// <summary>
    /// Prunes <paramref name="json"/> to <paramref name="keep"/> and parses the result into
    /// <paramref name="document"/>, which reads from <paramref name="buffer"/>: the caller keeps the buffer alive
    /// and unchanged until it disposes the document. Returns null, or the error (and no document).
    /// </summary>
    public static JsonPruneError? Parse(ReadOnlySpan<byte> json, JsonFieldSet keep, Memory<byte> buffer, int maxDepth, out JsonDocument? document)
    {
        document = null;
        if (Prune(json, keep, buffer.Span, maxDepth, out var written) is { } error)
        {
            return error;
        }

        var kept = buffer[..written];
        try
        {
            document = JsonDocument.Parse(kept, new JsonDocumentOptions { MaxDepth = maxDepth, AllowDuplicateProperties = false });
            return null;
        }
        catch (JsonException)
        {
            // The kept text is valid JSON within the depth limit (the reader checked it), so only a duplicate is left.
            return DuplicateIn(kept, maxDepth);
        }
    }

    /// <summary>
    /// Prunes <paramref name="json"/> to <paramref name="keep"/> into <paramref name="output"/>. Returns null and the
    /// length written, or the error. Duplicate names are not checked here; <see cref="Parse"/> checks them.
    /// </summary>
    public static JsonPruneError? Prune(ReadOnlySpan<byte> json, JsonFieldSet keep, Span<byte> output, int maxDepth, out int written)
    {
        var scratch = _scratch ??= new Scratch();
        var frames = scratch.FramesFor(maxDepth);
        var depth = 0;
        var w = 0;
        written = 0;

        // The node of the next value when it is a property's value or the root; array elements use their array's.
        JsonFieldSet? next = keep;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = maxDepth });
        try
        {
            while (reader.Read())
            {
                var token = reader.TokenType;
                if (token == JsonTokenType.PropertyName)
                {
                    ref var f = ref frames[depth - 1];
                    f.Count++;
                    f.NameStart = (int)reader.TokenStartIndex + 1;
                    f.NameLength = reader.ValueSpan.Length;
                    var name = reader.ValueSpan;
                    if (reader.ValueIsEscaped)
                    {
                        var length = scratch.Unescape(ref reader);
                        if (length < 0)
                        {
                            return InvalidEscape(frames, depth, json);
                        }

                        name = scratch.Text(length);
                    }

                    if (f.Mode != Mode.Structured)
                    {
                        continue;
                    }

                    if (f.Fields!.Find(name) is not { } child)
                    {
                        reader.Skip();
                        continue;
                    }

                    var quoted = json.Slice(f.NameStart - 1, f.NameLength + 2);
                    if (!Append(output, ref w, f.Emitted ? (byte)',' : (byte)0, quoted, (byte)':'))
                    {
                        return TooLarge(frames, depth, json, output.Length);
                    }

                    f.Emitted = true;
                    next = child;
                    continue;
                }

                if (token is JsonTokenType.EndObject or JsonTokenType.EndArray)
                {
                    ref var f = ref frames[--depth];
                    var fits = f.Mode switch
                    {
                        Mode.Structured => Append(output, ref w, 0, [f.IsObject ? (byte)'}' : (byte)']'], 0),
                        Mode.Whole => Append(output, ref w, 0, json[f.WholeStart..(int)reader.BytesConsumed], 0),
                        _ => true,
                    };
                    if (!fits)
                    {
                        return TooLarge(frames, depth + 1, json, output.Length);
                    }

                    f.Fields = null;
                    continue;
                }

                // A value: as the root, as a property's value, or as an array element.
                var mode = Mode.Structured;
                var fields = next;
                byte separator = 0;
                if (depth > 0)
                {
                    ref var parent = ref frames[depth - 1];
                    if (!parent.IsObject)
                    {
                        parent.Count++;
                        fields = parent.Fields?.Items;
                        if (parent.Mode == Mode.Structured && parent.Emitted)
                        {
                            separator = (byte)',';
                        }

                        parent.Emitted = true;
                    }

                    if (parent.Mode != Mode.Structured)
                    {
                        mode = Mode.Inside;
                    }
                }

                if (token is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    var isObject = token == JsonTokenType.StartObject;
                    if (mode == Mode.Structured && !(isObject ? fields!.DescribesObject : fields!.Items is not null))
                    {
                        // Everything, or a value of another type than the node describes: kept whole.
                        mode = Mode.Whole;
                    }

                    if ((mode == Mode.Structured || (mode == Mode.Whole && separator != 0))
                        && !Append(output, ref w, separator, mode == Mode.Structured ? [isObject ? (byte)'{' : (byte)'['] : [], 0))
                    {
                        return TooLarge(frames, depth, json, output.Length);
                    }

                    frames[depth++] = new Frame
                    {
                        Mode = mode,
                        IsObject = isObject,
                        Fields = mode == Mode.Structured ? fields : null,
                        WholeStart = (int)reader.TokenStartIndex,
                    };
                    continue;
                }

                if (token == JsonTokenType.String && reader.ValueIsEscaped && scratch.Unescape(ref reader) < 0)
                {
                    return InvalidEscape(frames, depth, json);
                }

                if (mode != Mode.Inside && !Append(output, ref w, separator, json[(int)reader.TokenStartIndex..(int)reader.BytesConsumed], 0))
                {
                    return TooLarge(frames, depth, json, output.Length);
                }
            }
        }
        catch (JsonException e)
        {
            return new JsonPruneError(JsonPruneErrorKind.Syntax, PathTo(frames, depth, json), Describe(e));
        }

        written = w;
        return null;
    }

    /// <summary>Appends an optional byte, the text and another optional byte (0 = none); false when they do not fit.</summary>
    private static bool Append(Span<byte> output, ref int w, byte before, ReadOnlySpan<byte> text, byte after)
    {
        var needed = text.Length + (before != 0 ? 1 : 0) + (after != 0 ? 1 : 0);
        if (output.Length - w < needed)
        {
            return false;
        }

        if (before != 0)
        {
            output[w++] = before;
        }

        text.CopyTo(output[w..]);
        w += text.Length;
        if (after != 0)
        {
            output[w++] = after;
        }

        return true;
    }

    /// <summary>The reader's message as <c>line L, column C: what</c> (both counted from 1; columns in bytes).</summary>
    private static string Describe(JsonException e)
    {
        var message = e.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut >= 0)
        {
            message = message[..cut];
        }

        return e.LineNumber is { } line && e.BytePositionInLine is { } column
            ? $"line {line + 1}, column {column + 1}: {message}"
            : message;
    }

    private static JsonPruneError InvalidEscape(Frame[] frames, int depth, ReadOnlySpan<byte> json) =>
        new(JsonPruneErrorKind.InvalidEscape, PathTo(frames, depth, json), "a \\u escape is not a valid UTF-16 surrogate pair");

    private static JsonPruneError TooLarge(Frame[] frames, int depth, ReadOnlySpan<byte> json, int limit) =>
        new(JsonPruneErrorKind.TooLarge, PathTo(frames, depth, json), $"the fields the sandbox policy reads take more than {limit} bytes");

    /// <summary>The first repeated name in the kept text, found by walking it; called only once a parse has failed.</summary>
    private static JsonPruneError DuplicateIn(ReadOnlyMemory<byte> kept, int maxDepth)
    {
        using var lenient = JsonDocument.Parse(kept, new JsonDocumentOptions { MaxDepth = maxDepth });
        var found = FindDuplicate(lenient.RootElement, "");
        return new JsonPruneError(JsonPruneErrorKind.DuplicateKey, found?.Path ?? "", $"Duplicate key \"{found?.Name ?? "?"}\"");
    }

    private static (string Path, string Name)? FindDuplicate(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in element.EnumerateObject())
            {
                if (!names.Add(p.Name))
                {
                    return (path, p.Name);
                }
            }

            foreach (var p in element.EnumerateObject())
            {
                if (FindDuplicate(p.Value, path.Length == 0 ? p.Name : path + "." + p.Name) is { } found)
                {
                    return found;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in element.EnumerateArray())
            {
                if (FindDuplicate(item, $"{path}[{i++}]") is { } found)
                {
                    return found;
                }
            }
        }

        return null;
    }

    /// <summary>The dotted path of the innermost <paramref name="depth"/> frames' current positions, names as spelled.</summary>
    private static string PathTo(Frame[] frames, int depth, ReadOnlySpan<byte> json)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            ref var f = ref frames[i];
            if (f.Count == 0)
            {
                continue;
            }

            if (f.IsObject)
            {
                if (sb.Length > 0)
                {
                    sb.Append('.');
                }

                sb.Append(Encoding.UTF8.GetString(json.Slice(f.NameStart, f.NameLength)));
            }
            else
            {
                sb.Append('[').Append(f.Count - 1).Append(']');
            }
        }

        return sb.ToString();
    }

    private enum Mode : byte
    {
        /// <summary>Copied property by property (or element by element) through its node.</summary>
        Structured,
        /// <summary>Copied byte for byte when it closes.</summary>
        Whole,
        /// <summary>Inside a value copied whole: checked, not copied on its own.</summary>
        Inside,
    }

    private struct Frame
    {
        public Mode Mode;
        public bool IsObject;
        /// <summary>Whether anything has been written into this (structured) container, so the next needs a comma.</summary>
        public bool Emitted;
        public JsonFieldSet? Fields;
        public int WholeStart;
        /// <summary>Properties (object) or elements (array) seen so far, for error paths.</summary>
        public int Count;
        /// <summary>The latest property name as spelled in the input, for error paths.</summary>
        public int NameStart;
        public int NameLength;
    }

    /// <summary>Per-thread frames and a buffer for unescaped names and strings.</summary>
    private sealed class Scratch
    {
        private Frame[] _frames = new Frame[65];
        private byte[] _text = new byte[256];

        public Frame[] FramesFor(int maxDepth)
        {
            if (_frames.Length < maxDepth + 1)
            {
                _frames = new Frame[maxDepth + 1];
            }

            return _frames;
        }

        /// <summary>Unescapes the current string or name into <see cref="Text"/>; its length, or -1 when an escape is an unpaired surrogate.</summary>
        public int Unescape(ref Utf8JsonReader reader)
        {
            if (_text.Length < reader.ValueSpan.Length)
            {
                _text = new byte[Math.Max(reader.ValueSpan.Length, _text.Length * 2)];
            }

            try
            {
                return reader.CopyString(_text);
            }
            catch (InvalidOperationException)
            {
                return -1;
            }
        }

        /// <summary>The first <paramref name="length"/> bytes of the latest unescaped text.</summary>
        public ReadOnlySpan<byte> Text(int length) => _text.AsSpan(0, length);
    }
}
