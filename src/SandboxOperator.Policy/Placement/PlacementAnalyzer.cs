using System.Globalization;
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
        || Tolerations.IndexOfTolerating(pod.Tolerations, taint) >= 0
        || (rc is not null && Tolerations.IndexOfTolerating(rc.Tolerations, taint) >= 0);

    /// <summary>A human name for a pool, e.g. <c>kata pool (agentsandbox.io/pool=kata)</c>.</summary>
    public static string PoolName(SandboxRuntime pool, PolicyConfig config) =>
        config.SettingsFor(pool) is { } s ? $"{TierNames.LabelValue(pool)} pool ({s.Pool.Label})" : "general nodes";

    /// <remarks>
    /// The explanation is a function so that its text is formatted only when a message needs it. The
    /// functions are made by the <c>Explain</c> overloads, never by lambdas here: a
    /// lambda capturing a parameter or a loop variable would allocate its closure on every call.
    /// </remarks>
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
                return Explain("spec.nodeName \"{0}\" names a node the operator does not know", nodeName);
            }

            return PoolsOf(node, config).Contains(pool) ? Explain("spec.nodeName \"{0}\" is a node of that pool", nodeName) : null;
        }

        if (config.SettingsFor(pool) is not { } settings)
        {
            return static () => "nothing restricts it to its own pool";
        }

        var taint = settings.Pool.Taint;
        if (taint.Effect == "PreferNoSchedule")
        {
            return Explain("the pool's taint {0} is only PreferNoSchedule", taint);
        }

        if (Tolerations.IndexOfTolerating(pod.Tolerations, taint) is >= 0 and var own)
        {
            return Explain(pod.Tolerations[own]);
        }

        if (rc is not null && Tolerations.IndexOfTolerating(rc.Tolerations, taint) is >= 0 and var added)
        {
            return Explain(rc, rc.Tolerations[added]);
        }

        return null;
    }

    private static Func<string> Explain(string format, object argument) => () => string.Format(CultureInfo.InvariantCulture, format, argument);

    private static Func<string> Explain(Toleration t) => () => $"toleration {Tolerations.Describe(t)} tolerates the pool's taint";

    private static Func<string> Explain(RuntimeClassInfo rc, Toleration t) => () => $"RuntimeClass \"{rc.Name}\" adds toleration {Tolerations.Describe(t)}";

    /// <summary>Whether a node of <paramref name="pool"/> could match the node selector as far as pool labels tell.</summary>
    private static bool SelectorAllows(IReadOnlyDictionary<string, string> selector, SandboxRuntime pool, PolicyConfig config)
    {
        // Counted first: enumerating a dictionary through its interface allocates, even an empty one.
        if (selector.Count == 0)
        {
            return true;
        }

        foreach (var (key, value) in selector)
        {
            var (known, nodeValue) = PoolNodeLabel(pool, key, config);
            if (known && nodeValue != value)
            {
                return false;
            }
        }

        return true;
    }

    private static bool SelectorsAllow(PodSpecView pod, RuntimeClassInfo? rc, SandboxRuntime pool, PolicyConfig config, IClusterState state)
    {
        if (!SelectorAllows(pod.NodeSelector, pool, config) || (rc is not null && !SelectorAllows(rc.NodeSelector, pool, config)))
        {
            return false;
        }

        if (pod.RequiredNodeTerms is not { Count: > 0 } terms)
        {
            return true;
        }

        for (var i = 0; i < terms.Count; i++)
        {
            if (TermAllows(terms[i], pool, config, state))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when some node of <paramref name="pool"/> could satisfy every requirement of the term.</summary>
    public static bool TermAllows(NodeSelectorTerm term, SandboxRuntime pool, PolicyConfig config, IClusterState state)
    {
        for (var i = 0; i < term.MatchExpressions.Count; i++)
        {
            var req = term.MatchExpressions[i];
            var (known, value) = PoolNodeLabel(pool, req.Key, config);
            if (known && !Satisfies(req, value))
            {
                return false;
            }
        }

        for (var i = 0; i < term.MatchFields.Count; i++)
        {
            var req = term.MatchFields[i];
            if (req.Key == "metadata.name" && req.Operator == "In" && !AnyNodeMayBeIn(req.Values, pool, config, state))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether some of the named nodes is unknown (it may be anywhere) or belongs to <paramref name="pool"/>.</summary>
    private static bool AnyNodeMayBeIn(IReadOnlyList<string> nodeNames, SandboxRuntime pool, PolicyConfig config, IClusterState state)
    {
        for (var i = 0; i < nodeNames.Count; i++)
        {
            if (state.Node(nodeNames[i]) is not { } node || PoolsOf(node, config).Contains(pool))
            {
                return true;
            }
        }

        return false;
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
