using System.Text.Json;
using System.Text.Json.Nodes;
using SandboxOperator.Testing.KubeApi.Admission;

namespace SandboxOperator.Testing.KubeApi;

/// <summary>The answer to a write: HTTP status, the body (object or error) and admission warnings.</summary>
internal sealed record WriteResult(int StatusCode, Outcome<JsonObject> Body, IReadOnlyList<string> Warnings)
{
    public static WriteResult Fail(ApiError error, IReadOnlyList<string>? warnings = null) => new(error.Code, error, warnings ?? []);
}

/// <summary>
/// The write verbs (create, update, patch, delete) with API-server semantics: request validation, status
/// subresource isolation, admission, optimistic concurrency. Errors are values; nothing here touches HTTP.
/// </summary>
internal sealed class ResourceOperations(ObjectStore store, AdmissionChain admission)
{
    /// <summary>How often a write whose base version raced with another write is recomputed before giving up with 409.</summary>
    private const int MaxAttempts = 5;

    public async Task<WriteResult> CreateAsync(ResourceType type, string? ns, string body, bool dryRun, CancellationToken cancellationToken)
    {
        var parsed = ParseObject(body);
        if (!parsed.IsSuccess)
        {
            return WriteResult.Fail(parsed.Error);
        }

        var obj = parsed.Value;
        if (CheckTypeAndNamespace(type, ns, obj) is { } typeError)
        {
            return WriteResult.Fail(typeError);
        }

        var name = ObjectMetadata.Name(obj) ?? "";
        var generateName = ObjectMetadata.GetString(obj, "generateName") ?? "";
        if (name.Length == 0 && generateName.Length == 0)
        {
            return WriteResult.Fail(ApiError.Invalid(type, "", "metadata.name: Required value: name or generateName is required"));
        }

        if (ObjectMetadata.ResourceVersion(obj) is not null)
        {
            return WriteResult.Fail(ApiError.BadRequest("resourceVersion should not be set on objects to be created"));
        }

        if (type.HasStatus)
        {
            obj.Remove("status");
        }

        // As on a real server, admission runs before the name is generated: with generateName, webhooks see name "".
        var request = new AdmissionRequest(type, null, AdmissionOperations.Create, name, ns, obj, null, dryRun, Options("CreateOptions", dryRun));
        var (admitted, warnings) = await admission.AdmitAsync(request, cancellationToken);
        if (!admitted.IsSuccess)
        {
            return WriteResult.Fail(admitted.Error, warnings);
        }

        obj = admitted.Value;
        if ((ObjectMetadata.Name(obj) ?? "") != name || CheckIdentityUnchanged(type, obj, ObjectMetadata.Name(obj), ns) is not null)
        {
            return WriteResult.Fail(ApiError.Internal("admission changed the object's name or namespace"), warnings);
        }

        if (type.HasStatus)
        {
            obj.Remove("status");
        }

        if (name.Length == 0)
        {
            name = ObjectMetadata.GenerateName(generateName);
            ObjectMetadata.Of(obj)["name"] = name;
        }

        if (!ObjectMetadata.IsValidName(name))
        {
            return WriteResult.Fail(ApiError.Invalid(type, name, $"metadata.name: Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'"), warnings);
        }

        var created = store.Create(type, obj, dryRun);
        return created.IsSuccess ? new WriteResult(201, created.Value.Parse(), warnings) : WriteResult.Fail(created.Error, warnings);
    }

    /// <summary>PUT: replaces the object (or only its status when <paramref name="subresource"/> is <c>status</c>).</summary>
    public Task<WriteResult> UpdateAsync(ResourceType type, string? ns, string name, string? subresource, string body, bool dryRun, CancellationToken cancellationToken)
    {
        var parsed = ParseObject(body);
        if (!parsed.IsSuccess)
        {
            return Task.FromResult(WriteResult.Fail(parsed.Error));
        }

        var incoming = parsed.Value;
        if (CheckTypeAndNamespace(type, ns, incoming) is { } typeError)
        {
            return Task.FromResult(WriteResult.Fail(typeError));
        }

        if (ObjectMetadata.Name(incoming) is { Length: > 0 } bodyName && bodyName != name)
        {
            return Task.FromResult(WriteResult.Fail(ApiError.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})")));
        }

        ObjectMetadata.Of(incoming)["name"] = name;
        if (ObjectMetadata.ResourceVersion(incoming) is < 0)
        {
            return Task.FromResult(WriteResult.Fail(ApiError.BadRequest("metadata.resourceVersion: Invalid value: must be a decimal number")));
        }

        return WriteWithRetryAsync(type, ns, name, subresource, "UpdateOptions", dryRun, _ => incoming.DeepClone().AsObject(), cancellationToken);
    }

