namespace SandboxOperator.Testing.ControlPlane;

/// <summary>Paths inside this repository, found from the running assembly upwards (SandboxOperator.sln marks the root).</summary>
public static class RepositoryLayout
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SandboxOperator.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("SandboxOperator.sln not found above " + AppContext.BaseDirectory);
    });

    public static string Root => RootPath.Value;

    public static string Chart => Path.Combine(Root, "charts", "sandbox-operator");

    public static string Crds => Path.Combine(Root, "crds");

    public static string Samples => Path.Combine(Root, "config", "samples");
}
