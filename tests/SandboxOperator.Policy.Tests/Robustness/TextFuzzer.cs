using System.Text;

namespace SandboxOperator.Policy.Tests.Robustness;

/// <summary>
/// Deterministic text mutations for robustness tests: truncation, byte flips, deleted and duplicated
/// lines, swapped indentation, injected YAML/JSON syntax and type confusion. The same seed gives the
/// same variants, so a failure is reproducible from its index.
/// </summary>
internal static class TextFuzzer
{
    private static readonly string[] Injections =
    [
        "{", "}", "[", "]", ":", ": :", "- ", "&a", "*a", "!!binary", "!!int", "\"", "'", "\t", "\0", "\uFFFD", "\uD800", "~", "null", "true",
        "1e309", "-0", "0x", "[[[[[[[[", "{{{{", "<<: *a", "? ", "|", ">", "%YAML 1.1", "---", "...", "\r", "\u2028", "  ", "9223372036854775808",
    ];

    public static IEnumerable<string> Variants(string seedText, int count, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            yield return Mutate(seedText, random);
        }
    }

    private static string Mutate(string text, Random random)
    {
        var rounds = 1 + random.Next(3);
        for (var r = 0; r < rounds && text.Length > 0; r++)
        {
            var pos = random.Next(text.Length);
            text = random.Next(8) switch
            {
                0 => text[..pos],
                1 => text.Remove(pos, 1).Insert(pos, ((char)random.Next(0x20, 0x7F)).ToString()),
                2 => text.Insert(pos, Injections[random.Next(Injections.Length)]),
                3 => DeleteLine(text, random),
                4 => DuplicateLine(text, random),
                5 => text.Replace("  ", random.Next(2) == 0 ? " " : "   ", StringComparison.Ordinal),
                6 => ConfuseType(text, random),
                _ => text.Remove(pos, Math.Min(text.Length - pos, random.Next(1, 40))),
            };
        }

        return text;
    }

    private static string DeleteLine(string text, Random random)
    {
        var lines = text.Split('\n').ToList();
        lines.RemoveAt(random.Next(lines.Count));
        return string.Join('\n', lines);
    }

    private static string DuplicateLine(string text, Random random)
    {
        var lines = text.Split('\n').ToList();
        var i = random.Next(lines.Count);
        lines.Insert(i, lines[i]);
        return string.Join('\n', lines);
    }

    private static string ConfuseType(string text, Random random)
    {
        string[] values = ["true", "42", "[]", "{}", "null", "\"x\"", "[1, {a: b}]", "-1.5"];
        var lines = text.Split('\n');
        var i = random.Next(lines.Length);
        var colon = lines[i].IndexOf(": ", StringComparison.Ordinal);
        if (colon > 0)
        {
            lines[i] = lines[i][..(colon + 2)] + values[random.Next(values.Length)];
        }

        return new StringBuilder().AppendJoin('\n', lines).ToString();
    }
}
