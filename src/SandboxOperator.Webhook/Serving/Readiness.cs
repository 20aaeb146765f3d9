using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SandboxOperator.Webhook.StateSources;
using SandboxOperator.Webhook.Tls;

namespace SandboxOperator.Webhook.Serving;

/// <summary>
/// What <c>/readyz</c> reports: ready once the serving certificate is loaded and the cluster state
/// source has synced (until then naming what it waits for, when known), not ready while the state source is
/// stale (<see cref="IClusterStateSource.StaleBecause"/>, e.g. a watch broken for longer than the host's limit,
/// named with how long), and no longer ready from the moment shutdown begins.
/// </summary>
public sealed class Readiness(ServingCertificate certificate, IClusterStateSource source)
{
    private readonly TaskCompletionSource _stopping = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when shutdown has begun and <c>/readyz</c> answers 503.</summary>
    public Task WhenStopping => _stopping.Task;

    public void MarkStopping() => _stopping.TrySetResult();

    /// <summary>Null when ready, else why not.</summary>
    public string? NotReadyBecause() =>
        _stopping.Task.IsCompleted ? "shutting down"
        : !certificate.Loaded ? "the serving certificate is not loaded yet"
        : !source.Synced ? "the cluster state is not synced yet" + (source.SyncPendingBecause is { } pending ? ": " + pending : "")
        : source.StaleBecause;
}

/// <summary>
/// The first step of a graceful stop: before any listener closes, report not-ready and keep serving
/// for <see cref="AdmissionWebhookOptions.ShutdownDelay"/> so the Service stops routing reviews here. Kestrel then
/// stops accepting and lets in-flight reviews finish, all within HostOptions.ShutdownTimeout.
/// </summary>
public sealed class ShutdownDrain(Readiness readiness, AdmissionWebhookOptions options, ILogger<ShutdownDrain> logger) : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        readiness.MarkStopping();
        logger.LogInformation("shutting down: /readyz answers 503; serving for {Delay} s more before closing the listeners", options.ShutdownDelay.TotalSeconds);
        if (options.ShutdownDelay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(options.ShutdownDelay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
