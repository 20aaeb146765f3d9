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

    /// <summary>Types to serve in addition to <see cref="BuiltInResources.All"/>, e.g. custom resources.</summary>
    public IReadOnlyList<ResourceType> AdditionalResources { get; init; } = [];
}
