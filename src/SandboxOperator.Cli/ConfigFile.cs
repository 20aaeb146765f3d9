using SandboxOperator.Policy.Configuration;

namespace SandboxOperator.Cli;

/// <summary>Reads the --config file the commands share; problems go to standard error, one per line.</summary>
internal static class ConfigFile
{
    /// <summary>The configuration at <paramref name="path"/>, the built-in defaults when it is null, or null after printing why it cannot be used.</summary>
    public static PolicyConfig? Load(string? path, TextWriter stderr)
    {
        if (path is null)
        {
            return PolicyConfig.Default;
        }

        if (!File.Exists(path))
        {
            stderr.WriteLine($"error: --config {path}: no such file");
            return null;
        }

        var (loaded, errors) = PolicyConfigLoader.Load(File.ReadAllText(path), path);
        foreach (var e in errors)
        {
            stderr.WriteLine($"error: {e}");
        }

        return loaded;
    }
}
