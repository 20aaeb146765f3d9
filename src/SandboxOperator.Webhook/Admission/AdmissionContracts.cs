using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Json;

namespace SandboxOperator.Webhook.Admission;

/// <summary>Which of the two admission endpoints a review arrived at.</summary>
public enum WebhookKind
{
    /// <summary><c>POST /mutate</c>: returns a JSON patch, never denies a policy violation.</summary>
    Mutate,
    /// <summary><c>POST /validate</c>: allows or denies the object as the API server will store it.</summary>
    Validate,
}

/// <summary>
/// One decoded AdmissionReview request. <see cref="Request"/> refers to the request body's JSON and is
/// valid only until the handler's returned task completes.
/// </summary>
public sealed class AdmissionCall(WebhookKind webhook, string uid, AdmissionRequest request, string? displayName)
{
    public WebhookKind Webhook { get; } = webhook;
    public string Uid { get; } = uid;
    public AdmissionRequest Request { get; } = request;
    /// <summary>The object's name, or its generateName prefix when the API server has not named it yet.</summary>
    public string? DisplayName { get; } = displayName;
}

/// <summary>What to answer to one review: the AdmissionReview response fields and the decision behind them.</summary>
public sealed class AdmissionOutcome(bool allowed, int code, string? message, IReadOnlyList<PatchOperation>? patch, IReadOnlyList<string> warnings, AdmissionDecision? decision, bool isError = false)
{
    public bool Allowed { get; } = allowed;
    /// <summary>status.code of a denial (403, 400, 500, 504); 200 when allowed.</summary>
    public int Code { get; } = code;
    public string? Message { get; } = message;
    /// <summary>The RFC 6902 patch, or null when there is nothing to change; the encoder serializes it into the response.</summary>
    public IReadOnlyList<PatchOperation>? Patch { get; } = patch is { Count: > 0 } ? patch : null;
    public IReadOnlyList<string> Warnings { get; } = warnings;
    /// <summary>The policy decision, or null when the review was not decided (timeout, internal error).</summary>
    public AdmissionDecision? Decision { get; } = decision;
    /// <summary>True when the review was not decided by the policy (timeout or internal error).</summary>
    public bool IsError { get; } = isError;

    /// <summary>A review that could not be decided: denied with <paramref name="code"/>, so no failurePolicy is involved.</summary>
    public static AdmissionOutcome Failure(int code, string message) => new(false, code, message, null, [], null, isError: true);
}

/// <summary>
/// Decides admission reviews. The policy handler implements it; metrics and audit logging are
/// decorators around it. Implementations must observe the cancellation token: it fires
/// at the review deadline, and the endpoint then answers 504 on the handler's behalf.
/// </summary>
public interface IAdmissionHandler
{
    ValueTask<AdmissionOutcome> HandleAsync(AdmissionCall call, CancellationToken cancellationToken);
}
