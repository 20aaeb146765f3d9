using SandboxOperator.Policy.Json;

namespace SandboxOperator.Policy.Decisions;

/// <summary>
/// Every field <see cref="AdmissionEvaluator"/> reads from an admission object, for
/// <see cref="JsonPruner"/>: a caller may prune <see cref="AdmissionRequest.Object"/> and
/// <see cref="AdmissionRequest.OldObject"/> to <see cref="Object"/> and get the same decision, patch,
/// warnings and errors as from the whole object, at a fraction of the parsing cost.
/// </summary>
/// <remarks>
/// Contract: this set must list everything <c>PodSpecReader</c> reads (which is all the evaluator reads
/// of an object, for every covered kind and for Namespaces), wherever a pod can sit: at the root (Pod),
/// at <c>spec.template</c> (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController)
/// and at <c>spec.jobTemplate.spec.template</c> (CronJob). The tests hold the two together: decisions on
/// pruned and unpruned objects are compared over the samples, every violation example, generated pods
/// and fuzzed ones. Values of an unexpected JSON type are kept whole, so type errors are unchanged.
/// </remarks>
public static class PolicyFields
{
    private static readonly JsonFieldSet All = JsonFieldSet.All;

    private static readonly JsonFieldSet Metadata = JsonFieldSet.Object(
        ("name", All),
        ("generateName", All),
        ("labels", All),
        ("annotations", All),
        ("deletionTimestamp", All));

    private static readonly JsonFieldSet SeccompProfile = JsonFieldSet.Object(("type", All));

    private static readonly JsonFieldSet Container = JsonFieldSet.Object(
        ("name", All),
        ("securityContext", JsonFieldSet.Object(("privileged", All), ("seccompProfile", SeccompProfile))));

    private static readonly JsonFieldSet Requirements = JsonFieldSet.ArrayOf(JsonFieldSet.Object(("key", All), ("operator", All), ("values", All)));

    private static readonly (string, JsonFieldSet)[] PodSpecFields =
    [
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
        ("volumes", JsonFieldSet.ArrayOf(JsonFieldSet.Object(("name", All), ("hostPath", All)))),
    ];

    private static readonly JsonFieldSet PodTemplate = JsonFieldSet.Object(("metadata", Metadata), ("spec", JsonFieldSet.Object(PodSpecFields)));

    /// <summary>The fields of an admission object of any kind that the policy reads.</summary>
    public static JsonFieldSet Object { get; } = JsonFieldSet.Object(
        ("metadata", Metadata),
        ("spec", JsonFieldSet.Object([
            .. PodSpecFields,
            ("template", PodTemplate),
            ("jobTemplate", JsonFieldSet.Object(("spec", JsonFieldSet.Object(("template", PodTemplate))))),
        ])));
}
