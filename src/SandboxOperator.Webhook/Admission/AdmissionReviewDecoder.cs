using System.Text.Json;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Json;

namespace SandboxOperator.Webhook.Admission;

/// <summary>
/// Reads an admission.k8s.io/v1 AdmissionReview from a parsed document without reflection. Errors
/// name the field that is wrong; they become the <c>error</c> of an HTTP 400 answer.
/// </summary>
public static class AdmissionReviewDecoder
{
    public const string ApiVersion = "admission.k8s.io/v1";
    public const string Kind = "AdmissionReview";

    /// <summary>
    /// The fields of a review that <see cref="TryDecode"/> and the policy read; the endpoint prunes the
    /// body to these before parsing it. The objects are pruned to <see cref="PolicyFields.Object"/>.
    /// </summary>
    public static JsonFieldSet ReadFields { get; } = JsonFieldSet.Object(
        ("apiVersion", JsonFieldSet.All),
        ("kind", JsonFieldSet.All),
        ("request", JsonFieldSet.Object(
            ("uid", JsonFieldSet.All),
            ("kind", JsonFieldSet.Object(("group", JsonFieldSet.All), ("kind", JsonFieldSet.All))),
            ("operation", JsonFieldSet.All),
            ("namespace", JsonFieldSet.All),
            ("name", JsonFieldSet.All),
            ("subResource", JsonFieldSet.All),
            ("userInfo", JsonFieldSet.Object(("username", JsonFieldSet.All), ("groups", JsonFieldSet.All))),
            ("object", PolicyFields.Object),
            ("oldObject", PolicyFields.Object),
            ("dryRun", JsonFieldSet.All))));

    private static readonly JsonElement NullElement = JsonDocument.Parse("null").RootElement.Clone();

    public static bool TryDecode(JsonElement root, WebhookKind webhook, out AdmissionCall? call, out string? error)
    {
        call = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "the body must be a JSON object: an admission.k8s.io/v1 AdmissionReview";
            return false;
        }

        var apiVersion = OptionalString(root, "apiVersion"u8, "apiVersion", out error);
        if (error is not null)
        {
            return false;
        }

        if (apiVersion != ApiVersion)
        {
            error = apiVersion is null
                ? "apiVersion is missing: send an admission.k8s.io/v1 AdmissionReview"
                : $"apiVersion \"{apiVersion}\" is not supported: only admission.k8s.io/v1 is served (set admissionReviewVersions: [\"v1\"])";
            return false;
        }

        var kind = OptionalString(root, "kind"u8, "kind", out error);
        if (error is not null)
        {
            return false;
        }

        if (kind != Kind)
        {
            error = kind is null ? "kind is missing: expected AdmissionReview" : $"kind \"{kind}\" is not AdmissionReview";
            return false;
        }

        if (!root.TryGetProperty("request"u8, out var request) || request.ValueKind == JsonValueKind.Null)
        {
            error = "request is missing";
            return false;
        }

        if (request.ValueKind != JsonValueKind.Object)
        {
            error = "request must be an object";
            return false;
        }

        var uid = OptionalString(request, "uid"u8, "request.uid", out error);
        if (error is not null)
        {
            return false;
        }

        if (string.IsNullOrEmpty(uid))
        {
            error = "request.uid is missing";
            return false;
        }

        if (!request.TryGetProperty("kind"u8, out var gvk) || gvk.ValueKind != JsonValueKind.Object)
        {
            error = "request.kind is missing or not an object ({group, version, kind})";
            return false;
        }

        var group = OptionalString(gvk, "group"u8, "request.kind.group", out error) ?? "";
        var objectKind = error is null ? OptionalString(gvk, "kind"u8, "request.kind.kind", out error) : null;
        if (error is not null)
        {
            return false;
        }

        if (string.IsNullOrEmpty(objectKind))
        {
            error = "request.kind.kind is missing";
            return false;
        }

        if (ReadOperation(request, out error) is not { } operation)
        {
            return false;
        }

        var ns = OptionalString(request, "namespace"u8, "request.namespace", out error) ?? "";
        var name = error is null ? OptionalString(request, "name"u8, "request.name", out error) : null;
        var subResource = error is null ? OptionalString(request, "subResource"u8, "request.subResource", out error) : null;
        if (error is not null)
        {
            return false;
        }

