namespace SandboxOperator.Testing.KubeApi;

/// <summary>The resource types every <see cref="KubeApiServer"/> registers at start.</summary>
public static class BuiltInResources
{
    /// <summary>v1 pods (namespaced, status subresource).</summary>
    public static readonly ResourceType Pods = new("", "v1", "Pod", "pods", Namespaced: true, HasStatus: true, ReturnsDeletedObject: true);

    /// <summary>v1 namespaces (cluster-scoped, status subresource). Deleting one does not cascade.</summary>
    public static readonly ResourceType Namespaces = new("", "v1", "Namespace", "namespaces", Namespaced: false, HasStatus: true, ReturnsDeletedObject: true);

    /// <summary>v1 nodes (cluster-scoped, status subresource).</summary>
    public static readonly ResourceType Nodes = new("", "v1", "Node", "nodes", Namespaced: false, HasStatus: true);

    /// <summary>v1 events (core group). Caveat: stored apart from <see cref="Events"/>, unlike on a real server where both are views of one store.</summary>
    public static readonly ResourceType CoreEvents = new("", "v1", "Event", "events", Namespaced: true, HasStatus: false);

    /// <summary>v1 secrets.</summary>
    public static readonly ResourceType Secrets = new("", "v1", "Secret", "secrets", Namespaced: true, HasStatus: false);

    /// <summary>v1 configmaps.</summary>
    public static readonly ResourceType ConfigMaps = new("", "v1", "ConfigMap", "configmaps", Namespaced: true, HasStatus: false);

    /// <summary>node.k8s.io/v1 runtimeclasses (cluster-scoped).</summary>
    public static readonly ResourceType RuntimeClasses = new("node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", Namespaced: false, HasStatus: false);

    /// <summary>coordination.k8s.io/v1 leases, as used by leader election.</summary>
    public static readonly ResourceType Leases = new("coordination.k8s.io", "v1", "Lease", "leases", Namespaced: true, HasStatus: false);

    /// <summary>events.k8s.io/v1 events.</summary>
    public static readonly ResourceType Events = new("events.k8s.io", "v1", "Event", "events", Namespaced: true, HasStatus: false);

    /// <summary>admissionregistration.k8s.io/v1 mutatingwebhookconfigurations (cluster-scoped; stored only, never called).</summary>
    public static readonly ResourceType MutatingWebhookConfigurations =
        new("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", Namespaced: false, HasStatus: false);

    /// <summary>admissionregistration.k8s.io/v1 validatingwebhookconfigurations (cluster-scoped; stored only, never called).</summary>
    public static readonly ResourceType ValidatingWebhookConfigurations =
        new("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", Namespaced: false, HasStatus: false);

    /// <summary>apps/v1 deployments (status subresource; no controller acts on them).</summary>
    public static readonly ResourceType Deployments = new("apps", "v1", "Deployment", "deployments", Namespaced: true, HasStatus: true);

    /// <summary>All of the above, in registration order.</summary>
    public static IReadOnlyList<ResourceType> All { get; } =
    [
        Pods, Namespaces, Nodes, CoreEvents, Secrets, ConfigMaps, RuntimeClasses, Leases, Events,
        MutatingWebhookConfigurations, ValidatingWebhookConfigurations, Deployments,
    ];
}
