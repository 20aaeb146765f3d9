using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Json;
using SandboxOperator.Policy.Pods;

namespace SandboxOperator.Policy.Decisions;

/// <summary>
/// What mutation does to a pod: the patch, the pod's spec as it will look afterwards (as a view; its
/// labels and annotations are not updated, validation never reads them), the runtime it will run with
/// and its runtimeClassName.
/// </summary>
public sealed record MutationResult(
    IReadOnlyList<PatchOperation> Patch,
    PodSpecView Mutated,
    SandboxRuntime Runtime,
    string? RuntimeClassName,
    IReadOnlyList<string> Warnings);
