using System.Text;

namespace SandboxOperator.Policy.Manifests;

/// <summary>One document of a YAML stream: its text and the line of the file it starts on.</summary>
public sealed record YamlChunk(string Text, int FirstLine);

/// <summary>
/// Splits a YAML stream into documents exactly where kubectl does (k8s.io/apimachinery's YAMLReader): at every line
/// that starts with <c>---</c>, which may be followed only by spaces or a comment. Each document is then read on its
/// own, so a broken document never hides the others and line numbers stay those of the file.
/// </summary>
/// <remarks>
/// kubectl refuses a separator followed by content (<c>--- {a: 1}</c>); so does <see cref="Split"/>, with the line.
/// A <c>---</c> inside a block scalar is indented and so is no separator, for kubectl as here.
/// </remarks>
public static class YamlDocuments
{
    public static (List<YamlChunk> Chunks, List<ManifestMessage> Errors) Split(string text, string source)
    {
        var chunks = new List<YamlChunk>();
        var errors = new List<ManifestMessage>();
        var buffer = new StringBuilder();
        var first = 1;
        var lineNumber = 0;
        foreach (var line in Lines(text))
        {
            lineNumber++;
            if (line.StartsWith("---", StringComparison.Ordinal))
            {
                var rest = line[3..].Trim();
                if (rest.Length > 0 && rest[0] != '#')
                {
                    // Reported, and the documents after it are still read: one bad line never hides the rest.
                    errors.Add(new ManifestMessage(source, lineNumber, $"invalid document separator: \"---\" may be followed only by a comment, found \"{rest}\" (kubectl refuses it too); put the content on the next line"));
                }

                if (buffer.Length > 0)
                {
                    chunks.Add(new YamlChunk(buffer.ToString(), first));
                    buffer.Clear();
                }

                first = lineNumber + 1;
                continue;
            }

            buffer.Append(line).Append('\n');
        }

        if (buffer.Length > 0)
        {
            chunks.Add(new YamlChunk(buffer.ToString(), first));
        }

        return (chunks, errors);
    }

    /// <summary>The lines of <paramref name="text"/> without their line breaks (<c>\n</c> or <c>\r\n</c>).</summary>
    private static IEnumerable<string> Lines(string text)
    {
        var start = 0;
        while (start < text.Length)
        {
            var end = text.IndexOf('\n', start);
            if (end < 0)
            {
                yield return text[start..];
                yield break;
            }

            yield return text[start..(end > start && text[end - 1] == '\r' ? end - 1 : end)];
            start = end + 1;
        }
    }
}
