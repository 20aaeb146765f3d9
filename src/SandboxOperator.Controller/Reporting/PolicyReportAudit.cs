using Microsoft.Extensions.Logging;
using SandboxOperator.Controller.Caching;
using SandboxOperator.Controller.Metrics;
using SandboxOperator.Policy.Configuration;

namespace SandboxOperator.Controller.Reporting;

/// <summary>
/// One pass of the PolicyReport audit: builds every report from the caches (<see cref="PolicyReportBuilder"/>) and
/// stores them (<see cref="PolicyReportWriter"/>), counting each report's outcome in
/// <c>agentsandbox_policy_reports_total{outcome}</c>. Runs on the leader after each pod audit pass; pods are judged
/// with the SandboxExceptions active at <paramref name="time"/>'s current time.
/// </summary>
public sealed class PolicyReportAudit(ClusterCache cache, PolicyConfig config, ReportLimits limits, PolicyReportWriter writer, ControllerMetrics metrics, ILogger logger, TimeProvider time)
{
    /// <summary>What the last pass wrote; null before the first.</summary>
    public ReportWrites? LastWrites { get; private set; }

    public async Task<ReportWrites> RunOnceAsync(CancellationToken cancellationToken)
    {
        var namespaced = PolicyReportBuilder.ForPods(cache.Pods.All().Select(p => p.Item3), config, cache, limits, time.GetUtcNow());
        var cluster = PolicyReportBuilder.ForNodes(cache.Nodes.List(""), config, limits);
        var writes = await writer.SyncAsync(namespaced, [cluster], cancellationToken).ConfigureAwait(false);
        metrics.RecordPolicyReports(writes);
        LastWrites = writes;
        logger.LogInformation("policy reports: {Created} created, {Updated} updated, {Unchanged} unchanged, {Deleted} deleted, {Failed} failed",
            writes.Created, writes.Updated, writes.Unchanged, writes.Deleted, writes.Failed);
        return writes;
    }
}
