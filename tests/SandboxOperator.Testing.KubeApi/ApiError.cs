using System.Text.Json.Nodes;

namespace SandboxOperator.Testing.KubeApi;

/// <summary>
/// A failed API call as the real server reports it: HTTP code, <c>reason</c> and message, rendered as a
/// <c>v1 Status</c> object so that KubernetesClient raises <c>HttpOperationException</c> with that code.
/// </summary>
public sealed record ApiError(int Code, string Reason, string Message, string? Name = null, string? Group = null, string? Kind = null)
{
    /// <summary>Seconds for a <c>Retry-After</c> header, when the error asks the client to come back.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>The <c>Status</c> body.</summary>
    public JsonObject ToStatus()
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = Message,
        };
        if (Reason.Length > 0)
        {
            status["reason"] = Reason;
        }

        if (Name is not null || Kind is not null || RetryAfterSeconds is not null)
        {
            var details = new JsonObject();
            if (Name is not null)
            {
                details["name"] = Name;
            }

            if (!string.IsNullOrEmpty(Group))
            {
                details["group"] = Group;
            }

            if (Kind is not null)
            {
                details["kind"] = Kind;
            }

            if (RetryAfterSeconds is { } seconds)
            {
                details["retryAfterSeconds"] = seconds;
            }

            status["details"] = details;
        }

        status["code"] = Code;
        return status;
    }

    /// <summary>404: the named object does not exist.</summary>
    public static ApiError NotFound(ResourceType type, string name) =>
        new(404, "NotFound", $"{type.QualifiedResource} \"{name}\" not found", name, type.Group, type.Plural);

    /// <summary>404: the URL does not name a served resource.</summary>
    public static ApiError UnknownPath() => new(404, "NotFound", "the server could not find the requested resource");

    /// <summary>409: an object with that name already exists.</summary>
    public static ApiError AlreadyExists(ResourceType type, string name) =>
        new(409, "AlreadyExists", $"{type.QualifiedResource} \"{name}\" already exists", name, type.Group, type.Plural);

    /// <summary>409: the write was based on a stale resourceVersion (or a precondition failed).</summary>
    public static ApiError Conflict(ResourceType type, string name, string? detail = null) =>
        new(409, "Conflict",
            $"Operation cannot be fulfilled on {type.QualifiedResource} \"{name}\": {detail ?? "the object has been modified; please apply your changes to the latest version and try again"}",
            name, type.Group, type.Plural);

    /// <summary>400: the request itself is malformed.</summary>
    public static ApiError BadRequest(string message) => new(400, "BadRequest", message);

    /// <summary>422: the object is well-formed but not acceptable.</summary>
    public static ApiError Invalid(ResourceType type, string name, string message) =>
        new(422, "Invalid", $"{type.Kind} \"{name}\" is invalid: {message}", name, type.Group, type.Kind);

    /// <summary>405: the verb is not supported on this path.</summary>
    public static ApiError MethodNotAllowed(string method) => new(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource ({method})");

    /// <summary>415: the patch or body content type is not supported.</summary>
    public static ApiError UnsupportedMediaType(string? contentType) => new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got {contentType ?? "none"})");

    /// <summary>410: the requested resourceVersion is older than the retained history.</summary>
    public static ApiError Expired(long requested, long oldest) =>
        new(410, "Expired", $"too old resource version: {requested} ({oldest})");

    /// <summary>500: something failed on the server side (never used for bad client input).</summary>
    public static ApiError Internal(string message) => new(500, "InternalError", $"Internal error occurred: {message}");
}
