using k8s;
using Microsoft.Extensions.DependencyInjection;
using SandboxOperator;
using SandboxOperator.Controller.Hosting;
using SandboxOperator.Controller.Reporting;
using SandboxOperator.Webhook.Hosting;
using SandboxOperator.Webhook.State;

// Composition only: read options, choose the cluster state source, run the host.
var (appSettings, settingsError) = OperatorOptionsReader.LoadAppSettings(AppContext.BaseDirectory);
var parsed = settingsError is null ? OperatorOptionsReader.Read(args, Environment.GetEnvironmentVariable, appSettings) : new OptionsResult(null, settingsError);
if (parsed.Help)
{
    Console.Out.Write(OperatorOptionsReader.Usage);
    return 0;
}

if (parsed.Options is not { } options)
{
    Console.Error.WriteLine($"sandbox-operator: {parsed.Error}");
    return 2;
}

try
{
    var builder = OperatorHost.CreateBuilder(options);
    if (options.StateDir is not null)
    {
        // No cluster: decide from manifests (demos, troubleshooting, smoke tests). The controller does not run.
        var (source, errors) = StaticClusterStateSource.FromDirectory(options.StateDir);
        if (source is null)
        {
            throw new StartupException($"--state-dir {options.StateDir}: {errors[0]}{(errors.Count > 1 ? $" (and {errors.Count - 1} more)" : "")}");
        }

        builder.Services.AddSingleton<IClusterStateSource>(source);
    }
    else
    {
        // In a cluster: the service account; outside one: KUBECONFIG or ~/.kube/config, as kubectl does.
        KubernetesClientConfiguration config;
        try
        {
            config = KubernetesClientConfiguration.IsInCluster()
                ? KubernetesClientConfiguration.InClusterConfig()
                : KubernetesClientConfiguration.BuildConfigFromConfigFile(
                    Environment.GetEnvironmentVariable("KUBECONFIG")?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault());
        }
        catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or FileNotFoundException or IOException)
        {
            throw new StartupException($"no Kubernetes API to talk to ({e.Message}); run in a pod, set KUBECONFIG, or use --state-dir <dir> to decide from manifests");
        }

        builder.Services.AddSingleton<IKubernetes>(_ => new Kubernetes(config));
        builder.Services.AddClusterState(options, new SandboxControllerOptions
        {
            Policy = options.Policy,
            LeaderElection = new LeaderElectionOptions { Namespace = options.Namespace, LeaseName = options.LeaderElectionId },
            PodAuditInterval = options.PodAuditInterval,
            PolicyReports = options.PolicyReports ? new ReportLimits { MaxResults = options.PolicyReportMaxResults } : null,
            Identity = Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod ? pod : $"{Environment.MachineName}-{Environment.ProcessId}",
        });
    }

    await using var app = OperatorHost.Build(builder);
    await app.RunAsync();
    return 0;
}
catch (StartupException e)
{
    Console.Error.WriteLine($"sandbox-operator: {e.Message}");
    return 2;
}
catch (IOException e)
{
    // Kestrel reports a port in use or an address it cannot bind as an IOException.
    Console.Error.WriteLine($"sandbox-operator: cannot listen: {e.Message}");
    return 1;
}
