namespace SandboxOperator.Testing.ControlPlane;

/// <summary>A user the API server authenticates by a static bearer token, with the groups RBAC sees.</summary>
public sealed record ControlPlaneUser(string Name, params string[] Groups);

/// <summary>How a <see cref="ControlPlane"/> is started.</summary>
public sealed record ControlPlaneOptions
{
    /// <summary>Users besides <see cref="ControlPlane.AdminUser"/> (group system:masters); each gets a token and a kubeconfig.</summary>
    public IReadOnlyList<ControlPlaneUser> Users { get; init; } = [];

    /// <summary>Write the API server's audit log (level Metadata, every request) for tests that check what a client was answered.</summary>
    public bool AuditLog { get; init; }

    /// <summary>Run kube-controller-manager and kube-scheduler where the binaries exist (Deployments create pods, pods are bound to nodes).</summary>
    public bool RunControllers { get; init; } = true;

    /// <summary>Bound on each start-up wait (etcd healthy, API server ready, first service account token).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(120);
}
