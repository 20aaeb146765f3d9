namespace SandboxOperator.Controller.Runtime;

/// <summary>
/// Exponential backoff with jitter: the n-th consecutive failure waits <c>min(Max, Initial·2^(n-1))</c> scaled by a
/// random factor in [1 − Jitter, 1] (so the cap is never exceeded). Not thread-safe: one instance per loop.
/// </summary>
/// <remarks>
/// <see cref="Reset"/> is the caller's decision; <see cref="ResetIfHealthyFor"/> resets when the last failure is
/// older than a healthy period, like kube-rs' watcher backoff (800 ms → 30 s, reset after 120 s).
/// </remarks>
public sealed class Backoff(TimeSpan initial, TimeSpan max, double jitter = 0.5, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private int _failures;
    private long _lastFailure;

    /// <summary>The watcher default: 800 ms doubling to 30 s.</summary>
    public static Backoff ForWatch(TimeProvider? time = null) => new(TimeSpan.FromMilliseconds(800), TimeSpan.FromSeconds(30), 0.5, time);

    /// <summary>Consecutive failures since the last reset.</summary>
    public int Failures => _failures;

    /// <summary>Records a failure and returns how long to wait before the next attempt.</summary>
    public TimeSpan Next()
    {
        _failures++;
        _lastFailure = _time.GetTimestamp();
        return Delay(initial, max, _failures, jitter);
    }

    /// <summary>Forgets past failures.</summary>
    public void Reset() => _failures = 0;

    /// <summary>Resets when no failure happened during <paramref name="healthy"/>.</summary>
    public void ResetIfHealthyFor(TimeSpan healthy)
    {
        if (_failures > 0 && _time.GetElapsedTime(_lastFailure) >= healthy)
        {
            _failures = 0;
        }
    }

    /// <summary>The delay for the <paramref name="attempt"/>-th failure (1-based), jittered downwards by up to <paramref name="jitter"/>.</summary>
    public static TimeSpan Delay(TimeSpan initial, TimeSpan max, int attempt, double jitter)
    {
        var exponent = Math.Min(Math.Max(attempt - 1, 0), 62);
        var raw = initial.TotalMilliseconds * Math.Pow(2, exponent);
        var capped = Math.Min(raw, max.TotalMilliseconds);
        var factor = 1 - (jitter * Random.Shared.NextDouble());
        return TimeSpan.FromMilliseconds(capped * factor);
    }
}
