using System.Text;
using System.Text.RegularExpressions;

namespace SandboxOperator.Policy.Tests.Seatbelt;

/// <summary>
/// A syntax checker for the subset of SBPL (the Seatbelt profile language) that the generator may write, so tests can
/// check profiles on a machine without macOS. It reads the profile as s-expressions and checks every form.
/// </summary>
/// <remarks>
/// Written from these public references:
/// <list type="bullet">
/// <item>sandbox-exec(1), the macOS manual page: <c>-f profile-file</c> reads a profile in the sandbox profile language.</item>
/// <item>Dionysus Blazakis, "The Apple Sandbox", Black Hat DC 2011: SBPL is a Scheme dialect evaluated by TinyScheme
/// in libsandbox; a profile is <c>(version 1)</c> followed by <c>(allow …)</c> and <c>(deny …)</c> rules, each an
/// operation list and optional filters.</item>
/// <item>Pedro Vilaça (fG!), "Apple's Sandbox Guide v1.0", 2011: the operations (<c>default</c>, <c>file-read*</c>,
/// <c>file-read-metadata</c>, <c>file-write*</c>, <c>file-write-data</c>, <c>process-exec</c>, <c>process-fork</c>,
/// <c>network-outbound</c>, <c>sysctl-read</c>, <c>mach-lookup</c>, <c>signal</c>) and filters (<c>literal</c>,
/// <c>subpath</c>, <c>global-name</c>, <c>target</c>, <c>remote tcp|udp|ip "host:port"</c>, where host is
/// <c>*</c> or <c>localhost</c> and port is <c>*</c> or a number).</item>
/// <item>Chromium, sandbox/mac/seatbelt_sandbox_design.md and the profiles in sandbox/policy/mac/: the same forms in
/// profiles in use, with path filters taking absolute paths.</item>
/// <item>R5RS §6.3.5 (Scheme strings, which TinyScheme follows): a string is delimited by <c>"</c>, inside which
/// <c>\"</c> and <c>\\</c> stand for a quote and a backslash.</item>
/// </list>
/// Stricter than Seatbelt where that catches generator bugs: only the escapes above, no control character in a string.
/// </remarks>
internal static class SbplChecker
{
    /// <summary>A parsed node: a list, a string literal, or an atom (symbol or number).</summary>
    public abstract record Node(int Line);

    public sealed record ListNode(int Line, IReadOnlyList<Node> Items) : Node(Line);

    public sealed record StringNode(int Line, string Value) : Node(Line);

    public sealed record AtomNode(int Line, string Text) : Node(Line);

    /// <summary>One <c>(allow|deny operations… filters…)</c> rule.</summary>
    public sealed record Rule(string Action, IReadOnlyList<string> Operations, IReadOnlyList<ListNode> Filters);

    private static readonly HashSet<string> Operations =
    [
        "default", "file*", "file-read*", "file-read-data", "file-read-metadata", "file-write*", "file-write-data",
        "file-write-create", "process-exec", "process-fork", "network*", "network-outbound", "network-inbound",
        "network-bind", "sysctl-read", "mach-lookup", "signal", "ipc-posix-shm*",
    ];

    private static readonly Regex NetworkAddress = new(@"^(\*|localhost):(\*|[0-9]{1,5})$", RegexOptions.CultureInvariant);

    /// <summary>Parses and checks <paramref name="text"/>; returns the rules and every problem found (line: message).</summary>
    public static (IReadOnlyList<Rule> Rules, IReadOnlyList<string> Errors) Check(string text)
    {
        var errors = new List<string>();
        var forms = Parse(text, errors);
        var rules = new List<Rule>();
        if (errors.Count > 0)
        {
            return (rules, errors);
        }

        if (forms.Count == 0 || forms[0] is not ListNode { Items: [AtomNode { Text: "version" }, AtomNode { Text: "1" }] })
        {
            errors.Add("1: the profile must start with (version 1)");
        }

        foreach (var form in forms.Skip(1))
        {
            if (form is not ListNode { Items: [AtomNode { Text: "allow" or "deny" } action, ..] } list)
            {
                errors.Add($"{form.Line}: a top-level form must be (allow …) or (deny …)");
                continue;
            }

            var ops = new List<string>();
            var filters = new List<ListNode>();
            foreach (var item in list.Items.Skip(1))
            {
                switch (item)
                {
                    case AtomNode atom when filters.Count == 0:
                        if (!Operations.Contains(atom.Text))
                        {
                            errors.Add($"{atom.Line}: unknown operation {atom.Text}");
                        }

                        ops.Add(atom.Text);
                        break;
                    case ListNode filter:
                        CheckFilter(filter, errors);
                        filters.Add(filter);
                        break;
                    default:
                        errors.Add($"{item.Line}: operations come before filters, and a rule holds only symbols and filter lists");
                        break;
                }
            }

            if (ops.Count == 0)
            {
                errors.Add($"{list.Line}: ({action.Text} …) names no operation");
            }

            rules.Add(new Rule(action.Text, ops, filters));
        }

        return (rules, errors);
    }

