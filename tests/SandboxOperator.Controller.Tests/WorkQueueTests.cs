using SandboxOperator.Controller.Runtime;

namespace SandboxOperator.Controller.Tests;

public sealed class WorkQueueTests
{
    private static readonly CancellationToken Ct = TestContext.Timeout(5);

    [Fact]
    public async Task Duplicate_adds_are_queued_once()
    {
        using var q = new WorkQueue();
        q.Add("ns/a");
        q.Add("ns/a");
        q.Add("ns/b");
        Assert.Equal(2, q.Depth);
        Assert.Equal("ns/a", await q.TakeAsync(Ct));
        Assert.Equal("ns/b", await q.TakeAsync(Ct));
        Assert.Equal(0, q.Depth);
    }

    [Fact]
    public async Task A_key_added_while_in_flight_is_handed_out_again_only_after_Done()
    {
        using var q = new WorkQueue();
        q.Add("ns/a");
        var key = await q.TakeAsync(Ct);
        q.Add("ns/a");

        // Nothing is ready while the key is in flight: the re-add waits in the queue, not in the ready list.
        Assert.Equal(0, q.Depth);
        Assert.Equal(1, q.InFlight);
        var second = q.TakeAsync(Ct);
        Assert.False(second.IsCompleted, "the key must not be processed twice at once");

        q.Done(key);
        Assert.Equal("ns/a", await second.WaitAsync(TimeSpan.FromSeconds(5)));
        q.Done("ns/a");
        Assert.Equal(0, q.Depth);
        Assert.Equal(0, q.InFlight);
    }

    [Fact]
    public async Task AddAfter_delays_and_keeps_the_earliest_due_time()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        using var q = new WorkQueue(time);
        q.AddAfter("ns/a", TimeSpan.FromSeconds(30));
        q.AddAfter("ns/a", TimeSpan.FromMilliseconds(50));
        Assert.Equal(0, q.Depth);
        Assert.Equal(1, q.Delayed);

        time.Advance(TimeSpan.FromMilliseconds(49));
        Assert.Equal((0, 1), (q.Depth, q.Delayed));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("ns/a", await q.TakeAsync(Ct));
        Assert.Equal(0, q.Delayed);
    }

    [Fact]
    public void Rate_limited_delays_grow_per_key_and_Forget_resets_them()
    {
        using var q = new WorkQueue();
        var delays = Enumerable.Range(0, 6).Select(_ => q.AddRateLimited("ns/a")).ToList();
        for (var i = 0; i < delays.Count; i++)
        {
            var nominal = 5 * Math.Pow(2, i);
            Assert.InRange(delays[i].TotalMilliseconds, nominal * 0.9, nominal);
        }

        Assert.Equal(6, q.Failures("ns/a"));
        Assert.Equal(0, q.Failures("ns/b"));
        q.Forget("ns/a");
        Assert.Equal(0, q.Failures("ns/a"));
        Assert.InRange(q.AddRateLimited("ns/a").TotalMilliseconds, 4.5, 5);
    }

    [Fact]
    public void Backoff_is_capped_and_jittered_downwards()
    {
        for (var attempt = 1; attempt < 80; attempt++)
        {
            var d = Backoff.Delay(TimeSpan.FromMilliseconds(800), TimeSpan.FromSeconds(30), attempt, 0.5);
            var nominal = Math.Min(800 * Math.Pow(2, attempt - 1), 30_000);
            Assert.InRange(d.TotalMilliseconds, nominal * 0.5, nominal);
        }

        Assert.Equal(TimeSpan.FromSeconds(1000), Backoff.Delay(TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1000), 60, 0));
    }
}
