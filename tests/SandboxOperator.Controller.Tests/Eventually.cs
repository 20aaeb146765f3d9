namespace SandboxOperator.Controller.Tests;

/// <summary>
/// Waits for a condition on eventually consistent state, failing with a description when it does not hold in time.
/// The default deadline (30 s) is generous on purpose: it bounds a hang, it is not a measure of speed.
/// </summary>
public static class Eventually
{
    /// <summary>Checks an in-memory condition every 25 ms.</summary>
    public static Task HoldsAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? detail = null) =>
        PollAsync(() => Task.FromResult(condition()), TimeSpan.FromMilliseconds(25), what, timeout, detail);

    /// <summary>Checks a condition that costs a request (an API call, a scrape) every 250 ms.</summary>
    public static Task HoldsAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, Func<string>? detail = null) =>
        PollAsync(condition, TimeSpan.FromMilliseconds(250), what, timeout, detail);

    private static async Task PollAsync(Func<Task<bool>> condition, TimeSpan interval, string what, TimeSpan? timeout, Func<string>? detail)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting until {what}{(detail is null ? "" : ": " + detail())}");
            }

            await Task.Delay(interval);
        }
    }
}
