using System.Diagnostics.Metrics;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SandboxOperator.Controller.Caching;
using SandboxOperator.Controller.Metrics;
using SandboxOperator.Controller.Reconciling;
using SandboxOperator.Controller.Reporting;
using SandboxOperator.Controller.Runtime;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Placement;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Controller.Manager;

/// <summary>
/// The operator's controllers: six informers that keep <see cref="Cache"/> warm on every replica, and — on the
/// replica holding the Lease only — the AgentWorkload, RuntimeClass, Node and SandboxException reconcile loops with what each watches
/// (<see cref="WatchMap"/>), the periodic resync and the pod audit, run by a <see cref="ControllerManager"/>.
/// </summary>
/// <remarks>
/// The watches, in one place (controller-runtime's For / Watches): an AgentWorkload is reconciled when it changes,
/// when a pod it claims changes, when its namespace changes, when the RuntimeClass of its runtime changes and, if it
/// is sandboxed, when a node's readiness, labels, taints or runtime handlers change, and when a SandboxException of
/// its namespace changes. A RuntimeClass, a Node and a SandboxException are reconciled when they change (an
/// exception also at its expiry, by requeue). Guarantees are the manager's: reconciling starts only after every cache has synced, and only while leading.
/// </remarks>
public sealed class SandboxController : IDisposable
{
    private readonly SandboxControllerOptions _options;
    private readonly ControllerMetrics _metrics;
    private readonly bool _ownsMetrics;
    private readonly ControllerManager _manager;

    public SandboxController(IKubernetes client, SandboxControllerOptions options, ILoggerFactory? loggerFactory = null, ControllerMetrics? metrics = null)
    {
        _options = options;
        loggerFactory ??= NullLoggerFactory.Instance;
        _ownsMetrics = metrics is null;
        _metrics = metrics ?? new ControllerMetrics();
        _manager = new ControllerManager(client, options, Cache.Synced, _metrics, loggerFactory.CreateLogger("SandboxOperator.Controller"));
        var policy = options.Policy;
        Events = new EventRecorder(client, options.Identity, options.EventDedupeWindow, options.Time);

        WorkloadReconciler = new WorkloadReconciler(client, Cache, policy, Events, options.Time);
        Workloads = new ReconcileLoop(WorkloadReconciler, options.Workers, _metrics, loggerFactory.CreateLogger("SandboxOperator.Controller.AgentWorkload"));
        RuntimeClassReconciler = new RuntimeClassReconciler(client, Cache, policy, Events);
        RuntimeClasses = new ReconcileLoop(RuntimeClassReconciler, 1, _metrics, loggerFactory.CreateLogger("SandboxOperator.Controller.RuntimeClass"));
        Nodes = new ReconcileLoop(new NodeAuditReconciler(Cache, policy, Events, _metrics), 1, _metrics, loggerFactory.CreateLogger("SandboxOperator.Controller.Node"));
        PodAudit = new PodAudit(Cache, policy, Events, _metrics, loggerFactory.CreateLogger("SandboxOperator.Controller.PodAudit"), options.PodAuditMaxEvents, options.Time);
        ExceptionReconciler = new ExceptionReconciler(Cache, policy, Events, _metrics, EnqueueWorkloadsIn, options.Time);
        Exceptions = new ReconcileLoop(ExceptionReconciler, 1, _metrics, loggerFactory.CreateLogger("SandboxOperator.Controller.SandboxException"), options.Time);
        if (options.PolicyReports is { } limits)
        {
            var reportLogger = loggerFactory.CreateLogger("SandboxOperator.Controller.PolicyReports");
            PolicyReports = new PolicyReportAudit(Cache, policy, limits, new PolicyReportWriter(client, reportLogger), _metrics, reportLogger, options.Time);
        }

        _metrics.SetWorkloadsSource(CountWorkloads);
        _metrics.SetHandlerProofSource(() => NodePoolAudit.HandlerProofs(Cache.Nodes.List(""), policy, Cache));

        var informerLogger = loggerFactory.CreateLogger("SandboxOperator.Controller.Informer");
        var workloads = _manager.Add(new Informer<UnstructuredObject, WorkloadEntry>("agentworkloads", ClusterListWatchers.AgentWorkloads(client), ObjectProjections.Workload, Cache.Workloads, options.Informer, informerLogger));
        var pods = _manager.Add(new Informer<V1Pod, PodFacts>("pods", ClusterListWatchers.Pods(client), PodProjection.Project, Cache.Pods, options.Informer, informerLogger));
        var namespaces = _manager.Add(new Informer<V1Namespace, IReadOnlyDictionary<string, string>>("namespaces", ClusterListWatchers.Namespaces(client), ObjectProjections.NamespaceLabels, Cache.Namespaces, options.Informer, informerLogger));
        var runtimeClasses = _manager.Add(new Informer<V1RuntimeClass, RuntimeClassEntry>("runtimeclasses", ClusterListWatchers.RuntimeClasses(client), ObjectProjections.RuntimeClass, Cache.RuntimeClasses, options.Informer, informerLogger));
        var nodes = _manager.Add(new Informer<V1Node, NodeInfo>("nodes", ClusterListWatchers.Nodes(client), ObjectProjections.Node, Cache.Nodes, options.Informer, informerLogger));
        var exceptions = _manager.Add(new Informer<UnstructuredObject, ExceptionEntry>("sandboxexceptions", ClusterListWatchers.SandboxExceptions(client), ObjectProjections.Exception, Cache.Exceptions, options.Informer, informerLogger));
        StateInformers = [namespaces, workloads, runtimeClasses, nodes, exceptions];

        _manager.Add(new WatchMap(Workloads)
            .For(workloads)
            .Watches(pods, WorkloadsClaiming)
            .Watches(namespaces, change => Keys(Cache.Workloads.List(change.Name)))
            .Watches(runtimeClasses, WorkloadsRunningOn)
            .Watches(nodes, SandboxedWorkloadsIfPlacementChanged)
            .Watches(exceptions, change => Keys(Cache.Workloads.List(change.Namespace)))
            .Seed(() => Cache.Workloads.All().Select(w => (w.Namespace, w.Name))));
        _manager.Add(new WatchMap(RuntimeClasses, enabled: policy.ManageRuntimeClasses)
            .For(runtimeClasses)
            .Seed(() => RuntimeClassReconciler.Names.Select(name => ("", name))));
        _manager.Add(new WatchMap(Nodes)
            .For(nodes)
            .Seed(() => Cache.Nodes.All().Select(n => ("", n.Name))));
        _manager.Add(new WatchMap(Exceptions)
            .For(exceptions)
            .Seed(() => Cache.Exceptions.All().Select(e => (e.Namespace, e.Name))));
        _manager.AddLeaderTask(AuditAsync);
    }

