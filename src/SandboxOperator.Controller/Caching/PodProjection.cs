using System.Text.Json;
using k8s;
using k8s.Models;
using SandboxOperator.Policy.Edge;
using SandboxOperator.Policy.Pods;

namespace SandboxOperator.Controller.Caching;

/// <summary>
/// Turns a <see cref="V1Pod"/> into <see cref="PodFacts"/> with the core's own <see cref="PodSpecReader"/>, so the
/// controller reads a pod exactly as the webhook does, then shares recurring strings.
/// </summary>
/// <remarks>
/// The whole pod is serialized and read: the reader itself reads only what <see cref="Policy.Decisions.PolicyFields"/>
/// declares, so there is no second list of fields to keep in step with it. Tests compare the result with the
/// webhook's verdict on the full pod.
/// </remarks>
public sealed class PodProjection
{
    internal static readonly IReadOnlyDictionary<string, string> NoLabels = CompactDictionary.Empty;
    private static readonly IReadOnlyList<ContainerView> NoContainers = [];
    private static readonly PodProjection Shared = new();

    /// <summary>
    /// The serializer options KubernetesClient itself uses (its converters for quantities, int-or-string and times),
    /// taken once through its public hook so a pod becomes a document without an intermediate string.
    /// </summary>
    private static readonly JsonSerializerOptions KubernetesOptions = CaptureKubernetesOptions();

    private static JsonSerializerOptions CaptureKubernetesOptions()
    {
        JsonSerializerOptions? captured = null;
        KubernetesJson.AddJsonOptions(o => captured = o);
        return captured ?? throw new InvalidOperationException("KubernetesJson did not expose its serializer options");
    }

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
        using var doc = JsonSerializer.SerializeToDocument(pod, KubernetesOptions);
        var (view, errors) = PodSpecReader.Read(doc.RootElement);
        if (view is null)
        {
            return new PodFacts(ns, name, uid, phase, null, string.Join("; ", errors.Take(3)));
        }

        var compact = view with
        {
            ReasonsAnnotation = view.ReasonsAnnotation is { } reasons ? _strings.Share(reasons) : null,
            GenerateName = null,
            Containers = view.Containers.Count == 0 ? NoContainers : view.Containers.Select(c => new ContainerView(c.Kind, _strings.Share(c.Name), c.Privileged, c.SeccompType is { } t ? _strings.Share(t) : null)).ToArray(),
            Labels = CompactDictionary.From(view.Labels, _strings),
            NodeSelector = CompactDictionary.From(view.NodeSelector, _strings),
            Tolerations = view.Tolerations.Count == 0 ? [] : view.Tolerations.Select(_tolerations.Share).ToArray(),
            RuntimeClassName = view.RuntimeClassName is { } rc ? _strings.Share(rc) : null,
            NodeName = view.NodeName is { } nn ? _strings.Share(nn) : null,
            PodSeccompType = view.PodSeccompType is { } st ? _strings.Share(st) : null,
        };
        return new PodFacts(ns, name, uid, phase, compact, null) { Edge = EdgePodFacts.Read(doc.RootElement) };
    }
}
