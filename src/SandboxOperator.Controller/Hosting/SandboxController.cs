using System.Diagnostics.Metrics;
using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
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

namespace SandboxOperator.Controller.Hosting;

/// <summary>
/// The operator's controller process: six informers that keep <see cref="Cache"/> warm on every replica, and — on
/// the replica holding the Lease only — the AgentWorkload, RuntimeClass, Node and SandboxException controllers, the
/// periodic resync and the pod audit.
/// </summary>
/// <remarks>
/// Guarantees: reconciling starts only after every cache has synced; leadership is tracked from the elector's
/// events (not <c>IsLeader()</c>, which can lie after cancellation); losing it cancels in-flight reconciles at once
/// and empties the queues, and a new term starts with a full resync. Caveat: KubernetesClient's elector cannot hand
/// the Lease over, so after a leader stops a standby takes over once the Lease expires (LeaseDuration).
/// </remarks>
public sealed class SandboxController : IDisposable
{
    private readonly IKubernetes _client;
    private readonly SandboxControllerOptions _options;
    private readonly ILogger _logger;
    private readonly ControllerMetrics _metrics;
    private readonly bool _ownsMetrics;
    private readonly IInformer[] _informers;
    private int _leader;

    public SandboxController(IKubernetes client, SandboxControllerOptions options, ILoggerFactory? loggerFactory = null, ControllerMetrics? metrics = null)
    {
        _client = client;
        _options = options;
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger("SandboxOperator.Controller");
        _ownsMetrics = metrics is null;
        _metrics = metrics ?? new ControllerMetrics();
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
            PolicyReports = new PolicyReportAudit(Cache, policy, limits, new PolicyReportWriter(client, reportLogger), _metrics, reportLogger);
        }

        _metrics.SetWorkloadsSource(CountWorkloads);
        _metrics.SetHandlerProofSource(() => NodePoolAudit.HandlerProofs(Cache.Nodes.List(""), policy, Cache));

        var informerLogger = loggerFactory.CreateLogger("SandboxOperator.Controller.Informer");
        var workloads = new Informer<UnstructuredObject, WorkloadEntry>("agentworkloads", ClusterListWatchers.AgentWorkloads(client), ObjectProjections.Workload, Cache.Workloads, options.Informer, informerLogger);
        var pods = new Informer<V1Pod, PodFacts>("pods", ClusterListWatchers.Pods(client), PodProjection.Project, Cache.Pods, options.Informer, informerLogger);
        var namespaces = new Informer<V1Namespace, IReadOnlyDictionary<string, string>>("namespaces", ClusterListWatchers.Namespaces(client), ObjectProjections.NamespaceLabels, Cache.Namespaces, options.Informer, informerLogger);
        var runtimeClasses = new Informer<V1RuntimeClass, RuntimeClassEntry>("runtimeclasses", ClusterListWatchers.RuntimeClasses(client), ObjectProjections.RuntimeClass, Cache.RuntimeClasses, options.Informer, informerLogger);
        var nodes = new Informer<V1Node, NodeInfo>("nodes", ClusterListWatchers.Nodes(client), ObjectProjections.Node, Cache.Nodes, options.Informer, informerLogger);
        var exceptions = new Informer<UnstructuredObject, ExceptionEntry>("sandboxexceptions", ClusterListWatchers.SandboxExceptions(client), ObjectProjections.Exception, Cache.Exceptions, options.Informer, informerLogger);

