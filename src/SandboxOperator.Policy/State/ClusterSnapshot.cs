using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Pods;

namespace SandboxOperator.Policy.State;

/// <summary>An immutable <see cref="IClusterState"/> built from lists; used by the CLI, the no-cluster host mode and tests.</summary>
public sealed class ClusterSnapshot : IClusterState
{
    private readonly Dictionary<string, IReadOnlyDictionary<string, string>> _namespaces;
    private readonly Dictionary<string, List<AgentWorkload>> _workloads;
    private readonly Dictionary<string, RuntimeClassInfo> _runtimeClasses;
    private readonly Dictionary<string, NodeInfo> _nodes;
    private readonly Dictionary<(string, string), PodSpecView> _pods;
    private readonly Dictionary<string, List<SandboxException>> _exceptions;

    public ClusterSnapshot(
        IEnumerable<KeyValuePair<string, IReadOnlyDictionary<string, string>>>? namespaces = null,
        IEnumerable<AgentWorkload>? workloads = null,
        IEnumerable<RuntimeClassInfo>? runtimeClasses = null,
        IEnumerable<NodeInfo>? nodes = null,
        IEnumerable<(string Namespace, PodSpecView Pod)>? pods = null,
        IEnumerable<SandboxException>? exceptions = null)
    {
        _exceptions = ByNamespace(exceptions, e => e.Namespace, e => e.Name);
        _namespaces = new(namespaces ?? [], StringComparer.Ordinal);
        _workloads = ByNamespace(workloads, w => w.Namespace, w => w.Name);
        _runtimeClasses = (runtimeClasses ?? []).GroupBy(r => r.Name).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        _nodes = (nodes ?? []).GroupBy(n => n.Name).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        _pods = [];
        foreach (var (ns, pod) in pods ?? [])
        {
            _pods[(ns, pod.Name ?? "")] = pod;
        }
    }

    /// <summary>Objects grouped by namespace in input order; a later object replaces an earlier one of the same name.</summary>
    private static Dictionary<string, List<T>> ByNamespace<T>(IEnumerable<T>? items, Func<T, string> @namespace, Func<T, string> name)
    {
        var result = new Dictionary<string, List<T>>(StringComparer.Ordinal);
        foreach (var item in items ?? [])
        {
            if (!result.TryGetValue(@namespace(item), out var list))
            {
                result[@namespace(item)] = list = [];
            }

            list.RemoveAll(x => name(x) == name(item));
            list.Add(item);
        }

        return result;
    }

    /// <summary>An empty cluster.</summary>
    public static ClusterSnapshot Empty { get; } = new();

    /// <inheritdoc />
    public bool KnowsNodes { get; init; } = true;

    public IEnumerable<string> Namespaces => _namespaces.Keys;
    public IEnumerable<AgentWorkload> Workloads => _workloads.Values.SelectMany(w => w);
    public IEnumerable<RuntimeClassInfo> RuntimeClasses => _runtimeClasses.Values;
    public IEnumerable<NodeInfo> Nodes => _nodes.Values;

    public IReadOnlyDictionary<string, string>? NamespaceLabels(string name) => _namespaces.GetValueOrDefault(name);

    public IReadOnlyList<AgentWorkload> WorkloadsIn(string @namespace) =>
        _workloads.TryGetValue(@namespace, out var list) ? list : [];

    public IEnumerable<SandboxException> Exceptions => _exceptions.Values.SelectMany(e => e);

    public IReadOnlyList<SandboxException> ExceptionsIn(string @namespace) =>
        _exceptions.TryGetValue(@namespace, out var list) ? list : [];

    public RuntimeClassInfo? RuntimeClass(string name) => _runtimeClasses.GetValueOrDefault(name);

    public NodeInfo? Node(string name) => _nodes.GetValueOrDefault(name);

    public PodSpecView? Pod(string @namespace, string name) => _pods.GetValueOrDefault((@namespace, name));
}
