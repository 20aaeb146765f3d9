using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Pods;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Policy.Placement;

/// <summary>
/// Works out which node pools a pod could end up on, by every path that places a pod on a node:
/// tolerations (wildcards included), nodeSelector, required node affinity (terms ORed, expressions
/// ANDed, matchFields on node names) and nodeName (which skips the scheduler and so ignores
/// NoSchedule taints, while the kubelet still checks selectors). A RuntimeClass's scheduling block
/// is merged in as Kubernetes merges it.
/// </summary>
/// <remarks>
/// Caveats: labels other than the pool labels are unknown, so a requirement on them is assumed
/// satisfiable (the analysis errs towards "could land"). A node name the state does not know could
/// be in any pool. A node whose labels and taints disagree with the configuration is the node-pool
/// audit's business, not this analysis'.
/// </remarks>
public static class PlacementAnalyzer
{
    private static readonly SandboxRuntime[] Pools = [SandboxRuntime.Kata, SandboxRuntime.GVisor, SandboxRuntime.Runc];

    /// <summary>The pools <paramref name="pod"/> could land on, with how.</summary>
    public static List<PoolReach> Reach(PodSpecView pod, RuntimeClassInfo? runtimeClass, PolicyConfig config, IClusterState state)
    {
        var result = new List<PoolReach>(3);
        foreach (var pool in Pools)
        {
            if (HowReaches(pod, runtimeClass, pool, config, state) is { } how)
            {
                result.Add(new PoolReach(pool, how));
            }
        }

        return result;
    }

    /// <summary>The pools a node belongs to by its labels; Runc (general) when it carries no pool label.</summary>
    public static List<SandboxRuntime> PoolsOf(NodeInfo node, PolicyConfig config)
    {
        var pools = new List<SandboxRuntime>(1);
        foreach (var rt in config.SandboxRuntimes)
        {
            if (node.Labels.TryGetValue(rt.Pool.Label.Key, out var v) && v == rt.Pool.Label.Value)
            {
                pools.Add(rt.Runtime);
            }
        }

        if (pools.Count == 0)
        {
            pools.Add(SandboxRuntime.Runc);
        }

        return pools;
    }

    /// <summary>True when the pod (or its RuntimeClass's scheduling) tolerates the taint, or the taint does not keep pods out.</summary>
    public static bool ToleratesPoolTaint(PodSpecView pod, RuntimeClassInfo? rc, TaintRef taint) =>
        taint.Effect == "PreferNoSchedule"
        || pod.Tolerations.Any(t => Tolerations.Tolerates(t, taint))
        || (rc is not null && rc.Tolerations.Any(t => Tolerations.Tolerates(t, taint)));

    /// <summary>A human name for a pool, e.g. <c>kata pool (agentsandbox.io/pool=kata)</c>.</summary>
    public static string PoolName(SandboxRuntime pool, PolicyConfig config) =>
        config.SettingsFor(pool) is { } s ? $"{TierNames.LabelValue(pool)} pool ({s.Pool.Label})" : "general nodes";

    private static Func<string>? HowReaches(PodSpecView pod, RuntimeClassInfo? rc, SandboxRuntime pool, PolicyConfig config, IClusterState state)
    {
        if (!SelectorsAllow(pod, rc, pool, config, state))
        {
            return null;
        }

        if (pod.NodeName is { Length: > 0 } nodeName)
        {
            if (state.Node(nodeName) is not { } node)
            {
                return () => $"spec.nodeName \"{nodeName}\" names a node the operator does not know";
            }

            return PoolsOf(node, config).Contains(pool) ? () => $"spec.nodeName \"{nodeName}\" is a node of that pool" : null;
        }

        if (config.SettingsFor(pool) is not { } settings)
        {
            return static () => "nothing restricts it to its own pool";
        }

        var taint = settings.Pool.Taint;
        if (taint.Effect == "PreferNoSchedule")
        {
            return () => $"the pool's taint {taint} is only PreferNoSchedule";
        }

        foreach (var t in pod.Tolerations)
        {
            if (Tolerations.Tolerates(t, taint))
            {
                return () => $"toleration {Tolerations.Describe(t)} tolerates the pool's taint";
            }
        }

        if (rc is not null)
        {
            foreach (var t in rc.Tolerations)
            {
                if (Tolerations.Tolerates(t, taint))
                {
                    return () => $"RuntimeClass \"{rc.Name}\" adds toleration {Tolerations.Describe(t)}";
                }
            }
        }

        return null;
    }

    private static bool SelectorsAllow(PodSpecView pod, RuntimeClassInfo? rc, SandboxRuntime pool, PolicyConfig config, IClusterState state)
    {
        foreach (var (key, value) in pod.NodeSelector)
        {
            var (known, nodeValue) = PoolNodeLabel(pool, key, config);
            if (known && nodeValue != value)
            {
                return false;
            }
        }

        if (rc is not null)
        {
            foreach (var (key, value) in rc.NodeSelector)
            {
                var (known, nodeValue) = PoolNodeLabel(pool, key, config);
                if (known && nodeValue != value)
                {
                    return false;
                }
            }
        }

        if (pod.RequiredNodeTerms is not { Count: > 0 } terms)
        {
            return true;
        }

        foreach (var term in terms)
        {
            if (TermAllows(term, pool, config, state))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when some node of <paramref name="pool"/> could satisfy every requirement of the term.</summary>
    public static bool TermAllows(NodeSelectorTerm term, SandboxRuntime pool, PolicyConfig config, IClusterState state)
    {
        foreach (var req in term.MatchExpressions)
        {
            var (known, value) = PoolNodeLabel(pool, req.Key, config);
            if (known && !Satisfies(req, value))
            {
                return false;
            }
        }

        foreach (var req in term.MatchFields)
        {
            if (req.Key == "metadata.name" && req.Operator == "In" && !req.Values.Any(name => state.Node(name) is not { } n || PoolsOf(n, config).Contains(pool)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// What a node of <paramref name="pool"/> has under label <paramref name="key"/>: known and the value
    /// (null = absent) for pool label keys, unknown for any other key.
    /// </summary>
    private static (bool Known, string? Value) PoolNodeLabel(SandboxRuntime pool, string key, PolicyConfig config)
    {
        var isPoolKey = false;
        foreach (var rt in config.SandboxRuntimes)
        {
            if (rt.Pool.Label.Key != key)
            {
                continue;
            }

            isPoolKey = true;
            if (rt.Runtime == pool)
            {
                return (true, rt.Pool.Label.Value);
            }
        }

        return (isPoolKey, null);
    }

    private static bool Satisfies(NodeSelectorRequirement req, string? value) => req.Operator switch
    {
        "In" => value is not null && req.Values.Contains(value),
        "NotIn" => value is null || !req.Values.Contains(value),
        "Exists" => value is not null,
        "DoesNotExist" => value is null,
        "Gt" => value is not null && long.TryParse(value, out var v) && req.Values.Count == 1 && long.TryParse(req.Values[0], out var bound) && v > bound,
        "Lt" => value is not null && long.TryParse(value, out var v2) && req.Values.Count == 1 && long.TryParse(req.Values[0], out var bound2) && v2 < bound2,
        _ => true,
    };
}
