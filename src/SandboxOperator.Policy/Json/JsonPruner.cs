using System.Text;
using System.Text.Json;

namespace SandboxOperator.Policy.Json;

/// <summary>What made <see cref="JsonPruner.Prune"/> refuse its input.</summary>
public enum JsonPruneErrorKind
{
    /// <summary>Not JSON, or nested deeper than the limit.</summary>
    Syntax,
    /// <summary>An object names the same property twice (compared after unescaping).</summary>
    DuplicateKey,
    /// <summary>A <c>\u</c> escape that is an unpaired UTF-16 surrogate.</summary>
    InvalidEscape,
}

/// <summary>Why the input was refused, and where (a dotted path such as <c>request.object.spec</c>; empty at the root).</summary>
public sealed record JsonPruneError(JsonPruneErrorKind Kind, string Path, string Detail)
{
    public string Message => Path.Length == 0 ? Detail : $"{Detail} (at {Path})";
}

/// <summary>
/// Copies JSON text keeping only the fields of a <see cref="JsonFieldSet"/>, in one forward pass, and
/// refuses text whose kept part readers could take two ways.
/// </summary>
/// <remarks>
/// <para>
/// The syntax and nesting depth of the whole input are checked, dropped parts included. Everything that
/// is kept is also checked for what a reader of it could take differently from the API server: duplicate
/// property names (Go's decoder keeps the last of them, other readers the first) and <c>\u</c> escapes of
/// unpaired surrogates (Go reads them as U+FFFD). Every name of a kept object is checked, names of dropped
/// properties included (they are unescaped to be matched). Dropped values are skipped without those
/// checks: no reader of the output sees them. Error paths spell names as the input does, escapes included. It does not check that the input is valid UTF-8; callers do that
/// first (<see cref="System.Text.Unicode.Utf8.IsValid(ReadOnlySpan{byte})"/>).
/// </para>
/// <para>
/// The output is compact JSON, never longer than the input, in which every kept value is byte-for-byte
/// the input's (escapes included) and properties keep their order. Objects are compared by name after
/// unescaping, as <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/> does. Duplicate
/// detection is linear per property for objects of up to 16 properties and a sort beyond, so crafted
/// input cannot make it quadratic. Not thread-safe per call; the scratch state is per thread.
/// </para>
/// </remarks>
public static class JsonPruner
{
    private const int LinearDuplicateCheckLimit = 16;

    [ThreadStatic]
    private static State? _state;

