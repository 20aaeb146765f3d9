namespace SandboxOperator.Policy.Json;

/// <summary>RFC 6901 JSON Pointer helpers.</summary>
public static class JsonPointer
{
    /// <summary>Escapes one reference token: <c>~</c> → <c>~0</c>, <c>/</c> → <c>~1</c>.</summary>
    public static string Escape(string token) =>
        token.Contains('~', StringComparison.Ordinal) || token.Contains('/', StringComparison.Ordinal)
            ? token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)
            : token;

    /// <summary>Reverses <see cref="Escape"/>.</summary>
    public static string Unescape(string token) =>
        token.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);

    /// <summary>Splits a pointer into unescaped tokens; the empty pointer is the whole document.</summary>
    public static string[] Parse(string pointer)
    {
        if (pointer.Length == 0)
        {
            return [];
        }

        if (pointer[0] != '/')
        {
            throw new FormatException($"JSON pointer \"{pointer}\" must start with '/'");
        }

        return pointer[1..].Split('/').Select(Unescape).ToArray();
    }
}
