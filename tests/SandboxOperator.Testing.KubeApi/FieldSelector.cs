using System.Text.Json;
using System.Text.Json.Nodes;

namespace SandboxOperator.Testing.KubeApi;

/// <summary>
/// A parsed <c>fieldSelector</c> query: comma-separated <c>path=value</c>, <c>path==value</c> or <c>path!=value</c>.
/// Caveat: more permissive than the real server, which accepts only a few fields per kind; here any dotted path
/// into the object works (<c>metadata.name</c>, <c>metadata.namespace</c>, <c>spec.nodeName</c>, <c>status.phase</c>, ...).
/// A missing field compares as the empty string.
/// </summary>
public sealed class FieldSelector
{
    private readonly IReadOnlyList<(string[] Path, bool Equal, string Value)> _terms;

    private FieldSelector(IReadOnlyList<(string[] Path, bool Equal, string Value)> terms) => _terms = terms;

    /// <summary>The selector that matches everything.</summary>
    public static FieldSelector Everything { get; } = new([]);

    /// <summary>Parses <paramref name="text"/>; null or blank selects everything. Syntax errors are 400s.</summary>
    public static Outcome<FieldSelector> Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var terms = new List<(string[], bool, string)>();
        foreach (var part in text.Split(','))
        {
            int notAt = part.IndexOf("!=", StringComparison.Ordinal);
            int eqAt = part.IndexOf('=', StringComparison.Ordinal);
            bool equal = notAt < 0;
            int at = equal ? eqAt : notAt;
            if (at <= 0)
            {
                return ApiError.BadRequest($"invalid field selector: \"{text}\"");
            }

            int valueStart = equal ? (part.AsSpan(at).StartsWith("==") ? at + 2 : at + 1) : at + 2;
            var path = part[..at].Trim().Split('.');
            if (path.Any(string.IsNullOrEmpty))
            {
                return ApiError.BadRequest($"invalid field selector: \"{text}\"");
            }

            terms.Add((path, equal, part[valueStart..].Trim()));
        }

        return new FieldSelector(terms);
    }

    /// <summary>Whether the object satisfies every term.</summary>
    public bool Matches(JsonObject obj)
    {
        foreach (var (path, equal, value) in _terms)
        {
            if ((Read(obj, path) == value) != equal)
            {
                return false;
            }
        }

        return true;
    }

    private static string Read(JsonObject obj, string[] path)
    {
        JsonNode? node = obj;
        foreach (var segment in path)
        {
            node = (node as JsonObject)?[segment];
        }

        return node switch
        {
            null => "",
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            _ => node.ToJsonString(),
        };
    }
}