        var user = ReadUser(request, out error);
        if (error is not null)
        {
            return false;
        }

        var obj = NullElement;
        if (request.TryGetProperty("object"u8, out var o))
        {
            obj = o;
        }

        JsonElement? oldObject = request.TryGetProperty("oldObject"u8, out var old) && old.ValueKind != JsonValueKind.Null ? old : null;
        var dryRun = false;
        if (request.TryGetProperty("dryRun"u8, out var dr))
        {
            switch (dr.ValueKind)
            {
                case JsonValueKind.True: dryRun = true; break;
                case JsonValueKind.False or JsonValueKind.Null: break;
                default:
                    error = "request.dryRun must be a boolean";
                    return false;
            }
        }

        var displayName = name is { Length: > 0 } ? name : GenerateName(obj);
        var admission = new AdmissionRequest(
            operation, group, objectKind, ns, name is { Length: > 0 } ? name : null, obj, oldObject,
            subResource is { Length: > 0 } ? subResource : null, user, dryRun,
            MutationApplied: webhook == WebhookKind.Validate);
        call = new AdmissionCall(webhook, uid, admission, displayName);
        return true;
    }

    private static readonly (byte[] Name, AdmissionOperation Operation)[] Operations =
    [
        ("CREATE"u8.ToArray(), AdmissionOperation.Create),
        ("UPDATE"u8.ToArray(), AdmissionOperation.Update),
        ("DELETE"u8.ToArray(), AdmissionOperation.Delete),
        ("CONNECT"u8.ToArray(), AdmissionOperation.Connect),
    ];

    /// <summary>The operation, compared as UTF-8 without making a string of it; null with the error otherwise.</summary>
    private static AdmissionOperation? ReadOperation(JsonElement request, out string? error)
    {
        error = null;
        if (!request.TryGetProperty("operation"u8, out var op) || op.ValueKind == JsonValueKind.Null)
        {
            error = "request.operation is missing";
            return null;
        }

        if (op.ValueKind != JsonValueKind.String)
        {
            error = "request.operation must be a string";
            return null;
        }

        foreach (var (name, operation) in Operations)
        {
            if (op.ValueEquals(name))
            {
                return operation;
            }
        }

        error = $"request.operation \"{op.GetString()}\" is not one of CREATE, UPDATE, DELETE, CONNECT";
        return null;
    }

    private static RequestUser ReadUser(JsonElement request, out string? error)
    {
        error = null;
        if (!request.TryGetProperty("userInfo"u8, out var info) || info.ValueKind == JsonValueKind.Null)
        {
            return RequestUser.Anonymous;
        }

        if (info.ValueKind != JsonValueKind.Object)
        {
            error = "request.userInfo must be an object";
            return RequestUser.Anonymous;
        }

        var username = OptionalString(info, "username"u8, "request.userInfo.username", out error) ?? "";
        if (error is not null)
        {
            return RequestUser.Anonymous;
        }

        if (!info.TryGetProperty("groups"u8, out var groups) || groups.ValueKind == JsonValueKind.Null)
        {
            return new RequestUser(username, []);
        }

        if (groups.ValueKind != JsonValueKind.Array)
        {
            error = "request.userInfo.groups must be an array of strings";
            return RequestUser.Anonymous;
        }

        var list = new string[groups.GetArrayLength()];
        var i = 0;
        foreach (var g in groups.EnumerateArray())
        {
            if (g.ValueKind != JsonValueKind.String)
            {
                error = "request.userInfo.groups must be an array of strings";
                return RequestUser.Anonymous;
            }

            list[i++] = g.GetString()!;
        }

        return new RequestUser(username, list);
    }

    private static string? GenerateName(JsonElement obj) =>
        obj.ValueKind == JsonValueKind.Object
        && obj.TryGetProperty("metadata"u8, out var m) && m.ValueKind == JsonValueKind.Object
        && m.TryGetProperty("generateName"u8, out var g) && g.ValueKind == JsonValueKind.String
            ? g.GetString()
            : null;

    private static string? OptionalString(JsonElement obj, ReadOnlySpan<byte> property, string path, out string? error)
    {
        error = null;
        if (!obj.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            error = $"{path} must be a string";
            return null;
        }

        return value.GetString();
    }
}
