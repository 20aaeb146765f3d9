using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Json;
using SandboxOperator.Policy.Pods;

namespace SandboxOperator.Policy.Decisions;

/// <summary>
/// What mutation does to a pod: the patch, the pod as it will look afterwards (as a view), the runtime it
/// will run with and its runtimeClassName.
/// </summary>
public sealed record MutationResult(
    IReadOnlyList<PatchOperation> Patch,
    PodSpecView Mutated,
    SandboxRuntime Runtime,
    string? RuntimeClassName,
    IReadOnlyList<string> Warnings);
