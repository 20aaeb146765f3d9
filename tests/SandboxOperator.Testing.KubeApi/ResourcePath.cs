namespace SandboxOperator.Testing.KubeApi;

/// <summary>
/// A parsed resource URL: <c>/api/v1[/namespaces/{ns}]/{plural}[/{name}[/{subresource}]]</c> or the same under
/// <c>/apis/{group}/{version}</c>, with the deprecated <c>/watch/</c> prefix segment accepted.
/// </summary>
internal sealed record ResourcePath(string Group, string Version, string? Namespace, string Plural, string? Name, string? Subresource, bool WatchPrefix)
{
    /// <summary>The counted resource name: <c>plural</c> or <c>plural/subresource</c>.</summary>
    public string CountedResource => Subresource is null ? Plural : $"{Plural}/{Subresource}";

    /// <summary>Parses a resource URL path; null for anything else (discovery documents included).</summary>
    public static ResourcePath? Parse(string path)
    {
        if (path.StartsWith("/apis//", StringComparison.Ordinal))
        {
            // Clients that build custom-object URLs for the core group (empty group) produce /apis//v1/...
            path = "/api/" + path["/apis//".Length..];
        }

        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToList();
        string group, version;
        int at;
        if (parts.Count >= 3 && parts[0] == "api")
        {
            (group, version, at) = ("", parts[1], 2);
        }
        else if (parts.Count >= 4 && parts[0] == "apis")
        {
            (group, version, at) = (parts[1], parts[2], 3);
        }
        else
        {
            return null;
        }

        bool watchPrefix = parts[at] == "watch";
        var rest = parts.Skip(watchPrefix ? at + 1 : at).ToList();
        string? ns = null;
        bool namespaceSubresource = rest.Count == 3 && rest[2] is "status" or "finalize";
        if (rest.Count >= 3 && rest[0] == "namespaces" && !namespaceSubresource)
        {
            ns = rest[1];
            rest = rest.Skip(2).ToList();
        }

        return rest.Count switch
        {
            1 => new ResourcePath(group, version, ns, rest[0], null, null, watchPrefix),
            2 => new ResourcePath(group, version, ns, rest[0], rest[1], null, watchPrefix),
            3 => new ResourcePath(group, version, ns, rest[0], rest[1], rest[2], watchPrefix),
            _ => null,
        };
    }
}
