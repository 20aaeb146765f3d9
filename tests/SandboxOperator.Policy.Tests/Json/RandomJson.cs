using System.Globalization;
using System.Text;

namespace SandboxOperator.Policy.Tests.Json;

/// <summary>A JSON document model that keeps property order and allows writing names with escapes.</summary>
internal static class RandomJson
{
    public abstract class Node;

    public sealed class Scalar(string text) : Node
    {
        public string Text { get; set; } = text;
    }

    public sealed class Obj : Node
    {
        public List<(string Name, Node Value)> Properties { get; } = [];
    }

    public sealed class Arr : Node
    {
        public List<Node> Items { get; } = [];
    }

    public static readonly string[] Names = ["a", "b", "c", "spec", "name", "é", "a\"b", "x/y", "😀", "", "k\\", "tab\t"];

    private static readonly string[] Literals =
    [
        "0", "-1", "1.5", "1e3", "-0.0", "12345678901234567890", "1E-2", "true", "false", "null",
        "\"\"", "\"text\"", "\"q\\\"uote\"", "\"line\\nbreak\"", "\"\\u00e9t\\u00E9\"", "\"\\ud83d\\ude00\"", "\"caf\u00e9\"", "\"\\/\\\\\"", "\"\\t\\b\\f\\r\"",
    ];

    private static readonly string[] Spaces = ["", "", "", " ", "\n", "\t", "\r\n  "];

    public static Node Value(Random random, int depth)
    {
        var roll = random.Next(depth == 0 ? 8 : 10);
        if (depth >= 5 || roll >= 7)
        {
            return new Scalar(Literals[random.Next(Literals.Length)]);
        }

        if (roll < 4)
        {
            var obj = new Obj();
            // Now and then an object past the linear duplicate check (more than 16 properties).
            var names = depth < 2 && random.Next(6) == 0
                ? Names.Concat(Enumerable.Range(0, random.Next(10, 30)).Select(i => "k" + i.ToString(CultureInfo.InvariantCulture))).OrderBy(_ => random.Next()).ToList()
                : Names.OrderBy(_ => random.Next()).Take(random.Next(7)).ToList();
            foreach (var name in names)
            {
                obj.Properties.Add((name, Value(random, depth + 1)));
            }

            return obj;
        }

        var arr = new Arr();
        for (var i = random.Next(5); i > 0; i--)
        {
            arr.Items.Add(Value(random, depth + 1));
        }

        return arr;
    }

    public static IEnumerable<Obj> Objects(Node node) => node switch
    {
        Obj o => o.Properties.SelectMany(p => Objects(p.Value)).Prepend(o),
        Arr a => a.Items.SelectMany(Objects),
        _ => [],
    };

    public static IEnumerable<Scalar> Scalars(Node node) => node switch
    {
        Obj o => o.Properties.SelectMany(p => Scalars(p.Value)),
        Arr a => a.Items.SelectMany(Scalars),
        Scalar s => [s],
        _ => [],
    };

    public static string Write(Node node, Random random)
    {
        var sb = new StringBuilder();
        sb.Append(Space(random));
        Write(node, random, sb);
        sb.Append(Space(random));
        return sb.ToString();
    }

    private static string Space(Random random) => Spaces[random.Next(Spaces.Length)];

    private static void Write(Node node, Random random, StringBuilder sb)
    {
        switch (node)
        {
            case Scalar s:
                sb.Append(s.Text);
                break;
            case Obj o:
                sb.Append('{').Append(Space(random));
                for (var i = 0; i < o.Properties.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(Space(random)).Append(',').Append(Space(random));
                    }

                    WriteName(o.Properties[i].Name, random, sb);
                    sb.Append(Space(random)).Append(':').Append(Space(random));
                    Write(o.Properties[i].Value, random, sb);
                }

                sb.Append(Space(random)).Append('}');
                break;
            case Arr a:
                sb.Append('[').Append(Space(random));
                for (var i = 0; i < a.Items.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(Space(random)).Append(',').Append(Space(random));
                    }

                    Write(a.Items[i], random, sb);
                }

                sb.Append(Space(random)).Append(']');
                break;
        }
    }

    /// <summary>Writes a name, escaping each character at random (and those that must be escaped always).</summary>
    private static void WriteName(string name, Random random, StringBuilder sb)
    {
        sb.Append('"');
        var escapeAll = random.Next(4) == 0;
        foreach (var rune in name.EnumerateRunes())
        {
            var must = rune.Value is '"' or '\\' or < ' ';
            if (!must && !escapeAll && random.Next(6) != 0)
            {
                sb.Append(rune.ToString());
            }
            else if (rune.Value == '/' && random.Next(2) == 0)
            {
                sb.Append("\\/");
            }
            else if (rune.Value is '"' or '\\' or '\t' && random.Next(2) == 0)
            {
                sb.Append(rune.Value switch { '"' => "\\\"", '\\' => "\\\\", _ => "\\t" });
            }
            else
            {
                // \uXXXX, a surrogate pair for characters beyond the BMP, in either case of hex digits.
                var format = random.Next(2) == 0 ? "x4" : "X4";
                foreach (var c in rune.ToString())
                {
                    sb.Append("\\u").Append(((int)c).ToString(format, CultureInfo.InvariantCulture));
                }
            }
        }

        sb.Append('"');
    }
}
