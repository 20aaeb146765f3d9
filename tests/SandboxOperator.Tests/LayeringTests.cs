using System.Reflection;
using System.Xml.Linq;

namespace SandboxOperator.Tests;

/// <summary>
/// The assemblies keep their layers: the policy core references nothing of ours; the webhook and the controller
/// reference only the core, never each other; the CLI references only the core; nothing references the host.
/// Checked on the compiled assemblies and on the project files, so an unused reference fails too.
/// </summary>
public sealed class LayeringTests
{
    /// <summary>Each of our assemblies (file name without .dll) with its project and what it may reference.</summary>
    private static readonly (string Assembly, string Project, string[] Allowed)[] Layers =
    [
        ("SandboxOperator.Policy", "src/SandboxOperator.Policy/SandboxOperator.Policy.csproj", []),
        ("SandboxOperator.Webhook", "src/SandboxOperator.Webhook/SandboxOperator.Webhook.csproj", ["SandboxOperator.Policy"]),
        ("SandboxOperator.Controller", "src/SandboxOperator.Controller/SandboxOperator.Controller.csproj", ["SandboxOperator.Policy"]),
        ("sandboxctl", "src/SandboxOperator.Cli/SandboxOperator.Cli.csproj", ["SandboxOperator.Policy"]),
        ("sandbox-operator", "src/SandboxOperator/SandboxOperator.csproj", ["SandboxOperator.Policy", "SandboxOperator.Webhook", "SandboxOperator.Controller"]),
    ];

    private static readonly HashSet<string> Ours = Layers.Select(l => l.Assembly).ToHashSet(StringComparer.Ordinal);

    public static TheoryData<string> Assemblies() => [.. Layers.Select(l => l.Assembly)];

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void An_assembly_references_only_the_layers_below_it(string assembly)
    {
        var (_, project, allowed) = Layers.Single(l => l.Assembly == assembly);
        var compiled = Assembly.LoadFrom(Path.Combine(AppContext.BaseDirectory, assembly + ".dll"))
            .GetReferencedAssemblies().Select(a => a.Name!).Where(Ours.Contains).Order(StringComparer.Ordinal).ToList();
        Assert.All(compiled, r => Assert.Contains(r, allowed));

        var projectFile = Path.Combine(RepositoryRoot(), project);
        var referenced = XDocument.Load(projectFile).Descendants("ProjectReference")
            .Select(r => Path.GetFileNameWithoutExtension((string)r.Attribute("Include")!))
            .Select(name => Layers.Single(l => Path.GetFileNameWithoutExtension(l.Project) == name).Assembly)
            .ToList();
        Assert.All(referenced, r => Assert.Contains(r, allowed));
    }

    [Fact]
    public void Nothing_references_the_host()
    {
        Assert.All(Layers.Where(l => l.Assembly != "sandbox-operator"), l =>
            Assert.DoesNotContain("sandbox-operator", Assembly.LoadFrom(Path.Combine(AppContext.BaseDirectory, l.Assembly + ".dll")).GetReferencedAssemblies().Select(a => a.Name)));
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir.FullName, "SandboxOperator.sln")))
        {
            dir = dir.Parent ?? throw new InvalidOperationException("SandboxOperator.sln not found above " + AppContext.BaseDirectory);
        }

        return dir.FullName;
    }
}
