using System.Text.Json;

namespace SandboxOperator.Policy.Decisions;

/// <summary>The admission operation.</summary>
public enum AdmissionOperation
{
    Create,
    Update,
    Delete,
    Connect,
}

/// <summary>Who asked (from the AdmissionReview's userInfo).</summary>
public sealed record RequestUser(string Username, IReadOnlyList<string> Groups)
{
    public static RequestUser Anonymous { get; } = new("", []);
}

/// <summary>
/// What the policy is asked to decide: an object (and for UPDATE the old one) of a given kind in a
/// namespace. <see cref="Object"/> must stay valid for the duration of the evaluation only.
/// </summary>
/// <param name="Group">API group of the object's kind ("" for core).</param>
/// <param name="SubResource">Set for subresource requests such as <c>ephemeralcontainers</c> or <c>status</c>.</param>
/// <param name="MutationApplied">
/// False (the default) when the object has not been through the mutating webhook yet: the evaluation
/// mutates first, then validates the result (what <c>sandboxctl</c> and <c>/mutate</c> do). True when
/// the object arrives at <c>/validate</c>, already mutated by the API server: it is checked as it is,
/// so a pod that escaped mutation is denied rather than assumed fixed. Pod templates are always
/// validated as their pods will be after mutation.
/// </param>
public sealed record AdmissionRequest(
    AdmissionOperation Operation,
    string Group,
    string Kind,
    string Namespace,
    string? Name,
    JsonElement Object,
    JsonElement? OldObject = null,
    string? SubResource = null,
    RequestUser? User = null,
    bool DryRun = false,
    bool MutationApplied = false);
