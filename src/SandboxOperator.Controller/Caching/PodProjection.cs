using System.Text.Json;
using k8s;
using k8s.Models;
using SandboxOperator.Policy.Pods;

namespace SandboxOperator.Controller.Caching;

/// <summary>
/// Turns a <see cref="V1Pod"/> into <see cref="PodFacts"/> with the core's own <see cref="PodSpecReader"/>, so the
/// controller reads a pod exactly as the webhook does, then drops what no decision needs.
/// </summary>
public static class PodProjection
{
    internal static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>(0);
    private static readonly IReadOnlyList<ContainerView> NoContainers = [];

    public static PodFacts Project(V1Pod pod)
    {
        var ns = pod.Metadata?.NamespaceProperty ?? "";
        var name = pod.Metadata?.Name ?? "";
        var uid = pod.Metadata?.Uid ?? "";
        var phase = pod.Status?.Phase;
        var bytes = KubernetesJson.Serialize(pod);
        using var doc = JsonDocument.Parse(bytes);
        var (view, errors) = PodSpecReader.Read(doc.RootElement);
        if (view is null)
        {
            return new PodFacts(ns, name, uid, phase, null, string.Join("; ", errors.Take(3)));
        }

        var kept = view.Containers.Where(c => c.Privileged || c.SeccompType == "Unconfined").ToArray();
        var compact = view with
        {
            Annotations = NoLabels,
            HasAnnotationsObject = false,
            GenerateName = null,
            Containers = kept.Length == 0 ? NoContainers : kept,
            Labels = view.Labels.Count == 0 ? NoLabels : view.Labels,
            NodeSelector = view.NodeSelector.Count == 0 ? NoLabels : view.NodeSelector,
        };
        return new PodFacts(ns, name, uid, phase, compact, null);
    }
}
