using System.Text.Json;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Json;

namespace SandboxOperator.Policy.Pods;

/// <summary>
/// Reads a <see cref="PodSpecView"/> from a pod or pod template JSON object (one with <c>metadata</c>
/// and <c>spec</c>). Fields of the wrong JSON type are reported as <see cref="FieldError"/>s with their
/// path (prefixed by the path prefix given, e.g. <c>spec.template.</c>); the policy fails
/// closed on them instead of guessing.
/// </summary>
/// <remarks>
/// It reads only the fields declared in the field set given to <see cref="Read"/> (by default
/// <see cref="Decisions.PolicyFields.Pod"/>): reading anything else throws <see cref="UndeclaredFieldException"/>.
/// It reads at most <see cref="MaxEntries"/> list elements and map entries; an object with more is an error.
/// </remarks>
public static class PodSpecReader
{
    /// <summary>
    /// The most list elements and map entries read from one object, all lists and maps the policy reads
    /// together (labels, annotations, node selector, tolerations, node affinity terms and their requirements,
    /// containers, volumes). Real pods use a few dozen; the limit bounds the work and the patch per object.
    /// </summary>
    public const int MaxEntries = 2048;

    /// <param name="fields">The declaration of what may be read at the pod's root; <see cref="Decisions.PolicyFields.Pod"/> when null.</param>
    public static (PodSpecView? View, IReadOnlyList<FieldError> Errors) Read(JsonElement obj, string pathPrefix = "", JsonFieldSet? fields = null)
    {
        var r = new FieldReader(pathPrefix, MaxEntries);
        if (r.Root(obj, fields ?? Decisions.PolicyFields.Pod) is not { } pod)
        {
            return (null, r.Errors);
        }

        var meta = r.Object(pod, "metadata"u8, "metadata");
        var spec = r.Object(pod, "spec"u8, "spec");
        IReadOnlyDictionary<string, string> labels = PodSpecView.Empty;
        string? reasons = null;
        bool hasLabels = false, hasAnnotations = false, deleting = false;
        string? name = null, generateName = null;
        IReadOnlyList<OwnerKind> owners = [];
        if (meta is { } m)
        {
            name = r.String(m, "name"u8, "metadata.name");
            generateName = r.String(m, "generateName"u8, "metadata.generateName");
            hasLabels = r.StringMap(m, "labels"u8, "metadata.labels", out labels);
            hasAnnotations = ReadAnnotations(r, m, out reasons);
            deleting = FieldReader.Has(m, "deletionTimestamp"u8);
            owners = ReadOwners(r, m) ?? owners;
        }

        var view = new PodSpecView
        {
            Name = name,
            GenerateName = generateName,
            Labels = labels,
            HasLabelsObject = hasLabels,
            ReasonsAnnotation = reasons,
            HasAnnotationsObject = hasAnnotations,
            HasMetadataObject = meta is not null,
            BeingDeleted = deleting,
            Owners = owners,
        };
        if (spec is { } s)
        {
            view = WithSpec(r, s, view);
        }

        return r.Errors.Count > 0 ? (null, r.Errors) : (view, r.Errors);
    }

