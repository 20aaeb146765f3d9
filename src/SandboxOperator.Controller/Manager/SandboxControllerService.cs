using Microsoft.Extensions.Hosting;

namespace SandboxOperator.Controller.Manager;

/// <summary>Runs the <see cref="SandboxController"/> for the lifetime of the host.</summary>
public sealed class SandboxControllerService(SandboxController controller) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => controller.RunAsync(stoppingToken);
}
