using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using SandboxOperator.Settings;
using SandboxOperator.Webhook.Serving;
using SandboxOperator.Webhook.StateSources;
using SandboxOperator.Webhook.Tls;
using Serilog.Core;
using Serilog.Events;

namespace SandboxOperator.Webhook.Tests.Support;

/// <summary>Collects log events for assertions.</summary>
internal sealed class LogCollector : ILogEventSink
{
    public ConcurrentQueue<LogEvent> Events { get; } = new();

    public void Emit(LogEvent logEvent) => Events.Enqueue(logEvent);

    public IReadOnlyList<LogEvent> Where(string templatePrefix) =>
        Events.Where(e => e.MessageTemplate.Text.StartsWith(templatePrefix, StringComparison.Ordinal)).ToList();
}

/// <summary>A state source the test syncs by hand.</summary>
internal sealed class ManualStateSource(Policy.State.IClusterState state) : IClusterStateSource
{
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _awaited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Policy.State.IClusterState Current => state;
    public bool Synced => _synced.Task.IsCompleted;

    public Task WhenSynced
    {
        get
        {
            _awaited.TrySetResult();
            return _synced.Task;
        }
    }

    /// <summary>Completes when a review has started waiting for the sync.</summary>
    public Task ReviewWaiting => _awaited.Task;

    public void MarkSynced() => _synced.TrySetResult();
}

/// <summary>The real operator host on 127.0.0.1 with ephemeral ports, over real HTTPS.</summary>
internal sealed class RunningHost : IAsyncDisposable
{
    public static readonly string SamplesDir = Path.Combine(AppContext.BaseDirectory, "Samples", "state");
    private static readonly Lazy<StaticClusterStateSource> SampleSource = new(() =>
    {
        var (source, errors) = StaticClusterStateSource.FromDirectory(SamplesDir);
        return source ?? throw new InvalidOperationException(string.Join("\n", errors));
    });

    private readonly List<HttpClient> _clients = [];

    private RunningHost(WebApplication app, X509Certificate2Collection trusted, LogCollector logs)
    {
        App = app;
        Trusted = trusted;
        Logs = logs;
        Endpoints = app.Services.GetRequiredService<OperatorEndpoints>();
    }

    public WebApplication App { get; }
    public X509Certificate2Collection Trusted { get; }
    public LogCollector Logs { get; }
    public OperatorEndpoints Endpoints { get; }

    public static StaticClusterStateSource Samples => SampleSource.Value;

    public static OperatorOptions DefaultOptions => new()
    {
        BindAddress = IPAddress.Loopback,
        WebhookPort = 0,
        HealthPort = 0,
        MetricsPort = 0,
        ShutdownDelay = TimeSpan.Zero,
        ShutdownTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>
    /// Starts a host. Without <paramref name="trustedCa"/> the host manages its own CA, which the clients
    /// then trust. <paramref name="services"/>, when given, registers the state source instead of
    /// <paramref name="source"/> (e.g. the cluster composition).
    /// </summary>
    public static async Task<RunningHost> StartAsync(OperatorOptions? options = null, IClusterStateSource? source = null, X509Certificate2Collection? trustedCa = null, Action<IServiceCollection>? services = null)
    {
        var logs = new LogCollector();
        var builder = OperatorHost.CreateBuilder(options ?? DefaultOptions, lc => lc.WriteTo.Sink(logs));
        if (services is null)
        {
            builder.Services.AddSingleton(source ?? Samples);
        }
        else
        {
            services(builder.Services);
        }

        var app = OperatorHost.Build(builder);
        await app.StartAsync();
        await app.Services.GetRequiredService<ServingCertificate>().WhenLoaded.WaitAsync(TimeSpan.FromSeconds(10));
        var trusted = trustedCa ?? new X509Certificate2Collection();
        if (trustedCa is null)
        {
            var bundle = app.Services.GetRequiredService<SelfManagedCertificateSource>().Bundle!;
            trusted.ImportFromPem(bundle.CaPem);
        }

        return new RunningHost(app, trusted, logs);
    }

    public Uri WebhookUri(string path) => new($"https://127.0.0.1:{Endpoints.WebhookPort}{path}");
    public Uri HealthUri(string path) => new($"http://127.0.0.1:{Endpoints.HealthPort}{path}");
    public Uri MetricsUri(string path) => new($"http://127.0.0.1:{Endpoints.MetricsPort}{path}");

    /// <summary>An HTTPS client trusting only the host's CA; <paramref name="onServerCertificate"/> sees each handshake's certificate.</summary>
    public HttpClient Client(Version? version = null, X509Certificate2? clientCertificate = null, Action<X509Certificate2>? onServerCertificate = null)
    {
        var client = CreateClient(Trusted, version, clientCertificate, onServerCertificate);
        _clients.Add(client);
        return client;
    }

    /// <summary>An HTTPS client trusting only <paramref name="trusted"/> (custom root trust); the caller disposes it.</summary>
    public static HttpClient CreateClient(X509Certificate2Collection trusted, Version? version = null, X509Certificate2? clientCertificate = null, Action<X509Certificate2>? onServerCertificate = null)
    {
        var client = new HttpClient(CreateHandler(trusted, clientCertificate, onServerCertificate)) { Timeout = TimeSpan.FromSeconds(15) };
        if (version is not null)
        {
            client.DefaultRequestVersion = version;
            client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        return client;
    }

    /// <summary>An HTTPS handler trusting only <paramref name="trusted"/> (custom root trust); the caller disposes it.</summary>
    public static SocketsHttpHandler CreateHandler(X509Certificate2Collection trusted, X509Certificate2? clientCertificate = null, Action<X509Certificate2>? onServerCertificate = null) =>
        new()
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, errors) =>
                {
                    if (cert is not X509Certificate2 c || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
                    {
                        return false;
                    }

                    onServerCertificate?.Invoke(c);
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(c);
                },
                ClientCertificates = clientCertificate is null ? null : new X509CertificateCollection { clientCertificate },
            },
        };

    public static StringContent Json(string body, string contentType = "application/json")
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    /// <summary>POSTs a review and parses the AdmissionReview answer (asserting HTTP 200).</summary>
    public async Task<ReviewResponse> ReviewAsync(string path, JsonObject review, HttpClient? client = null)
    {
        using var response = await (client ?? Client()).PostAsync(WebhookUri(path), Json(review.ToJsonString()));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"HTTP {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var parsed = ReviewResponse.Parse(body);
        Assert.Equal((string)review["request"]!["uid"]!, parsed.Uid);
        return parsed;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients)
        {
            c.Dispose();
        }

        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>One host shared by the tests of a class.</summary>
public sealed class SharedHost : IAsyncLifetime
{
    internal RunningHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await RunningHost.StartAsync();

    public async Task DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
    }
}