        workloads.OnChange(c => Workloads.Enqueue(c.Namespace, c.Name));
        pods.OnChange(OnPodChange);
        namespaces.OnChange(c => EnqueueWorkloadsIn(c.Name));
        runtimeClasses.OnChange(OnRuntimeClassChange);
        nodes.OnChange(OnNodeChange);
        exceptions.OnChange(OnExceptionChange);
        _informers = [workloads, pods, namespaces, runtimeClasses, nodes, exceptions];
        StateInformers = [namespaces, workloads, runtimeClasses, nodes, exceptions];
    }

    /// <summary>The caches; an <see cref="IClusterState"/> the webhook can serve from on every replica.</summary>
    public ClusterCache Cache { get; } = new();

    public IReadOnlyList<IInformer> Informers => _informers;

    /// <summary>
    /// The informers whose caches <see cref="Cache"/> answers <see cref="IClusterState"/> from, i.e. what admission
    /// decisions read (every informer but the pods'), in the order a report should name them.
    /// </summary>
    public IReadOnlyList<IInformer> StateInformers { get; }

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
    public bool IsLeader => Volatile.Read(ref _leader) == 1;

    /// <summary>Raised with true when this replica starts leading and false when it stops.</summary>
    public event Action<bool>? LeadershipChanged;

    /// <summary>Runs informers and (when elected) the controllers until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var tasks = _informers.Select(i => i.RunAsync(cancellationToken)).ToList();
        if (_options.CompactAfterInitialSync)
        {
            tasks.Add(CompactAfterSyncAsync(cancellationToken));
        }

        tasks.Add(_options.LeaderElection is { } election ? ElectAsync(election, cancellationToken) : LeadAsync(cancellationToken));
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

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

    private async Task ElectAsync(LeaderElectionOptions election, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var config = new LeaderElectionConfig(new LeaseLock(_client, election.Namespace, election.LeaseName, _options.Identity))
            {
                LeaseDuration = election.LeaseDuration,
                RenewDeadline = election.RenewDeadline,
                RetryPeriod = election.RetryPeriod,
            };
            using var elector = new LeaderElector(config);
            var gate = new Lock();
            CancellationTokenSource? term = null;
            Task? work = null;
            elector.OnStartedLeading += () =>
            {
                lock (gate)
                {
                    term = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    SetLeader(true);
                    work = LeadAsync(term.Token);
                }
            };
            elector.OnStoppedLeading += () =>
            {
                lock (gate)
                {
                    SetLeader(false);
                    term?.Cancel();
                }
            };
            elector.OnNewLeader += leader => _logger.LogInformation("leader is now {Leader} (this replica: {Identity})", leader, _options.Identity);
            elector.OnError += e => _logger.LogWarning(e, "leader election: {Message}", e.Message);
            try
            {
                await elector.RunUntilLeadershipLostAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                _logger.LogWarning(e, "leader election failed; retrying");
            }

            Task? finished;
            lock (gate)
            {
                SetLeader(false);
                term?.Cancel();
                finished = work;
            }

            if (finished is not null)
            {
                await finished.ConfigureAwait(false);
                if (cancellationToken.IsCancellationRequested)
                {
                    // A planned stop: hand the Lease over now instead of making the standby wait for it to expire.
                    await ReleaseLeaseAsync(election).ConfigureAwait(false);
                }
            }

            term?.Dispose();
            await DelayAsync(election.RetryPeriod, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Clears the holder of the Lease if it is still this replica, as client-go's ReleaseOnCancel does, so a
    /// standby acquires it on its next retry. Bounded to a few seconds; a failure only means the standby
    /// waits for the Lease to expire, so it is logged and not retried.
    /// </summary>
    private async Task ReleaseLeaseAsync(LeaderElectionOptions election)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            var lease = await _client.CoordinationV1.ReadNamespacedLeaseAsync(election.LeaseName, election.Namespace, cancellationToken: timeout.Token).ConfigureAwait(false);
            if (lease.Spec?.HolderIdentity != _options.Identity)
            {
                return;
            }

            var now = _options.Time.GetUtcNow().UtcDateTime;
            // Empty, not null: KubernetesClient's elector treats a null holder as "no Lease" and tries to create one.
            lease.Spec.HolderIdentity = "";
            lease.Spec.LeaseDurationSeconds = 1;
            lease.Spec.RenewTime = now;
            lease.Spec.AcquireTime = now;
            await _client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, election.LeaseName, election.Namespace, cancellationToken: timeout.Token).ConfigureAwait(false);
            _logger.LogInformation("released the controller Lease {Namespace}/{Lease}", election.Namespace, election.LeaseName);
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException or OperationCanceledException)
        {
            _logger.LogWarning("could not release the controller Lease {Namespace}/{Lease}: {Message}; a standby takes over when it expires", election.Namespace, election.LeaseName, e.Message);
        }
    }

    /// <summary>
    /// The initial lists are the largest transient allocations the process makes; once they are projected, one
    /// aggressive collection hands that memory back to the operating system instead of leaving it committed.
    /// </summary>
    private async Task CompactAfterSyncAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Cache.Synced.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    private void SetLeader(bool leader)
    {
        if (Interlocked.Exchange(ref _leader, leader ? 1 : 0) == (leader ? 1 : 0))
        {
            return;
        }

        _metrics.SetLeader(leader);
        _logger.LogInformation("{Identity} {Change} leading", _options.Identity, leader ? "started" : "stopped");
        LeadershipChanged?.Invoke(leader);
    }

    /// <summary>One leadership term: wait for the caches, then run the controllers, resync and audit until cancelled.</summary>
    private async Task LeadAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Cache.Synced.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (_options.LeaderElection is null)
            {
                SetLeader(true);
            }

            var tasks = new List<Task>
            {
                Workloads.RunAsync(EnqueueAllWorkloads, cancellationToken),
                Nodes.RunAsync(EnqueueAllNodes, cancellationToken),
                Exceptions.RunAsync(EnqueueAllExceptions, cancellationToken),
                ResyncAsync(cancellationToken),
                AuditAsync(cancellationToken),
            };
            if (_options.Policy.ManageRuntimeClasses)
            {
                tasks.Add(RuntimeClasses.RunAsync(EnqueueManagedRuntimeClasses, cancellationToken));
            }

            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (_options.LeaderElection is null)
            {
                SetLeader(false);
            }
        }
    }

    private async Task ResyncAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await DelayAsync(_options.ResyncPeriod, cancellationToken).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            EnqueueAllWorkloads();
            EnqueueAllNodes();
            EnqueueAllExceptions();
            EnqueueManagedRuntimeClasses();
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

            await DelayAsync(_options.PodAuditInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private void EnqueueAllWorkloads()
    {
        foreach (var (ns, name, _) in Cache.Workloads.All())
        {
            Workloads.Enqueue(ns, name);
        }
    }

    private void EnqueueAllExceptions()
    {
        foreach (var (ns, name, _) in Cache.Exceptions.All())
        {
            Exceptions.Enqueue(ns, name);
        }
    }

    // A new, changed or deleted exception changes which pods of its namespace comply.
    private void OnExceptionChange(CacheChange<ExceptionEntry> change)
    {
        Exceptions.Enqueue(change.Namespace, change.Name);
        if (Workloads.Active)
        {
            EnqueueWorkloadsIn(change.Namespace);
        }
    }

    private void EnqueueAllNodes()
    {
        foreach (var (_, name, _) in Cache.Nodes.All())
        {
            Nodes.Enqueue("", name);
        }
    }

    private void EnqueueManagedRuntimeClasses()
    {
        if (_options.Policy.ManageRuntimeClasses)
        {
            foreach (var name in RuntimeClassReconciler.Names)
            {
                RuntimeClasses.Enqueue("", name);
            }
        }
    }

    private void EnqueueWorkloadsIn(string @namespace)
    {
        foreach (var w in Cache.Workloads.List(@namespace))
        {
            Workloads.Enqueue(w.Namespace, w.Name);
        }
    }

    // Handlers return at once while this replica does not lead: a new term seeds every key from the caches anyway.
    private void OnPodChange(CacheChange<PodFacts> change)
    {
        if (!Workloads.Active)
        {
            return;
        }

        foreach (var w in Cache.Workloads.List(change.Namespace))
        {
            if (w.Workload is { } workload
                && ((change.Old is { } o && PodCompliance.BelongsTo(o, workload)) || (change.New is { } n && PodCompliance.BelongsTo(n, workload))))
            {
                Workloads.Enqueue(w.Namespace, w.Name);
            }
        }
    }

    private void OnRuntimeClassChange(CacheChange<RuntimeClassEntry> change)
    {
        RuntimeClasses.Enqueue("", change.Name);
        if (!Workloads.Active)
        {
            return;
        }

        foreach (var (ns, name, entry) in Cache.Workloads.All())
        {
            if (entry.Workload is { } w && _options.Policy.SettingsFor(Tiering.Compute(w.Spec).Runtime)?.RuntimeClassName == change.Name)
            {
                Workloads.Enqueue(ns, name);
            }
        }
    }

    private void OnNodeChange(CacheChange<NodeInfo> change)
    {
        Nodes.Enqueue("", change.Name);
        if (!Workloads.Active || (change.Old is { } o && change.New is { } n && SamePlacement(o, n)))
        {
            return;
        }

        // Pool availability of every sandboxed workload may have changed.
        foreach (var (ns, name, entry) in Cache.Workloads.All())
        {
            if (entry.Workload is { } w && Tiering.Compute(w.Spec).Tier != RiskTier.Low)
            {
                Workloads.Enqueue(ns, name);
            }
        }
    }

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

    private async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _options.Time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
