using System.Text.Json.Nodes;

namespace SandboxOperator.Testing.KubeApi;

/// <summary>
/// A parsed <c>labelSelector</c> query: comma-separated requirements of the forms <c>k</c>, <c>!k</c>, <c>k=v</c>,
/// <c>k==v</c>, <c>k!=v</c>, <c>k in (a,b)</c>, <c>k notin (a,b)</c>, <c>k&gt;n</c>, <c>k&lt;n</c>. All requirements must hold.
/// Like the real server, <c>!=</c> and <c>notin</c> also match objects that lack the label.
/// </summary>
public sealed class LabelSelector
{
    private readonly IReadOnlyList<Requirement> _requirements;

    private LabelSelector(IReadOnlyList<Requirement> requirements) => _requirements = requirements;

    /// <summary>The selector that matches everything.</summary>
    public static LabelSelector Everything { get; } = new([]);

    /// <summary>Parses <paramref name="text"/>; null or blank selects everything. Syntax errors are 400s.</summary>
    public static Outcome<LabelSelector> Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var requirements = new List<Requirement>();
        foreach (var part in SplitTopLevel(text))
        {
            var requirement = ParseRequirement(part.Trim());
            if (requirement is null)
            {
                return ApiError.BadRequest($"unable to parse requirement: invalid label selector \"{text}\"");
            }

            requirements.Add(requirement);
        }

        return new LabelSelector(requirements);
    }

    /// <summary>Whether an object's <c>metadata.labels</c> satisfy every requirement.</summary>
    public bool Matches(JsonObject obj)
    {
        if (_requirements.Count == 0)
        {
            return true;
        }

        var labels = ObjectMetadata.Find(obj)?["labels"] as JsonObject;
        foreach (var requirement in _requirements)
        {
            string? value = labels?[requirement.Key] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;
            if (!requirement.Matches(value))
            {
                return false;
            }
        }

        return true;
    }

    private static List<string> SplitTopLevel(string text)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(': depth++; break;
                case ')': depth--; break;
                case ',' when depth == 0:
                    parts.Add(text[start..i]);
                    start = i + 1;
                    break;
            }
        }

        parts.Add(text[start..]);
        return parts;
    }

    private static Requirement? ParseRequirement(string part)
    {
        if (part.Length == 0)
        {
            return null;
        }

        if (part[0] == '!')
        {
            var key = part[1..].Trim();
            return IsKey(key) ? new Requirement(key, Operator.DoesNotExist, []) : null;
        }

        foreach (var (token, op) in new[] { ("!=", Operator.NotEquals), ("==", Operator.Equals), ("=", Operator.Equals), (">", Operator.GreaterThan), ("<", Operator.LessThan) })
        {
            int at = part.IndexOf(token, StringComparison.Ordinal);
            if (at > 0)
            {
                var key = part[..at].Trim();
                var value = part[(at + token.Length)..].Trim();
                if (!IsKey(key) || !IsValue(value) || value.Contains('=', StringComparison.Ordinal))
                {
                    return null;
                }

                if (op is Operator.GreaterThan or Operator.LessThan && !long.TryParse(value, out _))
                {
                    return null;
                }

                return new Requirement(key, op, [value]);
            }
        }

        var words = part.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 1)
        {
            return IsKey(words[0]) ? new Requirement(words[0], Operator.Exists, []) : null;
        }

        var rest = words[1];
        Operator setOp;
        if (rest.StartsWith("notin", StringComparison.Ordinal))
        {
            setOp = Operator.NotIn;
            rest = rest[5..].Trim();
        }
        else if (rest.StartsWith("in", StringComparison.Ordinal))
        {
            setOp = Operator.In;
            rest = rest[2..].Trim();
        }
        else
        {
            return null;
        }

        if (!IsKey(words[0]) || rest.Length < 2 || rest[0] != '(' || rest[^1] != ')')
        {
            return null;
        }

        var values = rest[1..^1].Split(',', StringSplitOptions.TrimEntries);
        return values.All(IsValue) ? new Requirement(words[0], setOp, values) : null;
    }

    private static bool IsKey(string key) =>
        key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/');

    private static bool IsValue(string value) =>
        value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private enum Operator { Exists, DoesNotExist, Equals, NotEquals, In, NotIn, GreaterThan, LessThan }

    private sealed record Requirement(string Key, Operator Op, IReadOnlyList<string> Values)
    {
        public bool Matches(string? value) => Op switch
        {
            Operator.Exists => value is not null,
            Operator.DoesNotExist => value is null,
            Operator.Equals or Operator.In => value is not null && Values.Contains(value),
            Operator.NotEquals or Operator.NotIn => value is null || !Values.Contains(value),
            Operator.GreaterThan => long.TryParse(value, out var n) && n > long.Parse(Values[0]),
            Operator.LessThan => long.TryParse(value, out var n) && n < long.Parse(Values[0]),
            _ => false,
        };
    }
}
