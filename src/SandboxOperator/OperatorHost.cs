using System.Net;
using System.Security.Authentication;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using SandboxOperator.Controller.Metrics;
using SandboxOperator.Settings;
using SandboxOperator.Webhook.Admission;
using SandboxOperator.Webhook.Serving;
using SandboxOperator.Webhook.StateSources;
using SandboxOperator.Webhook.Tls;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace SandboxOperator;

/// <summary>The configuration cannot start a host; the message is the one line to print.</summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The three listeners; their ports are the bound ones once the host has started (port 0 picks a free one).</summary>
public sealed class OperatorEndpoints
{
    internal ListenOptions? Webhook { get; set; }
    internal ListenOptions? Health { get; set; }
    internal ListenOptions? Metrics { get; set; }

    public int WebhookPort => Webhook?.IPEndPoint?.Port ?? 0;
    public int HealthPort => Health?.IPEndPoint?.Port ?? 0;
    public int MetricsPort => Metrics?.IPEndPoint?.Port ?? 0;
}

/// <summary>
/// Composes the operator process: Kestrel with the HTTPS webhook listener and the plain health and metrics
/// listeners, the admission webhook (<see cref="AdmissionWebhookExtensions.AddAdmissionWebhook"/>), its certificates, Serilog
/// compact JSON logging and the OpenTelemetry Prometheus exporter of both meters. The caller registers an
/// <see cref="IClusterStateSource"/> (and, against a cluster, the controller: <see cref="ClusterComposition"/>)
/// between <see cref="CreateBuilder"/> and <see cref="Build"/>.
/// </summary>
public static class OperatorHost
{
    public static WebApplicationBuilder CreateBuilder(OperatorOptions options, Action<LoggerConfiguration>? configureLogging = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        var services = builder.Services;
        services.AddSingleton(options);

        builder.Logging.ClearProviders();
        services.AddSerilog(lc =>
        {
            lc.MinimumLevel.Is(options.LogLevel)
                .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                // Off, not Warning: while this category is enabled at all, ASP.NET Core starts an Activity
                // and a logging scope for every request, which the hot path does not need.
                .MinimumLevel.Override("Microsoft.AspNetCore.Hosting.Diagnostics", LevelAlias.Off)
                .MinimumLevel.Override("Microsoft.Extensions.Hosting", LogEventLevel.Warning)
                .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
                .Enrich.FromLogContext()
                .WriteTo.Console(new CompactJsonFormatter());
            configureLogging?.Invoke(lc);
        }, preserveStaticLogger: true); // this host's logger, not the process-wide Log.Logger another host may replace

        // Both meters by name: the webhook's and the controller's (today they share one name; each is still named here,
        // so renaming either cannot silently drop its metrics from /metrics).
        services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(AdmissionMetrics.MeterName, ControllerMetrics.MeterName)
            .AddRuntimeInstrumentation()
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));

        services.AddAdmissionWebhook(new AdmissionWebhookOptions
        {
            Policy = options.Policy,
            ReviewTimeout = options.ReviewTimeout,
            LiveReadTimeout = options.LiveReadTimeout,
            ShutdownDelay = options.ShutdownDelay,
        });
        services.AddSingleton<OperatorEndpoints>();
        services.AddSingleton(sp => new ConnectionLimiter(options.MaxConnections, options.MaxConnectionsPerClient,
            sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetRequiredService<ILogger<ConnectionLimiter>>()));
        services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);

        AddCertificates(services, options);

        ClientCertificateValidator? clientValidator = null;
        if (options.ClientCaFile is { } caFile)
        {
            ClientCaFileSource.Bundle bundle;
            try
            {
                bundle = ClientCaFileSource.Load(caFile);
            }
            catch (CertificateLoadException e)
            {
                throw new StartupException(e.Message, e);
            }

            var validator = clientValidator = new ClientCertificateValidator(bundle.Roots);
            services.AddHostedService(sp => new ClientCaFileSource(caFile, validator, bundle, options.TlsCheckInterval, sp.GetRequiredService<ILogger<ClientCaFileSource>>()));
        }

        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            ApplyLimits(k.Limits, options);
            var sp = k.ApplicationServices;
            var limiter = sp.GetRequiredService<ConnectionLimiter>();
            var endpoints = sp.GetRequiredService<OperatorEndpoints>();
            var certificate = sp.GetRequiredService<ServingCertificate>();
            k.Listen(options.BindAddress, options.WebhookPort, lo =>
            {
                lo.Protocols = HttpProtocols.Http1AndHttp2;
                lo.Use(limiter.Wrap);
                lo.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificateSelector = certificate.Select,
                    SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    ClientCertificateMode = clientValidator is null ? ClientCertificateMode.NoCertificate : ClientCertificateMode.RequireCertificate,
                    ClientCertificateValidation = clientValidator is null ? null : clientValidator.Validate,
                    CheckCertificateRevocation = false,
                    HandshakeTimeout = options.TlsHandshakeTimeout,
                });
                endpoints.Webhook = lo;
            });
            k.Listen(options.BindAddress, options.HealthPort, lo =>
            {
                lo.Protocols = HttpProtocols.Http1;
                endpoints.Health = lo;
            });
            k.Listen(options.BindAddress, options.MetricsPort, lo =>
            {
                lo.Protocols = HttpProtocols.Http1;
                endpoints.Metrics = lo;
            });
        });

        return builder;
    }

    /// <summary>Builds the app, loads certificate files (a failure is a <see cref="StartupException"/>) and maps the endpoints.</summary>
    public static WebApplication Build(WebApplicationBuilder builder)
    {
        if (!builder.Services.Any(d => d.ServiceType == typeof(IClusterStateSource)))
        {
            throw new StartupException("no cluster state source is registered (use --state-dir)");
        }

        var app = builder.Build();
        if (app.Services.GetService<FileCertificateSource>() is { } files)
        {
            try
            {
                files.LoadInitial();
            }
            catch (CertificateLoadException e)
            {
                throw new StartupException(e.Message, e);
            }
        }

        var endpoints = app.Services.GetRequiredService<OperatorEndpoints>();
        var readiness = app.Services.GetRequiredService<Readiness>();
        app.UseOpenTelemetryPrometheusScrapingEndpoint(
            meterProvider: null,
            predicate: ctx => ctx.Connection.LocalPort == endpoints.MetricsPort && ctx.Request.Path == "/metrics",
            path: null,
            configureBranchedPipeline: null,
            optionsName: null);
        app.MapAdmission(ctx => ctx.Connection.LocalPort == endpoints.WebhookPort);
        app.Run(ctx =>
        {
            if (ctx.Connection.LocalPort == endpoints.HealthPort)
            {
                return HealthAsync(ctx, readiness);
            }

            ctx.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        return app;
    }

    /// <summary>
    /// Per-connection and per-request limits (the connection caps are <see cref="ConnectionLimiter"/>'s): idle
    /// keep-alive, HTTP/2 streams, header sizes and the body. The endpoint reads at most
    /// <see cref="AdmissionEndpoint.MaxBodyBytes"/> (7 MiB) and answers 413 beyond it; Kestrel then discards the
    /// rest of an HTTP/1.1 body so the caller can read that answer (.NET's HttpClient reports a write error instead
    /// of an answer that arrives while it still sends), up to four times the cap (28 MiB, set explicitly rather than
    /// left at Kestrel's 30 MB default). A larger body gets its connection closed; nothing beyond the cap is ever
    /// buffered, only discarded.
    /// </summary>
    private static void ApplyLimits(KestrelServerLimits limits, OperatorOptions options)
    {
        limits.KeepAliveTimeout = options.KeepAliveTimeout;
        limits.MaxRequestHeadersTotalSize = options.MaxRequestHeaderBytes;
        limits.MaxRequestLineSize = Math.Min(limits.MaxRequestLineSize, options.MaxRequestHeaderBytes);
        limits.MaxRequestBodySize = 4L * AdmissionEndpoint.MaxBodyBytes;
        limits.Http2.MaxStreamsPerConnection = options.Http2MaxStreams;
        limits.Http2.MaxRequestHeaderFieldSize = options.MaxRequestHeaderBytes;
    }

    private static void AddCertificates(IServiceCollection services, OperatorOptions options)
    {
        if (options.TlsCertFile is { } certFile && options.TlsKeyFile is { } keyFile)
        {
            services.AddSingleton(sp => new FileCertificateSource(certFile, keyFile, sp.GetRequiredService<ServingCertificate>(), options.TlsCheckInterval, sp.GetRequiredService<ILogger<FileCertificateSource>>()));
            services.AddHostedService(sp => sp.GetRequiredService<FileCertificateSource>());
            return;
        }

        var (dns, ips) = SelfManagedCertificateSettings.NamesFor(options.ServiceName, options.Namespace, local: !options.InCluster, options.TlsHosts);
        var settings = new SelfManagedCertificateSettings(dns, ips, options.CaLifetime, options.CertLifetime, options.TlsCheckInterval);
        services.AddSingleton(sp => new SelfManagedCertificateSource(
            sp.GetRequiredService<ServingCertificate>(), settings, sp.GetService<ICertificateSecretStore>() ?? ClusterSecretStore(sp, options),
            sp.GetRequiredService<ILogger<SelfManagedCertificateSource>>(), sp.GetService<TimeProvider>()));
        services.AddHostedService(sp => sp.GetRequiredService<SelfManagedCertificateSource>());
    }

    /// <summary>
    /// Wherever a Kubernetes API is in reach (a pod's service account, or a kubeconfig outside the cluster; the
    /// process's one <see cref="IKubernetes"/>) the self-managed CA lives in the Secret and is injected into the
    /// webhook configurations, so a replica on a laptop behaves as one in a pod; only with no API at all
    /// (--state-dir outside a cluster) it stays in memory.
    /// </summary>
    private static KubernetesCertificateSecretStore? ClusterSecretStore(IServiceProvider sp, OperatorOptions options) =>
        sp.GetService<IKubernetes>() is { } client
            ? new KubernetesCertificateSecretStore(client, options.Namespace, options.TlsSecretName, options.WebhookConfigurationName)
            : null;

    private static Task HealthAsync(HttpContext ctx, Readiness readiness)
    {
        var response = ctx.Response;
        response.ContentType = "text/plain; charset=utf-8";
        switch (ctx.Request.Path.Value)
        {
            case "/healthz":
                return response.WriteAsync("ok\n");
            case "/readyz":
                if (readiness.NotReadyBecause() is { } why)
                {
                    response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                    return response.WriteAsync($"not ready: {why}\n");
                }

                return response.WriteAsync("ok\n");
            default:
                response.StatusCode = StatusCodes.Status404NotFound;
                return response.WriteAsync("not found: use /healthz or /readyz\n");
        }
    }
}
