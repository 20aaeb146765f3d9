using k8s;

namespace SandboxOperator.Testing.KubeApi.Tests;

/// <summary>A started server plus a KubernetesClient pointed at it; dispose to stop both.</summary>
internal sealed class ApiScope : IAsyncDisposable
{
    private ApiScope(KubeApiServer server)
    {
        Server = server;
        Client = new Kubernetes(new KubernetesClientConfiguration { Host = server.Url });
    }

    public KubeApiServer Server { get; }

    public Kubernetes Client { get; }

    /// <summary>Fails a hung test instead of hanging the run.</summary>
    public CancellationToken Timeout { get; } = new CancellationTokenSource(TimeSpan.FromSeconds(15)).Token;

    public static async Task<ApiScope> StartAsync(KubeApiServerOptions? options = null) =>
        new(await KubeApiServer.StartAsync(options ?? new KubeApiServerOptions { AdditionalResources = [AgentWorkload.Resource] }));

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}
