using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace SandboxOperator.Testing.ControlPlane;

/// <summary>
/// One directory holding the control-plane binaries, laid out as envtest lays out its assets: etcd and
/// kube-apiserver (required), kube-controller-manager and kube-scheduler (without them nothing creates
/// the pods of a Deployment or binds pods to nodes, and the tests that need that skip).
/// </summary>
/// <remarks>
/// Looked up in <c>$KUBEBUILDER_ASSETS</c> first (envtest assets of any version), then in the cache that
/// <c>hack/provision-control-plane.sh</c> fills: <c>$SANDBOX_CONTROL_PLANE_CACHE</c>, else
/// <c>${XDG_CACHE_HOME:-~/.cache}/sandbox-operator/control-plane</c>, one subdirectory per version, the
/// newest complete one wins.
/// </remarks>
public sealed partial record ControlPlaneBinaries(string Directory, Version Version)
{
    public const string AssetsVariable = "KUBEBUILDER_ASSETS";
    public const string ProvisionHint = "run hack/provision-control-plane.sh (builds Kubernetes 1.20 offline from Debian's source package) or set KUBEBUILDER_ASSETS to a directory holding etcd, kube-apiserver, kube-controller-manager and kube-scheduler";

    public string Etcd => Path.Combine(Directory, "etcd");

    public string KubeApiServer => Path.Combine(Directory, "kube-apiserver");

    public string KubeControllerManager => Path.Combine(Directory, "kube-controller-manager");

    public string KubeScheduler => Path.Combine(Directory, "kube-scheduler");

    public bool HasControllerManager => File.Exists(KubeControllerManager);

    public bool HasScheduler => File.Exists(KubeScheduler);

    /// <summary>Where the provisioning script caches its builds.</summary>
    public static string CacheRoot =>
        Environment.GetEnvironmentVariable("SANDBOX_CONTROL_PLANE_CACHE") is { Length: > 0 } root
            ? root
            : Path.Combine(
                Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
                "sandbox-operator", "control-plane");

    /// <summary>The binaries to use, or null with the reason in <paramref name="whyNot"/>.</summary>
    public static ControlPlaneBinaries? Locate(out string whyNot)
    {
        if (Environment.GetEnvironmentVariable(AssetsVariable) is { Length: > 0 } assets)
        {
            if (!HasRequired(assets))
            {
                whyNot = $"{AssetsVariable}={assets} does not hold etcd and kube-apiserver; {ProvisionHint}";
                return null;
            }

            return FromDirectory(assets, out whyNot);
        }

        var candidates = System.IO.Directory.Exists(CacheRoot)
            ? System.IO.Directory.GetDirectories(CacheRoot).Where(HasRequired).ToList()
            : [];
        if (candidates.Count == 0)
        {
            whyNot = $"no control-plane binaries in {CacheRoot}; {ProvisionHint}";
            return null;
        }

        var found = candidates.Select(d => FromDirectory(d, out _)).OfType<ControlPlaneBinaries>().MaxBy(b => b.Version);
        whyNot = found is null ? $"the control-plane binaries in {CacheRoot} do not run; {ProvisionHint}" : "";
        return found;
    }

    private static bool HasRequired(string directory) =>
        File.Exists(Path.Combine(directory, "etcd")) && File.Exists(Path.Combine(directory, "kube-apiserver"));

    private static ControlPlaneBinaries? FromDirectory(string directory, out string whyNot)
    {
        var apiServer = Path.Combine(directory, "kube-apiserver");
        try
        {
            using var p = Process.Start(new ProcessStartInfo(apiServer, "--version") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
            var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            var match = VersionPattern().Match(output);
            if (match.Success)
            {
                whyNot = "";
                return new ControlPlaneBinaries(directory, new Version(
                    int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture),
                    int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture),
                    int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture)));
            }

            whyNot = $"{apiServer} --version printed no version: {output.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            whyNot = $"{apiServer} does not run: {e.Message}";
        }

        return null;
    }

    [GeneratedRegex(@"v(\d+)\.(\d+)\.(\d+)")]
    private static partial Regex VersionPattern();
}
