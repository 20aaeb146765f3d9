using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SandboxOperator.Controller.Metrics;

namespace SandboxOperator.Controller.Runtime;

/// <summary>
/// Runs an <see cref="IReconciler"/> over a <see cref="WorkQueue"/> with bounded concurrency, applying the error
/// policy: success forgets the key's failures (and requeues after <see cref="ReconcileResult.RequeueAfter"/> when
/// asked); a retry or exception requeues with per-key backoff; a terminal result is not retried.
/// </summary>
/// <remarks>
/// Keys are <c>namespace/name</c> (<c>name</c> alone for cluster-scoped objects). <see cref="RunAsync"/> runs until its
/// token is cancelled — on leadership loss that cancels in-flight reconciles — and then clears the queue: a new
/// leader starts from a full resync, not from a stale queue.
/// </remarks>
public sealed class ReconcileLoop
{
    private readonly IReconciler _reconciler;
    private readonly int _workers;
    private readonly ControllerMetrics _metrics;
    private readonly ILogger _logger;
    private long _processed;
    private volatile bool _active;

    /// <param name="time">The clock of the queue's delays (requeue after, backoff); the system clock when null.</param>
    public ReconcileLoop(IReconciler reconciler, int workers, ControllerMetrics metrics, ILogger logger, TimeProvider? time = null)
    {
        Queue = new WorkQueue(time);
        _reconciler = reconciler;
        _workers = Math.Max(1, workers);
        _metrics = metrics;
        _logger = logger;
        metrics.RegisterQueue(reconciler.Name, Queue);
    }

    public string Name => _reconciler.Name;

    public WorkQueue Queue { get; }

    /// <summary>Reconciles completed (any outcome except cancellation).</summary>
    public long Processed => Interlocked.Read(ref _processed);

    /// <summary>Whether workers are running; event handlers enqueue only while active.</summary>
    public bool Active => _active;

    /// <summary>Queues a key when the controller is active.</summary>
    public void Enqueue(string @namespace, string name)
    {
        if (Active)
        {
            Queue.Add(KeyOf(@namespace, name));
        }
    }

    public static string KeyOf(string @namespace, string name) => @namespace.Length == 0 ? name : @namespace + "/" + name;

    public static (string Namespace, string Name) Split(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? ("", key) : (key[..slash], key[(slash + 1)..]);
    }

    /// <summary>Activates, calls <paramref name="seed"/> to queue every known key, and runs workers until cancelled.</summary>
    public async Task RunAsync(Action seed, CancellationToken cancellationToken)
    {
        _active = true;
        try
        {
            seed();
            var workers = new Task[_workers];
            for (var i = 0; i < _workers; i++)
            {
                workers[i] = Task.Run(() => WorkAsync(cancellationToken), CancellationToken.None);
            }

            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        finally
        {
            _active = false;
            Queue.Clear();
        }
    }

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            string key;
            try
            {
                key = await Queue.TakeAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await ProcessAsync(key, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Queue.Done(key);
            }
        }
    }

    internal async Task ProcessAsync(string key, CancellationToken cancellationToken)
    {
        var (ns, name) = Split(key);
        var started = Stopwatch.GetTimestamp();
        ReconcileResult result;
        try
        {
            result = await _reconciler.ReconcileAsync(ns, name, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Leadership lost or shutting down: the next leader reconciles this key from scratch.
            return;
        }
        catch (Exception e)
        {
            result = ReconcileResult.Retry(e.GetType().Name + ": " + e.Message);
            _logger.LogDebug(e, "{Controller} {Key}: reconcile threw", Name, key);
        }

        Interlocked.Increment(ref _processed);
        _metrics.RecordReconcile(Name, result.MetricLabel, Stopwatch.GetElapsedTime(started));
        switch (result.Outcome)
        {
            case ReconcileOutcome.Success:
                Queue.Forget(key);
                if (result.RequeueAfter is { } after)
                {
                    Queue.AddAfter(key, after);
                }

                break;
            case ReconcileOutcome.Retry:
                var delay = Queue.AddRateLimited(key);
                _logger.LogWarning("{Controller} {Key}: {Error}; retry {Attempt} in {Delay} ms", Name, key, result.Error, Queue.Failures(key), (int)delay.TotalMilliseconds);
                break;
            default:
                Queue.Forget(key);
                _logger.LogError("{Controller} {Key}: terminal error, not retried until the object changes: {Error}", Name, key, result.Error);
                break;
        }
    }
}
