using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Manifests;

namespace SandboxOperator.Cli;

/// <summary>
/// <c>sandboxctl evaluate</c>: reads manifests, evaluates each Pod, pod controller and AgentWorkload as a CREATE
/// admission request at a given time (SandboxExceptions in the input apply until they expire), prints a report. Exit codes: 0 all allowed, 1 something denied, 2 unusable input (missing
/// file, YAML error, Helm template, invalid AgentWorkload or configuration).
/// </summary>
/// <remarks>
/// Unusable parts never hide the rest: every object that can be read is evaluated and printed, notes and errors go
/// to standard error, and the exit code is the worst of all (2 over 1 over 0). A bad flag or configuration stops
/// before any input is read.
/// </remarks>
internal static class EvaluateCommand
{
    public const int Allowed = 0;
    public const int Denied = 1;
    public const int BadInput = 2;

    /// <param name="now">The time the evaluation is as of: which SandboxExceptions in the input still apply.</param>
    public static int Run(IReadOnlyList<string> files, string? configPath, string output, DateTimeOffset now, TextReader stdin, TextWriter stdout, TextWriter stderr, bool color)
    {
        if (output is not ("table" or "json" or "yaml"))
        {
            stderr.WriteLine($"error: -o/--output: unsupported value \"{output}\" (allowed: table, json, yaml)");
            return BadInput;
        }

        if (files.Count == 0)
        {
            stderr.WriteLine("error: no input: pass -f <file|dir|-> at least once");
            return BadInput;
        }

        if (ConfigFile.Load(configPath, stderr) is not { } config)
        {
            return BadInput;
        }

        var input = ManifestSources.Read(files, stdin);
        var set = ManifestSet.From(input.Documents);
        var (results, uncovered) = Evaluator.Evaluate(set, config, now);
        foreach (var note in input.Notes.Concat(set.Notes).Concat(uncovered))
        {
            stderr.WriteLine($"note: {note}");
        }

        stdout.Write(output switch
        {
            "json" => JsonReport.Render(results) + "\n",
            "yaml" => YamlWriter.Write(JsonReport.Build(results)),
            _ => TableReport.Render(results, color),
        });

        var errors = input.Errors.Concat(set.Errors).ToList();
        foreach (var e in errors)
        {
            stderr.WriteLine($"error: {e}");
        }

        return errors.Count > 0 ? BadInput : results.Any(r => !r.Decision.Allowed) ? Denied : Allowed;
    }
}