    private static void CheckFilter(ListNode filter, List<string> errors)
    {
        switch (filter.Items)
        {
            case [AtomNode { Text: "literal" or "subpath" }, StringNode path]:
                if (!path.Value.StartsWith('/'))
                {
                    errors.Add($"{filter.Line}: a path filter needs an absolute path, got \"{path.Value}\"");
                }

                break;
            case [AtomNode { Text: "global-name" }, StringNode]:
                break;
            case [AtomNode { Text: "target" }, AtomNode { Text: "self" or "others" or "pgrp" }]:
                break;
            case [AtomNode { Text: "remote" }, AtomNode { Text: "tcp" or "udp" or "ip" }, StringNode address]:
                var m = NetworkAddress.Match(address.Value);
                if (!m.Success || (m.Groups[2].Value != "*" && int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) is < 1 or > 65535))
                {
                    errors.Add($"{filter.Line}: a network address is \"*:port\" or \"localhost:port\" (port * or 1-65535), got \"{address.Value}\"");
                }

                break;
            case [AtomNode { Text: "require-any" or "require-all" }, ..]:
                foreach (var inner in filter.Items.Skip(1))
                {
                    if (inner is ListNode l)
                    {
                        CheckFilter(l, errors);
                    }
                    else
                    {
                        errors.Add($"{inner.Line}: require-any and require-all take filters");
                    }
                }

                break;
            default:
                errors.Add($"{filter.Line}: not a filter this checker knows: {Show(filter)}");
                break;
        }
    }

    private static List<Node> Parse(string text, List<string> errors)
    {
        var stack = new Stack<(int Line, List<Node> Items)>();
        var top = new List<Node>();
        var current = top;
        var line = 1;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '\n':
                    line++;
                    break;
                case ' ' or '\t' or '\r':
                    break;
                case ';':
                    while (i + 1 < text.Length && text[i + 1] != '\n')
                    {
                        i++;
                    }

                    break;
                case '(':
                    stack.Push((line, current));
                    current = [];
                    break;
                case ')':
                    if (stack.Count == 0)
                    {
                        errors.Add($"{line}: unbalanced )");
                        return top;
                    }

                    var (openLine, parent) = stack.Pop();
                    parent.Add(new ListNode(openLine, current));
                    current = parent;
                    break;
                case '"':
                    var sb = new StringBuilder();
                    var start = line;
                    var closed = false;
                    for (i++; i < text.Length; i++)
                    {
                        var s = text[i];
                        if (s == '"')
                        {
                            closed = true;
                            break;
                        }

                        if (char.IsControl(s))
                        {
                            errors.Add($"{line}: control character U+{(int)s:X4} inside a string");
                            line += s == '\n' ? 1 : 0;
                            continue;
                        }

                        if (s == '\\')
                        {
                            if (i + 1 < text.Length && text[i + 1] is '"' or '\\')
                            {
                                sb.Append(text[++i]);
                            }
                            else
                            {
                                errors.Add($"{line}: unknown escape in a string (only \\\" and \\\\)");
                            }

                            continue;
                        }

                        sb.Append(s);
                    }

                    if (!closed)
                    {
                        errors.Add($"{start}: unterminated string");
                        return top;
                    }

                    current.Add(new StringNode(start, sb.ToString()));
                    break;
                default:
                    var atom = new StringBuilder();
                    while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not ('(' or ')' or '"' or ';'))
                    {
                        atom.Append(text[i++]);
                    }

                    i--;
                    var t = atom.ToString();
                    if (!Regex.IsMatch(t, @"^[A-Za-z0-9*+\-_.]+$"))
                    {
                        errors.Add($"{line}: not a symbol or number: {t}");
                    }

                    current.Add(new AtomNode(line, t));
                    break;
            }
        }

        if (stack.Count > 0)
        {
            errors.Add($"{stack.Peek().Line}: unbalanced ( (not closed by the end of the profile)");
        }

        return top;
    }

    /// <summary>The node as SBPL text, strings re-escaped.</summary>
    public static string Show(Node node) => node switch
    {
        ListNode l => "(" + string.Join(' ', l.Items.Select(Show)) + ")",
        StringNode s => "\"" + s.Value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"",
        AtomNode a => a.Text,
        _ => "",
    };
}
