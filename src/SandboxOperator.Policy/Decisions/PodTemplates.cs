namespace SandboxOperator.Policy.Decisions;

/// <summary>Where the pod sits in each kind the policy covers.</summary>
public static class PodTemplates
{
    private static readonly string[] AtRoot = [];
    private static readonly string[] Template = ["spec", "template"];
    private static readonly string[] CronJobTemplate = ["spec", "jobTemplate", "spec", "template"];

    /// <summary>Every path at which a covered kind holds its pod (the root of a Pod included).</summary>
    public static IReadOnlyList<string[]> Paths { get; } = [AtRoot, Template, CronJobTemplate];

    /// <summary>
    /// The JSON path segments from the object to its pod (empty for a Pod), or null for kinds the
    /// policy does not cover. Group names are exact (<c>apps</c>, <c>batch</c>, "" for core).
    /// </summary>
    public static string[]? PathTo(string group, string kind) => (group, kind) switch
    {
        ("", "Pod") => AtRoot,
        ("apps", "Deployment" or "ReplicaSet" or "StatefulSet" or "DaemonSet") => Template,
        ("batch", "Job") => Template,
        ("", "ReplicationController") => Template,
        ("batch", "CronJob") => CronJobTemplate,
        _ => null,
    };

    private static readonly Pods.OwnerKind[] OwnedByReplicaSet = [new("ReplicaSet", "apps")];
    private static readonly Pods.OwnerKind[] OwnedByStatefulSet = [new("StatefulSet", "apps")];
    private static readonly Pods.OwnerKind[] OwnedByDaemonSet = [new("DaemonSet", "apps")];
    private static readonly Pods.OwnerKind[] OwnedByJob = [new("Job", "batch")];
    private static readonly Pods.OwnerKind[] OwnedByReplicationController = [new("ReplicationController", "")];

    /// <summary>
    /// The owner reference the pods of a controller's template will carry, which classification rules match as they
    /// match a pod's own: a Deployment's pods are owned by its ReplicaSets, a CronJob's by its Jobs, the other
    /// controllers' by the controller itself. Empty for a Pod and for kinds the policy does not cover.
    /// </summary>
    public static IReadOnlyList<Pods.OwnerKind> OwnerOfPods(string group, string kind) => (group, kind) switch
    {
        ("apps", "Deployment" or "ReplicaSet") => OwnedByReplicaSet,
        ("apps", "StatefulSet") => OwnedByStatefulSet,
        ("apps", "DaemonSet") => OwnedByDaemonSet,
        ("batch", "Job" or "CronJob") => OwnedByJob,
        ("", "ReplicationController") => OwnedByReplicationController,
        _ => [],
    };

    /// <summary>True for the pod controller kinds (everything covered but Pod).</summary>
    public static bool IsController(string group, string kind) => PathTo(group, kind) is { Length: > 0 };
}
