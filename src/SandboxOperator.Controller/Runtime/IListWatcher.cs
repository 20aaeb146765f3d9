using k8s;

namespace SandboxOperator.Controller.Runtime;

/// <summary>
/// How an <see cref="Informer{TSource,TCached}"/> lists and watches one resource type, over every namespace.
/// </summary>
/// <remarks>
/// Contract: <see cref="ListAsync"/> returns one page (pass the previous page's continue token; null for the first);
/// <see cref="WatchAsync"/> must request bookmarks and must surface a server ERROR event (e.g. 410 Expired) as a thrown
/// <see cref="k8s.Autorest.HttpOperationException"/> or <see cref="KubernetesException"/>, never end silently on it.
/// </remarks>
public interface IListWatcher<T>
{
    Task<ListPage<T>> ListAsync(string? continueToken, int limit, CancellationToken cancellationToken);

    IAsyncEnumerable<(WatchEventType Type, T Object)> WatchAsync(string resourceVersion, CancellationToken cancellationToken);
}

/// <summary>One page of a list: the items, the list's resourceVersion and the token for the next page (null when last).</summary>
public sealed record ListPage<T>(IList<T> Items, string ResourceVersion, string? Continue);
