using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace SandboxOperator.Testing.KubeApi;

/// <summary>Reads and writes the <c>metadata</c> stanza of JSON objects.</summary>
internal static class ObjectMetadata
{
    private const string NameSuffixAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>The object's metadata object, created empty when missing or not an object.</summary>
    public static JsonObject Of(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject meta)
        {
            return meta;
        }

        meta = [];
        obj["metadata"] = meta;
        return meta;
    }

    /// <summary>The <c>metadata</c> object, or null when missing or not an object (never throws on odd input).</summary>
    public static JsonObject? Find(JsonObject obj) => obj["metadata"] as JsonObject;

    /// <summary><paramref name="node"/> as a string, or null when it is missing or not a JSON string.</summary>
    public static string? AsString(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>A string member of <c>metadata</c>, or null when missing or not a string.</summary>
    public static string? GetString(JsonObject obj, string field) => AsString(Find(obj)?[field]);

    public static string? Name(JsonObject obj) => GetString(obj, "name");

    public static string? Namespace(JsonObject obj) => GetString(obj, "namespace");

    /// <summary>The parsed <c>metadata.resourceVersion</c>: null when absent or empty, -1 when not a number.</summary>
    public static long? ResourceVersion(JsonObject obj) =>
        GetString(obj, "resourceVersion") is { Length: > 0 } text ? (long.TryParse(text, out var rv) ? rv : -1) : null;

    public static long Generation(JsonObject obj) =>
        Find(obj)?["generation"] is JsonValue v && v.TryGetValue<long>(out var g) ? g : 0;

    public static bool HasFinalizers(JsonObject obj) => Find(obj)?["finalizers"] is JsonArray { Count: > 0 };

    public static bool IsBeingDeleted(JsonObject obj) => GetString(obj, "deletionTimestamp") is not null;

    /// <summary>Formats a timestamp the way Kubernetes serializes <c>metav1.Time</c> (RFC 3339, seconds, UTC).</summary>
    public static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A name from <c>generateName</c>: the prefix plus five random characters, as the real server does.</summary>
    public static string GenerateName(string prefix) =>
        prefix + new string(Enumerable.Range(0, 5).Select(_ => NameSuffixAlphabet[RandomNumberGenerator.GetInt32(NameSuffixAlphabet.Length)]).ToArray());

    /// <summary>Whether <paramref name="name"/> is a lower-case RFC 1123 subdomain (the rule most kinds use).</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 253
        && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1])
        && name.All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c) || c is '-' or '.');

    /// <summary>Everything but <c>metadata</c> and <c>status</c>: the part whose changes move <c>metadata.generation</c>.</summary>
    public static bool SpecEquals(JsonObject a, JsonObject b)
    {
        static IEnumerable<KeyValuePair<string, JsonNode?>> Spec(JsonObject o) =>
            o.Where(p => p.Key is not ("metadata" or "status" or "apiVersion" or "kind"));

        var left = Spec(a).ToDictionary(p => p.Key, p => p.Value);
        var right = Spec(b).ToDictionary(p => p.Key, p => p.Value);
        return left.Count == right.Count
            && left.All(p => right.TryGetValue(p.Key, out var other) && JsonNode.DeepEquals(p.Value, other));
    }
}
