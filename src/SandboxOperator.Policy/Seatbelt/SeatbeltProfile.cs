using System.Globalization;
using System.Text;
using SandboxOperator.Policy.Api;

namespace SandboxOperator.Policy.Seatbelt;

/// <summary>A generated Seatbelt profile, or why there is none, with notes for the person running it.</summary>
public sealed record SeatbeltResult(string? Profile, IReadOnlyList<FieldError> Errors, IReadOnlyList<string> Notes);

/// <summary>
/// Turns an AgentWorkload's <c>spec.localDevelopment</c> into a macOS Seatbelt profile (SBPL, the language
/// <c>sandbox-exec -f</c> reads) with the same intent as the cluster sandbox: deny by default; read what a process
/// needs to start; read and write only the workspace; execute only the listed programs; connect only to localhost
/// ports (declared loopback hosts, or the filtering proxy that stands for the other hosts).
/// </summary>
/// <remarks>
/// Guarantees: every path and host reaches the profile as one SBPL string literal (backslash and quote escaped);
/// a control character in a path, an invalid host name or a relative path is an error naming the field, never
/// written. Caveats: Seatbelt matches a remote address only as <c>localhost</c> or <c>*</c>, so a host other than
/// localhost can be restricted by name only through a proxy (<c>egressProxyPort</c>); Seatbelt is a
/// local-development aid, not a production boundary (docs/local-development.md).
/// </remarks>
public static class SeatbeltProfile
{
    private const string Field = "spec.localDevelopment";
    private const int DefaultPort = 443;

    /// <summary>Folders macOS reaches through symbolic links to <c>/private</c>; Seatbelt matches the resolved path.</summary>
    private static readonly string[] PrivateLinks = ["/tmp", "/var", "/etc"];

    /// <summary>What any process needs to start on macOS: the dynamic linker's cache, system libraries and frameworks, devices.</summary>
    private static readonly string[] SystemReadSubpaths = ["/System", "/usr/lib", "/usr/share", "/private/var/db/dyld", "/Library/Apple/System"];
    private static readonly string[] SystemReadLiterals = ["/dev/null", "/dev/random", "/dev/urandom", "/private/etc/localtime"];
    private static readonly string[] MachServices = ["com.apple.system.logger", "com.apple.system.notification_center", "com.apple.system.opendirectoryd.libinfo"];

    /// <param name="workspaceOverride">An absolute workspace path that replaces <c>spec.localDevelopment.workspace</c> (the --workspace flag).</param>
    public static SeatbeltResult Generate(AgentWorkload workload, string? workspaceOverride = null)
    {
        var errors = new List<FieldError>();
        var notes = new List<string>();
        var local = workload.Spec.LocalDevelopment;
        if (local is null && workspaceOverride is null)
        {
            return new SeatbeltResult(null, [new FieldError(Field, "Required value: the workload declares no local development section (workspace, allowedHosts, allowedExecutables)")], notes);
        }

        var workspaceField = workspaceOverride is null ? Field + ".workspace" : "--workspace";
        var workspace = workspaceOverride ?? local?.Workspace;
        if (string.IsNullOrEmpty(workspace))
        {
            errors.Add(new FieldError(workspaceField, "Required value: set it or pass --workspace DIR"));
        }
        else
        {
            workspace = CheckPath(workspace, workspaceField, errors);
            if (workspace == "/")
            {
                errors.Add(new FieldError(workspaceField, "must not be / (that would make the whole disk writable)"));
            }
        }

        var executables = new List<string>();
        var listed = local?.AllowedExecutables ?? [];
        if (listed.Count == 0)
        {
            errors.Add(new FieldError(Field + ".allowedExecutables", "Required value: list at least the program the workload runs (sandbox-exec executes it inside the profile)"));
        }

        for (var i = 0; i < listed.Count; i++)
        {
            var at = $"{Field}.allowedExecutables[{i}]";
            if (CheckPath(listed[i], at, errors) is { } path)
            {
                if (listed[i].EndsWith('/'))
                {
                    errors.Add(new FieldError(at, $"\"{Printable(listed[i])}\" names a folder; list each program by its path"));
                }
                else
                {
                    executables.Add(path);
                }
            }
        }

        var (loopback, remote) = ReadHosts(local?.AllowedHosts ?? [], errors);
        if (remote.Count > 0 && local?.EgressProxyPort is null)
        {
            errors.Add(new FieldError(Field + ".egressProxyPort",
                $"Required value: Seatbelt can match a remote address only as localhost or any host, so {string.Join(", ", remote)} can be allowed by name only through a filtering proxy on localhost; set egressProxyPort to its port"));
        }

        if (errors.Count > 0)
        {
            return new SeatbeltResult(null, errors, notes);
        }

        if (local?.EgressProxyPort is { } proxy)
        {
            notes.Add(remote.Count > 0
                ? $"outbound connections go only to the proxy on localhost:{proxy}; it must allow exactly: {string.Join(", ", remote)}"
                : $"outbound connections go only to the proxy on localhost:{proxy}; no remote host is declared, so it should allow none");
        }

        return new SeatbeltResult(Render(workload, workspace!, executables, loopback, remote, local?.EgressProxyPort), errors, notes);
    }

