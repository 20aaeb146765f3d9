using SandboxOperator.Testing.ControlPlane;

namespace SandboxOperator.Chart.Tests;

/// <summary>
/// Renders the chart with tests/tools/helm-render (built once per test run), the way `helm template`
/// would. Unavailable (tests skip) only when `go` is not on PATH.
/// </summary>
public sealed class ChartRenderer : IDisposable
{
    public const string ReleaseName = HelmRenderTool.ReleaseName;
    public const string ReleaseNamespace = HelmRenderTool.ReleaseNamespace;
    public const string Fullname = "sandbox-operator";

    private readonly HelmRenderTool? _tool;

    public ChartRenderer()
    {
        _tool = HelmRenderTool.Build(out var whyNot);
        SkipReason = _tool is null ? whyNot + " to run the chart tests" : null;
    }

    /// <summary>Why the chart tests cannot run here, or null when they can.</summary>
    public string? SkipReason { get; }

    public string RepoRoot { get; } = RepositoryLayout.Root;

    public string ChartDir { get; } = RepositoryLayout.Chart;

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
        Skip.If(SkipReason is not null, SkipReason);
        return _tool!.ValuesFile(yaml);
    }

    public void Dispose() => _tool?.Dispose();

    private RenderResult RenderRaw(string[] args)
    {
        Skip.If(SkipReason is not null, SkipReason);
        return _tool!.Render(args);
    }
}

[CollectionDefinition(Name)]
public sealed class ChartCollection : ICollectionFixture<ChartRenderer>
{
    public const string Name = "chart";
}
