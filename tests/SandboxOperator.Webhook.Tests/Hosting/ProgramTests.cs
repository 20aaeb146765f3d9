using System.Diagnostics;

namespace SandboxOperator.Webhook.Tests.Hosting;

/// <summary>The executable's exit codes and error lines.</summary>
public sealed class ProgramTests
{
    [Theory]
    [InlineData(new[] { "--bogus" }, "sandbox-operator: unknown flag --bogus (see --help)")]
    [InlineData(new[] { "--webhook-port", "x", "--state-dir", "." }, "sandbox-operator: --webhook-port \"x\": expected a port number 0-65535")]
    [InlineData(new string[0], "sandbox-operator: no Kubernetes API to talk to")]
    [InlineData(new[] { "--state-dir", "/nonexistent/state" }, "sandbox-operator: --state-dir /nonexistent/state: the directory does not exist")]
    public async Task Bad_invocations_exit_2_with_one_line(string[] args, string expectedStart)
    {
        var (code, stdout, stderr) = await RunAsync(args);

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(expectedStart, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_config_file_exits_2()
    {
        var path = Path.Combine(Path.GetTempPath(), $"policy-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(path, "kata: [unclosed\n");
        try
        {
            var (code, _, stderr) = await RunAsync(["--config", path, "--state-dir", "."]);

            Assert.Equal(2, code);
            Assert.StartsWith($"sandbox-operator: --config {path}: ", stderr, StringComparison.Ordinal);
            Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task An_invalid_manifest_in_the_state_dir_exits_2()
    {
        var dir = Directory.CreateTempSubdirectory("state-");
        await File.WriteAllTextAsync(Path.Combine(dir.FullName, "bad.yaml"), "apiVersion: agentsandbox.io/v1alpha1\nkind: AgentWorkload\nmetadata:\n  name: x\nspec:\n  type: Robot\n");
        try
        {
            var (code, _, stderr) = await RunAsync(["--state-dir", dir.FullName]);

            Assert.Equal(2, code);
            Assert.Contains("bad.yaml", stderr, StringComparison.Ordinal);
            Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public async Task Help_exits_0()
    {
        var (code, stdout, _) = await RunAsync(["--help"]);

        Assert.Equal(0, code);
        Assert.Contains("--state-dir", stdout, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sandbox-operator.dll"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment.Remove("KUBERNETES_SERVICE_HOST");
        psi.Environment["KUBECONFIG"] = Path.Combine(Path.GetTempPath(), $"no-kubeconfig-{Guid.NewGuid():N}");
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
