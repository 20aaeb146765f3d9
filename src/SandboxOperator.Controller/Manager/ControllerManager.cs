using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using Microsoft.Extensions.Logging;
using SandboxOperator.Controller.Metrics;
using SandboxOperator.Controller.Runtime;

namespace SandboxOperator.Controller.Manager;

/// <summary>
/// Runs controllers the way controller-runtime's manager does: the informers for the whole life of the process (on
/// every replica, leader or not), and — on the replica holding the Lease only, once <c>synced</c> has completed — each
/// <see cref="WatchMap"/>'s reconcile loop, the periodic resync of every loop and the leader's other tasks.
/// </summary>
/// <remarks>
/// Guarantees: leadership is tracked from the elector's events (not <c>IsLeader()</c>, which can lie after
/// cancellation); losing it cancels in-flight reconciles at once and empties the queues, and a new term starts with
/// a full seed of every loop. A planned stop releases the Lease. Caveat: KubernetesClient's elector cannot hand the
/// Lease over otherwise, so after a leader dies a standby takes over once the Lease expires (LeaseDuration).
/// </remarks>
public sealed class ControllerManager
{
    private readonly IKubernetes _client;
    private readonly SandboxControllerOptions _options;
    private readonly Task _synced;
    private readonly ControllerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly List<IInformer> _informers = [];
    private readonly List<WatchMap> _controllers = [];
    private readonly List<Func<CancellationToken, Task>> _leaderTasks = [];
    private int _leader;

    /// <param name="synced">Completes when the caches the controllers read hold their first lists.</param>
    public ControllerManager(IKubernetes client, SandboxControllerOptions options, Task synced, ControllerMetrics metrics, ILogger logger)
    {
        _client = client;
        _options = options;
        _synced = synced;
        _metrics = metrics;
        _logger = logger;
    }

    public IReadOnlyList<IInformer> Informers => _informers;

    public IReadOnlyList<WatchMap> Controllers => _controllers;

    /// <summary>Whether this replica currently leads, as reported by the elector's events.</summary>
    public bool IsLeader => Volatile.Read(ref _leader) == 1;

    /// <summary>Raised with true when this replica starts leading and false when it stops.</summary>
    public event Action<bool>? LeadershipChanged;

    /// <summary>An informer run for the life of the process; add before <see cref="RunAsync"/>.</summary>
    public T Add<T>(T informer)
        where T : IInformer
    {
        _informers.Add(informer);
        return informer;
    }

    /// <summary>A reconcile loop with its watches, run while leading; add before <see cref="RunAsync"/>.</summary>
    public WatchMap Add(WatchMap controller)
    {
        _controllers.Add(controller);
        return controller;
    }

    /// <summary>Another task of the leader (e.g. an audit), run while leading.</summary>
    public void AddLeaderTask(Func<CancellationToken, Task> task) => _leaderTasks.Add(task);

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

    /// <summary>Queues every key of every enabled loop (what a resync does).</summary>
    public void EnqueueAll()
    {
        foreach (var controller in _controllers)
        {
            controller.EnqueueAll();
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
            await _synced.WaitAsync(cancellationToken).ConfigureAwait(false);
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

    /// <summary>One leadership term: wait for the caches, then run the loops, resync and the leader's tasks until cancelled.</summary>
    private async Task LeadAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _synced.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (_options.LeaderElection is null)
            {
                SetLeader(true);
            }

            var tasks = _controllers.Where(c => c.Enabled).Select(c => c.Loop.RunAsync(c.EnqueueAll, cancellationToken)).ToList();
            tasks.Add(ResyncAsync(cancellationToken));
            tasks.AddRange(_leaderTasks.Select(t => t(cancellationToken)));
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

            EnqueueAll();
        }
    }

    /// <summary>Waits <paramref name="delay"/> on the options' clock; cancellation ends the wait quietly.</summary>
    public async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
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
