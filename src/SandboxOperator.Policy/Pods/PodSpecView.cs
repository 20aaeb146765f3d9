namespace SandboxOperator.Policy.Pods;

/// <summary>
/// The parts of a pod (or pod template) the policy reads, copied out of the JSON so the document can
/// be released. It is a read-only view: the patch is computed against the original JSON, so fields this
/// type does not know are never touched.
/// </summary>
public sealed record PodSpecView
{
    public string? Name { get; init; }
    public string? GenerateName { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = Empty;
    /// <summary>Whether <c>metadata.labels</c> exists as an object (decides between adding the map and adding a key).</summary>
    public bool HasLabelsObject { get; init; }
    /// <summary>The value of the <c>agentsandbox.io/reasons</c> annotation, if present (other annotations are not kept).</summary>
    public string? ReasonsAnnotation { get; init; }
    public bool HasAnnotationsObject { get; init; }
    public bool HasMetadataObject { get; init; }
    public bool BeingDeleted { get; init; }
    /// <summary>The kind and API group of each of the pod's own <c>metadata.ownerReferences</c>, in order.</summary>
    public IReadOnlyList<OwnerKind> Owners { get; init; } = [];

    /// <summary>True when <c>spec.runtimeClassName</c> is present (even as an empty string).</summary>
    public bool RuntimeClassNameSet { get; init; }
    public string? RuntimeClassName { get; init; }
    public string? NodeName { get; init; }
    public IReadOnlyDictionary<string, string> NodeSelector { get; init; } = Empty;
    public IReadOnlyList<Toleration> Tolerations { get; init; } = [];
    public bool HasTolerationsArray { get; init; }
    public bool HasAffinityObject { get; init; }
    public bool HasNodeAffinityObject { get; init; }
    public bool HasRequiredNodeAffinityObject { get; init; }
    /// <summary>requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms (ORed); null when absent.</summary>
    public IReadOnlyList<NodeSelectorTerm>? RequiredNodeTerms { get; init; }
    public bool HostNetwork { get; init; }
    public bool HostPid { get; init; }
    public bool HostIpc { get; init; }
    public bool HasPodSecurityContextObject { get; init; }
    /// <summary>Pod-level seccomp profile type (RuntimeDefault, Localhost, Unconfined, …); null when absent.</summary>
    public string? PodSeccompType { get; init; }
    public IReadOnlyList<ContainerView> Containers { get; init; } = [];
    /// <summary>Names of volumes that use hostPath.</summary>
    public IReadOnlyList<string> HostPathVolumes { get; init; } = [];
    /// <summary>
    /// hostPath volumes that bring a host device into the pod: a path under <c>/dev</c>, or type <c>CharDevice</c> or
    /// <c>BlockDevice</c>. Null when there is none, so pods without any allocate nothing for it.
    /// </summary>
    public IReadOnlyList<HostDeviceVolume>? HostDevices { get; init; }

    /// <summary>A name for messages: the name, or <c>generateName*</c>, or <c>(unnamed)</c>.</summary>
    public string DisplayName => Name is { Length: > 0 } ? Name : GenerateName is { Length: > 0 } ? GenerateName + "*" : "(unnamed)";

    internal static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>(0);
}

/// <summary>Where a container is declared.</summary>
public enum ContainerKind
{
    Container,
    InitContainer,
    EphemeralContainer,
}

/// <summary>The security-relevant settings of one container.</summary>
public sealed record ContainerView(ContainerKind Kind, string Name, bool Privileged, string? SeccompType)
{
    /// <summary>
    /// GPU resources the container requests or limits (see <see cref="GpuResources.IsGpu"/>); null when none.
    /// </summary>
    public IReadOnlyList<string>? Gpus { get; init; }

    /// <summary>Volume names the container mounts with <c>mountPropagation: Bidirectional</c>; null when none.</summary>
    public IReadOnlyList<string>? BidirectionalMounts { get; init; }

    /// <summary>The field path for messages, e.g. <c>spec.initContainers[0]</c> ("setup").</summary>
    public string Describe(int index) => Kind switch
    {
        ContainerKind.InitContainer => $"init container \"{Name}\"",
        ContainerKind.EphemeralContainer => $"ephemeral container \"{Name}\"",
        _ => $"container \"{Name}\"",
    };
}

/// <summary>The kind and API group of an owner reference: <c>apps/v1</c> gives group <c>apps</c>, <c>v1</c> the core group "".</summary>
public sealed record OwnerKind(string Kind, string Group)
{
    /// <summary>The group of an <c>apiVersion</c>: the part before the slash, or "" for the core group.</summary>
    public static string GroupOf(string apiVersion)
    {
        var slash = apiVersion.IndexOf('/');
        return slash < 0 ? "" : apiVersion[..slash];
    }

    public override string ToString() => Group.Length == 0 ? Kind : $"{Kind}.{Group}";
}

/// <summary>A hostPath volume that reaches a host device.</summary>
public sealed record HostDeviceVolume(string Volume, string Path);

/// <summary>Which extended resources are GPUs.</summary>
public static class GpuResources
{
    /// <summary>
    /// True for the resources GPU device plugins advertise: everything under <c>nvidia.com/</c> (<c>gpu</c>,
    /// <c>mig-*</c>, <c>pgpu</c>) and <c>gpu.intel.com/</c>, and any resource named <c>&lt;vendor&gt;/gpu</c>
    /// (<c>amd.com/gpu</c>).
    /// </summary>
    public static bool IsGpu(string resource) =>
        resource.StartsWith("nvidia.com/", StringComparison.Ordinal)
        || resource.StartsWith("gpu.intel.com/", StringComparison.Ordinal)
        || resource.EndsWith("/gpu", StringComparison.Ordinal);
}

/// <summary>A pod toleration; absent fields are empty strings.</summary>
public sealed record Toleration(string Key, string Operator, string Value, string Effect);

/// <summary>One node selector term: all expressions and field expressions must hold.</summary>
public sealed record NodeSelectorTerm(IReadOnlyList<NodeSelectorRequirement> MatchExpressions, IReadOnlyList<NodeSelectorRequirement> MatchFields, bool HasMatchExpressionsArray = true);

/// <summary>A node selector requirement (In, NotIn, Exists, DoesNotExist, Gt, Lt).</summary>
public sealed record NodeSelectorRequirement(string Key, string Operator, IReadOnlyList<string> Values);
