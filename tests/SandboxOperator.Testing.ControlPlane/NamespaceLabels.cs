using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace SandboxOperator.Testing.ControlPlane;

/// <summary>
/// The <c>kubernetes.io/metadata.name</c> label, which API servers from 1.21 on put on every namespace
/// and which the chart's webhook namespaceSelector relies on to exclude kube-system and the release
/// namespace. Older API servers (the 1.20 built here) do not set it, so namespaces get it from here, as
/// a newer server would give it; the webhooks then select exactly what they select on a current cluster.
/// </summary>
/// <remarks>
/// A namespace created by something else (kubectl apply of the samples) lacks the label on 1.20; the
/// selector's <c>NotIn</c> matches a missing label, so such a namespace is covered, as it is on 1.21+.
/// </remarks>
public static class NamespaceLabels
{
    public const string MetadataName = "kubernetes.io/metadata.name";

    /// <summary>Whether the API server labels namespaces itself.</summary>
    public static bool ServerLabels(ControlPlane controlPlane) => controlPlane.Version >= new Version(1, 21);

    /// <summary>Creates namespace <paramref name="name"/> with <paramref name="labels"/> (and the name label); an existing one is labelled.</summary>
    public static async Task CreateAsync(ControlPlane controlPlane, string name, IReadOnlyDictionary<string, string>? labels = null, CancellationToken cancellationToken = default)
    {
        var all = new Dictionary<string, string>(labels ?? new Dictionary<string, string>()) { [MetadataName] = name };
        try
        {
            await controlPlane.Admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name, Labels = all } }, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            await LabelAsync(controlPlane, name, all, cancellationToken);
        }
    }

    /// <summary>Gives every existing namespace the name label, where the server does not (kube-system, default, ...).</summary>
    public static async Task LabelExistingAsync(ControlPlane controlPlane, CancellationToken cancellationToken = default)
    {
        if (ServerLabels(controlPlane))
        {
            return;
        }

        foreach (var ns in (await controlPlane.Admin.CoreV1.ListNamespaceAsync(cancellationToken: cancellationToken)).Items)
        {
            if (ns.Metadata.Labels?.ContainsKey(MetadataName) != true)
            {
                await LabelAsync(controlPlane, ns.Metadata.Name, new Dictionary<string, string> { [MetadataName] = ns.Metadata.Name }, cancellationToken);
            }
        }
    }

    private static Task<V1Namespace> LabelAsync(ControlPlane controlPlane, string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken) =>
        controlPlane.Admin.CoreV1.PatchNamespaceAsync(
            new V1Patch(new { metadata = new { labels } }, V1Patch.PatchType.MergePatch), name, cancellationToken: cancellationToken);
}
