namespace SandboxOperator.Testing.KubeApi;

/// <summary>Start-up settings of a <see cref="KubeApiServer"/>.</summary>
public sealed record KubeApiServerOptions
{
    /// <summary>Clock for creation and deletion timestamps.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>How many events the store retains for watches to resume from (globally, like etcd before compaction).</summary>
    public int WatchHistoryLimit { get; init; } = 10_000;

    /// <summary>Initial BOOKMARK interval for watches that allow bookmarks; changeable later via <see cref="KubeApiServer.BookmarkInterval"/>.</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The minimum number of thread-pool worker threads to ensure at start (process-wide; never lowered). KubernetesClient
    /// 21's watch holds a pool thread blocked while it waits for the next line of a watch stream, so every idle watch
    /// pins a thread; on a 2-core machine the default minimum (one per core) starves the pool and stalls everything,
    /// HTTP handling of this server included, for about a second per extra thread. 0 leaves the pool alone.
    /// </summary>
    public int MinimumWorkerThreads { get; init; } = 64;

    /// <summary>Types to serve in addition to <see cref="BuiltInResources.All"/>, e.g. custom resources.</summary>
    public IReadOnlyList<ResourceType> AdditionalResources { get; init; } = [];
}
