namespace SandboxOperator.Controller.Runtime;

/// <summary>
/// A work queue of keys (<c>namespace/name</c>) shaped like client-go's rate-limited queue.
/// </summary>
/// <remarks>
/// Guarantees: a key is queued at most once (adding a queued key is a no-op); a key handed out by
/// <see cref="TakeAsync"/> is not handed out again until <see cref="Done"/> — if it was added meanwhile it is queued
/// again at <see cref="Done"/>, so no change is lost and no key is processed twice at once. <see cref="AddAfter"/> keeps
/// the earliest due time per key. <see cref="AddRateLimited"/> delays by the key's failure count (5 ms doubling to
/// 1000 s, jittered downwards by up to 10 %); <see cref="Forget"/> resets it.
/// </remarks>
public sealed class WorkQueue : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Queue<string> _queue = new();
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly HashSet<string> _processing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _waitingUntil = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, long> _waiting = new();
    private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _ready = new(0);
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private readonly TimeSpan _baseDelay;
    private readonly TimeSpan _maxDelay;
    private long _timerDue = long.MaxValue;
    private bool _disposed;

    public WorkQueue(TimeProvider? time = null, TimeSpan? baseDelay = null, TimeSpan? maxDelay = null)
    {
        _time = time ?? TimeProvider.System;
        _baseDelay = baseDelay ?? TimeSpan.FromMilliseconds(5);
        _maxDelay = maxDelay ?? TimeSpan.FromSeconds(1000);
        _timer = _time.CreateTimer(_ => PromoteDue(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Keys ready to be taken (not counting delayed or in-flight keys).</summary>
    public int Depth
    {
        get { lock (_gate) { return _queue.Count; } }
    }

    /// <summary>Keys waiting for a delayed add.</summary>
    public int Delayed
    {
        get { lock (_gate) { return _waitingUntil.Count; } }
    }

    /// <summary>Keys being processed right now.</summary>
    public int InFlight
    {
        get { lock (_gate) { return _processing.Count; } }
    }

    /// <summary>Queues <paramref name="key"/> now.</summary>
    public void Add(string key)
    {
        lock (_gate)
        {
            if (_disposed || !_dirty.Add(key))
            {
                return;
            }

            _waitingUntil.Remove(key);
            if (!_processing.Contains(key))
            {
                _queue.Enqueue(key);
                _ready.Release();
            }
        }
    }

    /// <summary>Queues <paramref name="key"/> after <paramref name="delay"/> (at once when not positive).</summary>
    public void AddAfter(string key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }

        lock (_gate)
        {
            if (_disposed || _dirty.Contains(key))
            {
                return;
            }

            var due = _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency);
            if (_waitingUntil.TryGetValue(key, out var existing) && existing <= due)
            {
                return;
            }

            _waitingUntil[key] = due;
            _waiting.Enqueue(key, due);
            ArmTimer(due);
        }
    }

    /// <summary>Queues <paramref name="key"/> after its per-key backoff and counts a failure; returns the delay.</summary>
    public TimeSpan AddRateLimited(string key)
    {
        int attempt;
        lock (_gate)
        {
            attempt = _failures[key] = _failures.GetValueOrDefault(key) + 1;
        }

        var delay = Backoff.Delay(_baseDelay, _maxDelay, attempt, 0.1);
        AddAfter(key, delay);
        return delay;
    }

    /// <summary>Failures recorded for <paramref name="key"/> since its last <see cref="Forget"/>.</summary>
    public int Failures(string key)
    {
        lock (_gate)
        {
            return _failures.GetValueOrDefault(key);
        }
    }

    /// <summary>Clears the failure count of <paramref name="key"/>.</summary>
    public void Forget(string key)
    {
        lock (_gate)
        {
            _failures.Remove(key);
        }
    }

    /// <summary>Waits for a key and marks it in flight. Call <see cref="Done"/> when finished with it.</summary>
    public async Task<string> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await _ready.WaitAsync(cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                if (_queue.TryDequeue(out var key))
                {
                    _dirty.Remove(key);
                    _processing.Add(key);
                    return key;
                }
            }
        }
    }

    /// <summary>Ends processing of <paramref name="key"/>; re-queues it when it was added meanwhile.</summary>
    public void Done(string key)
    {
        lock (_gate)
        {
            _processing.Remove(key);
            if (!_disposed && _dirty.Contains(key))
            {
                _queue.Enqueue(key);
                _ready.Release();
            }
        }
    }

    /// <summary>Drops queued and delayed keys and failure counts; keys in flight finish normally.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            foreach (var key in _queue)
            {
                _dirty.Remove(key);
            }

            _queue.Clear();
            _waiting.Clear();
            _waitingUntil.Clear();
            _failures.Clear();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        _timer.Dispose();
    }

    private void ArmTimer(long due)
    {
        if (due >= _timerDue)
        {
            return;
        }

        _timerDue = due;
        var wait = TimeSpan.FromSeconds(Math.Max(0, due - _time.GetTimestamp()) / (double)_time.TimestampFrequency);
        _timer.Change(wait, Timeout.InfiniteTimeSpan);
    }

    private void PromoteDue()
    {
        var due = new List<string>();
        lock (_gate)
        {
            _timerDue = long.MaxValue;
            var now = _time.GetTimestamp();
            while (_waiting.TryPeek(out var key, out var at) && at <= now)
            {
                _waiting.Dequeue();
                if (_waitingUntil.TryGetValue(key, out var current) && current == at)
                {
                    _waitingUntil.Remove(key);
                    due.Add(key);
                }
            }

            if (_waiting.TryPeek(out _, out var next))
            {
                ArmTimer(next);
            }
        }

        foreach (var key in due)
        {
            Add(key);
        }
    }
}
