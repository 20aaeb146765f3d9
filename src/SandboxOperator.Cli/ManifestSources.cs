using SandboxOperator.Policy.Manifests;

namespace SandboxOperator.Cli;

/// <summary>Reads the files named by <c>-f</c>: a file, a directory (recursively, *.yaml, *.yml, *.json, in name order) or <c>-</c> for standard input.</summary>
internal static class ManifestSources
{
    public static (List<ManifestDocument> Documents, List<ManifestError> Errors) Read(IEnumerable<string> paths, TextReader stdin)
    {
        var docs = new List<ManifestDocument>();
        var errors = new List<ManifestError>();
        foreach (var path in paths)
        {
            if (path == "-")
            {
                Add(stdin.ReadToEnd(), "<stdin>", docs, errors);
            }
            else if (Directory.Exists(path))
            {
                var files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal)
                    .ToList();
                if (files.Count == 0)
                {
                    errors.Add(new ManifestError(path, 0, "directory contains no .yaml, .yml or .json files"));
                }

                foreach (var file in files)
                {
                    ReadFile(file, docs, errors);
                }
            }
            else if (File.Exists(path))
            {
                ReadFile(path, docs, errors);
            }
            else
            {
                errors.Add(new ManifestError(path, 0, "no such file or directory"));
            }
        }

        return (docs, errors);
    }

    private static void ReadFile(string file, List<ManifestDocument> docs, List<ManifestError> errors)
    {
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add(new ManifestError(file, 0, $"cannot read: {ex.Message}"));
            return;
        }

        Add(text, file, docs, errors);
    }

    private static void Add(string text, string source, List<ManifestDocument> docs, List<ManifestError> errors)
    {
        var (d, e) = ManifestParser.Parse(text, source);
        docs.AddRange(d);
        errors.AddRange(e);
    }
}
