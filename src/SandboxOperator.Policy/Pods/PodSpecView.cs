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
    /// <summary>The field path for messages, e.g. <c>spec.initContainers[0]</c> ("setup").</summary>
    public string Describe(int index) => Kind switch
    {
        ContainerKind.InitContainer => $"init container \"{Name}\"",
        ContainerKind.EphemeralContainer => $"ephemeral container \"{Name}\"",
        _ => $"container \"{Name}\"",
    };
}

/// <summary>A pod toleration; absent fields are empty strings.</summary>
public sealed record Toleration(string Key, string Operator, string Value, string Effect);

/// <summary>One node selector term: all expressions and field expressions must hold.</summary>
public sealed record NodeSelectorTerm(IReadOnlyList<NodeSelectorRequirement> MatchExpressions, IReadOnlyList<NodeSelectorRequirement> MatchFields, bool HasMatchExpressionsArray = true);

/// <summary>A node selector requirement (In, NotIn, Exists, DoesNotExist, Gt, Lt).</summary>
public sealed record NodeSelectorRequirement(string Key, string Operator, IReadOnlyList<string> Values);
