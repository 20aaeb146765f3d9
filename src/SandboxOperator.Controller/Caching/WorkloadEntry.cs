using SandboxOperator.Policy.Api;

namespace SandboxOperator.Controller.Caching;

/// <summary>
/// A cached AgentWorkload: identity, the core's view of a valid spec (null when the spec breaks the schema, with
/// <see cref="SpecErrors"/> saying why) and the status last written.
/// </summary>
public sealed record WorkloadEntry(
    string Namespace,
    string Name,
    string Uid,
    long Generation,
    AgentWorkload? Workload,
    IReadOnlyList<FieldError> SpecErrors,
    AgentWorkloadStatus? Status);

/// <summary>A cached SandboxException: identity and the core's view of a valid spec (null when it breaks the schema, with <see cref="SpecErrors"/> saying why).</summary>
public sealed record ExceptionEntry(
    string Namespace,
    string Name,
    string Uid,
    SandboxException? Exception,
    IReadOnlyList<FieldError> SpecErrors);
