using System.Text;

namespace SandboxOperator.Policy.Json;

/// <summary>Why JSON text stops being valid at a position (RFC 8259; no comments, no trailing commas).</summary>
internal enum JsonSyntaxProblem : byte
{
    /// <summary>The text is empty or only whitespace.</summary>
    Empty,
    ExpectedValue,
    ExpectedPropertyName,
    ExpectedColon,
    ExpectedCommaOrObjectEnd,
    ExpectedCommaOrArrayEnd,
    UnterminatedString,
    ControlCharacterInString,
    InvalidEscape,
    InvalidNumber,
    InvalidLiteral,
    /// <summary>An object or array opens deeper than the nesting limit.</summary>
    TooDeep,
    /// <summary>Something other than whitespace follows the one value of the text.</summary>
    TrailingData,
}

/// <summary>Describes a <see cref="JsonSyntaxProblem"/> for a person: what was expected, what was found, and where.</summary>
internal static class JsonSyntaxProblemText
{
    /// <summary>
    /// <c>line L, column C: what is wrong, found X</c>. Lines and columns count from 1; columns count
    /// characters (the text is valid UTF-8, which callers check first).
    /// </summary>
    public static string Describe(JsonSyntaxProblem problem, ReadOnlySpan<byte> json, int position, int maxDepth)
    {
        var what = problem switch
        {
            JsonSyntaxProblem.Empty => "the text is empty: expected a JSON value",
            JsonSyntaxProblem.ExpectedValue => "expected a value (an object, array, string, number, true, false or null)",
            JsonSyntaxProblem.ExpectedPropertyName => "expected a property name in double quotes",
            JsonSyntaxProblem.ExpectedColon => "expected ':' after the property name",
            JsonSyntaxProblem.ExpectedCommaOrObjectEnd => "expected ',' or '}' after the property value",
            JsonSyntaxProblem.ExpectedCommaOrArrayEnd => "expected ',' or ']' after the array element",
            JsonSyntaxProblem.UnterminatedString => "the string has no closing '\"'",
            JsonSyntaxProblem.ControlCharacterInString => "a control character inside a string must be written as an escape",
            JsonSyntaxProblem.InvalidEscape => "invalid escape in a string (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)",
            JsonSyntaxProblem.InvalidNumber => "invalid number",
            JsonSyntaxProblem.InvalidLiteral => "invalid literal (expected true, false or null)",
            JsonSyntaxProblem.TooDeep => $"nesting exceeds the maximum depth of {maxDepth}",
            JsonSyntaxProblem.TrailingData => "unexpected text after the JSON value",
            _ => problem.ToString(),
        };

        var (line, column) = LineAndColumn(json, position);
        var found = problem is JsonSyntaxProblem.Empty or JsonSyntaxProblem.TooDeep ? "" : $", found {Found(json, position)}";
        return $"line {line}, column {column}: {what}{found}";
    }

    private static (int Line, int Column) LineAndColumn(ReadOnlySpan<byte> json, int position)
    {
        var before = json[..Math.Min(position, json.Length)];
        var lineStart = before.LastIndexOf((byte)'\n') + 1;
        var line = before.Count((byte)'\n') + 1;
        var column = 1;
        foreach (var b in before[lineStart..])
        {
            // Counts characters: every byte but UTF-8 continuation bytes.
            column += (b & 0xC0) == 0x80 ? 0 : 1;
        }

        return (line, column);
    }

    private static string Found(ReadOnlySpan<byte> json, int position)
    {
        if (position >= json.Length)
        {
            return "the end of the text";
        }

        if (Rune.DecodeFromUtf8(json[position..], out var rune, out _) != System.Buffers.OperationStatus.Done)
        {
            return $"byte 0x{json[position]:X2}";
        }

        return Rune.IsControl(rune) || Rune.IsWhiteSpace(rune) ? $"U+{rune.Value:X4}" : $"'{rune}'";
    }
}