    /// <summary>The caches; an <see cref="IClusterState"/> the webhook can serve from on every replica.</summary>
    public ClusterCache Cache { get; } = new();

    public IReadOnlyList<IInformer> Informers => _manager.Informers;

    /// <summary>
    /// The informers whose caches <see cref="Cache"/> answers <see cref="IClusterState"/> from, i.e. what admission
    /// decisions read (every informer but the pods'), in the order a report should name them.
    /// </summary>
    public IReadOnlyList<IInformer> StateInformers { get; }

    /// <summary>Each reconcile loop with what it watches.</summary>
    public IReadOnlyList<WatchMap> Controllers => _manager.Controllers;

    public ReconcileLoop Workloads { get; }

    public ReconcileLoop RuntimeClasses { get; }

    public ReconcileLoop Nodes { get; }

    /// <summary>The SandboxException controller: wakes at each exception's expiry (requeue after), then reports it.</summary>
    public ReconcileLoop Exceptions { get; }

    public ExceptionReconciler ExceptionReconciler { get; }

    public WorkloadReconciler WorkloadReconciler { get; }

    public RuntimeClassReconciler RuntimeClassReconciler { get; }

    public PodAudit PodAudit { get; }

    /// <summary>The PolicyReport audit, run after each pod audit pass; null unless <see cref="SandboxControllerOptions.PolicyReports"/> is set.</summary>
    public PolicyReportAudit? PolicyReports { get; }

    public EventRecorder Events { get; }

    /// <summary>Whether this replica currently leads, as reported by the elector's events.</summary>
    public bool IsLeader => _manager.IsLeader;

