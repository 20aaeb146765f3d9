using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;

namespace SandboxOperator.Cli.Live;

/// <summary>A problem the user can fix (a missing kubeconfig, an unknown context, a refused read): one line, exit code 2.</summary>
internal sealed class CliException(string message) : Exception(message);

/// <summary>The connection flags every live command takes, with kubectl's meaning.</summary>
internal sealed record KubeFlags(string? Kubeconfig, string? Context, string? Namespace);

/// <summary>A client for the chosen context, and the namespace to use when none is given.</summary>
internal sealed record KubeTarget(IKubernetes Client, string Namespace, string Server);

/// <summary>
/// Finds the cluster as kubectl does: <c>--kubeconfig</c> alone when given, else every file of <c>KUBECONFIG</c>
/// (merged, first wins, missing files ignored), else <c>~/.kube/config</c>; <c>--context</c> over the
/// current-context; <c>-n</c> over the context's namespace over <c>default</c>.
/// </summary>
internal static class KubeContext
{
    public static KubeTarget Connect(KubeFlags flags, Func<string, string?> environment)
    {
        var files = Files(flags.Kubeconfig, environment);
        KubernetesClientConfiguration config;
        try
        {
            config = KubernetesClientConfiguration.BuildConfigFromConfigObject(Merge(files), flags.Context);
        }
        catch (Exception e) when (e is KubeConfigException or IOException or ArgumentException or InvalidOperationException or YamlDotNet.Core.YamlException)
        {
            throw new CliException($"kubeconfig {string.Join(Path.PathSeparator, files)}: {e.Message}");
        }

        var ns = flags.Namespace is { Length: > 0 } given ? given : config.Namespace is { Length: > 0 } fromContext ? fromContext : "default";
        return new KubeTarget(new Kubernetes(config), ns, config.Host);
    }

    /// <summary>kubectl's merge of several files: the first file that sets the current context, or names a cluster, context or user, wins.</summary>
    private static K8SConfiguration Merge(List<string> files)
    {
        var merged = KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(files[0]), useRelativePaths: true);
        foreach (var file in files.Skip(1))
        {
            var next = KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(file), useRelativePaths: true);
            merged.CurrentContext = merged.CurrentContext is { Length: > 0 } current ? current : next.CurrentContext;
            merged.Clusters = [.. merged.Clusters ?? [], .. (next.Clusters ?? []).Where(c => !(merged.Clusters ?? []).Any(m => m.Name == c.Name))];
            merged.Contexts = [.. merged.Contexts ?? [], .. (next.Contexts ?? []).Where(c => !(merged.Contexts ?? []).Any(m => m.Name == c.Name))];
            merged.Users = [.. merged.Users ?? [], .. (next.Users ?? []).Where(u => !(merged.Users ?? []).Any(m => m.Name == u.Name))];
        }

        return merged;
    }

    private static List<string> Files(string? kubeconfig, Func<string, string?> environment)
    {
        if (kubeconfig is { Length: > 0 })
        {
            return File.Exists(kubeconfig) ? [kubeconfig] : throw new CliException($"--kubeconfig {kubeconfig}: no such file");
        }

        if (environment("KUBECONFIG") is { Length: > 0 } list)
        {
            var existing = list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Where(File.Exists).Distinct(StringComparer.Ordinal).ToList();
            return existing.Count > 0 ? existing : throw new CliException($"KUBECONFIG={list}: none of these files exists");
        }

        var home = environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var path = Path.Combine(home, ".kube", "config");
        return File.Exists(path) ? [path] : throw new CliException($"no kubeconfig: {path} does not exist; set KUBECONFIG or pass --kubeconfig");
    }
}
