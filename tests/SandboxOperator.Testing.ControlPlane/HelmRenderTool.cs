using System.Diagnostics;
using System.Text;

namespace SandboxOperator.Testing.ControlPlane;

/// <summary>What one helm-render run printed.</summary>
public sealed record RenderResult(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// tests/tools/helm-render, built once into a work directory: renders the chart with Go's text/template
/// and sprig, Helm's own engine, the way <c>helm template</c> would, where no helm binary exists.
/// </summary>
public sealed class HelmRenderTool : IDisposable
{
    public const string ReleaseName = "sandbox-operator";
    public const string ReleaseNamespace = "agentsandbox-system";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private readonly string _workDir;
    private readonly string _binary;

    private HelmRenderTool(string workDir, string binary)
    {
        _workDir = workDir;
        _binary = binary;
    }

    /// <summary>Builds the tool; null with the reason when <c>go</c> is not on PATH. A failed build throws (missing Go packages).</summary>
    public static HelmRenderTool? Build(out string whyNot)
    {
        var go = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "go")).FirstOrDefault(File.Exists);
        if (go is null)
        {
            whyNot = "`go` is not on PATH: install golang-go, golang-github-masterminds-sprig-dev and golang-k8s-sigs-yaml-dev to render the chart";
            return null;
        }

        var workDir = Directory.CreateTempSubdirectory("helm-render-").FullName;
        var binary = Path.Combine(workDir, "helm-render");
        var build = Run(go, ["build", "-o", binary, "."], Path.Combine(RepositoryLayout.Root, "tests", "tools", "helm-render"), new Dictionary<string, string>
        {
            ["GO111MODULE"] = "off",
            ["GOPATH"] = Environment.GetEnvironmentVariable("HELM_RENDER_GOPATH") ?? "/usr/share/gocode",
            ["GOCACHE"] = Path.Combine(workDir, "gocache"),
            ["CGO_ENABLED"] = "0",
        });
        if (build.ExitCode != 0)
        {
            throw new InvalidOperationException(
                "building tests/tools/helm-render failed (are golang-github-masterminds-sprig-dev and golang-k8s-sigs-yaml-dev installed?):\n" + build.Stderr);
        }

        whyNot = "";
        return new HelmRenderTool(workDir, binary);
    }

    /// <summary>Renders the chart as release <see cref="ReleaseName"/> in <see cref="ReleaseNamespace"/> with helm-style flags (--set, -f, --notes, --kube-version).</summary>
    public RenderResult Render(params string[] args) =>
        Run(_binary, ["--name", ReleaseName, "--namespace", ReleaseNamespace, .. args, RepositoryLayout.Chart], RepositoryLayout.Root, null);

    /// <summary>Writes a values file for -f and returns its path.</summary>
    public string ValuesFile(string yaml)
    {
        var path = Path.Combine(_workDir, $"values-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_workDir, recursive: true);
        }
        catch (IOException)
        {
            // The Go build cache may hold read-only files; the temp folder is cleaned by the OS.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static RenderResult Run(string file, IEnumerable<string> args, string workingDirectory, Dictionary<string, string>? env)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? [])
        {
            psi.Environment[k] = v;
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { stdout.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { stderr.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {Timeout}");
        }

        process.WaitForExit();
        return new RenderResult(process.ExitCode, stdout.ToString(), stderr.ToString());
    }
}
