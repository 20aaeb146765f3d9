using System.Text.Json;
using k8s;
using k8s.Models;
using SandboxOperator.Policy.Pods;

namespace SandboxOperator.Controller.Caching;

/// <summary>
/// Turns a <see cref="V1Pod"/> into <see cref="PodFacts"/> with the core's own <see cref="PodSpecReader"/>, so the
/// controller reads a pod exactly as the webhook does, then drops what no decision needs and shares recurring strings.
/// </summary>
/// <remarks>
/// Before reading, the pod is cut down to the fields <see cref="PodSpecReader"/> inspects (metadata name, namespace,
/// labels and deletionTimestamp; spec runtimeClassName, nodeName, nodeSelector, tolerations, affinity.nodeAffinity,
/// host namespaces, securityContext, every container's name and securityContext, every volume's name and hostPath),
/// which makes the JSON round trip several times cheaper. Tests compare the result with the webhook's verdict on the
/// full pod.
/// </remarks>
public sealed class PodProjection
{
    internal static readonly IReadOnlyDictionary<string, string> NoLabels = CompactDictionary.Empty;
    private static readonly IReadOnlyList<ContainerView> NoContainers = [];
    private static readonly PodProjection Shared = new();

    private readonly ValuePool<string> _strings = new();
    private readonly ValuePool<Toleration> _tolerations = new(4096);

    /// <summary>Projects with a process-wide pool.</summary>
    public static PodFacts Project(V1Pod pod) => Shared.ProjectPod(pod);

    public PodFacts ProjectPod(V1Pod pod)
    {
        var ns = _strings.Share(pod.Metadata?.NamespaceProperty ?? "");
        var name = pod.Metadata?.Name ?? "";
        var uid = pod.Metadata?.Uid ?? "";
        var phase = pod.Status?.Phase is { } p ? _strings.Share(p) : null;
        var json = KubernetesJson.Serialize(Trim(pod));
        using var doc = JsonDocument.Parse(json);
        var (view, errors) = PodSpecReader.Read(doc.RootElement);
        if (view is null)
        {
            return new PodFacts(ns, name, uid, phase, null, string.Join("; ", errors.Take(3)));
        }

        var kept = view.Containers.Where(c => c.Privileged || c.SeccompType == "Unconfined").ToArray();
        var compact = view with
        {
            ReasonsAnnotation = null,
            HasAnnotationsObject = false,
            GenerateName = null,
            Containers = kept.Length == 0 ? NoContainers : kept,
            Labels = CompactDictionary.From(view.Labels, _strings),
            NodeSelector = CompactDictionary.From(view.NodeSelector, _strings),
            Tolerations = view.Tolerations.Count == 0 ? [] : view.Tolerations.Select(_tolerations.Share).ToArray(),
            RuntimeClassName = view.RuntimeClassName is { } rc ? _strings.Share(rc) : null,
            NodeName = view.NodeName is { } nn ? _strings.Share(nn) : null,
            PodSeccompType = view.PodSeccompType is { } st ? _strings.Share(st) : null,
        };
        return new PodFacts(ns, name, uid, phase, compact, null);
    }

    /// <summary>A copy holding only what <see cref="PodSpecReader"/> reads.</summary>
    private static V1Pod Trim(V1Pod pod)
    {
        var m = pod.Metadata;
        var s = pod.Spec;
        return new V1Pod
        {
            Metadata = m is null ? null : new V1ObjectMeta { Name = m.Name, GenerateName = m.GenerateName, NamespaceProperty = m.NamespaceProperty, Labels = m.Labels, DeletionTimestamp = m.DeletionTimestamp },
            Spec = s is null ? null : new V1PodSpec
            {
                RuntimeClassName = s.RuntimeClassName,
                NodeName = s.NodeName,
                NodeSelector = s.NodeSelector,
                Tolerations = s.Tolerations,
                Affinity = s.Affinity is null ? null : new V1Affinity { NodeAffinity = s.Affinity.NodeAffinity },
                HostNetwork = s.HostNetwork,
                HostPID = s.HostPID,
                HostIPC = s.HostIPC,
                SecurityContext = s.SecurityContext,
                Containers = s.Containers?.Select(c => new V1Container { Name = c.Name, SecurityContext = c.SecurityContext }).ToList(),
                InitContainers = s.InitContainers?.Select(c => new V1Container { Name = c.Name, SecurityContext = c.SecurityContext }).ToList(),
                EphemeralContainers = s.EphemeralContainers?.Select(c => new V1EphemeralContainer { Name = c.Name, SecurityContext = c.SecurityContext }).ToList(),
                Volumes = s.Volumes?.Select(v => new V1Volume { Name = v.Name, HostPath = v.HostPath }).ToList(),
            },
        };
    }
}
