using System.Text.Json;
using k8s;
using k8s.Models;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Pods;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Controller.Caching;

/// <summary>Projections of Namespaces, Nodes, RuntimeClasses, AgentWorkloads and SandboxExceptions into what the caches keep.</summary>
public static class ObjectProjections
{
    private static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>(0);
    private static readonly JsonSerializerOptions StatusJson = new() { PropertyNameCaseInsensitive = false };

    // Condition texts and reasons repeat across thousands of workloads in the same state; share them.
    private static readonly ValuePool<string> StatusStrings = new();

    public static IReadOnlyDictionary<string, string> NamespaceLabels(V1Namespace ns) =>
        ns.Metadata?.Labels is { Count: > 0 } l ? new Dictionary<string, string>(l, StringComparer.Ordinal) : NoLabels;

    /// <summary>
    /// A node is Ready when its Ready condition is True; its runtime handlers are the names in
    /// <c>status.runtimeHandlers</c> (the default handler's is empty), null when it reports none.
    /// </summary>
    public static NodeInfo Node(V1Node node) => new(
        node.Metadata?.Name ?? "",
        node.Metadata?.Labels is { Count: > 0 } l ? new Dictionary<string, string>(l, StringComparer.Ordinal) : NoLabels,
        node.Spec?.Taints?.Select(t => new NodeTaint(t.Key ?? "", t.Value ?? "", t.Effect ?? "")).ToArray() ?? [],
        node.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true,
        node.Status?.RuntimeHandlers is { Count: > 0 } handlers ? handlers.Select(h => StatusStrings.Share(h.Name ?? "")).ToArray() : null);

    public static RuntimeClassEntry RuntimeClass(V1RuntimeClass rc) => new(
        new RuntimeClassInfo(
            rc.Metadata?.Name ?? "",
            rc.Handler ?? "",
            rc.Scheduling?.NodeSelector is { Count: > 0 } sel ? new Dictionary<string, string>(sel, StringComparer.Ordinal) : NoLabels,
            rc.Scheduling?.Tolerations?.Select(t => new Toleration(t.Key ?? "", t.OperatorProperty ?? "", t.Value ?? "", t.Effect ?? "")).ToArray() ?? []),
        rc.Overhead?.PodFixed is { Count: > 0 } pf ? pf.ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal) : NoLabels,
        rc.Metadata?.ResourceVersion ?? "");

    /// <summary>
    /// Reads an AgentWorkload with the core's schema-checking reader, so an object the CRD schema should have refused
    /// becomes an entry with <see cref="WorkloadEntry.SpecErrors"/> instead of breaking the informer.
    /// </summary>
    public static ExceptionEntry Exception(UnstructuredObject obj)
    {
        var meta = obj.Metadata;
        var ns = meta.NamespaceProperty ?? "";
        var (exception, errors) = SandboxExceptionReader.Read(obj.Raw, ns, rejectUnknownSpecFields: false);
        return new ExceptionEntry(ns, meta.Name ?? "", meta.Uid ?? "", exception, errors);
    }

    public static WorkloadEntry Workload(UnstructuredObject obj)
    {
        var meta = obj.Metadata;
        var ns = meta.NamespaceProperty ?? "";
        var (workload, errors) = AgentWorkloadReader.Read(obj.Raw, ns);
        AgentWorkloadStatus? status = null;
        if (obj.Raw.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.Object)
        {
            try
            {
                status = s.Deserialize<AgentWorkloadStatus>(StatusJson);
                if (status is not null)
                {
                    ShareStrings(status);
                }
            }
            catch (JsonException)
            {
                // A status this controller cannot read is treated as absent and overwritten by the next reconcile.
                status = null;
            }
        }

        return new WorkloadEntry(ns, meta.Name ?? "", meta.Uid ?? "", meta.Generation ?? 0, workload, errors, status);
    }

    private static void ShareStrings(AgentWorkloadStatus status)
    {
        status.RuntimeClassName = status.RuntimeClassName is { } rc ? StatusStrings.Share(rc) : null;
        status.NodePool = status.NodePool is { } np ? StatusStrings.Share(np) : null;
        if (status.Reasons is { } reasons)
        {
            for (var i = 0; i < reasons.Count; i++)
            {
                reasons[i] = StatusStrings.Share(reasons[i]);
            }
        }

        foreach (var c in status.Conditions ?? [])
        {
            c.Type = StatusStrings.Share(c.Type);
            c.Status = StatusStrings.Share(c.Status);
            c.Reason = c.Reason is { } r ? StatusStrings.Share(r) : null;
            c.Message = c.Message is { } m ? StatusStrings.Share(m) : null;
        }
    }
}