    /// <summary>PATCH with JSON patch, merge patch or strategic merge patch (treated as merge patch).</summary>
    public Task<WriteResult> PatchAsync(ResourceType type, string? ns, string name, string? subresource, string body, string? contentType, bool dryRun, CancellationToken cancellationToken)
    {
        var mediaType = contentType?.Split(';')[0].Trim().ToLowerInvariant();
        Func<JsonObject, Outcome<JsonNode?>> apply;
        switch (mediaType)
        {
            case "application/json-patch+json":
                apply = current => JsonPatch.Apply(current, body);
                break;
            case "application/merge-patch+json" or "application/strategic-merge-patch+json":
                JsonNode? patch;
                try
                {
                    patch = JsonNode.Parse(body);
                }
                catch (JsonException e)
                {
                    return Task.FromResult(WriteResult.Fail(ApiError.BadRequest($"error decoding patch: {e.Message}")));
                }

                if (patch is not JsonObject)
                {
                    return Task.FromResult(WriteResult.Fail(ApiError.BadRequest("error decoding patch: a merge patch must be a JSON object")));
                }

                apply = current => Outcome<JsonNode?>.Success(JsonMergePatch.Apply(current, patch));
                break;
            default:
                return Task.FromResult(WriteResult.Fail(ApiError.UnsupportedMediaType(contentType)));
        }

        return WriteWithRetryAsync(type, ns, name, subresource, "PatchOptions", dryRun, current =>
        {
            var patched = apply(current);
            if (!patched.IsSuccess)
            {
                return patched.Error;
            }

            if (patched.Value is not JsonObject obj)
            {
                return ApiError.Invalid(type, name, "the patched document is not an object");
            }

            if (ObjectMetadata.Name(obj) != name || ObjectMetadata.Namespace(obj) != ObjectMetadata.Namespace(current)
                || ObjectMetadata.AsString(obj["kind"]) != type.Kind || ObjectMetadata.AsString(obj["apiVersion"]) != type.ApiVersion)
            {
                return ApiError.Invalid(type, name, "metadata.name, metadata.namespace, kind and apiVersion are immutable");
            }

            return ObjectMetadata.ResourceVersion(obj) is < 0
                ? ApiError.BadRequest("metadata.resourceVersion: Invalid value: must be a decimal number")
                : obj;
        }, cancellationToken);
    }

    /// <summary>DELETE, with optional <c>DeleteOptions</c> body carrying preconditions.</summary>
    public WriteResult Delete(ResourceType type, string? ns, string name, string body, bool dryRun)
    {
        string? uid = null, rv = null;
        if (!string.IsNullOrWhiteSpace(body))
        {
            var options = ParseObject(body);
            if (!options.IsSuccess)
            {
                return WriteResult.Fail(options.Error);
            }

            var preconditions = options.Value["preconditions"] as JsonObject;
            uid = ObjectMetadata.AsString(preconditions?["uid"]);
            rv = ObjectMetadata.AsString(preconditions?["resourceVersion"]);
            dryRun |= options.Value["dryRun"] is JsonArray modes && modes.Any(m => ObjectMetadata.AsString(m) == "All");
        }

        var deleted = store.Delete(type, ns, name, uid, rv, dryRun);
        if (!deleted.IsSuccess)
        {
            return WriteResult.Fail(deleted.Error);
        }

        var (obj, removed) = deleted.Value;
        if (removed && !type.ReturnsDeletedObject)
        {
            var details = new JsonObject { ["name"] = name, ["kind"] = type.Plural, ["uid"] = ObjectMetadata.GetString(obj.Parse(), "uid") };
            if (type.Group.Length > 0)
            {
                details["group"] = type.Group;
            }

            return new WriteResult(200, new JsonObject
            {
                ["kind"] = "Status",
                ["apiVersion"] = "v1",
                ["metadata"] = new JsonObject(),
                ["status"] = "Success",
                ["details"] = details,
            }, []);
        }

        return new WriteResult(200, obj.Parse(), []);
    }