    /// <summary>
    /// Prunes <paramref name="json"/> to <paramref name="keep"/> into <paramref name="output"/>, which
    /// must be at least as long as the input. Returns null and the length written, or the error.
    /// </summary>
    public static JsonPruneError? Prune(ReadOnlyMemory<byte> json, JsonFieldSet keep, Span<byte> output, int maxDepth, out int written)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(output.Length, json.Length, nameof(output));
        var state = _state ??= new State();
        state.Begin(json, maxDepth);
        try
        {
            return Run(json.Span, keep, output, maxDepth, state, out written);
        }
        finally
        {
            state.End();
        }
    }

    private static JsonPruneError? Run(ReadOnlySpan<byte> json, JsonFieldSet keep, Span<byte> output, int maxDepth, State state, out int written)
    {
        written = 0;
        var w = 0;
        var frames = state.Frames;
        var depth = 0;
        JsonSyntaxProblem problem;
        int at;
        int end;

        // How the value about to be read is handled: set by the root, the property name before it, or its array.
        var mode = keep.KeepsAll ? Mode.Raw : Mode.Structured;
        var schema = keep;
        var pos = JsonSyntax.SkipWhitespace(json, 0);
        if (pos == json.Length)
        {
            return SyntaxError(state, depth, json, JsonSyntaxProblem.Empty, pos, maxDepth);
        }

    // A value starts at pos (not whitespace); mode and schema say what to do with it.
    Value:
        if ((uint)pos < (uint)json.Length && json[pos] is (byte)'{' or (byte)'[')
        {
            if (depth == maxDepth)
            {
                return SyntaxError(state, depth, json, JsonSyntaxProblem.TooDeep, pos, maxDepth);
            }

            var isObject = json[pos] == (byte)'{';
            if (mode == Mode.Structured && !(isObject ? schema!.DescribesObject : schema!.Items is not null))
            {
                // The value is not the type the schema describes: keep it whole for the reader to report.
                mode = Mode.Raw;
            }

            if (mode == Mode.Structured)
            {
                output[w++] = json[pos];
            }

            frames[depth++] = new Frame
            {
                Mode = mode,
                Schema = mode == Mode.Structured ? schema : null,
                IsObject = isObject,
                RawStart = pos,
                NamesStart = state.NameCount,
                SideStart = state.SideLength,
            };
            pos = JsonSyntax.SkipWhitespace(json, pos + 1);
            if ((uint)pos < (uint)json.Length && json[pos] == (isObject ? (byte)'}' : (byte)']'))
            {
                goto Close;
            }

            if (isObject)
            {
                goto Name;
            }

            goto Element;
        }

        end = JsonSyntax.ScanScalar(json, pos, out var escaped, out problem, out at);
        if (end < 0)
        {
            return SyntaxError(state, depth, json, problem, at, maxDepth);
        }

        if (escaped && !JsonEscapes.SurrogatesArePaired(json[(pos + 1)..(end - 1)]))
        {
            return InvalidEscape(state, depth, json);
        }

        if (mode != Mode.InsideRaw)
        {
            json[pos..end].CopyTo(output[w..]);
            w += end - pos;
        }

        pos = end;
        goto AfterValue;

    // A property name should start at pos, in the object of the innermost frame.
    Name:
        {
            if ((uint)pos >= (uint)json.Length || json[pos] != (byte)'"')
            {
                return SyntaxError(state, depth, json, JsonSyntaxProblem.ExpectedPropertyName, pos, maxDepth);
            }

            end = JsonSyntax.ScanString(json, pos, out var nameEscaped, out problem, out at);
            if (end < 0)
            {
                return SyntaxError(state, depth, json, problem, at, maxDepth);
            }

            ref var f = ref frames[depth - 1];
            var raw = json[(pos + 1)..(end - 1)];
            f.Count++;
            f.KeyStart = pos + 1;
            f.KeyLength = raw.Length;
            ReadOnlySpan<byte> name;
            if (nameEscaped)
            {
                if (!state.TryAddUnescapedName(raw))
                {
                    return InvalidEscape(state, depth, json);
                }

                name = state.LatestUnescapedName();
            }
            else
            {
                name = raw;
                state.AddName(pos + 1, raw.Length, side: false);
            }

            if (f.Count <= LinearDuplicateCheckLimit && state.HasEarlierName(f.NamesStart, name, json))
            {
                return Duplicate(state, depth, json, name);
            }

            var nameStart = pos;
            pos = JsonSyntax.SkipWhitespace(json, end);
            if ((uint)pos >= (uint)json.Length || json[pos] != (byte)':')
            {
                return SyntaxError(state, depth, json, JsonSyntaxProblem.ExpectedColon, pos, maxDepth);
            }

            pos = JsonSyntax.SkipWhitespace(json, pos + 1);
            if (f.Mode != Mode.Structured)
            {
                // Inside a value copied whole: walked for the checks, nothing to emit.
                mode = Mode.InsideRaw;
                schema = null;
                goto Value;
            }

            if (f.Schema!.Find(name) is not { } child)
            {
                // Dropped: only its syntax and depth are checked.
                pos = JsonSyntax.SkipValue(json, pos, maxDepth - depth, state.SkipScratch, out problem, out at);
                if (pos < 0)
                {
                    return SyntaxError(state, depth, json, problem, at, maxDepth);
                }

                goto AfterValue;
            }

            if (f.Emitted)
            {
                output[w++] = (byte)',';
            }

            json[nameStart..end].CopyTo(output[w..]);
            w += end - nameStart;
            output[w++] = (byte)':';
            f.Emitted = true;
            mode = child.KeepsAll ? Mode.Raw : Mode.Structured;
            schema = child;
            goto Value;
        }

    // An element should start at pos, in the array of the innermost frame.
    Element:
        {
            ref var f = ref frames[depth - 1];
            f.Count++;
            if (f.Mode == Mode.Structured)
            {
                schema = f.Schema!.Items!;
                mode = schema.KeepsAll ? Mode.Raw : Mode.Structured;
                if (f.Emitted)
                {
                    output[w++] = (byte)',';
                }

                f.Emitted = true;
            }
            else
            {
                mode = Mode.InsideRaw;
                schema = null;
            }

            goto Value;
        }

    // A value ended just before pos.
    AfterValue:
        pos = JsonSyntax.SkipWhitespace(json, pos);
        if (depth == 0)
        {
            if (pos != json.Length)
            {
                return SyntaxError(state, depth, json, JsonSyntaxProblem.TrailingData, pos, maxDepth);
            }

            written = w;
            return null;
        }

        {
            var inObject = frames[depth - 1].IsObject;
            var b = (uint)pos < (uint)json.Length ? json[pos] : (byte)0;
            if (b == (byte)',')
            {
                pos = JsonSyntax.SkipWhitespace(json, pos + 1);
                if (inObject)
                {
                    goto Name;
                }

                goto Element;
            }

            if (b != (inObject ? (byte)'}' : (byte)']'))
            {
                return SyntaxError(state, depth, json, inObject ? JsonSyntaxProblem.ExpectedCommaOrObjectEnd : JsonSyntaxProblem.ExpectedCommaOrArrayEnd, pos, maxDepth);
            }
        }

    // The innermost frame's object or array closes at pos.
    Close:
        {
            ref var f = ref frames[--depth];
            if (f.IsObject && f.Count > LinearDuplicateCheckLimit && state.FirstRepeatedName(f.NamesStart) is { } repeated)
            {
                depth++;
                return Duplicate(state, depth, json, repeated);
            }

            if (f.Mode == Mode.Structured)
            {
                output[w++] = json[pos];
            }
            else if (f.Mode == Mode.Raw)
            {
                json[f.RawStart..(pos + 1)].CopyTo(output[w..]);
                w += pos + 1 - f.RawStart;
            }

            state.DropNames(f.NamesStart, f.SideStart);
            pos++;
            goto AfterValue;
        }

    }

    private static JsonPruneError SyntaxError(State state, int depth, ReadOnlySpan<byte> json, JsonSyntaxProblem problem, int position, int maxDepth) =>
        new(JsonPruneErrorKind.Syntax, PathTo(state, depth, json), JsonSyntaxProblemText.Describe(problem, json, position, maxDepth));

    private static JsonPruneError InvalidEscape(State state, int depth, ReadOnlySpan<byte> json) =>
        new(JsonPruneErrorKind.InvalidEscape, PathTo(state, depth, json), "a \\u escape is not a valid UTF-16 surrogate pair");

    private static JsonPruneError Duplicate(State state, int depth, ReadOnlySpan<byte> json, ReadOnlySpan<byte> name)
    {
        // The path names the object that holds the duplicate, not the duplicate itself.
        var path = PathTo(state, depth - 1, json);
        return new(JsonPruneErrorKind.DuplicateKey, path, $"Duplicate key \"{Encoding.UTF8.GetString(name)}\"");
    }

    /// <summary>The dotted path of the innermost <paramref name="depth"/> frames' current positions.</summary>
    private static string PathTo(State state, int depth, ReadOnlySpan<byte> json)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            ref var f = ref state.Frames[i];
            if (f.IsObject)
            {
                if (f.KeyLength > 0 || f.Count > 0)
                {
                    if (sb.Length > 0)
                    {
                        sb.Append('.');
                    }

                    sb.Append(Encoding.UTF8.GetString(json.Slice(f.KeyStart, f.KeyLength)));
                }
            }
            else if (f.Count > 0)
            {
                sb.Append('[').Append(f.Count - 1).Append(']');
            }
        }

        return sb.ToString();
    }

    private enum Mode : byte
    {
        /// <summary>Part of a value being copied whole: checked, not emitted on its own.</summary>
        InsideRaw,
        /// <summary>Copied property by property (or element by element) through its schema.</summary>
        Structured,
        /// <summary>Copied byte for byte when it closes.</summary>
        Raw,
    }

    private struct Frame
    {
        public Mode Mode;
        public bool IsObject;
        public bool Emitted;
        public JsonFieldSet? Schema;
        public int RawStart;
        public int NamesStart;
        public int SideStart;
        /// <summary>Properties (object) or elements (array) seen so far.</summary>
        public int Count;
        /// <summary>The raw name of the object's latest property, for error paths.</summary>
        public int KeyStart;
        public int KeyLength;
    }

    private struct NameRef
    {
        public int Start;
        public int Length;
        /// <summary>True when the unescaped name is in the side buffer rather than the input.</summary>
        public bool Side;
    }

    /// <summary>Per-thread scratch: frames, the names of the open objects, and unescaped names and strings.</summary>
    private sealed class State
    {
        public Frame[] Frames = new Frame[65];
        /// <summary>For <see cref="JsonSyntax.SkipValue"/>: whether each open container of a dropped value is an object.</summary>
        public bool[] SkipScratch = new bool[65];
        private NameRef[] _names = new NameRef[256];
        private byte[] _side = new byte[1024];
        private ReadOnlyMemory<byte> _json;
        private NameComparer? _comparer;

        public int NameCount { get; private set; }
        public int SideLength { get; private set; }

        public void Begin(ReadOnlyMemory<byte> json, int maxDepth)
        {
            _json = json;
            if (Frames.Length < maxDepth + 1)
            {
                Frames = new Frame[maxDepth + 1];
                SkipScratch = new bool[maxDepth + 1];
            }

            NameCount = 0;
            SideLength = 0;
        }

        /// <summary>Drops the reference to the input. Frames may keep schema nodes, which live as long as their sets.</summary>
        public void End() => _json = default;

        public void AddName(int start, int length, bool side)
        {
            if (NameCount == _names.Length)
            {
                Array.Resize(ref _names, _names.Length * 2);
            }

            _names[NameCount++] = new NameRef { Start = start, Length = length, Side = side };
        }

        public void DropNames(int namesStart, int sideStart)
        {
            NameCount = namesStart;
            SideLength = sideStart;
        }

        /// <summary>Unescapes a property name (its content between the quotes) into the side buffer and adds it; false for an unpaired surrogate escape.</summary>
        public bool TryAddUnescapedName(ReadOnlySpan<byte> content)
        {
            if (_side.Length - SideLength < content.Length)
            {
                Array.Resize(ref _side, Math.Max(_side.Length * 2, SideLength + content.Length));
            }

            if (!JsonEscapes.TryUnescape(content, _side.AsSpan(SideLength), out var n))
            {
                return false;
            }

            AddName(SideLength, n, side: true);
            SideLength += n;
            return true;
        }

        /// <summary>The name <see cref="TryAddUnescapedName"/> added last, from the side buffer.</summary>
        public ReadOnlySpan<byte> LatestUnescapedName() => _side.AsSpan(_names[NameCount - 1].Start, _names[NameCount - 1].Length);

        private ReadOnlySpan<byte> NameBytes(in NameRef n) => NameBytes(n, _json.Span);

        private ReadOnlySpan<byte> NameBytes(in NameRef n, ReadOnlySpan<byte> json) =>
            n.Side ? _side.AsSpan(n.Start, n.Length) : json.Slice(n.Start, n.Length);

        /// <summary>Whether <paramref name="name"/>, the latest name added, equals an earlier one of the same object.</summary>
        public bool HasEarlierName(int namesStart, ReadOnlySpan<byte> name, ReadOnlySpan<byte> json)
        {
            var last = NameCount - 1;
            var names = _names;
            for (var i = namesStart; i < last; i++)
            {
                ref var n = ref names[i];
                if (n.Length == name.Length && NameBytes(n, json).SequenceEqual(name))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Sorts the names of one object (from <paramref name="namesStart"/>) and returns a repeated one, if any.</summary>
        public byte[]? FirstRepeatedName(int namesStart)
        {
            var comparer = _comparer ??= new NameComparer(this);
            var count = NameCount - namesStart;
            Array.Sort(_names, namesStart, count, comparer);
            for (var i = namesStart + 1; i < NameCount; i++)
            {
                if (comparer.Compare(_names[i - 1], _names[i]) == 0)
                {
                    return NameBytes(_names[i]).ToArray();
                }
            }

            return null;
        }

        private sealed class NameComparer(State state) : IComparer<NameRef>
        {
            public int Compare(NameRef x, NameRef y) => state.NameBytes(x).SequenceCompareTo(state.NameBytes(y));
        }
    }
}
