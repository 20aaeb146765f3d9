using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace SandboxOperator.Testing.ControlPlane;

/// <summary>
/// The PromQL the project ships: the Grafana dashboard's queries (config/grafana/sandbox-operator.json) and the
/// alert rules' expressions (config/prometheus/alerts.yaml), and the metric names each one reads.
/// </summary>
public static partial class MonitoringQueries
{
    public static string DashboardFile => Path.Combine(RepositoryLayout.Root, "config", "grafana", "sandbox-operator.json");

    public static string AlertsFile => Path.Combine(RepositoryLayout.Root, "config", "prometheus", "alerts.yaml");

    public static string AlertTestsFile => Path.Combine(RepositoryLayout.Root, "config", "prometheus", "alerts.test.yaml");

    /// <summary>Every panel's query as (panel title, expr), panels inside rows included.</summary>
    public static IReadOnlyList<(string Panel, string Expr)> Dashboard()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(DashboardFile));
        var found = new List<(string, string)>();
        Collect(doc.RootElement.GetProperty("panels"), found);
        return found;
    }

    /// <summary>Every alert as (alert name, expr).</summary>
    public static IReadOnlyList<(string Alert, string Expr)> Alerts()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(AlertsFile))
        {
            yaml.Load(reader);
        }

        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        return ((YamlSequenceNode)root["groups"])
            .SelectMany(g => (YamlSequenceNode)((YamlMappingNode)g)["rules"])
            .Cast<YamlMappingNode>()
            .Select(r => (((YamlScalarNode)r["alert"]).Value!, ((YamlScalarNode)r["expr"]).Value!))
            .ToList();
    }

    /// <summary>
    /// The metric names an expression selects: identifiers left once strings, label matchers, ranges, grouping
    /// clauses, function calls, keywords and numbers are taken out. Dashboard variables (<c>$job</c>) are strings
    /// or ranges, so they go with them.
    /// </summary>
    public static IReadOnlySet<string> MetricNames(string expr)
    {
        var s = Strings().Replace(expr, " ");
        s = Matchers().Replace(s, " ");
        s = Ranges().Replace(s, " ");
        s = Grouping().Replace(s, " ");
        return Identifier().Matches(s)
            .Where(m => !m.Groups["call"].Success && !Keywords.Contains(m.Groups["name"].Value))
            .Select(m => m.Groups["name"].Value)
            .ToHashSet(StringComparer.Ordinal);
    }

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "and", "or", "unless", "bool", "offset", "on", "ignoring", "group_left", "group_right", "inf", "nan", "Inf", "NaN",
    };

    private static void Collect(JsonElement panels, List<(string, string)> found)
    {
        foreach (var panel in panels.EnumerateArray())
        {
            var title = panel.TryGetProperty("title", out var t) ? t.GetString() ?? "" : "";
            if (panel.TryGetProperty("targets", out var targets))
            {
                foreach (var target in targets.EnumerateArray())
                {
                    found.Add((title, target.GetProperty("expr").GetString()!));
                }
            }

            if (panel.TryGetProperty("panels", out var nested))
            {
                Collect(nested, found);
            }
        }
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(?:by|without)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"(?<![\w.$])(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<call>\s*\()?")]
    private static partial Regex Identifier();
}