    /// <summary>Adds what the policy reads from <c>spec</c> to <paramref name="view"/>.</summary>
    private static PodSpecView WithSpec(FieldReader r, FieldNode s, PodSpecView view)
    {
        var rcSet = FieldReader.Has(s, "runtimeClassName"u8);
        var runtimeClass = r.String(s, "runtimeClassName"u8, "spec.runtimeClassName");
        r.StringMap(s, "nodeSelector"u8, "spec.nodeSelector", out var nodeSelector);

        var tolerations = new List<Toleration>();
        var hasTolerations = false;
        if (r.Array(s, "tolerations"u8, "spec.tolerations") is { } tolArr)
        {
            hasTolerations = true;
            var i = 0;
            foreach (var element in tolArr.Element.EnumerateArray())
            {
                var at = new FieldPath("spec.tolerations", i++);
                if (!r.Take(at))
                {
                    break;
                }

                var t = tolArr.Item(element);
                if (element.ValueKind != JsonValueKind.Object)
                {
                    r.Error(at, $"must be an object, got {AgentWorkloadReader.Describe(element)}");
                    continue;
                }

                tolerations.Add(new Toleration(
                    r.String(t, "key"u8, at.Then("key")) ?? "",
                    r.String(t, "operator"u8, at.Then("operator")) ?? "",
                    r.String(t, "value"u8, at.Then("value")) ?? "",
                    r.String(t, "effect"u8, at.Then("effect")) ?? ""));
            }
        }

        bool hasAffinity = false, hasNodeAffinity = false, hasRequired = false;
        List<NodeSelectorTerm>? terms = null;
        if (r.Object(s, "affinity"u8, "spec.affinity") is { } aff)
        {
            hasAffinity = true;
            if (r.Object(aff, "nodeAffinity"u8, "spec.affinity.nodeAffinity") is { } na)
            {
                hasNodeAffinity = true;
                const string reqPath = "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution";
                if (r.Object(na, "requiredDuringSchedulingIgnoredDuringExecution"u8, reqPath) is { } req)
                {
                    hasRequired = true;
                    terms = [];
                    if (r.Array(req, "nodeSelectorTerms"u8, reqPath + ".nodeSelectorTerms") is { } termArr)
                    {
                        var i = 0;
                        foreach (var element in termArr.Element.EnumerateArray())
                        {
                            var at = new FieldPath(reqPath + ".nodeSelectorTerms", i++);
                            if (!r.Take(at))
                            {
                                break;
                            }

                            if (element.ValueKind != JsonValueKind.Object)
                            {
                                r.Error(at, $"must be an object, got {AgentWorkloadReader.Describe(element)}");
                                continue;
                            }

                            var term = termArr.Item(element);
                            var expressions = r.Array(term, "matchExpressions"u8, at.Then("matchExpressions"));
                            terms.Add(new NodeSelectorTerm(
                                ReadRequirements(r, expressions, at.Then("matchExpressions")),
                                ReadRequirements(r, r.Array(term, "matchFields"u8, at.Then("matchFields")), at.Then("matchFields")),
                                expressions is not null));
                        }
                    }
                }
            }
        }

        string? podSeccomp = null;
        var hasPodSc = false;
        if (r.Object(s, "securityContext"u8, "spec.securityContext") is { } psc)
        {
            hasPodSc = true;
            podSeccomp = ReadSeccompType(r, psc, "spec.securityContext");
        }

        var containers = new List<ContainerView>();
        ReadContainers(r, s, "initContainers"u8, "spec.initContainers", ContainerKind.InitContainer, containers);
        ReadContainers(r, s, "containers"u8, "spec.containers", ContainerKind.Container, containers);
        ReadContainers(r, s, "ephemeralContainers"u8, "spec.ephemeralContainers", ContainerKind.EphemeralContainer, containers);

        var hostPaths = new List<string>();
        List<HostDeviceVolume>? devices = null;
        if (r.Array(s, "volumes"u8, "spec.volumes") is { } vols)
        {
            var i = 0;
            foreach (var element in vols.Element.EnumerateArray())
            {
                var at = new FieldPath("spec.volumes", i++);
                if (!r.Take(at))
                {
                    break;
                }

                if (element.ValueKind != JsonValueKind.Object)
                {
                    r.Error(at, $"must be an object, got {AgentWorkloadReader.Describe(element)}");
                    continue;
                }

                var v = vols.Item(element);
                if (FieldReader.Has(v, "hostPath"u8))
                {
                    // Any value but null counts as a hostPath (the host-path rule); only a well-formed one names a device.
                    var volume = r.String(v, "name"u8, at.Then("name")) ?? $"volumes[{i - 1}]";
                    hostPaths.Add(volume);
                    if (HostDevice(v.Element.GetProperty("hostPath"u8)) is { } path)
                    {
                        (devices ??= []).Add(new HostDeviceVolume(volume, path));
                    }
                }
            }
        }

        return view with
        {
            RuntimeClassNameSet = rcSet,
            RuntimeClassName = runtimeClass,
            NodeName = r.String(s, "nodeName"u8, "spec.nodeName"),
            NodeSelector = nodeSelector,
            Tolerations = tolerations,
            HasTolerationsArray = hasTolerations,
            HasAffinityObject = hasAffinity,
            HasNodeAffinityObject = hasNodeAffinity,
            HasRequiredNodeAffinityObject = hasRequired,
            RequiredNodeTerms = terms,
            HostNetwork = r.Bool(s, "hostNetwork"u8, "spec.hostNetwork"),
            HostPid = r.Bool(s, "hostPID"u8, "spec.hostPID"),
            HostIpc = r.Bool(s, "hostIPC"u8, "spec.hostIPC"),
            HasPodSecurityContextObject = hasPodSc,
            PodSeccompType = podSeccomp,
            Containers = containers,
            HostPathVolumes = hostPaths,
            HostDevices = devices,
        };
    }

