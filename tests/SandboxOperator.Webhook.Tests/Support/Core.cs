using System.Text.Json;
using System.Text.Json.Nodes;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Webhook.Tests.Support;

/// <summary>Asks the policy core directly what it decides for a review, independently of the webhook's decoder.</summary>
internal static class Core
{
    public static AdmissionDecision Evaluate(JsonObject review, bool mutationApplied, IClusterState? state = null, PolicyConfig? config = null)
    {
        var r = review["request"]!;
        var op = (string)r["operation"]! switch
        {
            "CREATE" => AdmissionOperation.Create,
            "UPDATE" => AdmissionOperation.Update,
            "DELETE" => AdmissionOperation.Delete,
            _ => AdmissionOperation.Connect,
        };
        var obj = JsonSerializer.SerializeToElement(r["object"]);
        JsonElement? old = r["oldObject"] is { } o ? JsonSerializer.SerializeToElement(o) : null;
        var user = new RequestUser((string)r["userInfo"]!["username"]!, r["userInfo"]!["groups"]!.AsArray().Select(g => (string)g!).ToList());
        var request = new AdmissionRequest(op, (string)r["kind"]!["group"]!, (string)r["kind"]!["kind"]!, (string)r["namespace"]!, (string?)r["name"], obj, old, null, user, (bool)r["dryRun"]!, mutationApplied);
        return AdmissionEvaluator.Evaluate(request, config ?? PolicyConfig.Default, state ?? RunningHost.Samples.Current, TimeProvider.System.GetUtcNow());
    }
}
