namespace SandboxOperator.Testing;

/// <summary>
/// Waits for a condition on eventually consistent state, failing with a description when it does not hold in time.
/// The default deadline (30 s) is generous on purpose: it bounds a hang, it is not a measure of speed.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Checks an in-memory condition every 25 ms.</summary>
    public static Task HoldsAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? detail = null) =>
        ValueAsync(() => Task.FromResult(condition() ? What : null), TimeSpan.FromMilliseconds(25), what, timeout, detail);

    /// <summary>Checks a condition that costs a request (an API call, a scrape) every 250 ms.</summary>
    public static Task HoldsAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, Func<string>? detail = null) =>
        ValueAsync(async () => await condition() ? What : null, TimeSpan.FromMilliseconds(250), what, timeout, detail);

    /// <summary>Probes every 250 ms until <paramref name="probe"/> returns a value, and returns it.</summary>
    public static Task<T> ValueAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? timeout = null, Func<string>? detail = null)
        where T : class =>
        ValueAsync(probe, TimeSpan.FromMilliseconds(250), what, timeout, detail);

    private static readonly object What = new();

    private static async Task<T> ValueAsync<T>(Func<Task<T?>> probe, TimeSpan interval, string what, TimeSpan? timeout, Func<string>? detail)
        where T : class
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting until {what}{(detail is null ? "" : ": " + detail())}");
            }

            await Task.Delay(interval);
        }
    }
}
