using System.Runtime.CompilerServices;
using SandboxOperator.Controller.Runtime;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Pods;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Controller.Caching;

/// <summary>
/// The informer caches of the six watched types, exposed to the policy core as <see cref="IClusterState"/>. Every
/// replica keeps them warm, leader or not, so the webhook can be served from them.
/// </summary>
/// <remarks>
/// Guarantees: lookups never block and never perform I/O; <see cref="WorkloadsIn"/> returns a snapshot that does not
/// change under the caller and leaves out AgentWorkloads whose spec is invalid. Caveat: before <see cref="Synced"/>
/// completes the state is partial; callers that must not decide on partial data (readiness, the leader) wait for it.
/// </remarks>
public sealed class ClusterCache : IClusterState
{
    private readonly ConditionalWeakTable<WorkloadEntry[], AgentWorkload[]> _validWorkloads = [];
    private readonly ConditionalWeakTable<ExceptionEntry[], SandboxException[]> _validExceptions = [];

    public ResourceCache<WorkloadEntry> Workloads { get; } = new();

    public ResourceCache<PodFacts> Pods { get; } = new();

    public ResourceCache<IReadOnlyDictionary<string, string>> Namespaces { get; } = new();

    public ResourceCache<RuntimeClassEntry> RuntimeClasses { get; } = new();

    public ResourceCache<NodeInfo> Nodes { get; } = new();

    public ResourceCache<ExceptionEntry> Exceptions { get; } = new();

    /// <summary>Completes when every cache has stored its first list.</summary>
    public Task Synced => Task.WhenAll(Workloads.Synced, Pods.Synced, Namespaces.Synced, RuntimeClasses.Synced, Nodes.Synced, Exceptions.Synced);

    /// <summary>Whether <see cref="Synced"/> has completed (for readiness probes).</summary>
    public bool IsSynced => Workloads.IsSynced && Pods.IsSynced && Namespaces.IsSynced && RuntimeClasses.IsSynced && Nodes.IsSynced && Exceptions.IsSynced;

    public IReadOnlyDictionary<string, string>? NamespaceLabels(string name) => Namespaces.Get("", name);

    public IReadOnlyList<AgentWorkload> WorkloadsIn(string @namespace)
    {
        var entries = Workloads.List(@namespace);
        return entries.Length == 0
            ? []
            : _validWorkloads.GetValue(entries, static e => e.Where(w => w.Workload is not null).Select(w => w.Workload!).ToArray());
    }

    /// <summary>The readable SandboxExceptions of a namespace (one whose spec breaks the schema grants nothing).</summary>
    public IReadOnlyList<SandboxException> ExceptionsIn(string @namespace)
    {
        var entries = Exceptions.List(@namespace);
        return entries.Length == 0
            ? []
            : _validExceptions.GetValue(entries, static e => e.Where(x => x.Exception is not null).Select(x => x.Exception!).ToArray());
    }

    public RuntimeClassInfo? RuntimeClass(string name) => RuntimeClasses.Get("", name)?.Info;

    public NodeInfo? Node(string name) => Nodes.Get("", name);

    public PodSpecView? Pod(string @namespace, string name) => Pods.Get(@namespace, name)?.View;
}
