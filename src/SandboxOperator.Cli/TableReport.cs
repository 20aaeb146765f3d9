using System.Text;

namespace SandboxOperator.Cli;

/// <summary>
/// The default <c>-o table</c> report: one row per object, coloured on a terminal. EDGE says for an AgentWorkload
/// whether it could run as an edge isolate instead of a pod (yes/no, advice only; the JSON report says why).
/// </summary>
internal static class TableReport
{
    private const string Reset = "\u001b[0m";
    private static readonly string[] Header = ["OBJECT", "DECISION", "TIER", "RUNTIME", "EDGE", "MESSAGE"];

    public static string Render(IReadOnlyList<EvaluationResult> results, bool color)
    {
        var rows = new List<string[]> { Header };
        var colors = new List<string?> { null };
        foreach (var r in results)
        {
            var d = r.Decision;
            var (decision, colour) = !d.Allowed
                ? ("denied", "\u001b[31m")
                : d.Warnings.Any(w => w.StartsWith("audit mode", StringComparison.Ordinal))
                    ? ("audit", "\u001b[33m")
                    : d.Patch.Count > 0 ? ("mutated", "\u001b[36m") : ("allowed", "\u001b[32m");
            var message = d.Message ?? r.AllWarnings.FirstOrDefault() ?? (d.Reasons.Count > 0 ? d.Reasons[0] : "");
            rows.Add([$"{r.Document.Kind}/{r.Namespace}/{r.Document.Name ?? "(no name)"}", decision, d.Tier?.ToString() ?? "-", JsonReport.Display(d.Runtime), r.Edge is null ? "-" : r.Edge.Candidate ? "yes" : "no", message]);
            colors.Add(colour);
        }

        var widths = Enumerable.Range(0, 5).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var sb = new StringBuilder();
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            for (var c = 0; c < 5; c++)
            {
                var cell = row[c].PadRight(widths[c] + 2);
                sb.Append(color && c == 1 && colors[i] is { } code ? code + cell + Reset : cell);
            }

            sb.Append(row[5]).Append('\n');
        }

        var denied = results.Count(r => !r.Decision.Allowed);
        sb.Append('\n').Append($"{results.Count} evaluated, {results.Count - denied} allowed, {denied} denied").Append('\n');
        return sb.ToString();
    }
}
