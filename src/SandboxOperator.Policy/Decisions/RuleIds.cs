namespace SandboxOperator.Policy.Decisions;

/// <summary>
/// The id of every rule the policy enforces: the <see cref="Violation.Rule"/> of a finding, the <c>rule</c> label of
/// <c>agentsandbox_admission_denials_total</c>, and the ids docs/policy.md catalogues. Scripts, dashboards and
/// alerts key on these strings, so they never change.
/// </summary>
public static class RuleIds
{
    public const string KataRequired = "kata-required";
    public const string RuntimeTooWeak = "runtime-too-weak";
    public const string PoolSeparation = "pool-separation";
    public const string PoolUnreachable = "pool-unreachable";
    public const string SeccompUnconfined = "seccomp-unconfined";
    public const string SeccompMissing = "seccomp-missing";
    public const string HostNetwork = "host-network";
    public const string HostPid = "host-pid";
    public const string HostIpc = "host-ipc";
    public const string Privileged = "privileged";
    public const string HostPath = "host-path";
    public const string OperatorLabels = "operator-labels";
    public const string NamespaceLabels = "namespace-labels";
    /// <summary>Creating a SandboxException or changing its spec needs membership in <c>exceptions.adminGroups</c>.</summary>
    public const string ExceptionAdmin = "exception-admin";
    /// <summary>A SandboxException's <c>expiresAt</c> must be in the future and at most 90 days ahead.</summary>
    public const string ExceptionExpiry = "exception-expiry";

    /// <summary>A bound pod's node lacks its RuntimeClass's handler (the background audit only).</summary>
    public const string RuntimeHandlerMissing = "runtime-handler-missing";

    /// <summary>The object cannot be read as the policy needs it (a 400 denial, or a pod the audit cannot read).</summary>
    public const string Unreadable = "unreadable";

    /// <summary>The cluster state the decision needs is not known yet (a 503 denial: retry).</summary>
    public const string StateUnknown = "state-unknown";

    /// <summary>Every id above.</summary>
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        KataRequired, RuntimeTooWeak, PoolSeparation, PoolUnreachable, SeccompUnconfined, SeccompMissing,
        HostNetwork, HostPid, HostIpc, Privileged, HostPath, OperatorLabels, NamespaceLabels, ExceptionAdmin, ExceptionExpiry,
        RuntimeHandlerMissing, Unreadable, StateUnknown,
    };
}