    /// <summary>Raised with true when this replica starts leading and false when it stops.</summary>
    public event Action<bool>? LeadershipChanged
    {
        add => _manager.LeadershipChanged += value;
        remove => _manager.LeadershipChanged -= value;
    }

    /// <summary>Runs informers and (when elected) the controllers until <paramref name="cancellationToken"/> is cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken) => _manager.RunAsync(cancellationToken);

    public void Dispose()
    {
        Workloads.Queue.Dispose();
        RuntimeClasses.Queue.Dispose();
        Nodes.Queue.Dispose();
        Exceptions.Queue.Dispose();
        if (_ownsMetrics)
        {
            _metrics.Dispose();
        }
    }

    private async Task AuditAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await PodAudit.RunOnceAsync(cancellationToken).ConfigureAwait(false);
                if (PolicyReports is not null)
                {
                    await PolicyReports.RunOnceAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            await _manager.DelayAsync(_options.PodAuditInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Queues every AgentWorkload of <paramref name="namespace"/>: an exception's expiry changes which of its pods comply.</summary>
    private void EnqueueWorkloadsIn(string @namespace)
    {
        foreach (var (ns, name) in Keys(Cache.Workloads.List(@namespace)))
        {
            Workloads.Enqueue(ns, name);
        }
    }

    private static IEnumerable<(string Namespace, string Name)> Keys(IEnumerable<WorkloadEntry> workloads) => workloads.Select(w => (w.Namespace, w.Name));

    /// <summary>The AgentWorkloads that claim the pod before or after the change.</summary>
    private IEnumerable<(string Namespace, string Name)> WorkloadsClaiming(CacheChange<PodFacts> change) =>
        Keys(Cache.Workloads.List(change.Namespace).Where(w => w.Workload is { } workload
            && ((change.Old is { } o && PodCompliance.BelongsTo(o, workload)) || (change.New is { } n && PodCompliance.BelongsTo(n, workload)))));

    /// <summary>The AgentWorkloads whose runtime uses the changed RuntimeClass.</summary>
    private IEnumerable<(string Namespace, string Name)> WorkloadsRunningOn(CacheChange<RuntimeClassEntry> change) =>
        Cache.Workloads.All()
            .Where(w => w.Value.Workload is { } workload && _options.Policy.SettingsFor(Tiering.Compute(workload.Spec).Runtime)?.RuntimeClassName == change.Name)
            .Select(w => (w.Namespace, w.Name));

    /// <summary>Every sandboxed AgentWorkload, when a node's placement (readiness, labels, taints, runtime handlers) changed: pool availability may have.</summary>
    private IEnumerable<(string Namespace, string Name)> SandboxedWorkloadsIfPlacementChanged(CacheChange<NodeInfo> change) =>
        change.Old is { } o && change.New is { } n && SamePlacement(o, n)
            ? []
            : Cache.Workloads.All()
                .Where(w => w.Value.Workload is { } workload && Tiering.Compute(workload.Spec).Tier != RiskTier.Low)
                .Select(w => (w.Namespace, w.Name));

    private static bool SamePlacement(NodeInfo a, NodeInfo b) =>
        a.Ready == b.Ready
        && a.Labels.Count == b.Labels.Count && a.Labels.All(l => b.Labels.TryGetValue(l.Key, out var v) && v == l.Value)
        && a.Taints.SequenceEqual(b.Taints)
        && (a.RuntimeHandlers ?? []).SequenceEqual(b.RuntimeHandlers ?? [], StringComparer.Ordinal);

    private IEnumerable<Measurement<long>> CountWorkloads()
    {
        var counts = new Dictionary<(RiskTier, SandboxRuntime), long>();
        foreach (var (_, _, entry) in Cache.Workloads.All())
        {
            if (entry.Workload is { } w)
            {
                var tier = Tiering.Compute(w.Spec);
                counts[(tier.Tier, tier.Runtime)] = counts.GetValueOrDefault((tier.Tier, tier.Runtime)) + 1;
            }
        }

        return counts.Select(c => new Measurement<long>(c.Value,
            new KeyValuePair<string, object?>("tier", TierNames.LabelValue(c.Key.Item1)),
            new KeyValuePair<string, object?>("runtime", TierNames.LabelValue(c.Key.Item2))));
    }
}
