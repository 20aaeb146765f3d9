namespace SandboxOperator.Controller.Tests;

/// <summary>
/// Waits for a condition on eventually consistent state, failing with a description when it does not hold in time.
/// The default deadline (30 s) is generous on purpose: it bounds a hang, it is not a measure of speed.
/// </summary>
public static class Eventually
{
    public static async Task HoldsAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? detail = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting until {what}{(detail is null ? "" : ": " + detail())}");
            }

            await Task.Delay(25);
        }
    }
}