    /// <summary>An SBPL string literal: the text between double quotes with backslash and quote escaped.</summary>
    /// <remarks>Callers reject control characters first (<see cref="CheckPath"/>); this escapes what remains.</remarks>
    public static string Quote(string text)
    {
        var sb = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            if (c is '\\' or '"')
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.Append('"').ToString();
    }

    private static string Render(AgentWorkload workload, string workspace, List<string> executables, List<(string Host, int Port)> loopback, List<string> remote, int? proxy)
    {
        var sb = new StringBuilder();
        sb.Append(";; Seatbelt profile for AgentWorkload ").Append(CommentSafe(workload.Namespace)).Append('/').Append(CommentSafe(workload.Name))
            .Append(", generated by sandboxctl seatbelt.\n");
        sb.Append(";; For local development only: Seatbelt is not a production boundary. In a cluster the workload runs\n");
        sb.Append(";; in the sandbox its tier requires (Kata, gVisor or runc with seccomp).\n");
        sb.Append(";; Run: sandbox-exec -f PROFILE ").Append(CommentSafe(executables[0])).Append('\n');
        sb.Append("(version 1)\n(deny default)\n\n");

        sb.Append(";; What a process needs to start: system libraries, frameworks and devices, read-only.\n");
        sb.Append("(allow file-read-metadata)\n");
        sb.Append("(allow file-read*");
        foreach (var p in SystemReadSubpaths)
        {
            sb.Append("\n    (subpath ").Append(Quote(p)).Append(')');
        }

        foreach (var p in SystemReadLiterals)
        {
            sb.Append("\n    (literal ").Append(Quote(p)).Append(')');
        }

        sb.Append(")\n");
        sb.Append("(allow file-write-data (literal \"/dev/null\"))\n");
        sb.Append("(allow sysctl-read)\n");
        sb.Append("(allow mach-lookup");
        foreach (var s in MachServices)
        {
            sb.Append("\n    (global-name ").Append(Quote(s)).Append(')');
        }

        sb.Append(")\n");
        sb.Append("(allow process-fork)\n");
        sb.Append("(allow signal (target self))\n\n");

        sb.Append(";; The workspace: the only folder the workload reads and writes.\n");
        sb.Append("(allow file-read* file-write* (subpath ").Append(Quote(workspace)).Append("))\n\n");

        sb.Append(";; The only programs the workload may execute.\n");
        sb.Append("(allow process-exec");
        foreach (var e in executables)
        {
            sb.Append("\n    (literal ").Append(Quote(e)).Append(')');
        }

        sb.Append(")\n");
        sb.Append("(allow file-read*");
        foreach (var e in executables)
        {
            sb.Append("\n    (literal ").Append(Quote(e)).Append(')');
        }

        sb.Append(")\n\n");

        var ports = loopback.Select(h => h.Port).ToList();
        if (proxy is { } p2)
        {
            ports.Add(p2);
        }

        ports = [.. ports.Distinct().Order()];
        if (ports.Count == 0)
        {
            sb.Append(";; Network: no host is declared, so every connection is denied.\n");
        }
        else
        {
            sb.Append(proxy is null
                ? ";; Network: only the declared localhost ports.\n"
                : ";; Network: only localhost ports; remote hosts are reached through the filtering proxy on localhost:" + proxy.Value.ToString(CultureInfo.InvariantCulture)
                  + ",\n;; which must allow exactly: " + (remote.Count == 0 ? "(none)" : string.Join(", ", remote)) + "\n");
            sb.Append("(allow network-outbound");
            foreach (var port in ports)
            {
                sb.Append("\n    (remote tcp ").Append(Quote($"localhost:{port.ToString(CultureInfo.InvariantCulture)}")).Append(')');
            }

            sb.Append(")\n");
        }

        return sb.ToString();
    }

