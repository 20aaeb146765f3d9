using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SandboxOperator.Testing.KubeApi.Admission;

namespace SandboxOperator.Testing.KubeApi;

/// <summary>
/// An in-process Kubernetes API server for tests: Kestrel on 127.0.0.1 (a free port) speaking enough of the REST API
/// for KubernetesClient to run unchanged against <see cref="Url"/> — discovery, get/list/watch, create/update/patch/
/// delete, the status subresource, optional admission webhooks — plus fault injection and request counters.
/// </summary>
/// <example>
/// <code>
/// await using var server = await KubeApiServer.StartAsync();
/// var client = new Kubernetes(new KubernetesClientConfiguration { Host = server.Url });
/// </code>
/// </example>
/// <remarks>
/// Caveats: plain HTTP, no authentication or authorization (every caller is <see cref="UserName"/>); no
/// controllers run (no garbage collection, namespace cascade or pod scheduling); no schema validation or defaulting;
/// server-side apply and DELETE of collections are not supported.
/// </remarks>
public sealed class KubeApiServer : IAsyncDisposable
{
    /// <summary>The user name admission reviews report.</summary>
    public const string UserName = "kubernetes-admin";

    private readonly WebApplication _app;
    private long _bookmarkIntervalTicks;

    private KubeApiServer(WebApplication app, KubeApiServerOptions options)
    {
        _app = app;
        _bookmarkIntervalTicks = options.BookmarkInterval.Ticks;
        Store = new ObjectStore(options.Time, options.WatchHistoryLimit);
        Faults = new FaultInjector(Store);
        foreach (var type in BuiltInResources.All.Concat(options.AdditionalResources))
        {
            Resources.Register(type);
        }
    }

    /// <summary>The base URL, e.g. <c>http://127.0.0.1:41234</c>; use it as <c>KubernetesClientConfiguration.Host</c>.</summary>
    public string Url { get; private set; } = "";

    /// <summary>The served resource types; register custom resources here at any time.</summary>
    public ResourceRegistry Resources { get; } = new();

    /// <summary>Direct access to stored objects, bypassing HTTP (and counters).</summary>
    public ObjectStore Store { get; }

    /// <summary>Run-time fault injection.</summary>
    public FaultInjector Faults { get; }

    /// <summary>Per-verb, per-resource request counters.</summary>
    public RequestCounters Requests { get; } = new();

    /// <summary>Admission webhooks called on CREATE and UPDATE.</summary>
    public AdmissionChain Admission { get; } = new();

    /// <summary>How often watches that allow bookmarks get a BOOKMARK when idle. Takes effect at each stream's next wait.</summary>
    public TimeSpan BookmarkInterval
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _bookmarkIntervalTicks));
        set => Interlocked.Exchange(ref _bookmarkIntervalTicks, value.Ticks);
    }

    /// <summary>The number of watch streams currently open.</summary>
    public int OpenWatches => Store.OpenWatchCount;

    /// <summary>
    /// Completes once at least <paramref name="count"/> watch streams are open (a signal, not a poll). Caveat: a watch
    /// the client abandoned counts until its connection closes (KubernetesClient takes about two seconds), so watch
    /// from a resourceVersion when the order of "watch opened" and "object written" matters.
    /// </summary>
    public Task WaitForOpenWatchesAsync(int count, CancellationToken cancellationToken = default) =>
        Store.WaitForOpenWatchesAsync(count, cancellationToken);

    /// <summary>Starts a server on 127.0.0.1 with a free port.</summary>
    public static async Task<KubeApiServer> StartAsync(KubeApiServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new KubeApiServerOptions();
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        if (workers < options.MinimumWorkerThreads)
        {
            ThreadPool.SetMinThreads(options.MinimumWorkerThreads, completionPorts);
        }

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new KubeApiServer(app, options);
        var endpoint = new KubeApiEndpoint(server, new ResourceOperations(server.Store, server.Admission));
        app.Run(endpoint.HandleAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Url = address.TrimEnd('/');
        return server;
    }

    /// <summary>Stops the server: open watches end cleanly, connections still busy after two seconds are aborted.</summary>
    public async ValueTask DisposeAsync()
    {
        Store.CutWatches(WatchCutMode.CloseStream);
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(grace.Token);
        await _app.DisposeAsync();
    }
}
