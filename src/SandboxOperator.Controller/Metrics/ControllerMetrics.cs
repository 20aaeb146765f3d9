using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using SandboxOperator.Controller.Runtime;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Placement;

namespace SandboxOperator.Controller.Metrics;

/// <summary>
/// The controller's instruments on the Meter <c>SandboxOperator</c>. Names are chosen so that OpenTelemetry's
/// Prometheus exporter (which appends <c>_total</c> to counters and the unit to the name) exports exactly
/// <c>agentsandbox_reconcile_total{controller,result}</c>, <c>agentsandbox_reconcile_duration_seconds</c>,
/// <c>agentsandbox_workqueue_depth{controller}</c>, <c>agentsandbox_workloads{tier,runtime}</c>,
/// <c>agentsandbox_noncompliant_pods</c>, <c>agentsandbox_expired_exception_pods</c>, <c>agentsandbox_misconfigured_nodes</c>,
/// <c>agentsandbox_pool_runtime_handler_nodes{runtime,handler,state}</c>, <c>agentsandbox_leader</c> and
/// <c>agentsandbox_policy_reports_total{outcome}</c>.
/// </summary>
public sealed class ControllerMetrics : IDisposable
{
    /// <summary>The Meter name the host exports.</summary>
    public const string MeterName = "SandboxOperator";

    private readonly Meter _meter;
    private readonly Counter<long> _reconciles;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _policyReports;
    private readonly ConcurrentDictionary<string, WorkQueue> _queues = new(StringComparer.Ordinal);
    private Func<IEnumerable<Measurement<long>>> _workloads = () => [];
    private Func<IEnumerable<PoolHandlerProof>> _handlerProofs = () => [];
    private long _noncompliantPods;
    private long _misconfiguredNodes;
    private long _expiredExceptionPods;
    private int _leader;

    public ControllerMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _reconciles = _meter.CreateCounter<long>("agentsandbox_reconcile", null, "Reconciles by controller and result (success, requeue, error, terminal).");
        _duration = _meter.CreateHistogram("agentsandbox_reconcile_duration", "s", "Time spent in one reconcile.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _meter.CreateObservableGauge("agentsandbox_workqueue_depth", () => _queues.Select(q => new Measurement<int>(q.Value.Depth, new KeyValuePair<string, object?>("controller", q.Key))),
            null, "Keys waiting in the work queue, by controller.");
        _meter.CreateObservableGauge("agentsandbox_workloads", () => _workloads(), null, "AgentWorkloads by effective tier and runtime.");
        _meter.CreateObservableGauge("agentsandbox_noncompliant_pods", () => Interlocked.Read(ref _noncompliantPods), null,
            "Pods that break the sandbox policy (found by the background pod audit).");
        _meter.CreateObservableGauge("agentsandbox_expired_exception_pods", () => Interlocked.Read(ref _expiredExceptionPods), null,
            "Pods covered by an expired SandboxException that no longer comply with the sandbox policy.");
        _meter.CreateObservableGauge("agentsandbox_misconfigured_nodes", () => Interlocked.Read(ref _misconfiguredNodes), null,
            "Nodes whose pool labels and taints disagree (two pools, or a pool label without its taint).");
        _meter.CreateObservableGauge("agentsandbox_pool_runtime_handler_nodes", () => _handlerProofs().SelectMany(HandlerMeasurements), null,
            "Nodes of each sandbox pool by whether they have the RuntimeClass's handler (state: verified, missing, unverified).");
        _policyReports = _meter.CreateCounter<long>("agentsandbox_policy_reports", null,
            "PolicyReports and ClusterPolicyReports handled by the report audit, by outcome (created, updated, unchanged, deleted, failed).");
        _meter.CreateObservableGauge("agentsandbox_leader", () => Volatile.Read(ref _leader), null, "1 while this replica holds the controller lease.");
    }

    public void RecordReconcile(string controller, string result, TimeSpan elapsed)
    {
        var c = new KeyValuePair<string, object?>("controller", controller);
        _reconciles.Add(1, c, new KeyValuePair<string, object?>("result", result));
        _duration.Record(elapsed.TotalSeconds, c);
    }

    public void RegisterQueue(string controller, WorkQueue queue) => _queues[controller] = queue;

    public void SetWorkloadsSource(Func<IEnumerable<Measurement<long>>> source) => _workloads = source;

    /// <summary>Where <c>agentsandbox_pool_runtime_handler_nodes</c> is read from on each collection.</summary>
    public void SetHandlerProofSource(Func<IEnumerable<PoolHandlerProof>> source) => _handlerProofs = source;

    public void SetNoncompliantPods(long count) => Interlocked.Exchange(ref _noncompliantPods, count);

    public void SetExpiredExceptionPods(long count) => Interlocked.Exchange(ref _expiredExceptionPods, count);

    public void SetMisconfiguredNodes(long count) => Interlocked.Exchange(ref _misconfiguredNodes, count);

    /// <summary>Counts one report audit pass's outcomes (zero counts add nothing).</summary>
    public void RecordPolicyReports(Reporting.ReportWrites writes)
    {
        foreach (var (outcome, count) in (ReadOnlySpan<(string, int)>)[("created", writes.Created), ("updated", writes.Updated), ("unchanged", writes.Unchanged), ("deleted", writes.Deleted), ("failed", writes.Failed)])
        {
            if (count > 0)
            {
                _policyReports.Add(count, new KeyValuePair<string, object?>("outcome", outcome));
            }
        }
    }

    public void SetLeader(bool leader) => Volatile.Write(ref _leader, leader ? 1 : 0);

    public void Dispose() => _meter.Dispose();

    private static IEnumerable<Measurement<long>> HandlerMeasurements(PoolHandlerProof proof)
    {
        var runtime = new KeyValuePair<string, object?>("runtime", TierNames.LabelValue(proof.Runtime));
        var handler = new KeyValuePair<string, object?>("handler", proof.Handler);
        yield return new Measurement<long>(proof.VerifiedNodes, runtime, handler, new KeyValuePair<string, object?>("state", "verified"));
        yield return new Measurement<long>(proof.MissingOn.Count, runtime, handler, new KeyValuePair<string, object?>("state", "missing"));
        yield return new Measurement<long>(proof.UnreportedOn.Count, runtime, handler, new KeyValuePair<string, object?>("state", "unverified"));
    }
}
