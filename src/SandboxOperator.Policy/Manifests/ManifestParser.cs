using System.Text.Json.Nodes;

namespace SandboxOperator.Policy.Manifests;

/// <summary>What a manifest text holds: its objects, the errors that make parts of it unusable, and notes.</summary>
public sealed record ManifestReading(IReadOnlyList<ManifestDocument> Documents, IReadOnlyList<ManifestMessage> Errors, IReadOnlyList<ManifestMessage> Notes)
{
    public void Deconstruct(out IReadOnlyList<ManifestDocument> documents, out IReadOnlyList<ManifestMessage> errors)
    {
        documents = Documents;
        errors = Errors;
    }
}

/// <summary>
/// Turns manifest text into the objects kubectl would send: text starting with <c>{</c> is a stream of JSON
/// objects, anything else YAML split into documents at <c>---</c> lines and read as sigs.k8s.io/yaml reads it
/// (<see cref="YamlToJson"/>). Empty documents are skipped; an object with an <c>items</c> list (<c>List</c>,
/// <c>PodList</c>, any <c>*List</c>) stands for its items, in the order kubectl visits them.
/// </summary>
/// <remarks>
/// Errors are values with file and line; nothing here throws on bad input. One unreadable document never hides the
/// others. A mapping with neither <c>apiVersion</c> nor <c>kind</c> (a values file, a kustomization without them) is
/// no Kubernetes object and is skipped with a note; one with only one of the two is an error, as kubectl refuses it.
/// A list inside a list is read item by item although kubectl 1.32 refuses such a file; a note says so.
/// </remarks>
public static class ManifestParser
{
    /// <summary>What the error for a Helm template says to do.</summary>
    public const string HelmAdvice = "a Helm template: render it first (helm template … | sandboxctl evaluate -f -)";

    public static ManifestReading Parse(string text, string source)
    {
        var docs = new List<ManifestDocument>();
        var errors = new List<ManifestMessage>();
        var notes = new List<ManifestMessage>();
        if (text.AsSpan().TrimStart().StartsWith("{"))
        {
            var (values, jsonErrors, jsonNotes) = JsonManifests.Read(text, source);
            errors.AddRange(jsonErrors);
            notes.AddRange(jsonNotes);
            foreach (var value in values)
            {
                Add(value.Root, new SourceLines(value.Lines, value.Line), source, docs, errors, notes);
            }
        }
        else
        {
            var (chunks, splitErrors) = YamlDocuments.Split(text, source);
            errors.AddRange(splitErrors);
            foreach (var chunk in chunks)
            {
                var document = YamlToJson.Convert(chunk, source);
                notes.AddRange(document.Notes);
                if (document.Error is { } error)
                {
                    errors.Add(chunk.Text.Contains("{{", StringComparison.Ordinal) ? error with { Message = HelmAdvice } : error);
                    continue;
                }

                Add(document.Root, new SourceLines(document.Lines, FirstContentLine(chunk)), source, docs, errors, notes);
            }
        }

        return new ManifestReading(docs, errors, notes);
    }

    private static void Add(JsonNode? root, SourceLines lines, string source, List<ManifestDocument> docs, List<ManifestMessage> errors, List<ManifestMessage> notes)
    {
        if (root is null)
        {
            return;
        }

        if (root is not JsonObject obj)
        {
            errors.Add(new ManifestMessage(source, lines.ObjectLine, $"a manifest document must be a mapping (an object with apiVersion and kind), not {(root is JsonArray ? "a list" : "a single value")}; kubectl refuses it too"));
            return;
        }

        // Breadth first, as kubectl's FlattenListVisitor: a list's own items first, then those of lists among them.
        var queue = new Queue<(JsonObject Object, SourceLines Lines, bool Nested)>();
        queue.Enqueue((obj, lines, false));
        while (queue.TryDequeue(out var next))
        {
            if (next.Object["items"] is not JsonArray items)
            {
                Check(next.Object, next.Lines, source, docs, errors, notes);
                continue;
            }

            if (next.Nested)
            {
                notes.Add(new ManifestMessage(source, next.Lines.ObjectLine, "a list inside a list: kubectl refuses such a file (\"is not a list\"), so it cannot be applied as it is; its items are evaluated anyway"));
            }

            if (items.Count == 0)
            {
                notes.Add(new ManifestMessage(source, next.Lines.ObjectLine, $"{Kind(next.Object)} has no items"));
            }

            for (var i = 0; i < items.Count; i++)
            {
                var at = SourceLines.Item("items", i);
                if (items[i] is JsonObject item)
                {
                    queue.Enqueue((item, next.Lines.Within(at), true));
                }
                else
                {
                    errors.Add(new ManifestMessage(source, next.Lines.LineOf(at), $"{at} of the {Kind(next.Object)} is not an object"));
                }
            }
        }
    }

    private static void Check(JsonObject obj, SourceLines lines, string source, List<ManifestDocument> docs, List<ManifestMessage> errors, List<ManifestMessage> notes)
    {
        var hasApiVersion = obj["apiVersion"] is JsonValue av && av.TryGetValue<string>(out var apiVersion) && apiVersion.Length > 0;
        var hasKind = obj["kind"] is JsonValue k && k.TryGetValue<string>(out var kind) && kind.Length > 0;
        if (hasApiVersion && hasKind)
        {
            obj.Parent?.AsArray().Remove(obj);
            docs.Add(new ManifestDocument(source, lines.ObjectLine, obj) { Lines = lines });
        }
        else if (!obj.ContainsKey("apiVersion") && !obj.ContainsKey("kind"))
        {
            notes.Add(new ManifestMessage(source, lines.ObjectLine, "skipped: not a Kubernetes object (it has no apiVersion and no kind)"));
        }
        else
        {
            var missing = hasApiVersion ? "kind" : hasKind ? "apiVersion" : "apiVersion and kind";
            errors.Add(new ManifestMessage(source, lines.ObjectLine, $"the object has no {missing} (apiVersion and kind are required strings; kubectl refuses it too)"));
        }
    }

    private static string Kind(JsonObject list) => list["kind"] is JsonValue k && k.TryGetValue<string>(out var kind) ? kind : "list";

    private static int FirstContentLine(YamlChunk chunk)
    {
        var lines = chunk.Text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var trimmed = lines[i].TrimStart();
            if (trimmed.Length > 0 && trimmed[0] != '#')
            {
                return chunk.FirstLine + i;
            }
        }

        return chunk.FirstLine;
    }
}
