using Microsoft.Extensions.DependencyInjection;
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
    // The cluster state: manifests from --state-dir. The controller's informer caches register here
    // as another IClusterStateSource once they are wired in.
    if (options.StateDir is null)
    {
        throw new StartupException("--state-dir is required: this build decides from manifests only; the in-cluster caches are not wired in yet");
    }

    var (source, errors) = StaticClusterStateSource.FromDirectory(options.StateDir);
    if (source is null)
    {
        throw new StartupException($"--state-dir {options.StateDir}: {errors[0]}{(errors.Count > 1 ? $" (and {errors.Count - 1} more)" : "")}");
    }

    var builder = OperatorHost.CreateBuilder(options);
    builder.Services.AddSingleton<IClusterStateSource>(source);
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