    /// <summary>
    /// The update loop of the real server: read the current object, compute the new one from it, admit it and commit
    /// with the read resourceVersion as precondition; when another write won the race, start over. A resourceVersion
    /// the client put in the body (or patch) is checked against the current object each time, so stale ones get 409;
    /// so is a uid, so a write meant for a deleted-and-recreated object gets 409 too.
    /// </summary>
    private async Task<WriteResult> WriteWithRetryAsync(
        ResourceType type, string? ns, string name, string? subresource, string optionsKind, bool dryRun,
        Func<JsonObject, Outcome<JsonObject>> computeIncoming, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            if (store.GetStored(type, ns, name) is not { } current)
            {
                return WriteResult.Fail(ApiError.NotFound(type, name));
            }

            var currentObject = current.Parse();
            var incoming = computeIncoming(currentObject.DeepClone().AsObject());
            if (!incoming.IsSuccess)
            {
                return WriteResult.Fail(incoming.Error);
            }

            if (ObjectMetadata.ResourceVersion(incoming.Value) is { } pinned && pinned != current.ResourceVersion)
            {
                return WriteResult.Fail(ApiError.Conflict(type, name));
            }

            var currentUid = ObjectMetadata.GetString(currentObject, "uid");
            if (ObjectMetadata.GetString(incoming.Value, "uid") is { Length: > 0 } uid && uid != currentUid)
            {
                return WriteResult.Fail(ApiError.Conflict(type, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {currentUid}"));
            }

            var candidate = Merge(type, subresource, currentObject, incoming.Value);
            var request = new AdmissionRequest(type, subresource, AdmissionOperations.Update, name, ns, candidate, currentObject, dryRun, Options(optionsKind, dryRun));
            var (admitted, warnings) = await admission.AdmitAsync(request, cancellationToken);
            if (!admitted.IsSuccess)
            {
                return WriteResult.Fail(admitted.Error, warnings);
            }

            candidate = Merge(type, subresource, currentObject, admitted.Value);
            if (CheckIdentityUnchanged(type, candidate, name, ns) is { } identityError)
            {
                return WriteResult.Fail(identityError, warnings);
            }

            var updated = store.Update(type, candidate, current.ResourceVersion, dryRun);
            if (updated.IsSuccess)
            {
                return new WriteResult(200, updated.Value.Parse(), warnings);
            }

            if (updated.Error.Code != 409 || attempt == MaxAttempts)
            {
                return WriteResult.Fail(updated.Error, warnings);
            }
        }
    }

    /// <summary>
    /// Status subresource isolation: a main-resource write keeps the stored status; a <c>/status</c> write keeps
    /// everything but status. Identity fields always come from the stored object.
    /// </summary>
    private static JsonObject Merge(ResourceType type, string? subresource, JsonObject current, JsonObject incoming)
    {
        JsonObject result;
        if (subresource == "status")
        {
            result = current.DeepClone().AsObject();
            result.Remove("status");
            if (incoming["status"] is { } status)
            {
                result["status"] = status.DeepClone();
            }
        }
        else
        {
            result = incoming.DeepClone().AsObject();
            if (type.HasStatus)
            {
                result.Remove("status");
                if (current["status"] is { } status)
                {
                    result["status"] = status.DeepClone();
                }
            }
        }

        result["apiVersion"] = type.ApiVersion;
        result["kind"] = type.Kind;
        var meta = ObjectMetadata.Of(result);
        meta["name"] = ObjectMetadata.Name(current);
        if (type.Namespaced)
        {
            meta["namespace"] = ObjectMetadata.Namespace(current);
        }

        return result;
    }

    private static Outcome<JsonObject> ParseObject(string body)
    {
        try
        {
            return JsonNode.Parse(body) is JsonObject obj
                ? obj
                : ApiError.BadRequest("the body of the request must be a JSON object");
        }
        catch (JsonException e)
        {
            return ApiError.BadRequest($"couldn't decode the request body: json parse error: {e.Message}");
        }
    }

    /// <summary>Checks kind/apiVersion (filling them in when absent) and the namespace against the URL (filling it in).</summary>
    private static ApiError? CheckTypeAndNamespace(ResourceType type, string? ns, JsonObject obj)
    {
        if (obj["apiVersion"] is { } apiVersion && ObjectMetadata.AsString(apiVersion) != type.ApiVersion)
        {
            return ApiError.BadRequest($"the API version in the data ({apiVersion.ToJsonString()}) does not match the expected API version ({type.ApiVersion})");
        }

        if (obj["kind"] is { } kind && ObjectMetadata.AsString(kind) != type.Kind)
        {
            return ApiError.BadRequest($"the kind in the data ({kind.ToJsonString()}) does not match the expected kind ({type.Kind})");
        }

        if (obj["metadata"] is { } metadata && metadata is not JsonObject)
        {
            return ApiError.BadRequest("metadata must be a JSON object");
        }

        obj["apiVersion"] = type.ApiVersion;
        obj["kind"] = type.Kind;
        var meta = ObjectMetadata.Of(obj);
        if (!type.Namespaced)
        {
            meta.Remove("namespace");
            return null;
        }

        if (ObjectMetadata.Namespace(obj) is { Length: > 0 } bodyNamespace && bodyNamespace != ns)
        {
            return ApiError.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        meta["namespace"] = ns;
        return null;
    }

    private static ApiError? CheckIdentityUnchanged(ResourceType type, JsonObject obj, string? name, string? ns) =>
        ObjectMetadata.Name(obj) != name || (type.Namespaced && ObjectMetadata.Namespace(obj) != ns)
            ? ApiError.Internal("admission changed the object's name or namespace")
            : null;

    private static JsonObject Options(string kind, bool dryRun)
    {
        var options = new JsonObject { ["kind"] = kind, ["apiVersion"] = "meta.k8s.io/v1" };
        if (dryRun)
        {
            options["dryRun"] = new JsonArray("All");
        }

        return options;
    }
}
