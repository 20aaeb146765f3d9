using System.Diagnostics;

namespace SandboxOperator.Cli.Tests;

/// <summary>Runs the built sandboxctl executable as a user would and captures what it prints.</summary>
internal static class Sandboxctl
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static string RepoRoot { get; } = FindRoot();

    public static Result Run(string? stdin, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "sandboxctl.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, WorkingDirectory = RepoRoot };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["NO_COLOR"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
        }

        p.StandardInput.Close();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(true);
            throw new TimeoutException("sandboxctl did not exit within 60 s");
        }

        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SandboxOperator.sln")))
        {
            dir = dir.Parent;
        }

        return dir!.FullName;
    }
}
