using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace SandboxOperator.Testing.KubeApi;

/// <summary>
/// Writes one watch response: newline-delimited <c>{"type":...,"object":...}</c> events, flushed as they happen.
/// </summary>
/// <remarks>
/// Guarantees: events are written in resourceVersion order; a BOOKMARK never reports a resourceVersion whose events
/// have not all been written; with selectors, an object that starts matching arrives as ADDED and one that stops
/// matching as DELETED, as on the real server. The stream ends cleanly on <c>timeoutSeconds</c>.
/// </remarks>
internal sealed class WatchStream(
    ResourceType type,
    LabelSelector labels,
    FieldSelector fields,
    bool allowBookmarks,
    Func<TimeSpan> bookmarkInterval)
{
    /// <summary>Streams the subscription until the client leaves, the timeout passes or the watch is cut.</summary>
    public async Task RunAsync(HttpContext context, Outcome<WatchSubscription> opened, long startResourceVersion, TimeSpan? timeout)
    {
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        var aborted = context.RequestAborted;
        try
        {
            await response.StartAsync(aborted);
            if (!opened.IsSuccess)
            {
                await WriteLineAsync(response, "ERROR", opened.Error.ToStatus().ToJsonString(), aborted);
                return;
            }

            using var subscription = opened.Value;
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
            if (timeout is { } t)
            {
                deadline.CancelAfter(t);
            }

            long progress = startResourceVersion;
            while (true)
            {
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                if (allowBookmarks && bookmarkInterval() is var interval && interval > TimeSpan.Zero)
                {
                    tick.CancelAfter(interval);
                }

                bool more;
                try
                {
                    more = await subscription.Items.WaitToReadAsync(tick.Token);
                }
                catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
                {
                    await WriteLineAsync(response, "BOOKMARK", Bookmark(progress), aborted);
                    continue;
                }

                if (!more)
                {
                    if (subscription.CutMode == WatchCutMode.AbortConnection)
                    {
                        context.Abort();
                    }

                    return;
                }

                while (subscription.Items.TryRead(out var item))
                {
                    progress = Math.Max(progress, item.ProgressResourceVersion);
                    if (item.Event is { } e && Translate(e) is { } line)
                    {
                        await WriteLineAsync(response, line.Type, Encoding.UTF8.GetString(line.Object), aborted);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Client went away or timeoutSeconds passed: the response simply ends.
        }
        catch (IOException)
        {
            // The connection broke while writing.
        }
    }

    /// <summary>The event as this watch's filters see it, or null when it does not concern the watcher.</summary>
    private (string Type, byte[] Object)? Translate(StoreEvent e)
    {
        bool now = Matches(e.Current);
        bool before = e.Previous is { } previous && Matches(previous);
        string? type = e.Kind switch
        {
            WatchEventKind.Added => now ? "ADDED" : null,
            WatchEventKind.Modified when now => before ? "MODIFIED" : "ADDED",
            WatchEventKind.Modified => before ? "DELETED" : null,
            WatchEventKind.Deleted => now || before ? "DELETED" : null,
            _ => null,
        };
        return type is null ? null : (type, e.Current.Json);
    }

    private bool Matches(StoredObject obj)
    {
        if (ReferenceEquals(labels, LabelSelector.Everything) && ReferenceEquals(fields, FieldSelector.Everything))
        {
            return true;
        }

        var parsed = obj.Parse();
        return labels.Matches(parsed) && fields.Matches(parsed);
    }

    private string Bookmark(long resourceVersion) => new JsonObject
    {
        ["kind"] = type.Kind,
        ["apiVersion"] = type.ApiVersion,
        ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) },
    }.ToJsonString();

    private static async Task WriteLineAsync(HttpResponse response, string type, string objectJson, CancellationToken cancellationToken)
    {
        var line = $"{{\"type\":\"{type}\",\"object\":{objectJson}}}\n";
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(line), cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }
}
