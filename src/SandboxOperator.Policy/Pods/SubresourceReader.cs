using System.Text.Json;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Decisions;

namespace SandboxOperator.Policy.Pods;

/// <summary>
/// Reads the objects of the pod subresources the policy judges without the pod itself: a Binding's target node,
/// and the EphemeralContainers object that <c>pods/ephemeralcontainers</c> carries before Kubernetes 1.22. Like
/// <see cref="PodSpecReader"/>, it reads only what <see cref="PolicyFields.Object"/> declares.
/// </summary>
public static class SubresourceReader
{
    /// <summary>The node a Binding names (<c>target.name</c>), or the errors; <c>target.kind</c> must be Node or absent.</summary>
    public static (string? Node, IReadOnlyList<FieldError> Errors) BindingTarget(JsonElement binding)
    {
        var r = new FieldReader("", PodSpecReader.MaxEntries);
        string? kind = null, node = null;
        if (r.Root(binding, PolicyFields.Object) is { } root && r.Object(root, "target"u8, "target") is { } target)
        {
            kind = r.String(target, "kind"u8, "target.kind");
            node = r.String(target, "name"u8, "target.name");
        }

        if (r.Errors.Count == 0 && kind is { Length: > 0 } && kind != "Node")
        {
            r.Error("target.kind", $"must be Node, got \"{kind}\"");
        }
        else if (r.Errors.Count == 0 && node is not { Length: > 0 })
        {
            r.Error("target.name", "Required value: the node to bind to");
        }

        return r.Errors.Count > 0 ? (null, r.Errors) : (node, r.Errors);
    }

    /// <summary>The containers of an EphemeralContainers object, or the errors.</summary>
    public static (IReadOnlyList<ContainerView>? Containers, IReadOnlyList<FieldError> Errors) EphemeralContainers(JsonElement obj)
    {
        var r = new FieldReader("", PodSpecReader.MaxEntries);
        var containers = new List<ContainerView>();
        if (r.Root(obj, PolicyFields.Object) is { } root)
        {
            PodSpecReader.ReadContainers(r, root, "ephemeralContainers"u8, "ephemeralContainers", ContainerKind.EphemeralContainer, containers);
        }

        return r.Errors.Count > 0 ? (null, r.Errors) : (containers, r.Errors);
    }
}
