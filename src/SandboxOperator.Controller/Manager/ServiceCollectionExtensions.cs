using System.Diagnostics.Metrics;
using k8s;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using SandboxOperator.Controller.Caching;
using SandboxOperator.Controller.Metrics;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Controller.Manager;

/// <summary>Registers the controller in a host.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Adds the <see cref="SandboxController"/> as a hosted service, its <see cref="ClusterCache"/> (also as
    /// <see cref="IClusterState"/>, for the webhook; await <see cref="ClusterCache.Synced"/> or check
    /// <see cref="ClusterCache.IsSynced"/> for readiness) and <see cref="ControllerMetrics"/> (Meter
    /// <c>SandboxOperator</c>). Requires an <see cref="IKubernetes"/> registration.
    /// </summary>
    public static IServiceCollection AddSandboxController(this IServiceCollection services, SandboxControllerOptions options)
    {
        services.AddSingleton(options);
        services.TryAddSingleton(sp => new ControllerMetrics(sp.GetService<IMeterFactory>()));
        services.AddSingleton(sp => new SandboxController(
            sp.GetRequiredService<IKubernetes>(), options, sp.GetService<ILoggerFactory>(), sp.GetRequiredService<ControllerMetrics>()));
        services.AddSingleton(sp => sp.GetRequiredService<SandboxController>().Cache);
        services.AddSingleton<IClusterState>(sp => sp.GetRequiredService<ClusterCache>());
        services.AddHostedService<SandboxControllerService>();
        return services;
    }
}
