namespace SandboxOperator.Controller.Runtime;

/// <summary>Tuning of an <see cref="Informer{TSource,TCached}"/>; the defaults follow kube-rs' watcher.</summary>
public sealed record InformerOptions
{
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(800);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>The backoff resets after this long without a failure.</summary>
    public TimeSpan HealthyAfter { get; init; } = TimeSpan.FromSeconds(120);
    /// <summary>Items per list page (limit/continue).</summary>
    public int PageSize { get; init; } = 500;
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
