using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SandboxOperator.Policy.Manifests;

/// <summary>Loads YAML text into a <see cref="YamlStream"/>, turning every parser failure into one located message.</summary>
public static class YamlText
{
    /// <summary>
    /// Returns the stream, or the line (0 when unknown) and a message such as
    /// <c>invalid YAML: mapping values are not allowed here</c>.
    /// </summary>
    public static (YamlStream? Stream, int Line, string? Error) Load(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
            return (stream, 0, null);
        }
        catch (YamlException ex)
        {
            return (null, (int)ex.Start.Line, $"invalid YAML: {Clean(ex)}");
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            // YamlDotNet reports a few malformed inputs (e.g. broken anchors) without a position.
            return (null, 0, $"invalid YAML: {ex.Message}");
        }
    }

    private static string Clean(YamlException ex)
    {
        var message = ex.InnerException?.Message ?? ex.Message;
        var idx = message.IndexOf("): ", StringComparison.Ordinal);
        return idx >= 0 && message.StartsWith("(Line", StringComparison.Ordinal) ? message[(idx + 3)..] : message;
    }
}
