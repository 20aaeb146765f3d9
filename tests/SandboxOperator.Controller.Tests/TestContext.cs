namespace SandboxOperator.Controller.Tests;

internal static class TestContext
{
    /// <summary>A token that cancels after <paramref name="seconds"/>, so a hung await fails the test instead of the run.</summary>
    public static CancellationToken Timeout(int seconds) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;
}
