namespace SandboxOperator.Cli.Tests;

/// <summary>A temporary folder of files for one test, deleted afterwards.</summary>
internal sealed class TempFiles : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sandboxctl-");

    public string Root => _dir.FullName;

    /// <summary>Writes <paramref name="text"/> at <paramref name="relative"/> (folders created) and returns the full path.</summary>
    public string Write(string relative, string text)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => _dir.Delete(true);
}
