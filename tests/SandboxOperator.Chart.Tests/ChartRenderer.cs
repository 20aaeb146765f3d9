using System.Diagnostics;
using System.Text;

namespace SandboxOperator.Chart.Tests;

/// <summary>
/// Builds tests/tools/helm-render once per test run and renders the chart with it,
/// the way `helm template` would. Unavailable (tests skip) only when `go` is not on PATH.
/// </summary>
public sealed class ChartRenderer : IDisposable
{
    public const string ReleaseName = "sandbox-operator";
    public const string ReleaseNamespace = "agentsandbox-system";
    public const string Fullname = "sandbox-operator";

    private readonly string _workDir;
    private readonly string? _binary;

    public ChartRenderer()
    {
        RepoRoot = FindRepoRoot();
        ChartDir = Path.Combine(RepoRoot, "charts", "sandbox-operator");
        _workDir = Directory.CreateTempSubdirectory("helm-render-").FullName;

        var go = FindOnPath("go");
        if (go is null)
        {
            SkipReason = "`go` is not on PATH: install golang-go, golang-github-masterminds-sprig-dev and golang-k8s-sigs-yaml-dev to run the chart tests";
            return;
        }

        _binary = Path.Combine(_workDir, "helm-render");
        var env = new Dictionary<string, string>
        {
            ["GO111MODULE"] = "off",
            ["GOPATH"] = Environment.GetEnvironmentVariable("HELM_RENDER_GOPATH") ?? "/usr/share/gocode",
            ["GOCACHE"] = Path.Combine(_workDir, "gocache"),
            ["CGO_ENABLED"] = "0",
        };
        var build = Run(go, ["build", "-o", _binary, "."], Path.Combine(RepoRoot, "tests", "tools", "helm-render"), env);
        if (build.ExitCode != 0)
        {
            throw new InvalidOperationException(
                "building tests/tools/helm-render failed (are golang-github-masterminds-sprig-dev and golang-k8s-sigs-yaml-dev installed?):\n" + build.Stderr);
        }
    }

    /// <summary>Why the chart tests cannot run here, or null when they can.</summary>
    public string? SkipReason { get; }

    public string RepoRoot { get; }

    public string ChartDir { get; }

    /// <summary>Renders the chart as release <see cref="ReleaseName"/> in <see cref="ReleaseNamespace"/>; throws with the template error on failure.</summary>
    public Manifests Render(params string[] args)
    {
        var result = RenderRaw(args);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"helm-render {string.Join(' ', args)} failed:\n{result.Stderr}");
        }

        return Manifests.Parse(result.Stdout);
    }

    /// <summary>Renders expecting failure and returns the error text.</summary>
    public string RenderError(params string[] args)
    {
        var result = RenderRaw(args);
        Assert.True(result.ExitCode != 0, $"expected helm-render {string.Join(' ', args)} to fail, but it rendered:\n{result.Stdout}");
        return result.Stderr;
    }

    public string RenderNotes(params string[] args)
    {
        var result = RenderRaw(["--notes", .. args]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return result.Stdout;
    }

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

    private ProcessResult RenderRaw(string[] args)
    {
        Skip.If(SkipReason is not null, SkipReason);
        return Run(_binary!, ["--name", ReleaseName, "--namespace", ReleaseNamespace, .. args, ChartDir], RepoRoot, null);
    }

    private static ProcessResult Run(string file, IEnumerable<string> args, string workingDirectory, Dictionary<string, string>? env)
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
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 3 minutes");
        }

        process.WaitForExit();
        return new ProcessResult(process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    private static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SandboxOperator.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("SandboxOperator.sln not found above " + AppContext.BaseDirectory);
    }

    private sealed record ProcessResult(int ExitCode, string Stdout, string Stderr);
}

[CollectionDefinition(Name)]
public sealed class ChartCollection : ICollectionFixture<ChartRenderer>
{
    public const string Name = "chart";
}
