using System.Text.Json;
using System.Text.Unicode;

namespace SandboxOperator.Webhook.Admission;

/// <summary>
/// Checks on the review text that <see cref="JsonDocument"/> does not make while parsing: invalid UTF-8
/// inside strings and <c>\u</c> escapes that are unpaired surrogates are accepted by the parser and only
/// throw (<see cref="InvalidOperationException"/>) when the string is read, which would turn user input
/// into an internal error. The API server's Go decoder replaces such text with U+FFFD, so the policy could
/// not read the same string as the one stored; the webhook refuses it instead.
/// </summary>
internal static class JsonText
{
    /// <summary>Null when <paramref name="body"/> is valid UTF-8, else the error to answer.</summary>
    public static string? Utf8Error(ReadOnlySpan<byte> body) =>
        Utf8.IsValid(body) ? null : "the body is not valid UTF-8";

    /// <summary>
    /// Null when every string and property name of <paramref name="root"/> decodes, else the error. Cheap
    /// for the common review: the document is walked only when the text contains a surrogate escape.
    /// </summary>
    public static string? SurrogateError(ReadOnlySpan<byte> body, JsonElement root)
    {
        if (!HasSurrogateEscape(body))
        {
            return null;
        }

        try
        {
            Walk(root);
            return null;
        }
        catch (InvalidOperationException e)
        {
            return $"the body has a \\u escape that is not a valid UTF-16 surrogate pair: {e.Message}";
        }
    }

    private static bool HasSurrogateEscape(ReadOnlySpan<byte> body)
    {
        for (var i = body.IndexOf("\\u"u8); i >= 0 && i + 2 < body.Length; )
        {
            if (body[i + 2] is (byte)'d' or (byte)'D' && i + 3 < body.Length && body[i + 3] is (>= (byte)'8' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f') or (>= (byte)'A' and <= (byte)'F'))
            {
                return true;
            }

            var next = body[(i + 2)..].IndexOf("\\u"u8);
            i = next < 0 ? -1 : i + 2 + next;
        }

        return false;
    }

    // Recursion is bounded by the document's MaxDepth.
    private static void Walk(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                _ = e.GetString();
                break;
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    _ = p.Name;
                    Walk(p.Value);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray())
                {
                    Walk(item);
                }

                break;
        }
    }
}
