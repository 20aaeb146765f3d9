using System.Text.Unicode;

namespace SandboxOperator.Webhook.Admission;

/// <summary>
/// The check on the review text that neither the JSON reader nor <see cref="System.Text.Json.JsonDocument"/>
/// makes: invalid UTF-8 inside strings is accepted by the parser and only throws when the string is read,
/// which would turn user input into an internal error. The API server's Go decoder replaces such bytes
/// with U+FFFD, so the policy could not read the same string as the one stored; the webhook refuses it.
/// (Unpaired surrogate escapes, the other such case, are refused by <see cref="Policy.Json.JsonPruner"/>.)
/// </summary>
internal static class JsonText
{
    /// <summary>Null when <paramref name="body"/> is valid UTF-8, else the error to answer.</summary>
    public static string? Utf8Error(ReadOnlySpan<byte> body) =>
        Utf8.IsValid(body) ? null : "the body is not valid UTF-8";
}
