namespace SandboxOperator.Policy.Decisions;

/// <summary>Where the pod lives inside each kind the policy covers.</summary>
public static class PodTemplates
{
    /// <summary>
    /// The JSON path segments from the object to its pod (empty for a Pod), or null for kinds the
    /// policy does not cover. Group names are exact (<c>apps</c>, <c>batch</c>, "" for core).
    /// </summary>
    public static string[]? PathTo(string group, string kind) => (group, kind) switch
    {
        ("", "Pod") => [],
        ("apps", "Deployment" or "ReplicaSet" or "StatefulSet" or "DaemonSet") => ["spec", "template"],
        ("batch", "Job") => ["spec", "template"],
        ("", "ReplicationController") => ["spec", "template"],
        ("batch", "CronJob") => ["spec", "jobTemplate", "spec", "template"],
        _ => null,
    };

    /// <summary>True for the pod controller kinds (everything covered but Pod).</summary>
    public static bool IsController(string group, string kind) => PathTo(group, kind) is { Length: > 0 };
}
