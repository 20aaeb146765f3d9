using System.Text.Json.Nodes;

namespace SandboxOperator.Policy.Export;

/// <summary>
/// One object written by <c>sandboxctl export</c> (a Kyverno ClusterPolicy, a ValidatingAdmissionPolicy or its
/// binding) with the documentation printed above it: what it enforces and what it cannot do that the operator does.
/// </summary>
public sealed record ExportedPolicy(JsonObject Object, IReadOnlyList<string> Documentation)
{
    public string Kind => (string?)Object["kind"] ?? "";

    public string Name => (string?)Object["metadata"]?["name"] ?? "";
}

/// <summary>What every export shares: the operator's limits a policy engine cannot reach, and the workload kinds it covers.</summary>
internal static class ExportText
{
    /// <summary>What no exported policy does and the operator does, said once in every policy's documentation.</summary>
    public static readonly string[] CannotDo =
    [
        "Cannot do what the operator does: it has no cross-object lookups (which AgentWorkload claims a pod and at which",
        "tier, which RuntimeClass a name points to and whether its handler is a sandbox one, whether the pool's nodes",
        "exist), no mutation (the operator fills in runtimeClassName, the pool toleration and node affinity, the seccomp",
        "profile and its labels; here a pod without them is refused instead), and no status (AgentWorkload conditions,",
        "Events, metrics). Marker labels match exactly (the operator also takes \"MCP-Server\" or \" kata \").",
    ];

    /// <summary>The pod controllers the operator validates by their template (<see cref="Decisions.PodTemplates"/>), as (group, kind, plural).</summary>
    public static readonly (string Group, string Kind, string Resource)[] Controllers =
    [
        ("apps", "Deployment", "deployments"),
        ("apps", "ReplicaSet", "replicasets"),
        ("apps", "StatefulSet", "statefulsets"),
        ("apps", "DaemonSet", "daemonsets"),
        ("batch", "Job", "jobs"),
        ("batch", "CronJob", "cronjobs"),
        ("", "ReplicationController", "replicationcontrollers"),
    ];

    /// <summary>The policies with <see cref="CannotDo"/> added to the documentation of each policy (bindings keep theirs).</summary>
    public static IReadOnlyList<ExportedPolicy> WithLimits(IEnumerable<ExportedPolicy> policies) =>
        [.. policies.Select(p => p.Kind.EndsWith("Binding", StringComparison.Ordinal) ? p : p with { Documentation = [.. p.Documentation, .. CannotDo] })];

    /// <summary>
    /// The RuntimeClass names of the sandbox runtimes at least as strong as <paramref name="needed"/>, weakest first
    /// (the order of <see cref="Api.SandboxRuntime"/>, as the validator's runtime-too-weak rule compares them); none
    /// when runc is enough.
    /// </summary>
    public static IReadOnlyList<string> RuntimeClassesAtLeast(Api.SandboxRuntime needed, Configuration.PolicyConfig config) =>
        needed == Api.SandboxRuntime.Runc
            ? []
            : [.. config.SandboxRuntimes.Where(rt => rt.Runtime >= needed).OrderBy(rt => rt.Runtime).Select(rt => rt.RuntimeClassName)];

    /// <summary>A label selector as Kubernetes writes it (<c>matchLabels</c>, <c>matchExpressions</c>; absent parts left out).</summary>
    public static JsonObject Selector(Api.LabelSelector selector) => System.Text.Json.JsonSerializer.SerializeToNode(selector, SelectorJson)!.AsObject();

    private static readonly System.Text.Json.JsonSerializerOptions SelectorJson = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    public static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);
}
