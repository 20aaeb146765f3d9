using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SandboxOperator.Policy.Manifests;

/// <summary>
/// Loads YAML text into a <see cref="YamlStream"/> (the policy configuration), and words YamlDotNet's parse errors
/// for users: the line where parsing stopped, a message without exception text.
/// </summary>
public static class YamlText
{
    /// <summary>
    /// Returns the stream, or the line and a message such as <c>invalid YAML: while scanning a mapping, found invalid
    /// tab as indentation</c>.
    /// </summary>
    public static (YamlStream? Stream, int Line, string? Error) Load(string text)
    {
        var stream = new YamlStream();
        var scanner = new Scanner(new StringReader(text), skipComments: true);
        try
        {
            stream.Load(new Parser(scanner));
            return (stream, 0, null);
        }
        catch (AnchorNotFoundException ex)
        {
            // YamlDotNet resolves aliases after parsing, so its position is not the alias's: the alias is found in the text.
            var name = ex.Message.Split('\'') is [_, var anchor, ..] ? anchor : "";
            var at = text.IndexOf("*" + name, StringComparison.Ordinal);
            var line = at < 0 ? ErrorLine(scanner, text) : text.AsSpan(0, at).Count('\n') + 1;
            return (null, line, $"invalid YAML: alias *{name} refers to no anchor &{name} defined above it");
        }
        catch (YamlException ex)
        {
            return (null, ErrorLine(scanner, text), $"invalid YAML: {Describe(ex)}");
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            return (null, ErrorLine(scanner, text), UnparsableLine);
        }
    }

    /// <summary>What to say when YamlDotNet fails without a message of its own (an unclosed flow collection).</summary>
    public const string UnparsableLine = "invalid YAML: this line cannot be parsed (is a bracket, brace or quote left open above it?)";

    /// <summary>
    /// The line of a parse error in <paramref name="text"/>: where the scanner stopped (YamlDotNet's exception sometimes
    /// names the start of the enclosing mapping instead), but never past the last line that holds something.
    /// </summary>
    public static int ErrorLine(Scanner scanner, string text)
    {
        var lines = text.Split('\n');
        var last = lines.Length;
        while (last > 1 && string.IsNullOrWhiteSpace(lines[last - 1]))
        {
            last--;
        }

        return Math.Clamp((int)scanner.CurrentPosition.Line, 1, last);
    }

    /// <summary>YamlDotNet's message without its position prefix, e.g. <c>while scanning a mapping, found invalid tab as indentation</c>.</summary>
    public static string Describe(YamlException ex)
    {
        var message = ex.InnerException?.Message ?? ex.Message;
        if (message.StartsWith("(Line", StringComparison.Ordinal) && message.IndexOf("): ", StringComparison.Ordinal) is >= 0 and var at)
        {
            message = message[(at + 3)..];
        }

        message = message.TrimEnd('.');
        return message.Length > 0 ? char.ToLowerInvariant(message[0]) + message[1..] : "malformed";
    }
}
