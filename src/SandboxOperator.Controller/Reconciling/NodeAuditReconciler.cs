using k8s;
using SandboxOperator.Controller.Caching;
using SandboxOperator.Controller.Metrics;
using SandboxOperator.Controller.Runtime;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Placement;

namespace SandboxOperator.Controller.Reconciling;

/// <summary>
/// Audits one Node's pool labels and taints (<see cref="NodePoolAudit"/>): each finding becomes a Warning Event on the
/// Node, and <c>agentsandbox_misconfigured_nodes</c> is recounted. Workloads show the findings of their pool in
/// their NodePoolAvailable condition. Never changes the Node.
/// </summary>
public sealed class NodeAuditReconciler(ClusterCache cache, PolicyConfig config, EventRecorder events, ControllerMetrics metrics) : IReconciler
{
    public string Name => "node";

    public async Task<ReconcileResult> ReconcileAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        metrics.SetMisconfiguredNodes(cache.Nodes.List("").Count(n => NodePoolAudit.Audit(n, config).Count > 0));
        if (cache.Nodes.Get("", name) is not { } node)
        {
            return ReconcileResult.Done;
        }

        foreach (var finding in NodePoolAudit.Audit(node, config))
        {
            await events.EmitAsync(new EventTarget("v1", "Node", "", name, ""), "Warning", finding.Reason, "Audit", finding.Message, cancellationToken).ConfigureAwait(false);
        }

        return ReconcileResult.Done;
    }
}
