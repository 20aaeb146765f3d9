using SandboxOperator.Policy.Manifests;
using SandboxOperator.Policy.Seatbelt;

namespace SandboxOperator.Cli;

/// <summary>
/// <c>sandboxctl seatbelt</c>: writes the macOS Seatbelt profile for the AgentWorkload in the manifests given, from
/// its <c>spec.localDevelopment</c>. Exit codes: 0 profile written, 2 unusable input (no or several workloads without
/// --name, an invalid workload, a local development section that cannot be expressed safely).
/// </summary>
/// <remarks>The profile goes to standard output and nothing else does; notes and errors go to standard error.</remarks>
internal static class SeatbeltCommand
{
    public static int Run(IReadOnlyList<string> files, string? workspace, string? name, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        if (files.Count == 0)
        {
            stderr.WriteLine("error: no input: pass -f <file|dir|-> with the AgentWorkload");
            return EvaluateCommand.BadInput;
        }

        var input = ManifestSources.Read(files, stdin);
        var set = ManifestSet.From(input.Documents);
        var errors = input.Errors.Concat(set.Errors).ToList();
        foreach (var e in errors)
        {
            stderr.WriteLine($"error: {e}");
        }

        if (errors.Count > 0)
        {
            return EvaluateCommand.BadInput;
        }

        var workloads = set.State.Workloads.Where(w => name is null || w.Name == name).ToList();
        if (workloads.Count != 1)
        {
            var all = set.State.Workloads.Select(w => $"{w.Namespace}/{w.Name}").ToList();
            stderr.WriteLine(workloads.Count == 0
                ? name is null ? "error: the input holds no AgentWorkload" : $"error: no AgentWorkload named \"{name}\" (found: {(all.Count == 0 ? "none" : string.Join(", ", all))})"
                : $"error: the input holds {workloads.Count} AgentWorkloads ({string.Join(", ", all)}); choose one with --name");
            return EvaluateCommand.BadInput;
        }

        var result = SeatbeltProfile.Generate(workloads[0], workspace is null ? null : Path.GetFullPath(workspace));
        foreach (var e in result.Errors)
        {
            stderr.WriteLine($"error: AgentWorkload {workloads[0].Namespace}/{workloads[0].Name}: {e}");
        }

        foreach (var note in result.Notes)
        {
            stderr.WriteLine($"note: {note}");
        }

        if (result.Profile is null)
        {
            return EvaluateCommand.BadInput;
        }

        stdout.Write(result.Profile);
        return EvaluateCommand.Allowed;
    }
}
