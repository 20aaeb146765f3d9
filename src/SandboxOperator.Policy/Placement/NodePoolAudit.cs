using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Placement;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Policy.Placement;

/// <summary>
/// Checks nodes against the pool configuration: a node must carry at most one pool's label, and a node carrying a
/// pool's label must carry that pool's taint (otherwise ordinary pods can be scheduled next to sandboxed ones).
/// Pure.
/// </summary>
public static class NodePoolAudit
{
    /// <summary>What is wrong with <paramref name="node"/>; empty when nothing is.</summary>
    public static IReadOnlyList<NodeFinding> Audit(NodeInfo node, PolicyConfig config)
    {
        List<NodeFinding>? findings = null;
        var labelled = config.SandboxRuntimes.Where(rt => HasLabel(node, rt)).ToList();
        if (labelled.Count > 1)
        {
            (findings ??= []).Add(new NodeFinding(node.Name, null, "MultiplePoolLabels",
                $"node {node.Name} carries the labels of {labelled.Count} pools ({string.Join(", ", labelled.Select(rt => rt.Pool.Label))}); keep exactly one"));
        }

        foreach (var rt in labelled)
        {
            if (!HasTaint(node, rt))
            {
                (findings ??= []).Add(new NodeFinding(node.Name, rt.Runtime, "PoolTaintMissing",
                    $"node {node.Name} carries label {rt.Pool.Label} but not taint {rt.Pool.Taint}; add the taint (kubectl taint nodes {node.Name} {rt.Pool.Taint})"));
            }
        }

        return findings ?? (IReadOnlyList<NodeFinding>)[];
    }

    /// <summary>How a pool stands: its usable nodes (Ready, labelled and tainted) and the findings on its nodes.</summary>
    public static PoolStatus Pool(RuntimeSettings pool, IEnumerable<NodeInfo> nodes, PolicyConfig config)
    {
        var usable = 0;
        var labelled = 0;
        List<NodeFinding>? findings = null;
        foreach (var node in nodes)
        {
            if (!HasLabel(node, pool))
            {
                continue;
            }

            labelled++;
            if (node.Ready && HasTaint(node, pool))
            {
                usable++;
            }

            foreach (var f in Audit(node, config))
            {
                (findings ??= []).Add(f);
            }
        }

        return new PoolStatus(usable, labelled, findings ?? (IReadOnlyList<NodeFinding>)[]);
    }

    /// <summary>
    /// Every sandbox pool's proof of its RuntimeClass's handler (<see cref="RuntimeHandlerProof.ForPool"/>); the
    /// handler is the RuntimeClass's when it exists, the configured one otherwise.
    /// </summary>
    public static IEnumerable<PoolHandlerProof> HandlerProofs(IReadOnlyCollection<NodeInfo> nodes, PolicyConfig config, IClusterState state) =>
        config.SandboxRuntimes.Select(rt => RuntimeHandlerProof.ForPool(rt, state.RuntimeClass(rt.RuntimeClassName)?.Handler ?? rt.Handler, nodes));

    private static bool HasLabel(NodeInfo node, RuntimeSettings rt) =>
        node.Labels.TryGetValue(rt.Pool.Label.Key, out var v) && v == rt.Pool.Label.Value;

    private static bool HasTaint(NodeInfo node, RuntimeSettings rt) =>
        node.Taints.Any(t => t.Key == rt.Pool.Taint.Key && t.Value == rt.Pool.Taint.Value && t.Effect == rt.Pool.Taint.Effect);
}

/// <summary>One misconfiguration of a node; <see cref="Pool"/> is the pool concerned, null when several are.</summary>
public sealed record NodeFinding(string Node, SandboxRuntime? Pool, string Reason, string Message);

/// <summary>A pool's usable nodes (Ready, labelled and tainted), its labelled nodes and the findings on them.</summary>
public sealed record PoolStatus(int UsableNodes, int LabelledNodes, IReadOnlyList<NodeFinding> Findings);
