using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SandboxOperator.Policy.Json;

/// <summary>
/// Validating scanners for the tokens of JSON text (RFC 8259, as <see cref="System.Text.Json.Utf8JsonReader"/>
/// reads it with default options: no comments, no trailing commas), and a skip over one whole value.
/// </summary>
/// <remarks>
/// Each scanner takes the position where its token starts and returns the position just past it, or a
/// negative number on failure, with the problem and its position in the <c>out</c> parameters. None of
/// them checks UTF-8 (callers validate the whole text first), and none decodes escapes: a string is only
/// checked to be well formed.
/// </remarks>
internal static class JsonSyntax
{
    /// <summary>The position of the first byte at or after <paramref name="position"/> that is not JSON whitespace.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SkipWhitespace(ReadOnlySpan<byte> json, int position)
    {
        while ((uint)position < (uint)json.Length && json[position] <= (byte)' ')
        {
            var b = json[position];
            if (b is not ((byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t'))
            {
                break;
            }

            position++;
        }

        return position;
    }

    /// <summary>Scans the string whose opening quote is at <paramref name="position"/>; <paramref name="escaped"/> tells whether it holds a backslash.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ScanString(ReadOnlySpan<byte> json, int position, out bool escaped, out JsonSyntaxProblem problem, out int at)
    {
        // Most strings are short and plain: their closing quote is the first special byte of the next 16.
        var first = position + 1;
        if (Vector128.IsHardwareAccelerated && first <= json.Length - Vector128<byte>.Count)
        {
            // In bounds: first + 16 <= json.Length.
            var v = Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(json), (nuint)first);
            var hits = SpecialInString(v);
            if (hits != Vector128<byte>.Zero)
            {
                var end = first + BitOperations.TrailingZeroCount(hits.ExtractMostSignificantBits());
                if (json[end] == (byte)'"')
                {
                    escaped = false;
                    problem = default;
                    at = 0;
                    return end + 1;
                }
            }
        }

        return ScanStringWithEscapes(json, position, out escaped, out problem, out at);
    }

    private static int ScanStringWithEscapes(ReadOnlySpan<byte> json, int position, out bool escaped, out JsonSyntaxProblem problem, out int at)
    {
        escaped = false;
        var i = position + 1;
        while (true)
        {
            var special = IndexOfQuoteBackslashOrControl(json, i);
            if (special < 0)
            {
                return Fail(JsonSyntaxProblem.UnterminatedString, json.Length, out problem, out at);
            }

            i = special;
            var b = json[i];
            if (b == (byte)'"')
            {
                problem = default;
                at = 0;
                return i + 1;
            }

            if (b != (byte)'\\')
            {
                return Fail(JsonSyntaxProblem.ControlCharacterInString, i, out problem, out at);
            }

            escaped = true;
            if (i + 1 >= json.Length)
            {
                return Fail(JsonSyntaxProblem.UnterminatedString, json.Length, out problem, out at);
            }

            switch (json[i + 1])
            {
                case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                    i += 2;
                    break;
                case (byte)'u':
                    if (i + 6 > json.Length || !IsHex(json[i + 2]) || !IsHex(json[i + 3]) || !IsHex(json[i + 4]) || !IsHex(json[i + 5]))
                    {
                        return Fail(JsonSyntaxProblem.InvalidEscape, i, out problem, out at);
                    }

                    i += 6;
                    break;
                default:
                    return Fail(JsonSyntaxProblem.InvalidEscape, i, out problem, out at);
            }
        }
    }

    /// <summary>Scans the number that starts at <paramref name="position"/> (<c>-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</c>).</summary>
    public static int ScanNumber(ReadOnlySpan<byte> json, int position, out JsonSyntaxProblem problem, out int at)
    {
        var i = position;
        if (json[i] == (byte)'-')
        {
            i++;
        }

        if (i >= json.Length || !IsDigit(json[i]))
        {
            return Fail(JsonSyntaxProblem.InvalidNumber, i, out problem, out at);
        }

        if (json[i++] != (byte)'0')
        {
            i = SkipDigits(json, i);
        }

        if (i < json.Length && json[i] == (byte)'.')
        {
            i++;
            if (i >= json.Length || !IsDigit(json[i]))
            {
                return Fail(JsonSyntaxProblem.InvalidNumber, i, out problem, out at);
            }

            i = SkipDigits(json, i);
        }

        if (i < json.Length && (json[i] | 0x20) == (byte)'e')
        {
            i++;
            if (i < json.Length && json[i] is (byte)'+' or (byte)'-')
            {
                i++;
            }

            if (i >= json.Length || !IsDigit(json[i]))
            {
                return Fail(JsonSyntaxProblem.InvalidNumber, i, out problem, out at);
            }

            i = SkipDigits(json, i);
        }

        problem = default;
        at = 0;
        return i;
    }

    /// <summary>Scans <c>true</c>, <c>false</c> or <c>null</c> at <paramref name="position"/>.</summary>
    public static int ScanLiteral(ReadOnlySpan<byte> json, int position, out JsonSyntaxProblem problem, out int at)
    {
        var rest = json[position..];
        var length = rest[0] switch
        {
            (byte)'t' when rest.StartsWith("true"u8) => 4,
            (byte)'f' when rest.StartsWith("false"u8) => 5,
            (byte)'n' when rest.StartsWith("null"u8) => 4,
            _ => 0,
        };
        if (length == 0)
        {
            return Fail(JsonSyntaxProblem.InvalidLiteral, position, out problem, out at);
        }

        problem = default;
        at = 0;
        return position + length;
    }

    /// <summary>
    /// Scans the scalar (string, number or literal) at <paramref name="position"/>, which must not be
    /// whitespace; anything else there, an object or array included, is <see cref="JsonSyntaxProblem.ExpectedValue"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ScanScalar(ReadOnlySpan<byte> json, int position, out bool escaped, out JsonSyntaxProblem problem, out int at)
    {
        escaped = false;
        if ((uint)position >= (uint)json.Length)
        {
            return Fail(JsonSyntaxProblem.ExpectedValue, position, out problem, out at);
        }

        return json[position] switch
        {
            (byte)'"' => ScanString(json, position, out escaped, out problem, out at),
            (byte)'-' or (>= (byte)'0' and <= (byte)'9') => ScanNumber(json, position, out problem, out at),
            (byte)'t' or (byte)'f' or (byte)'n' => ScanLiteral(json, position, out problem, out at),
            _ => Fail(JsonSyntaxProblem.ExpectedValue, position, out problem, out at),
        };
    }

    /// <summary>
    /// Skips the whole value at <paramref name="position"/> (not whitespace), checking its syntax and that it
    /// nests no more than <paramref name="depthBudget"/> levels. <paramref name="openObjects"/> is scratch
    /// of at least <paramref name="depthBudget"/> entries. Duplicate names and escapes are not looked at.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int SkipValue(ReadOnlySpan<byte> json, int position, int depthBudget, Span<bool> openObjects, out JsonSyntaxProblem problem, out int at)
    {
        var i = position;
        var depth = 0;
        while (true)
        {
            // A value starts at i.
            if ((uint)i < (uint)json.Length && json[i] is (byte)'{' or (byte)'[')
            {
                if (depth == depthBudget)
                {
                    return Fail(JsonSyntaxProblem.TooDeep, i, out problem, out at);
                }

                var isObject = json[i] == (byte)'{';
                openObjects[depth++] = isObject;
                i = SkipWhitespace(json, i + 1);
                if ((uint)i < (uint)json.Length && json[i] == (isObject ? (byte)'}' : (byte)']'))
                {
                    depth--;
                    i++;
                }
                else if (isObject)
                {
                    i = SkipNameAndColon(json, i, out problem, out at);
                    if (i < 0)
                    {
                        return i;
                    }

                    continue;
                }
                else
                {
                    continue;
                }
            }
            else
            {
                i = ScanScalar(json, i, out _, out problem, out at);
                if (i < 0)
                {
                    return i;
                }
            }

            // After a value: close as many containers as end here, then go on after a comma.
            while (true)
            {
                if (depth == 0)
                {
                    problem = default;
                    at = 0;
                    return i;
                }

                i = SkipWhitespace(json, i);
                var inObject = openObjects[depth - 1];
                var b = (uint)i < (uint)json.Length ? json[i] : (byte)0;
                if (b == (byte)',')
                {
                    i = SkipWhitespace(json, i + 1);
                    if (inObject)
                    {
                        i = SkipNameAndColon(json, i, out problem, out at);
                        if (i < 0)
                        {
                            return i;
                        }
                    }

                    break;
                }

                if (b != (inObject ? (byte)'}' : (byte)']'))
                {
                    return Fail(inObject ? JsonSyntaxProblem.ExpectedCommaOrObjectEnd : JsonSyntaxProblem.ExpectedCommaOrArrayEnd, i, out problem, out at);
                }

                depth--;
                i++;
            }
        }
    }

    /// <summary>Scans a property name, the colon after it and the whitespace around; returns where its value starts.</summary>
    private static int SkipNameAndColon(ReadOnlySpan<byte> json, int position, out JsonSyntaxProblem problem, out int at)
    {
        if ((uint)position >= (uint)json.Length || json[position] != (byte)'"')
        {
            return Fail(JsonSyntaxProblem.ExpectedPropertyName, position, out problem, out at);
        }

        var i = ScanString(json, position, out _, out problem, out at);
        if (i < 0)
        {
            return i;
        }

        i = SkipWhitespace(json, i);
        if ((uint)i >= (uint)json.Length || json[i] != (byte)':')
        {
            return Fail(JsonSyntaxProblem.ExpectedColon, i, out problem, out at);
        }

        return SkipWhitespace(json, i + 1);
    }

    /// <summary>
    /// The index of the first <c>"</c>, <c>\</c> or byte below 0x20 at or after <paramref name="start"/>, or
    /// -1. Sixteen bytes at a time: strings in Kubernetes objects are mostly short.
    /// </summary>
    private static int IndexOfQuoteBackslashOrControl(ReadOnlySpan<byte> json, int start)
    {
        var i = start;
        if (Vector128.IsHardwareAccelerated)
        {
            ref var origin = ref MemoryMarshal.GetReference(json);
            for (; i <= json.Length - Vector128<byte>.Count; i += Vector128<byte>.Count)
            {
                // In bounds: i + 16 <= json.Length.
                var hits = SpecialInString(Vector128.LoadUnsafe(ref origin, (nuint)i));
                if (hits != Vector128<byte>.Zero)
                {
                    return i + BitOperations.TrailingZeroCount(hits.ExtractMostSignificantBits());
                }
            }
        }

        for (; i < json.Length; i++)
        {
            if (json[i] is (byte)'"' or (byte)'\\' or < (byte)' ')
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Marks the bytes that end the plain run of a string: <c>"</c>, <c>\</c> and controls.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> SpecialInString(Vector128<byte> v) =>
        Vector128.Equals(v, Vector128.Create((byte)'"')) | Vector128.Equals(v, Vector128.Create((byte)'\\')) | Vector128.LessThan(v, Vector128.Create((byte)' '));

    private static int SkipDigits(ReadOnlySpan<byte> json, int i)
    {
        while ((uint)i < (uint)json.Length && IsDigit(json[i]))
        {
            i++;
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static bool IsHex(byte b) => IsDigit(b) || (uint)((b | 0x20) - 'a') <= 'f' - 'a';

    private static int Fail(JsonSyntaxProblem what, int where, out JsonSyntaxProblem problem, out int at)
    {
        problem = what;
        at = where;
        return -1;
    }
}
