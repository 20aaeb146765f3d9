using k8s;
using Microsoft.Extensions.DependencyInjection;
using SandboxOperator.Controller.Caching;
using SandboxOperator.Controller.Manager;
using SandboxOperator.Settings;
using SandboxOperator.Webhook.StateSources;

namespace SandboxOperator;

/// <summary>How the host decides against a cluster: the controller's caches as the state source, plus live reads.</summary>
public static class ClusterComposition
{
    /// <summary>
    /// Registers the controller (its informers keep the caches warm on every replica), the caches as the webhook's
    /// <see cref="IClusterStateSource"/> (stale after a watch outage longer than
    /// <see cref="OperatorOptions.WatchOutageLimit"/>) and an <see cref="ILiveClusterReader"/> on the same
    /// <see cref="IKubernetes"/> client, which the caller registers.
    /// </summary>
    public static IServiceCollection AddClusterState(this IServiceCollection services, OperatorOptions options, SandboxControllerOptions controller)
    {
        services.AddSandboxController(controller);
        services.AddSingleton<IClusterStateSource>(sp =>
        {
            var sandbox = sp.GetRequiredService<SandboxController>();
            return new ControllerStateSource(sp.GetRequiredService<ClusterCache>(), sandbox.StateInformers, options.WatchOutageLimit);
        });
        services.AddSingleton<ILiveClusterReader>(sp => new KubernetesLiveClusterReader(sp.GetRequiredService<IKubernetes>()));
        return services;
    }
}
