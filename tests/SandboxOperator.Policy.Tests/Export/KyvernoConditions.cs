using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SandboxOperator.Policy.Tests.Export;

/// <summary>
/// Runs a Kyverno rule's <c>preconditions</c> and <c>validate.deny.conditions</c> for one Pod as Kyverno does: each
/// <c>{{ }}</c> variable is a JMESPath expression over <c>{"request":{"object": pod}}</c>, then the key is compared
/// with the value by the condition's operator.
/// </summary>
/// <remarks>
/// Uses JmesPath.Net (the JMESPath specification, as Kyverno's engine implements it, without Kyverno's own extra
/// functions, which the exported rules do not use). Operators: Equals, NotEquals, GreaterThan, the ones the exported
/// rules use; any other fails the test. Patterns (<c>validate.pattern</c>, anchors) are not run here.
/// </remarks>
internal static partial class KyvernoConditions
{
    private static readonly DevLab.JmesPath.JmesPath Jmes = new();

    /// <summary>True when Kyverno would refuse <paramref name="pod"/> by <paramref name="rule"/>: its preconditions hold and a deny condition holds.</summary>
    public static bool Denies(JsonObject rule, JsonObject pod)
    {
        var input = new JsonObject { ["request"] = new JsonObject { ["object"] = pod.DeepClone() } }.ToJsonString();
        return Holds(rule["preconditions"], input) != false && Holds(rule["validate"]!["deny"]!["conditions"], input) == true;
    }

    /// <summary>Whether the rule's preconditions hold for <paramref name="pod"/> (true when it has none).</summary>
    public static bool Applies(JsonObject rule, JsonObject pod) =>
        Holds(rule["preconditions"], new JsonObject { ["request"] = new JsonObject { ["object"] = pod.DeepClone() } }.ToJsonString()) != false;

    /// <summary>The value of a condition key: a whole <c>{{ expression }}</c> is the expression's JSON result, anything else the text itself.</summary>
    public static JsonNode? Resolve(string key, string input) =>
        Variable().Match(key) is { Success: true } m ? JsonNode.Parse(Jmes.Transform(input, m.Groups[1].Value)) : JsonValue.Create(key);

    private static bool? Holds(JsonNode? conditions, string input)
    {
        if (conditions is null)
        {
            return null;
        }

        var all = (conditions["all"] as JsonArray ?? []).Select(c => Compare(c!, input)).ToList();
        var any = (conditions["any"] as JsonArray ?? []).Select(c => Compare(c!, input)).ToList();
        return all.All(x => x) && (any.Count == 0 || any.Any(x => x));
    }

    private static bool Compare(JsonNode condition, string input)
    {
        var key = Resolve((string)condition["key"]!, input);
        var value = condition["value"];
        return (string?)condition["operator"] switch
        {
            "Equals" => Text(key) == Text(value),
            "NotEquals" => Text(key) != Text(value),
            "GreaterThan" => Number(key) > Number(value),
            var other => throw new InvalidOperationException($"operator {other} is not run by this test helper"),
        };
    }

    private static string Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node?.ToJsonString() ?? "";

    private static double Number(JsonNode? node) => double.Parse(Text(node), CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\{\{\s*(.+?)\s*\}\}$", RegexOptions.Singleline)]
    private static partial Regex Variable();
}
