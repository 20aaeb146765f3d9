using System.Text.Json.Nodes;

namespace SandboxOperator.Testing.KubeApi.Admission;

/// <summary>
/// Answers an <c>admission.k8s.io/v1 AdmissionReview</c> request with an AdmissionReview response, as a webhook
/// server would. Throwing (or returning something that is not a valid response) counts as a failed call, which
/// the webhook's <see cref="AdmissionFailurePolicy"/> turns into a rejection or ignores.
/// </summary>
public delegate Task<JsonObject> AdmissionReviewHandler(JsonObject review, CancellationToken cancellationToken);

/// <summary>The operations a webhook is called for.</summary>
[Flags]
public enum AdmissionOperations
{
    /// <summary>Not called.</summary>
    None = 0,

    /// <summary>CREATE.</summary>
    Create = 1,

    /// <summary>UPDATE (PUT and PATCH).</summary>
    Update = 2,
}

/// <summary>What happens when the webhook cannot be called or answers nonsense.</summary>
public enum AdmissionFailurePolicy
{
    /// <summary>Reject the request with a 500 <c>InternalError</c>, like <c>failurePolicy: Fail</c>.</summary>
    Fail,

    /// <summary>Let the request through unchanged, like <c>failurePolicy: Ignore</c>.</summary>
    Ignore,
}

/// <summary>
/// One registered webhook: its name (used in denial messages), the resources and operations it applies to, and
/// the handler that answers reviews. Webhooks run in registration order; each sees the object as patched by the
/// previous ones.
/// </summary>
/// <param name="Name">Webhook name, e.g. <c>pods.agentsandbox.io</c>.</param>
/// <param name="Resources">Plural resource names (<c>pods</c>), or <c>plural/status</c> for the status subresource; <c>*</c> matches every main resource.</param>
/// <param name="Operations">The operations to call it for.</param>
/// <param name="Handler">Answers the review.</param>
public sealed record AdmissionWebhook(string Name, IReadOnlyCollection<string> Resources, AdmissionOperations Operations, AdmissionReviewHandler Handler)
{
    /// <summary>What a failed call means; <see cref="AdmissionFailurePolicy.Fail"/> by default, as on a real server.</summary>
    public AdmissionFailurePolicy FailurePolicy { get; init; } = AdmissionFailurePolicy.Fail;

    /// <summary>How long a call may take before it counts as failed (the real default is 10 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    internal bool AppliesTo(string resource, AdmissionOperations operation) =>
        (Operations & operation) != 0
        && (Resources.Contains(resource) || (Resources.Contains("*") && !resource.Contains('/', StringComparison.Ordinal)));
}