    /// <summary>Checks that annotations are strings and keeps only the operator's own; returns whether the object exists.</summary>
    private static bool ReadAnnotations(FieldReader r, FieldNode meta, out string? reasons)
    {
        reasons = null;
        if (r.Object(meta, "annotations"u8, "metadata.annotations") is not { } obj)
        {
            return false;
        }

        foreach (var p in obj.Element.EnumerateObject())
        {
            if (!r.Take("metadata.annotations"))
            {
                break;
            }

            if (p.Value.ValueKind != JsonValueKind.String)
            {
                r.Error(new FieldPath("metadata.annotations", Tail: p.Name), $"must be a string, got {AgentWorkloadReader.Describe(p.Value)}");
            }
            else if (p.NameEquals(WellKnown.ReasonsAnnotation))
            {
                reasons = p.Value.GetString();
            }
        }

        return true;
    }

    internal static void ReadContainers(FieldReader r, FieldNode spec, ReadOnlySpan<byte> prop, string path, ContainerKind kind, List<ContainerView> into)
    {
        if (r.Array(spec, prop, path) is not { } arr)
        {
            return;
        }

        var i = 0;
        foreach (var element in arr.Element.EnumerateArray())
        {
            var at = new FieldPath(path, i);
            if (!r.Take(at))
            {
                break;
            }

            if (element.ValueKind != JsonValueKind.Object)
            {
                r.Error(at, $"must be an object, got {AgentWorkloadReader.Describe(element)}");
                i++;
                continue;
            }

            var c = arr.Item(element);
            var name = r.String(c, "name"u8, at.Then("name")) ?? $"#{i}";
            var privileged = false;
            string? seccomp = null;
            if (r.Object(c, "securityContext"u8, at.Then("securityContext")) is { } sc)
            {
                privileged = r.Bool(sc, "privileged"u8, at.Then("securityContext.privileged"));
                seccomp = ReadSeccompType(r, sc, at.Then("securityContext"));
            }

            into.Add(new ContainerView(kind, name, privileged, seccomp)
            {
                Gpus = ReadGpus(r, c, at),
                BidirectionalMounts = ReadBidirectionalMounts(r, c, at),
            });
            i++;
        }
    }

