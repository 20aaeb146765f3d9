using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Manifests;

namespace SandboxOperator.Cli;

/// <summary>
/// <c>sandboxctl evaluate</c>: reads manifests, evaluates each Pod and pod controller as a CREATE
/// admission request, prints a report. Exit codes: 0 all allowed, 1 something denied, 2 unusable
/// input (missing file, YAML error, invalid AgentWorkload or configuration).
/// </summary>
internal static class EvaluateCommand
{
    public const int Allowed = 0;
    public const int Denied = 1;
    public const int BadInput = 2;

    public static int Run(IReadOnlyList<string> files, string? configPath, string output, TextReader stdin, TextWriter stdout, TextWriter stderr, bool color)
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

        var config = PolicyConfig.Default;
        if (configPath is not null)
        {
            if (!File.Exists(configPath))
            {
                stderr.WriteLine($"error: --config {configPath}: no such file");
                return BadInput;
            }

            var (loaded, configErrors) = PolicyConfigLoader.Load(File.ReadAllText(configPath), configPath);
            if (loaded is null)
            {
                foreach (var e in configErrors)
                {
                    stderr.WriteLine($"error: {e}");
                }

                return BadInput;
            }

            config = loaded;
        }

        var (docs, errors) = ManifestSources.Read(files, stdin);
        var set = ManifestSet.From(docs);
        var allErrors = errors.Concat(set.Errors).ToList();
        if (allErrors.Count > 0)
        {
            foreach (var e in allErrors)
            {
                stderr.WriteLine($"error: {e}");
            }

            return BadInput;
        }

        foreach (var note in set.Notes)
        {
            stderr.WriteLine($"note: {note}");
        }

        var results = Evaluator.Evaluate(set, config);
        stdout.Write(output switch
        {
            "json" => JsonReport.Render(results) + "\n",
            "yaml" => YamlWriter.Write(JsonReport.Build(results)),
            _ => TableReport.Render(results, color),
        });
        return results.Any(r => !r.Decision.Allowed) ? Denied : Allowed;
    }
}
