using Microsoft.Extensions.Logging.Abstractions;
using SandboxOperator.Controller.Metrics;
using SandboxOperator.Controller.Runtime;
using SandboxOperator.Testing;

namespace SandboxOperator.Controller.Tests;

public sealed class ControllerLoopTests
{
    private sealed class ScriptedReconciler(Func<string, CancellationToken, Task<ReconcileResult>> body) : IReconciler
    {
        public string Name => "test";

        public Task<ReconcileResult> ReconcileAsync(string @namespace, string name, CancellationToken cancellationToken) =>
            body(ReconcileLoop.KeyOf(@namespace, name), cancellationToken);
    }

    [Fact]
    public async Task Errors_are_retried_with_backoff_and_terminal_results_are_not()
    {
        var calls = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var reconciler = new ScriptedReconciler((key, _) =>
        {
            var n = calls.AddOrUpdate(key, 1, (_, c) => c + 1);
            return Task.FromResult(key switch
            {
                "ns/flaky" when n < 3 => ReconcileResult.Retry("transient"),
                "ns/throws" when n < 2 => throw new InvalidOperationException("boom"),
                "ns/broken" => ReconcileResult.Terminal("cannot be fixed by retrying"),
                _ => ReconcileResult.Done,
            });
        });
        using var metrics = new ControllerMetrics();
        var controller = new ReconcileLoop(reconciler, 2, metrics, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var run = controller.RunAsync(() =>
        {
            controller.Enqueue("ns", "flaky");
            controller.Enqueue("ns", "throws");
            controller.Enqueue("ns", "broken");
        }, stop.Token);

        await Eventually.HoldsAsync(() => calls.GetValueOrDefault("ns/flaky") == 3 && calls.GetValueOrDefault("ns/throws") == 2, "failed keys are retried until they succeed");
        // Once nothing is queued, waiting for a retry or running, no reconcile can follow: the terminal key's count is final.
        await Eventually.HoldsAsync(() => controller.Queue is { Depth: 0, Delayed: 0, InFlight: 0 }, "the queue is idle: nothing waits to be retried");
        Assert.Equal(1, calls["ns/broken"]);
        Assert.Equal(3, calls["ns/flaky"]);
        Assert.Equal(0, controller.Queue.Failures("ns/flaky"));
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Cancelling_the_run_cancels_in_flight_reconciles_at_once()
    {
        var started = new TaskCompletionSource();
        var cancelled = new TaskCompletionSource();
        var reconciler = new ScriptedReconciler(async (_, ct) =>
        {
            started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                cancelled.TrySetResult();
                throw;
            }

            return ReconcileResult.Done;
        });
        using var metrics = new ControllerMetrics();
        var controller = new ReconcileLoop(reconciler, 1, metrics, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var run = controller.RunAsync(() => controller.Enqueue("ns", "slow"), stop.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(5));

        await stop.CancelAsync();
        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(1));
        await run.WaitAsync(TimeSpan.FromSeconds(1));
        Assert.False(controller.Active);
        controller.Enqueue("ns", "later");
        Assert.Equal(0, controller.Queue.Depth);
    }

    [Fact]
    public async Task One_key_is_never_reconciled_twice_at_once()
    {
        var running = 0;
        var maxRunning = 0;
        var total = 0;
        ReconcileLoop? controller = null;
        var reconciler = new ScriptedReconciler(async (key, ct) =>
        {
            var now = Interlocked.Increment(ref running);
            if (now > Volatile.Read(ref maxRunning))
            {
                Volatile.Write(ref maxRunning, now);
            }

            if (Interlocked.Increment(ref total) < 20)
            {
                controller!.Enqueue("ns", "hot");
            }

            await Task.Delay(5, ct);
            Interlocked.Decrement(ref running);
            return ReconcileResult.Done;
        });
        using var metrics = new ControllerMetrics();
        controller = new ReconcileLoop(reconciler, 8, metrics, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var run = controller.RunAsync(() => controller.Enqueue("ns", "hot"), stop.Token);
        await Eventually.HoldsAsync(() => Volatile.Read(ref total) >= 20 && controller.Queue.InFlight == 0 && controller.Queue.Depth == 0, "the re-added key is processed again");
        Assert.Equal(1, maxRunning);
        await stop.CancelAsync();
        await run;
    }
}
