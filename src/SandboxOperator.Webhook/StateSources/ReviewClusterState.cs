using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Pods;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Webhook.StateSources;

/// <summary>
/// The state one review is decided with: the cache, overlaid for the review's namespace with what was read live,
/// namely its AgentWorkloads (always), its labels (when the cache does not know the namespace), its SandboxExceptions
/// (when the cache holds some) and the pod a binding or an ephemeral-container update is about (when the cache does
/// not know it).
/// </summary>
/// <remarks>
/// The live AgentWorkloads are merged over the cached ones: the live object wins by name, and a cached one the live
/// read did not return (deleted meanwhile, or the cache is ahead) is kept. Keeping it can only add a claim, and the
/// highest claim wins, so the merge never lowers a pod's tier below what either view alone would give.
/// SandboxExceptions are the opposite: an exception only relaxes, so the live ones replace the cached ones whole, and
/// one the cache still holds after its deletion or narrowing grants nothing.
/// </remarks>
public sealed class ReviewClusterState : IClusterState
{
    private readonly IClusterState _cache;
    private readonly string _namespace;
    private readonly IReadOnlyDictionary<string, string>? _labels;
    private readonly IReadOnlyList<AgentWorkload> _workloads;
    private readonly PodSpecView? _pod;
    private readonly IReadOnlyList<SandboxException>? _exceptions;

    /// <param name="cache">The cached state.</param>
    /// <param name="namespace">The review's namespace.</param>
    /// <param name="liveLabels">The namespace's labels read live, or null to use the cache's.</param>
    /// <param name="liveWorkloads">The namespace's AgentWorkloads read live.</param>
    /// <param name="livePod">A pod of the namespace read live, or null to use the cache's pods only.</param>
    /// <param name="liveExceptions">The namespace's SandboxExceptions read live, or null to use the cache's.</param>
    public ReviewClusterState(IClusterState cache, string @namespace, IReadOnlyDictionary<string, string>? liveLabels, IReadOnlyList<AgentWorkload> liveWorkloads, PodSpecView? livePod = null, IReadOnlyList<SandboxException>? liveExceptions = null)
    {
        _cache = cache;
        _namespace = @namespace;
        _labels = liveLabels;
        _workloads = Merge(cache.WorkloadsIn(@namespace), liveWorkloads);
        _pod = livePod;
        _exceptions = liveExceptions;
    }

    public IReadOnlyDictionary<string, string>? NamespaceLabels(string name) =>
        _labels is not null && name == _namespace ? _labels : _cache.NamespaceLabels(name);

    public IReadOnlyList<AgentWorkload> WorkloadsIn(string @namespace) =>
        @namespace == _namespace ? _workloads : _cache.WorkloadsIn(@namespace);

    public IReadOnlyList<SandboxException> ExceptionsIn(string @namespace) =>
        _exceptions is not null && @namespace == _namespace ? _exceptions : _cache.ExceptionsIn(@namespace);

    public RuntimeClassInfo? RuntimeClass(string name) => _cache.RuntimeClass(name);

    public NodeInfo? Node(string name) => _cache.Node(name);

    public PodSpecView? Pod(string @namespace, string name) =>
        _pod is not null && @namespace == _namespace && name == _pod.Name ? _pod : _cache.Pod(@namespace, name);

    private static IReadOnlyList<AgentWorkload> Merge(IReadOnlyList<AgentWorkload> cached, IReadOnlyList<AgentWorkload> live)
    {
        if (cached.Count == 0)
        {
            return live;
        }

        var liveNames = new HashSet<string>(live.Count, StringComparer.Ordinal);
        var merged = new List<AgentWorkload>(live.Count + cached.Count);
        for (var i = 0; i < live.Count; i++)
        {
            liveNames.Add(live[i].Name);
            merged.Add(live[i]);
        }

        for (var i = 0; i < cached.Count; i++)
        {
            if (!liveNames.Contains(cached[i].Name))
            {
                merged.Add(cached[i]);
            }
        }

        return merged;
    }
}
