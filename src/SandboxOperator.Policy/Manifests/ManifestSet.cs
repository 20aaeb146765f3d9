using System.Text.Json;
using System.Text.Json.Nodes;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Pods;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Policy.Manifests;

/// <summary>
/// Manifests sorted into what they are for: AgentWorkloads, SandboxExceptions, Namespaces, RuntimeClasses and Nodes
/// form the cluster state; Pods, pod controllers and AgentWorkloads are what gets evaluated; anything else is skipped with a note.
/// An object without a namespace is in <c>default</c>.
/// </summary>
/// <remarks>
/// A Pod or pod controller whose pod has no <c>spec.containers</c> is partial (a kustomize patch, a test
/// assertion): the API server would refuse it, so it is not evaluated, and a note says what to do instead.
/// Errors about an AgentWorkload or a SandboxException name the line of the field they are about.
/// </remarks>
public sealed record ManifestSet(
    ClusterSnapshot State,
    IReadOnlyList<ManifestDocument> Targets,
    IReadOnlyList<ManifestMessage> Notes,
    IReadOnlyList<ManifestMessage> Errors)
{
    public const string DefaultNamespace = "default";

    public static ManifestSet From(IEnumerable<ManifestDocument> documents)
    {
        var namespaces = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        var workloads = new List<AgentWorkload>();
        var exceptions = new List<SandboxException>();
        var runtimeClasses = new List<RuntimeClassInfo>();
        var nodes = new List<NodeInfo>();
        var targets = new List<ManifestDocument>();
        var notes = new List<ManifestMessage>();
        var errors = new List<ManifestMessage>();

        foreach (var doc in documents)
        {
            var element = JsonSerializer.SerializeToElement(doc.Object);
            switch (doc.Group, doc.Kind)
            {
                case ("", "Namespace"):
                    if (doc.Name is null)
                    {
                        errors.Add(At(doc, "metadata.name", "Namespace: metadata.name: Required value"));
                        break;
                    }

                    namespaces[doc.Name] = Labels(element);
                    break;
                case (WellKnown.Group, WellKnown.Kind):
                    if (ReadOwn(doc, element, WellKnown.Kind, AgentWorkloadReader.Read, errors) is { } workload)
                    {
                        workloads.Add(workload);
                        targets.Add(doc);
                    }

                    break;
                case (WellKnown.Group, WellKnown.ExceptionKind):
                    if (ReadOwn(doc, element, WellKnown.ExceptionKind, SandboxExceptionReader.Read, errors) is { } exception)
                    {
                        exceptions.Add(exception);
                    }

                    break;
                case ("node.k8s.io", "RuntimeClass"):
                    if (ReadRuntimeClass(doc, element) is { } rc)
                    {
                        runtimeClasses.Add(rc);
                    }
                    else
                    {
                        errors.Add(At(doc, doc.Name is null ? "metadata.name" : "handler", "RuntimeClass: metadata.name and handler are required strings"));
                    }

                    break;
                case ("", "Node"):
                    if (doc.Name is null)
                    {
                        errors.Add(At(doc, "metadata.name", "Node: metadata.name: Required value"));
                        break;
                    }

                    nodes.Add(ReadNode(doc.Name, element));
                    break;
                default:
                    if (PodTemplates.PathTo(doc.Group, doc.Kind) is not { } path)
                    {
                        notes.Add(new ManifestMessage(doc.Source, doc.Line, $"skipped {doc.Display}: the policy does not cover this kind"));
                    }
                    else if (Partial(doc.Object, path) is { } missing)
                    {
                        notes.Add(new ManifestMessage(doc.Source, doc.Line,
                            $"skipped {doc.Display}: a partial object ({missing} is missing), such as a kustomize patch or a test assertion; the API server would refuse it as it is. Evaluate what is applied instead, e.g. kubectl kustomize DIR | sandboxctl evaluate -f -"));
                    }
                    else
                    {
                        targets.Add(doc);
                    }

                    break;
            }
        }

        // Without a single Node object the manifests say nothing about the cluster's nodes.
        var state = new ClusterSnapshot(namespaces, workloads, runtimeClasses, nodes, exceptions: exceptions) { KnowsNodes = nodes.Count > 0 };
        return new ManifestSet(state, targets, notes, errors);
    }

    /// <summary>
    /// One of this project's kinds read by <paramref name="read"/>, or null with an error per problem at the line of
    /// its field (an unserved apiVersion is one problem).
    /// </summary>
    private static T? ReadOwn<T>(ManifestDocument doc, JsonElement element, string kind, Func<JsonElement, string, bool, (T?, IReadOnlyList<FieldError>)> read, List<ManifestMessage> errors)
        where T : class
    {
        if (doc.ApiVersion != WellKnown.ApiVersion)
        {
            errors.Add(At(doc, "apiVersion", $"{kind}: apiVersion \"{doc.ApiVersion}\" is not served (supported: {WellKnown.ApiVersion})"));
            return null;
        }

        var (result, problems) = read(element, DefaultNamespace, true);
        if (result is null)
        {
            var name = doc.Name is null ? "" : $" {doc.Name}";
            errors.AddRange(problems.Select(p => At(doc, p.Field, $"{kind}{name}: {p}")));
        }

        return result;
    }

    private static ManifestMessage At(ManifestDocument doc, string field, string message) => new(doc.Source, doc.Lines.LineOf(field), message);

    /// <summary>The first part of the pod that is absent (the template, its spec or its containers), or null when the pod is whole.</summary>
    private static string? Partial(JsonObject obj, string[] path)
    {
        JsonNode? node = obj;
        var at = "";
        foreach (var segment in path.Append("spec").Append("containers"))
        {
            at = at.Length == 0 ? segment : at + "." + segment;
            if (node is not JsonObject o || !o.TryGetPropertyValue(segment, out var next) || next is null)
            {
                return node is JsonObject ? at : null;
            }

            node = next;
        }

        return null;
    }

    private static IReadOnlyDictionary<string, string> Labels(JsonElement obj) =>
        PodSpecReader.Read(obj).View?.Labels ?? new Dictionary<string, string>();

    private static RuntimeClassInfo? ReadRuntimeClass(ManifestDocument doc, JsonElement element)
    {
        if (doc.Name is null || doc.Object["handler"] is not JsonValue h || !h.TryGetValue<string>(out var handler))
        {
            return null;
        }

        var nodeSelector = new Dictionary<string, string>(StringComparer.Ordinal);
        var tolerations = new List<Toleration>();
        if (element.TryGetProperty("scheduling", out var sched) && sched.ValueKind == JsonValueKind.Object)
        {
            // Reuse the pod reader: scheduling has the same nodeSelector/tolerations shapes as a pod spec.
            var shaped = JsonSerializer.SerializeToElement(new JsonObject { ["spec"] = JsonNode.Parse(sched.GetRawText()) });
            if (PodSpecReader.Read(shaped).View is { } view)
            {
                foreach (var (k, v) in view.NodeSelector)
                {
                    nodeSelector[k] = v;
                }

                tolerations.AddRange(view.Tolerations);
            }
        }

        return new RuntimeClassInfo(doc.Name, handler, nodeSelector, tolerations);
    }

    private static NodeInfo ReadNode(string name, JsonElement element)
    {
        var labels = Labels(element);
        var taints = new List<NodeTaint>();
        var ready = true;
        if (element.TryGetProperty("spec", out var spec) && spec.ValueKind == JsonValueKind.Object
            && spec.TryGetProperty("taints", out var ts) && ts.ValueKind == JsonValueKind.Array)
        {
            foreach (var t in ts.EnumerateArray())
            {
                if (t.ValueKind == JsonValueKind.Object)
                {
                    taints.Add(new NodeTaint(Str(t, "key"), Str(t, "value"), Str(t, "effect")));
                }
            }
        }

        List<string>? handlers = null;
        if (element.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.Object)
        {
            if (status.TryGetProperty("conditions", out var cs) && cs.ValueKind == JsonValueKind.Array)
            {
                foreach (var c in cs.EnumerateArray())
                {
                    if (c.ValueKind == JsonValueKind.Object && Str(c, "type") == "Ready")
                    {
                        ready = Str(c, "status") == "True";
                    }
                }
            }

            // status.runtimeHandlers[].name; the default handler has an empty name.
            if (status.TryGetProperty("runtimeHandlers", out var hs) && hs.ValueKind == JsonValueKind.Array)
            {
                foreach (var h in hs.EnumerateArray())
                {
                    if (h.ValueKind == JsonValueKind.Object)
                    {
                        (handlers ??= []).Add(Str(h, "name"));
                    }
                }
            }
        }

        return new NodeInfo(name, labels, taints, ready, handlers);
    }

    private static string Str(JsonElement obj, string prop) =>
        obj.TryGetProperty(prop, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
}