    /// <summary>Checks an absolute path and returns it as Seatbelt sees it (trailing slash dropped, /tmp, /var and /etc under /private).</summary>
    private static string? CheckPath(string path, string field, List<FieldError> errors)
    {
        if (path.Any(char.IsControl))
        {
            errors.Add(new FieldError(field, $"\"{Printable(path)}\" contains a control character (a newline, tab or the like); use a path without one"));
            return null;
        }

        if (!path.StartsWith('/'))
        {
            errors.Add(new FieldError(field, $"\"{path}\" is not an absolute path (it must start with /)"));
            return null;
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(s => s is "." or ".."))
        {
            errors.Add(new FieldError(field, $"\"{path}\" contains . or .. segments; give the path without them"));
            return null;
        }

        var normal = "/" + string.Join('/', segments);
        foreach (var link in PrivateLinks)
        {
            if (normal == link || normal.StartsWith(link + "/", StringComparison.Ordinal))
            {
                return "/private" + normal;
            }
        }

        return normal;
    }

    /// <summary>Splits the allowed hosts into loopback (host, port) pairs and remote host:port names; invalid entries are errors.</summary>
    private static (List<(string Host, int Port)> Loopback, List<string> Remote) ReadHosts(List<string> hosts, List<FieldError> errors)
    {
        var loopback = new List<(string, int)>();
        var remote = new List<string>();
        for (var i = 0; i < hosts.Count; i++)
        {
            var at = $"{Field}.allowedHosts[{i}]";
            var entry = hosts[i];
            var colon = entry.LastIndexOf(':');
            var host = colon < 0 ? entry : entry[..colon];
            var port = DefaultPort;
            if (colon >= 0 && !(int.TryParse(entry.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535))
            {
                errors.Add(new FieldError(at, $"\"{Printable(entry)}\": the port must be a number from 1 to 65535 (host or host:port)"));
                continue;
            }

            if (host is "localhost" or "127.0.0.1")
            {
                loopback.Add(("localhost", port));
            }
            else if (IsHostName(host))
            {
                remote.Add($"{host.ToLowerInvariant()}:{port.ToString(CultureInfo.InvariantCulture)}");
            }
            else
            {
                errors.Add(new FieldError(at, $"\"{Printable(entry)}\" is not a host name (letters, digits and hyphens in dot-separated labels, as RFC 1123 has them), optionally with :port"));
            }
        }

        return (loopback, remote);
    }

    /// <summary>An RFC 1123 host name: dot-separated labels of 1–63 letters, digits and hyphens, not starting or ending with a hyphen; 253 characters at most.</summary>
    public static bool IsHostName(string host)
    {
        if (host.Length is 0 or > 253)
        {
            return false;
        }

        foreach (var label in host.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-' || !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Text for a <c>;</c> comment: anything but letters, digits and <c>._-/</c> becomes <c>?</c>, so nothing can end the comment.</summary>
    private static string CommentSafe(string text) =>
        string.Concat(text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '/' ? c : '?'));

    private static string Printable(string text) =>
        string.Concat(text.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}
