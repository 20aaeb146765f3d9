using System.Text.Json;
using System.Text.Json.Nodes;
using SandboxOperator.Policy.Api;

namespace SandboxOperator.Cli;

/// <summary>
/// The <c>-o json</c> report. Its shape is a fixed contract:
/// <c>{"results":[{"apiVersion","kind","namespace","name","allowed","mode","riskTier","runtime",
/// "runtimeClassName","workload","reasons","message","warnings","patch","object","edgeIsolate"}]}</c>, where
/// <c>edgeIsolate</c> is <c>{"candidate","reasons"}</c> for an AgentWorkload (advice only) and null for other kinds.
/// </summary>
internal static class JsonReport
{
    public static JsonObject Build(IEnumerable<EvaluationResult> results)
    {
        var array = new JsonArray();
        foreach (var r in results)
        {
            var d = r.Decision;
            var patch = JsonNode.Parse(Policy.Json.JsonPatch.Serialize(d.Patch));
            array.Add(new JsonObject
            {
                ["apiVersion"] = r.Document.ApiVersion,
                ["kind"] = r.Document.Kind,
                ["namespace"] = r.Namespace,
                ["name"] = r.Document.Name,
                ["allowed"] = d.Allowed,
                ["mode"] = d.Mode.ToString(),
                ["riskTier"] = d.Tier?.ToString(),
                ["runtime"] = d.Runtime?.ToString(),
                ["runtimeClassName"] = d.RuntimeClassName,
                ["workload"] = d.Workload,
                ["reasons"] = new JsonArray(d.Reasons.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
                ["message"] = d.Message,
                ["warnings"] = new JsonArray(r.AllWarnings.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
                ["patch"] = patch,
                ["object"] = r.MutatedObject?.DeepClone(),
                ["edgeIsolate"] = r.Edge is { } edge
                    ? new JsonObject { ["candidate"] = edge.Candidate, ["reasons"] = new JsonArray(edge.Reasons.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()) }
                    : null,
            });
        }

        return new JsonObject { ["results"] = array };
    }

    public static string Render(IEnumerable<EvaluationResult> results) =>
        Build(results).ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    /// <summary>The runtime's display name, e.g. for tables.</summary>
    public static string Display(SandboxRuntime? runtime) => runtime?.ToString() ?? "-";
}
