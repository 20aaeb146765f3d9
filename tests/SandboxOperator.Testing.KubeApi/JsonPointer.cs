namespace SandboxOperator.Testing.KubeApi;

/// <summary>An RFC 6901 JSON Pointer split into unescaped reference tokens (<c>~1</c> → <c>/</c>, <c>~0</c> → <c>~</c>).</summary>
internal static class JsonPointer
{
    /// <summary>Splits <paramref name="pointer"/>; the empty string is the whole document (no tokens). Null when malformed.</summary>
    public static string[]? Parse(string pointer)
    {
        if (pointer.Length == 0)
        {
            return [];
        }

        if (pointer[0] != '/')
        {
            return null;
        }

        var tokens = pointer[1..].Split('/');
        for (int i = 0; i < tokens.Length; i++)
        {
            var token = tokens[i];
            for (int j = 0; j < token.Length; j++)
            {
                if (token[j] == '~' && (j + 1 >= token.Length || token[j + 1] is not ('0' or '1')))
                {
                    return null;
                }
            }

            tokens[i] = token.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
        }

        return tokens;
    }

    /// <summary>
    /// Parses an array index token: digits without leading zeros, within <paramref name="maxInclusive"/>.
    /// <c>-</c> means "one past the end" and is accepted only when <paramref name="allowAppend"/>.
    /// </summary>
    public static int? ArrayIndex(string token, int maxInclusive, bool allowAppend)
    {
        if (token == "-")
        {
            return allowAppend ? maxInclusive : null;
        }

        if (token.Length == 0 || (token.Length > 1 && token[0] == '0') || !token.All(char.IsAsciiDigit))
        {
            return null;
        }

        return int.TryParse(token, out var index) && index <= maxInclusive ? index : null;
    }
}
