namespace SandboxOperator.Cli;

/// <summary>
/// The name the program was started as. kubectl runs a plugin <c>kubectl-sandbox</c> found on PATH; installed as a
/// copy or a symbolic link to <c>sandboxctl</c>, the same binary then presents itself as <c>kubectl sandbox</c>.
/// </summary>
/// <remarks>
/// .NET reports the resolved executable (<see cref="Environment.ProcessPath"/>, a symbolic link already followed)
/// and the entry assembly; only the process's own argv[0] keeps the name it was started under, so on Linux that is
/// read from /proc/self/cmdline.
/// </remarks>
internal static class InvokedName
{
    public const string Plugin = "kubectl-sandbox";

    public static bool IsPlugin(string? invokedAs) =>
        invokedAs is not null && Path.GetFileNameWithoutExtension(invokedAs).Equals(Plugin, StringComparison.OrdinalIgnoreCase);

    public static string? Current()
    {
        try
        {
            if (File.Exists("/proc/self/cmdline"))
            {
                var argv0 = File.ReadAllText("/proc/self/cmdline").Split('\0')[0];
                if (argv0.Length > 0)
                {
                    return argv0;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return Environment.ProcessPath;
    }
}
