using SandboxOperator.Policy.Manifests;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Webhook.StateSources;

/// <summary>
/// A fixed cluster state, synced from the start: the <c>--state-dir</c> mode that runs with no cluster,
/// filled from the Namespaces, AgentWorkloads, RuntimeClasses and Nodes among the directory's manifests.
/// </summary>
public sealed class StaticClusterStateSource(IClusterState state) : IClusterStateSource
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    public IClusterState Current { get; } = state;
    public bool Synced => true;
    public Task WhenSynced => Task.CompletedTask;

    /// <summary>
    /// Reads every *.yaml, *.yml and *.json file under <paramref name="directory"/> (recursively, in
    /// ordinal path order). Returns the errors instead when the directory is missing or a manifest is
    /// invalid: a state dir that does not parse must not start a webhook that decides on half of it.
    /// </summary>
    public static (StaticClusterStateSource? Source, IReadOnlyList<string> Errors) FromDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return (null, ["the directory does not exist"]);
        }

        var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToList();
        var documents = new List<ManifestDocument>();
        var errors = new List<string>();
        foreach (var file in files)
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (IOException e)
            {
                errors.Add($"{file}: {e.Message}");
                continue;
            }
            catch (UnauthorizedAccessException e)
            {
                errors.Add($"{file}: {e.Message}");
                continue;
            }

            var (docs, parseErrors) = ManifestParser.Parse(text, file);
            documents.AddRange(docs);
            errors.AddRange(parseErrors.Select(e => e.ToString()));
        }

        var set = ManifestSet.From(documents);
        errors.AddRange(set.Errors.Select(e => e.ToString()));
        return errors.Count > 0 ? (null, errors) : (new StaticClusterStateSource(set.State), []);
    }
}
