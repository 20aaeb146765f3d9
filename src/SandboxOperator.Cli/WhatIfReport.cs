using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SandboxOperator.Cli;

/// <summary>
/// The what-if report. JSON shape (a fixed contract):
/// <c>{"current","candidate","evaluated","pods","changes":[{"kind","namespace","name","pods","runtimeMoves","newDenial","deniedOnItsNode",
/// "changes":[..],"current":{outcome},"candidate":{outcome}}],"capacity":[{"runtime","pool","runtimeClassName","pods",
/// "overheadPerPod","extra","source"}]}</c>, an outcome being
/// <c>{"covered","allowed","riskTier","runtime","runtimeClassName","workload","message"}</c>.
/// </summary>
internal static class WhatIfReport
{
    private static readonly string[] ChangeHeader = ["OBJECT", "PODS", "CURRENT", "CANDIDATE", "CHANGE"];
    private static readonly string[] CapacityHeader = ["POOL", "RUNTIMECLASS", "PODS MOVING IN", "EXTRA CAPACITY (overhead.podFixed x pods)"];

    public static JsonObject Build(WhatIfResult result)
    {
        var changes = new JsonArray();
        foreach (var (row, pods) in result.Rows)
        {
            changes.Add(new JsonObject
            {
                ["kind"] = row.Kind,
                ["namespace"] = row.Namespace,
                ["name"] = row.Name,
                ["pods"] = pods,
                ["runtimeMoves"] = row.RuntimeMoves,
                ["newDenial"] = row.NewDenial,
                ["deniedOnItsNode"] = row.DeniedOnItsNode,
                ["changes"] = new JsonArray([.. row.Changes.Select(c => (JsonNode?)JsonValue.Create(c))]),
                ["current"] = Outcome(row.Current),
                ["candidate"] = Outcome(row.Candidate),
            });
        }

        var capacity = new JsonArray();
        foreach (var c in result.Capacity)
        {
            capacity.Add(new JsonObject
            {
                ["runtime"] = c.Runtime.ToString(),
                ["pool"] = c.Pool,
                ["runtimeClassName"] = c.RuntimeClassName,
                ["pods"] = c.Pods,
                ["overheadPerPod"] = Quantities(c.PerPod),
                ["extra"] = Quantities(c.Extra),
                ["source"] = c.Source,
            });
        }

        return new JsonObject
        {
            ["current"] = result.CurrentSource,
            ["candidate"] = result.CandidateSource,
            ["evaluated"] = result.Evaluated,
            ["pods"] = result.Pods,
            ["changes"] = changes,
            ["capacity"] = capacity,
        };
    }

    public static string Json(WhatIfResult result) =>
        Build(result).ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    public static string Table(WhatIfResult result)
    {
        var sb = new StringBuilder();
        sb.Append($"comparing {result.CurrentSource} (current) with {result.CandidateSource} (candidate)\n\n");
        var rows = new List<string[]> { ChangeHeader };
        rows.AddRange(result.Rows.Select(r => new[]
        {
            $"{r.Row.Kind}/{r.Row.Namespace}/{r.Row.Name}", r.Pods.ToString(System.Globalization.CultureInfo.InvariantCulture),
            r.Row.Current.Display, r.Row.Candidate.Display, string.Join("; ", r.Row.Changes),
        }));
        Columns(sb, rows);

        var moves = result.Rows.Count(r => r.Row.RuntimeMoves);
        var denials = result.Rows.Count(r => r.Row.NewDenial);
        sb.Append($"\n{result.Evaluated} evaluated ({result.Pods} pods), {result.Rows.Count} would change: {moves} runtime move(s), {denials} new denial(s)\n");
        if (result.Capacity.Count > 0)
        {
            sb.Append('\n');
            var capacity = new List<string[]> { CapacityHeader };
            capacity.AddRange(result.Capacity.Select(c => new[]
            {
                c.Pool, c.RuntimeClassName, c.Pods.ToString(System.Globalization.CultureInfo.InvariantCulture),
                c.Extra is { } extra ? (extra.Count == 0 ? "none" : string.Join(", ", extra.Select(q => $"{q.Key} {q.Value}"))) + $" ({c.Source})" : $"unknown ({c.Source})",
            }));
            Columns(sb, capacity);
        }

        return sb.ToString();
    }

    private static void Columns(StringBuilder sb, List<string[]> rows)
    {
        var last = rows[0].Length - 1;
        var widths = Enumerable.Range(0, last).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var row in rows)
        {
            for (var c = 0; c < last; c++)
            {
                sb.Append(row[c].PadRight(widths[c] + 2));
            }

            sb.Append(row[last]).Append('\n');
        }
    }

    private static JsonObject Outcome(Outcome o) => new()
    {
        ["covered"] = o.Covered,
        ["allowed"] = o.Allowed,
        ["riskTier"] = o.Tier?.ToString(),
        ["runtime"] = o.Runtime?.ToString(),
        ["runtimeClassName"] = o.RuntimeClassName,
        ["workload"] = o.Workload,
        ["message"] = o.Message,
    };

    private static JsonObject? Quantities(IReadOnlyDictionary<string, string>? q) =>
        q is null ? null : new JsonObject([.. q.Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, kv.Value))]);
}
