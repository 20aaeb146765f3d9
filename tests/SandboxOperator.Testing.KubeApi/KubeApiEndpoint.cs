using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace SandboxOperator.Testing.KubeApi;

/// <summary>
/// The HTTP edge: routes a request to discovery, a read, a watch or a write, applies counters and injected faults,
/// and renders values and <see cref="ApiError"/>s as responses. The only place that touches <see cref="HttpContext"/>
/// apart from <see cref="WatchStream"/>.
/// </summary>
internal sealed class KubeApiEndpoint(KubeApiServer server, ResourceOperations operations)
{
    public async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        if (context.Request.Method == HttpMethods.Get)
        {
            if (path is "/healthz" or "/readyz" or "/livez")
            {
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync("ok", context.RequestAborted);
                return;
            }

            if (DiscoveryDocuments.For(path, server.Resources.All, $"127.0.0.1:{context.Connection.LocalPort}") is { } document)
            {
                await WriteJsonAsync(context, 200, document);
                return;
            }
        }

        var route = Route(context.Request.Method, path, context.Request.Query);
        if (!route.IsSuccess)
        {
            await WriteErrorAsync(context, route.Error);
            return;
        }

        var (verb, type, resourcePath) = route.Value;
        server.Requests.Record(verb, resourcePath.CountedResource);
        if (server.Faults.Latency is { } latency && latency > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(latency, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        if (server.Faults.TakeFailure(new FaultTarget(verb, type, resourcePath.CountedResource, resourcePath.Name)) is { } injected)
        {
            await WriteErrorAsync(context, injected);
            return;
        }

        var query = context.Request.Query;
        bool dryRun = query["dryRun"].Contains("All");
        switch (verb)
        {
            case ApiVerb.Get:
                var stored = server.Store.GetStored(type, resourcePath.Namespace, resourcePath.Name!);
                await (stored is null
                    ? WriteErrorAsync(context, ApiError.NotFound(type, resourcePath.Name!))
                    : WriteJsonAsync(context, 200, stored.Parse()));
                break;
            case ApiVerb.List:
                await ListAsync(context, type, resourcePath);
                break;
            case ApiVerb.Watch:
                await WatchAsync(context, type, resourcePath);
                break;
            case ApiVerb.Delete:
                await WriteResultAsync(context, operations.Delete(type, resourcePath.Namespace, resourcePath.Name!, await ReadBodyAsync(context), dryRun));
                break;
            default:
                var body = await ReadBodyAsync(context);
                var result = verb switch
                {
                    ApiVerb.Create => await operations.CreateAsync(type, resourcePath.Namespace, body, dryRun, context.RequestAborted),
                    ApiVerb.Update => await operations.UpdateAsync(type, resourcePath.Namespace, resourcePath.Name!, resourcePath.Subresource, body, dryRun, context.RequestAborted),
                    _ => await operations.PatchAsync(type, resourcePath.Namespace, resourcePath.Name!, resourcePath.Subresource, body, context.Request.ContentType, dryRun, context.RequestAborted),
                };
                await WriteResultAsync(context, result);
                break;
        }
    }

    /// <summary>Resolves method + path to a verb and a registered type; unknown paths are 404, wrong methods 405.</summary>
    private Outcome<(ApiVerb Verb, ResourceType Type, ResourcePath Path)> Route(string method, string path, IQueryCollection query)
    {
        if (ResourcePath.Parse(path) is not { } resourcePath
            || server.Resources.Find(resourcePath.Group, resourcePath.Version, resourcePath.Plural) is not { } type
            || (!type.Namespaced && resourcePath.Namespace is not null)
            || (resourcePath.Subresource is not null && !(resourcePath.Subresource == "status" && type.HasStatus)))
        {
            return ApiError.UnknownPath();
        }

        bool named = resourcePath.Name is not null;
        bool watch = resourcePath.WatchPrefix || query["watch"].Any(v => v is "true" or "1");
        ApiVerb? verb = method switch
        {
            "GET" when watch && resourcePath.Subresource is null => ApiVerb.Watch,
            "GET" => named ? ApiVerb.Get : ApiVerb.List,
            "POST" when !named && (resourcePath.Namespace is not null || !type.Namespaced) => ApiVerb.Create,
            "PUT" when named => ApiVerb.Update,
            "PATCH" when named => ApiVerb.Patch,
            "DELETE" when named && resourcePath.Subresource is null => ApiVerb.Delete,
            _ => null,
        };
        if (verb is null)
        {
            return ApiError.MethodNotAllowed(method);
        }

        return (verb.Value, type, resourcePath);
    }

    private async Task ListAsync(HttpContext context, ResourceType type, ResourcePath path)
    {
        var query = context.Request.Query;
        var labels = LabelSelector.Parse(query["labelSelector"]);
        var fields = FieldSelector.Parse(query["fieldSelector"]);
        if (!labels.IsSuccess || !fields.IsSuccess)
        {
            await WriteErrorAsync(context, labels.Error ?? fields.Error!);
            return;
        }

        var (items, resourceVersion) = server.Store.ListStored(type, path.Namespace);
        var matching = items.Select(o => o.Parse()).Where(o => labels.Value.Matches(o) && fields.Value.Matches(o)).ToList();
        var page = ListPage.Select(matching, query["limit"], query["continue"]);
        if (!page.IsSuccess)
        {
            await WriteErrorAsync(context, page.Error);
            return;
        }

        var metadata = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (page.Value.Continue is { } token)
        {
            metadata["continue"] = token;
            metadata["remainingItemCount"] = page.Value.Remaining;
        }

        await WriteJsonAsync(context, 200, new JsonObject
        {
            ["kind"] = type.ListKind,
            ["apiVersion"] = type.ApiVersion,
            ["metadata"] = metadata,
            ["items"] = new JsonArray([.. page.Value.Items]),
        });
    }

    private async Task WatchAsync(HttpContext context, ResourceType type, ResourcePath path)
    {
        var query = context.Request.Query;
        var fieldText = path.Name is null ? query["fieldSelector"].ToString() : $"metadata.name={path.Name}";
        var labels = LabelSelector.Parse(query["labelSelector"]);
        var fields = FieldSelector.Parse(fieldText);
        long? from = null;
        if (query["resourceVersion"].ToString() is { Length: > 0 } text)
        {
            if (!long.TryParse(text, out var parsed) || parsed < 0)
            {
                await WriteErrorAsync(context, ApiError.BadRequest($"resourceVersion: Invalid value: \"{text}\": must be a non-negative decimal number"));
                return;
            }

            from = parsed;
        }

        TimeSpan? timeout = null;
        if (query["timeoutSeconds"].ToString() is { Length: > 0 } seconds)
        {
            if (!int.TryParse(seconds, out var s) || s < 0)
            {
                await WriteErrorAsync(context, ApiError.BadRequest($"timeoutSeconds: Invalid value: \"{seconds}\""));
                return;
            }

            timeout = s > 0 ? TimeSpan.FromSeconds(s) : null;
        }

        if (!labels.IsSuccess || !fields.IsSuccess)
        {
            await WriteErrorAsync(context, labels.Error ?? fields.Error!);
            return;
        }

        bool bookmarks = query["allowWatchBookmarks"].Any(v => v is "true" or "1");
        var stream = new WatchStream(type, labels.Value, fields.Value, bookmarks, () => server.BookmarkInterval);
        var opened = server.Store.Watch(type, path.Namespace, from);
        await stream.RunAsync(context, opened, from ?? 0, timeout);
    }

    private static async Task<string> ReadBodyAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync(context.RequestAborted);
    }

    private static async Task WriteResultAsync(HttpContext context, WriteResult result)
    {
        foreach (var warning in result.Warnings)
        {
            var quoted = warning.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
            context.Response.Headers.Append("Warning", $"299 - \"{quoted}\"");
        }

        await (result.Body.IsSuccess ? WriteJsonAsync(context, result.StatusCode, result.Body.Value) : WriteErrorAsync(context, result.Body.Error));
    }

    private static Task WriteErrorAsync(HttpContext context, ApiError error)
    {
        if (error.RetryAfterSeconds is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return WriteJsonAsync(context, error.Code, error.ToStatus());
    }

    private static async Task WriteJsonAsync(HttpContext context, int statusCode, JsonNode body)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        try
        {
            await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(body.ToJsonString()), context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The client left.
        }
    }
}
