using SandboxOperator.Policy.Manifests;

namespace SandboxOperator.Cli;

/// <summary>What the files named by <c>-f</c> hold: objects, errors that make parts unusable, and notes.</summary>
internal sealed record SourceReading(List<ManifestDocument> Documents, List<ManifestMessage> Errors, List<ManifestMessage> Notes);

/// <summary>
/// Reads the files named by <c>-f</c>: a file, a directory (recursively, *.yaml, *.yml, *.json, in name order) or
/// <c>-</c> for standard input. Files that are not manifests as they stand are recognised by where they are: a Helm
/// chart's Chart.yaml and a kustomization are skipped with a note, and a file with <c>{{</c> under a chart's
/// <c>templates/</c> is a Helm template that must be rendered first (an error: what it would create is unknown).
/// </summary>
internal static class ManifestSources
{
    private static readonly string[] ChartFiles = ["Chart.yaml", "Chart.yml"];
    private static readonly string[] KustomizationFiles = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

    public static SourceReading Read(IEnumerable<string> paths, TextReader stdin)
    {
        var reading = new SourceReading([], [], []);
        foreach (var path in paths)
        {
            if (path == "-")
            {
                Add(ManifestParser.Parse(stdin.ReadToEnd(), "<stdin>"), reading);
            }
            else if (Directory.Exists(path))
            {
                var files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => IsManifestFile(f) || KustomizationFiles.Contains(Path.GetFileName(f), StringComparer.Ordinal))
                    .Order(StringComparer.Ordinal)
                    .ToList();
                if (files.Count == 0)
                {
                    reading.Errors.Add(new ManifestMessage(path, 0, "directory contains no .yaml, .yml or .json files"));
                }

                foreach (var file in files)
                {
                    ReadFile(file, reading);
                }
            }
            else if (File.Exists(path))
            {
                ReadFile(path, reading);
            }
            else
            {
                reading.Errors.Add(new ManifestMessage(path, 0, "no such file or directory"));
            }
        }

        return reading;
    }

    private static bool IsManifestFile(string file) =>
        file.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".json", StringComparison.OrdinalIgnoreCase);

    private static void ReadFile(string file, SourceReading reading)
    {
        var name = Path.GetFileName(file);
        if (ChartFiles.Contains(name, StringComparer.Ordinal))
        {
            reading.Notes.Add(new ManifestMessage(file, 0, "skipped: a Helm chart's Chart.yaml. The chart's templates are evaluated only once rendered: helm template … | sandboxctl evaluate -f -"));
            return;
        }

        if (KustomizationFiles.Contains(name, StringComparer.Ordinal))
        {
            reading.Notes.Add(new ManifestMessage(file, 0,
                "skipped: a kustomization. The files here are evaluated as written, without its patches and generators; to check what kustomize applies: kubectl kustomize DIR | sandboxctl evaluate -f -"));
            return;
        }

        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            reading.Errors.Add(new ManifestMessage(file, 0, $"cannot read: {ex.Message}"));
            return;
        }

        if (InChartTemplates(file) && text.Contains("{{", StringComparison.Ordinal))
        {
            reading.Errors.Add(new ManifestMessage(file, 0, ManifestParser.HelmAdvice));
            return;
        }

        Add(ManifestParser.Parse(text, file), reading);
    }

    /// <summary>Whether <paramref name="file"/> is under the <c>templates</c> folder of a Helm chart (a folder with a Chart.yaml).</summary>
    private static bool InChartTemplates(string file)
    {
        for (var dir = new DirectoryInfo(Path.GetDirectoryName(Path.GetFullPath(file))!); dir?.Parent is { } parent; dir = parent)
        {
            if (dir.Name == "templates" && ChartFiles.Any(c => File.Exists(Path.Combine(parent.FullName, c))))
            {
                return true;
            }
        }

        return false;
    }

    private static void Add(ManifestReading parsed, SourceReading reading)
    {
        reading.Documents.AddRange(parsed.Documents);
        reading.Errors.AddRange(parsed.Errors);
        reading.Notes.AddRange(parsed.Notes);
    }
}
