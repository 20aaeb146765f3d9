using SandboxOperator.Policy.Json;

namespace SandboxOperator.Policy.Decisions;

/// <summary>
/// The one declaration of every field the policy reads from an admission object. The pod reader can read only
/// what is declared here (<see cref="Pods.FieldReader"/> throws on anything else), the webhook's
/// <see cref="JsonPruner"/> keeps exactly this, and the controller's pod projection reads through the same
/// reader: the three cannot disagree, so no rule ever sees "absent" for a field a copy left out.
/// </summary>
/// <remarks>
/// Contract: an object pruned to <see cref="Object"/> gets the same decision, patch, warnings and errors as the
/// whole object. Values of an unexpected JSON type are kept whole by the pruner, so type errors are unchanged.
/// The tests compare decisions on pruned, projected and whole objects over the samples, every violation example,
/// generated pods and fuzzed ones.
/// </remarks>
public static class PolicyFields
{
    private static readonly JsonFieldSet All = JsonFieldSet.All;

    private static readonly JsonFieldSet Metadata = JsonFieldSet.Object(
        ("name", All),
        ("generateName", All),
        ("labels", All),
        ("annotations", All),
        ("deletionTimestamp", All),
        ("ownerReferences", JsonFieldSet.ArrayOf(JsonFieldSet.Object(("apiVersion", All), ("kind", All)))));

    private static readonly JsonFieldSet SeccompProfile = JsonFieldSet.Object(("type", All));

    private static readonly JsonFieldSet Container = JsonFieldSet.Object(
        ("name", All),
        ("securityContext", JsonFieldSet.Object(("privileged", All), ("seccompProfile", SeccompProfile))),
        ("resources", JsonFieldSet.Object(("limits", All), ("requests", All))),
        ("volumeMounts", JsonFieldSet.ArrayOf(JsonFieldSet.Object(("name", All), ("mountPropagation", All)))));

    private static readonly JsonFieldSet Requirements = JsonFieldSet.ArrayOf(JsonFieldSet.Object(("key", All), ("operator", All), ("values", All)));

    private static readonly JsonFieldSet PodSpec = JsonFieldSet.Object(
        ("runtimeClassName", All),
        ("nodeName", All),
        ("nodeSelector", All),
        ("hostNetwork", All),
        ("hostPID", All),
        ("hostIPC", All),
        ("tolerations", JsonFieldSet.ArrayOf(JsonFieldSet.Object(("key", All), ("operator", All), ("value", All), ("effect", All)))),
        ("affinity", JsonFieldSet.Object(
            ("nodeAffinity", JsonFieldSet.Object(
                ("requiredDuringSchedulingIgnoredDuringExecution", JsonFieldSet.Object(
                    ("nodeSelectorTerms", JsonFieldSet.ArrayOf(JsonFieldSet.Object(("matchExpressions", Requirements), ("matchFields", Requirements)))))))))),
        ("securityContext", JsonFieldSet.Object(("seccompProfile", SeccompProfile))),
        ("initContainers", JsonFieldSet.ArrayOf(Container)),
        ("containers", JsonFieldSet.ArrayOf(Container)),
        ("ephemeralContainers", JsonFieldSet.ArrayOf(Container)),
        ("volumes", JsonFieldSet.ArrayOf(JsonFieldSet.Object(("name", All), ("hostPath", All)))));

    /// <summary>What the policy reads of a pod or pod template: its metadata and spec. Namespaces are read through it too (their labels).</summary>
    public static JsonFieldSet Pod { get; } = JsonFieldSet.Object(("metadata", Metadata), ("spec", PodSpec));

    /// <summary>A Binding (<c>pods/binding</c>, <c>bindings</c>): the node a pod is bound to.</summary>
    private static readonly JsonFieldSet Binding = JsonFieldSet.Object(("target", JsonFieldSet.Object(("kind", All), ("name", All))));

    /// <summary>The EphemeralContainers object that <c>pods/ephemeralcontainers</c> carries before Kubernetes 1.22.</summary>
    private static readonly JsonFieldSet EphemeralContainers = JsonFieldSet.Object(("ephemeralContainers", JsonFieldSet.ArrayOf(Container)));

    /// <summary>An AgentWorkload: its name and every field of its spec that <see cref="Api.AgentWorkloadReader"/> knows, whole.</summary>
    private static readonly JsonFieldSet AgentWorkload = JsonFieldSet.Object(
        ("metadata", Metadata),
        ("spec", JsonFieldSet.Object([.. Api.AgentWorkloadReader.SpecFields.Select(f => (f, All))])));

    /// <summary>A SandboxException: its name and every field of its spec that <see cref="Api.SandboxExceptionReader"/> knows, whole.</summary>
    private static readonly JsonFieldSet SandboxException = JsonFieldSet.Object(
        ("metadata", Metadata),
        ("spec", JsonFieldSet.Object([.. Api.SandboxExceptionReader.SpecFields.Select(f => (f, All))])));

    /// <summary>
    /// The fields of an admission object of any kind that the policy reads: <see cref="Pod"/> wherever a covered
    /// kind holds its pod, a Binding's target, an EphemeralContainers object's containers, and the spec of an
    /// AgentWorkload or a SandboxException.
    /// </summary>
    public static JsonFieldSet Object { get; } = PodTemplates.Paths.Select(path => JsonFieldSet.At(path, Pod))
        .Append(Binding).Append(EphemeralContainers).Append(AgentWorkload).Append(SandboxException).Aggregate(JsonFieldSet.Union);

    private static readonly Dictionary<string[], JsonFieldSet> PodsByPath = PodTemplates.Paths.ToDictionary<string[], string[], JsonFieldSet>(p => p, At, ReferenceEqualityComparer.Instance);

    /// <summary>The declaration <see cref="Object"/> makes at <paramref name="path"/> (one of <see cref="PodTemplates.Paths"/>): what the reader may read of the pod there.</summary>
    public static JsonFieldSet PodAt(string[] path) => PodsByPath.TryGetValue(path, out var fields) ? fields : At(path);

    private static JsonFieldSet At(string[] path)
    {
        var node = Object;
        foreach (var segment in path)
        {
            node = node.KeepsAll ? node : node.Find(System.Text.Encoding.UTF8.GetBytes(segment)) ?? throw new Pods.UndeclaredFieldException(segment);
        }

        return node;
    }
}
