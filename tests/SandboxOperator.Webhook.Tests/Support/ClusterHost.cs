using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SandboxOperator.Controller.Caching;
using SandboxOperator.Controller.Manager;
using SandboxOperator.Controller.Runtime;
using SandboxOperator.Policy.Api;
using SandboxOperator.Testing.KubeApi;
using SandboxOperator.Testing.KubeApi.Admission;
using SandboxOperator.Settings;
using SandboxOperator.Webhook.Serving;
using SandboxOperator.Webhook.StateSources;

namespace SandboxOperator.Webhook.Tests.Support;

/// <summary>
/// The operator host composed as in a cluster (controller caches, live reads) against the in-process API server,
/// whose admission chain calls the host's <c>/mutate</c> and <c>/validate</c> over HTTPS on pod CREATE, as a real API
/// server does. The informers run on <see cref="Time"/>, a fake clock: a failed watch waits for its backoff until the
/// test advances it, so a watch held back with the fault injector stays broken, deterministically.
/// </summary>
internal sealed class ClusterHost : IAsyncDisposable
{
    public static readonly ResourceType AgentWorkloads = ResourceType.CustomResource(WellKnown.Group, WellKnown.Version, WellKnown.Kind, WellKnown.Plural);
    public static readonly ResourceType SandboxExceptions = ResourceType.CustomResource(WellKnown.Group, WellKnown.Version, WellKnown.ExceptionKind, WellKnown.ExceptionPlural);

    private readonly List<IDisposable> _disposables = [];

    private ClusterHost(KubeApiServer server, IKubernetes client, FakeTimeProvider time)
    {
        Server = server;
        Client = client;
        Time = time;
    }

    public KubeApiServer Server { get; }
    public IKubernetes Client { get; }
    public FakeTimeProvider Time { get; }
    public RunningHost Host { get; private set; } = null!;
    public ClusterCache Cache => Host.App.Services.GetRequiredService<ClusterCache>();
    public SandboxController Controller => Host.App.Services.GetRequiredService<SandboxController>();
    public IClusterStateSource Source => Host.App.Services.GetRequiredService<IClusterStateSource>();

    /// <summary>
    /// Starts the API server, lets <paramref name="seed"/> create objects and inject faults, then starts the host,
    /// waits for its caches and registers its webhooks for pods.
    /// </summary>
    public static async Task<ClusterHost> StartAsync(Func<KubeApiServer, IKubernetes, Task>? seed = null, OperatorOptions? options = null)
    {
        var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { AdditionalResources = [AgentWorkloads, SandboxExceptions] });
        var client = new Kubernetes(new KubernetesClientConfiguration { Host = server.Url });
        var cluster = new ClusterHost(server, client, new FakeTimeProvider(DateTimeOffset.UtcNow));
        try
        {
            if (seed is not null)
            {
                await seed(server, client);
            }

            var opts = options ?? RunningHost.DefaultOptions;
            cluster.Host = await RunningHost.StartAsync(opts, services: s =>
            {
                s.AddSingleton<IKubernetes>(client);
                s.AddClusterState(opts, new SandboxControllerOptions
                {
                    LeaderElection = null,
                    CompactAfterInitialSync = false,
                    Informer = new InformerOptions { Time = cluster.Time },
                });
            });
            await cluster.Source.WhenSynced.WaitAsync(TimeSpan.FromSeconds(60));

            var handler = RunningHost.CreateHandler(cluster.Host.Trusted);
            var mutate = new HttpsAdmissionWebhookClient(cluster.Host.WebhookUri("/mutate"), handler);
            var validate = new HttpsAdmissionWebhookClient(cluster.Host.WebhookUri("/validate"), handler);
            cluster._disposables.AddRange([mutate, validate, handler]);
            server.Admission.Register(new AdmissionWebhook("mutate.agentsandbox.io", ["pods"], AdmissionOperations.Create | AdmissionOperations.Update, mutate.ReviewAsync));
            server.Admission.Register(new AdmissionWebhook("validate.agentsandbox.io", ["pods"], AdmissionOperations.Create | AdmissionOperations.Update, validate.ReviewAsync));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Makes every watch of <paramref name="resource"/> fail (503) until <see cref="KubeApiServer.Faults"/> is reset.</summary>
    public static void HoldBackWatches(KubeApiServer server, string resource) => server.Faults.FailNextRequests(1_000_000, 503, ApiVerb.Watch, resource);

    public static Task CreateNamespaceAsync(IKubernetes client, string name, IDictionary<string, string>? labels = null) =>
        client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name, Labels = labels } });

    /// <summary>A minimal pod with one container.</summary>
    public static V1Pod Pod(string name, IDictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "example/c:1" }] },
    };

    public async ValueTask DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

        foreach (var d in _disposables)
        {
            d.Dispose();
        }

        Client.Dispose();
        await Server.DisposeAsync();
    }
}
