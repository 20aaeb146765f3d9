using System.Text.Json.Nodes;

namespace SandboxOperator.ControlPlaneTests.Support;

/// <summary>One request as the API server's audit log recorded it.</summary>
public sealed record AuditEvent(string User, string Verb, string Resource, string? Subresource, string? Namespace, string? Name, int Code, string Uri,
    IReadOnlyDictionary<string, string> Annotations)
{
    public override string ToString() => $"{User} {Verb} {Resource}{(Subresource is null ? "" : "/" + Subresource)} {Namespace}/{Name} -> {Code} ({Uri})";
}

/// <summary>
/// Reads the API server's audit log (JSON lines, level Metadata): every finished request, and every watch
/// that has started (a watch is logged complete only when it ends).
/// </summary>
public static class AuditLog
{
    public static IReadOnlyList<AuditEvent> Read(string file)
    {
        using var reader = new StreamReader(new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        var events = new List<AuditEvent>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || JsonNode.Parse(line) is not JsonObject e
                || (string?)e["stage"] is not ("ResponseComplete" or "ResponseStarted")
                || ((string?)e["stage"] == "ResponseStarted" && (string?)e["verb"] != "watch"))
            {
                continue;
            }

            var target = e["objectRef"];
            events.Add(new AuditEvent(
                (string?)e["user"]?["username"] ?? "",
                (string?)e["verb"] ?? "",
                (string?)target?["resource"] ?? "",
                (string?)target?["subresource"],
                (string?)target?["namespace"],
                (string?)target?["name"],
                (int?)e["responseStatus"]?["code"] ?? 0,
                (string?)e["requestURI"] ?? "",
                e["annotations"]?.AsObject().ToDictionary(a => a.Key, a => (string?)a.Value ?? "") ?? []));
        }

        return events;
    }
}
