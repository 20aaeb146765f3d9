using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SandboxOperator.Testing.KubeApi.Admission;

/// <summary>
/// The server's admission step: calls the registered webhooks for a CREATE or UPDATE, applies their JSON patches
/// and turns denials into the <c>Status</c> a real API server returns. Thread-safe registration.
/// </summary>
/// <remarks>
/// Caveats: mutating and validating webhooks are not distinguished (any webhook may patch and deny, in registration
/// order, each call made once); there is no reinvocation; only CREATE and UPDATE are offered.
/// </remarks>
public sealed class AdmissionChain
{
    private readonly Lock _gate = new();
    private readonly List<AdmissionWebhook> _webhooks = [];

    /// <summary>Adds a webhook after those already registered.</summary>
    public void Register(AdmissionWebhook webhook)
    {
        ArgumentNullException.ThrowIfNull(webhook);
        lock (_gate)
        {
            _webhooks.Add(webhook);
        }
    }

    /// <summary>Removes every webhook.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _webhooks.Clear();
        }
    }

    /// <summary>Runs the matching webhooks; the result is the (possibly patched) object or the rejection, plus warnings either way.</summary>
    internal async Task<(Outcome<JsonObject> Object, IReadOnlyList<string> Warnings)> AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        List<AdmissionWebhook> webhooks;
        lock (_gate)
        {
            webhooks = _webhooks.Where(w => w.AppliesTo(request.Resource, request.Operation)).ToList();
        }

        var warnings = new List<string>();
        foreach (var webhook in webhooks)
        {
            var verdict = await CallAsync(webhook, request, cancellationToken);
            warnings.AddRange(verdict.Warnings);
            if (verdict.Rejection is not null)
            {
                return (verdict.Rejection, warnings);
            }

            if (verdict.Patched is not null)
            {
                request = request with { Object = verdict.Patched };
            }
        }

        return (request.Object, warnings);
    }

    private static async Task<Verdict> CallAsync(AdmissionWebhook webhook, AdmissionRequest request, CancellationToken cancellationToken)
    {
        var uid = Guid.NewGuid().ToString();
        JsonObject review;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(webhook.Timeout);
            review = await webhook.Handler(request.ToReview(uid), timeout.Token);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return CallFailed(webhook, e.Message);
        }

        if (review["response"] is not JsonObject response)
        {
            return CallFailed(webhook, "the AdmissionReview has no response");
        }

        if (ObjectMetadata.AsString(response["uid"]) != uid)
        {
            return CallFailed(webhook, $"expected response.uid=\"{uid}\", got \"{response["uid"]}\"");
        }

        var warnings = (response["warnings"] as JsonArray)?.Select(ObjectMetadata.AsString).OfType<string>().ToList() ?? [];
        if (response["allowed"]?.GetValueKind() != JsonValueKind.True)
        {
            return new Verdict(null, Denied(webhook.Name, response["status"] as JsonObject), warnings);
        }

        if (response["patch"] is not JsonValue patchValue || !patchValue.TryGetValue<string>(out var patchBase64))
        {
            return new Verdict(null, null, warnings);
        }

        if (ObjectMetadata.AsString(response["patchType"]) != "JSONPatch")
        {
            return CallFailed(webhook, $"unsupported patchType \"{response["patchType"]}\"");
        }

        string patchText;
        try
        {
            patchText = Encoding.UTF8.GetString(Convert.FromBase64String(patchBase64));
        }
        catch (FormatException)
        {
            return CallFailed(webhook, "response.patch is not base64");
        }

        var patched = JsonPatch.Apply(request.Object, patchText);
        if (!patched.IsSuccess || patched.Value is not JsonObject patchedObject)
        {
            return CallFailed(webhook, $"the JSON patch could not be applied: {patched.Error?.Message ?? "the result is not an object"}");
        }

        return new Verdict(patchedObject, null, warnings);
    }

    /// <summary>The rejection a real API server builds from a webhook's <c>allowed: false</c> (403 unless the webhook set a 4xx/5xx code).</summary>
    private static ApiError Denied(string webhookName, JsonObject? status)
    {
        var deniedBy = $"admission webhook \"{webhookName}\" denied the request";
        var message = status?["message"] is JsonValue m && m.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;
        var reason = status?["reason"] is JsonValue r && r.TryGetValue<string>(out var why) ? why : "";
        var code = status?["code"] is JsonValue c && c.TryGetValue<int>(out var n) && n >= 400 ? n : 403;
        var full = message is not null ? $"{deniedBy}: {message}" : reason.Length > 0 ? $"{deniedBy}: {reason}" : $"{deniedBy} without explanation";
        return new ApiError(code, reason, full);
    }

    private static Verdict CallFailed(AdmissionWebhook webhook, string why) =>
        webhook.FailurePolicy == AdmissionFailurePolicy.Ignore
            ? new Verdict(null, null, [])
            : new Verdict(null, ApiError.Internal($"failed calling webhook \"{webhook.Name}\": {why}"), []);

    private sealed record Verdict(JsonObject? Patched, ApiError? Rejection, IReadOnlyList<string> Warnings);
}
