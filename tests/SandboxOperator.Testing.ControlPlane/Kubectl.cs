using System.Diagnostics;

namespace SandboxOperator.Testing.ControlPlane;

/// <summary>What one kubectl run printed.</summary>
public sealed record KubectlResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Both streams, as a user sees them in a terminal.</summary>
    public string Output => Stdout + Stderr;

    public bool Succeeded => ExitCode == 0;

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}--- stderr\n{Stderr}";
}

/// <summary>The kubectl on PATH, run with one kubeconfig, exactly as a user would type it.</summary>
public sealed class Kubectl(string executable, string kubeconfig)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>The kubectl executable on PATH, or null.</summary>
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "kubectl"))
            .FirstOrDefault(File.Exists);

    public Task<KubectlResult> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    /// <summary>Runs kubectl with <paramref name="stdin"/> on its standard input (for <c>-f -</c>); kills it after 2 minutes.</summary>
    public async Task<KubectlResult> RunWithInputAsync(string? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--kubeconfig");
        psi.ArgumentList.Add(kubeconfig);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        // No user's kubectl settings leak in.
        psi.Environment.Remove("KUBECONFIG");
        psi.Environment["KUBECTL_INTERACTIVE_DELETE"] = "false";
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {executable}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl {string.Join(' ', args)} did not finish within {Timeout}");
        }

        return new KubectlResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs kubectl and throws with its output unless it succeeded.</summary>
    public async Task<string> SucceedAsync(params string[] args)
    {
        var result = await RunAsync(args);
        return result.Succeeded ? result.Stdout : throw new InvalidOperationException($"kubectl {string.Join(' ', args)} failed: {result}");
    }

    /// <summary>Applies YAML text with <c>kubectl apply -f -</c>; throws with kubectl's output unless it succeeded.</summary>
    public async Task<string> ApplyAsync(string yaml)
    {
        var result = await RunWithInputAsync(yaml, "apply", "-f", "-");
        return result.Succeeded ? result.Stdout : throw new InvalidOperationException($"kubectl apply failed: {result}\n--- input\n{yaml}");
    }

    public override string ToString() => $"kubectl --kubeconfig {kubeconfig}";
}
