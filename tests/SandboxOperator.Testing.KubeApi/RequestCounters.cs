using System.Collections.Concurrent;

namespace SandboxOperator.Testing.KubeApi;

/// <summary>
/// Counts resource requests by verb and resource, so a test can assert e.g. "zero writes over several resyncs".
/// </summary>
/// <remarks>
/// A request is counted when it arrives, before latency and injected faults, whatever its outcome. Resources are
/// plural names; subresource requests are counted under <c>plural/subresource</c> (e.g. <c>pods/status</c>), and a
/// filter on <c>pods</c> includes them. Discovery and <c>/version</c> are not counted.
/// </remarks>
public sealed class RequestCounters
{
    private readonly ConcurrentDictionary<(ApiVerb Verb, string Resource), int> _counts = new();

    /// <summary>Requests with <paramref name="verb"/>, optionally only for <paramref name="resource"/> (e.g. <c>pods</c> or <c>pods/status</c>).</summary>
    public int Count(ApiVerb verb, string? resource = null) =>
        _counts.Where(p => p.Key.Verb == verb && Matches(resource, p.Key.Resource)).Sum(p => p.Value);

    /// <summary>Create, update, patch and delete requests (status writes included), optionally only for <paramref name="resource"/>.</summary>
    public int Writes(string? resource = null) =>
        _counts.Where(p => p.Key.Verb.IsWrite() && Matches(resource, p.Key.Resource)).Sum(p => p.Value);

    /// <summary>All counted requests.</summary>
    public int Total => _counts.Values.Sum();

    /// <summary>A copy of all counters keyed <c>"verb resource"</c>, e.g. <c>"patch pods/status"</c>.</summary>
    public IReadOnlyDictionary<string, int> Snapshot() =>
        _counts.ToDictionary(p => $"{p.Key.Verb.ToString().ToLowerInvariant()} {p.Key.Resource}", p => p.Value);

    /// <summary>Sets every counter back to zero.</summary>
    public void Reset() => _counts.Clear();

    internal void Record(ApiVerb verb, string resource) => _counts.AddOrUpdate((verb, resource), 1, (_, n) => n + 1);

    /// <summary>Whether a request to <paramref name="resource"/> falls under <paramref name="filter"/> (null matches all).</summary>
    internal static bool Matches(string? filter, string resource) =>
        filter is null || filter == resource || resource.StartsWith(filter + "/", StringComparison.Ordinal);
}