    /// <summary>
    /// The path of a hostPath volume source that reaches a host device (under <c>/dev</c>, or of type <c>CharDevice</c>
    /// or <c>BlockDevice</c>; "" when such a type has no path), or null. hostPath is declared whole, so it is read here.
    /// </summary>
    private static string? HostDevice(JsonElement hostPath)
    {
        if (hostPath.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var path = hostPath.TryGetProperty("path"u8, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "";
        var device = hostPath.TryGetProperty("type"u8, out var t) && t.ValueKind == JsonValueKind.String && (t.ValueEquals("CharDevice"u8) || t.ValueEquals("BlockDevice"u8));
        return device || path == "/dev" || path.StartsWith("/dev/", StringComparison.Ordinal) ? path : null;
    }

    /// <summary>The pod's own owner references, as kind and group; errors for entries of the wrong shape.</summary>
    private static List<OwnerKind>? ReadOwners(FieldReader r, FieldNode meta)
    {
        if (r.Array(meta, "ownerReferences"u8, "metadata.ownerReferences") is not { } arr)
        {
            return null;
        }

        var owners = new List<OwnerKind>(arr.Element.GetArrayLength());
        var i = 0;
        foreach (var element in arr.Element.EnumerateArray())
        {
            var at = new FieldPath("metadata.ownerReferences", i++);
            if (!r.Take(at))
            {
                break;
            }

            if (element.ValueKind != JsonValueKind.Object)
            {
                r.Error(at, $"must be an object, got {AgentWorkloadReader.Describe(element)}");
                continue;
            }

            var o = arr.Item(element);
            owners.Add(new OwnerKind(r.String(o, "kind"u8, at.Then("kind")) ?? "", OwnerKind.GroupOf(r.String(o, "apiVersion"u8, at.Then("apiVersion")) ?? "")));
        }

        return owners;
    }

    /// <summary>
    /// The GPU resources among <c>resources.limits</c> and <c>resources.requests</c>. The names cpu, memory and
    /// ephemeral-storage are recognised without allocating and are not counted against <see cref="MaxEntries"/>, so
    /// ordinary containers allocate nothing here.
    /// </summary>
    private static List<string>? ReadGpus(FieldReader r, FieldNode container, FieldPath at)
    {
        if (r.Object(container, "resources"u8, at.Then("resources")) is not { } res)
        {
            return null;
        }

        List<string>? gpus = null;
        AddGpus(r, r.Object(res, "limits"u8, at.Then("resources.limits")), at.Then("resources.limits"), ref gpus);
        AddGpus(r, r.Object(res, "requests"u8, at.Then("resources.requests")), at.Then("resources.requests"), ref gpus);
        return gpus;
    }

    private static void AddGpus(FieldReader r, FieldNode? map, FieldPath at, ref List<string>? gpus)
    {
        if (map is not { } m)
        {
            return;
        }

        foreach (var p in m.Element.EnumerateObject())
        {
            // The standard resources are passed over before they count against the entries read: every container has
            // them, and a pod of many containers must not become unreadable because the policy now looks for GPUs.
            if (p.NameEquals("cpu"u8) || p.NameEquals("memory"u8) || p.NameEquals("ephemeral-storage"u8))
            {
                continue;
            }

            if (!r.Take(at))
            {
                break;
            }

            var name = p.Name;
            if (GpuResources.IsGpu(name) && (gpus is null || !gpus.Contains(name)))
            {
                (gpus ??= []).Add(name);
            }
        }
    }

    /// <summary>The volumes a container mounts with <c>mountPropagation: Bidirectional</c>.</summary>
    private static List<string>? ReadBidirectionalMounts(FieldReader r, FieldNode container, FieldPath at)
    {
        if (r.Array(container, "volumeMounts"u8, at.Then("volumeMounts")) is not { } arr)
        {
            return null;
        }

        List<string>? mounts = null;
        var list = at.Then("volumeMounts");
        var i = 0;
        foreach (var element in arr.Element.EnumerateArray())
        {
            var index = i++;
            if (!r.Take(list))
            {
                break;
            }

            if (element.ValueKind != JsonValueKind.Object)
            {
                r.Error(list.Element(index), $"must be an object, got {AgentWorkloadReader.Describe(element)}");
                continue;
            }

            var m = arr.Item(element);
            if (r.String(m, "mountPropagation"u8, list.Element(index, "mountPropagation")) == "Bidirectional")
            {
                (mounts ??= []).Add(r.String(m, "name"u8, list.Element(index, "name")) ?? $"volumeMounts[{index}]");
            }
        }

        return mounts;
    }

    private static string? ReadSeccompType(FieldReader r, FieldNode securityContext, FieldPath at)
    {
        if (r.Object(securityContext, "seccompProfile"u8, at.Then("seccompProfile")) is not { } sp)
        {
            return null;
        }

        // A profile object without a type is invalid in Kubernetes; treat it as "set" but unknown.
        return r.String(sp, "type"u8, at.Then("seccompProfile.type")) ?? "";
    }

    /// <param name="at">The list's path, e.g. <c>…nodeSelectorTerms[0].matchExpressions</c>; element paths are formatted only for errors.</param>
    private static List<NodeSelectorRequirement> ReadRequirements(FieldReader r, FieldNode? requirements, FieldPath at)
    {
        if (requirements is not { } arr)
        {
            return [];
        }

        var list = new List<NodeSelectorRequirement>(Math.Min(arr.Element.GetArrayLength(), 16));
        var i = 0;
        foreach (var element in arr.Element.EnumerateArray())
        {
            var index = i++;
            if (!r.Take(at.Element(index)))
            {
                break;
            }

            if (element.ValueKind != JsonValueKind.Object)
            {
                r.Error(at.Element(index), $"must be an object, got {AgentWorkloadReader.Describe(element)}");
                continue;
            }

            var e = arr.Item(element);
            var values = new List<string>();
            if (r.Array(e, "values"u8, at.Element(index, "values")) is { } vals)
            {
                var j = 0;
                foreach (var v in vals.Element.EnumerateArray())
                {
                    if (!r.Take(at.Element(index, "values")))
                    {
                        break;
                    }

                    if (v.ValueKind == JsonValueKind.String)
                    {
                        values.Add(v.GetString()!);
                    }
                    else
                    {
                        r.Error($"{at.Element(index, "values")}[{j}]", $"must be a string, got {AgentWorkloadReader.Describe(v)}");
                    }

                    j++;
                }
            }

            list.Add(new NodeSelectorRequirement(r.String(e, "key"u8, at.Element(index, "key")) ?? "", r.String(e, "operator"u8, at.Element(index, "operator")) ?? "", values));
        }

        return list;
    }
}
