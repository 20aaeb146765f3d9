using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SandboxOperator.Controller.Reporting;

/// <summary>
/// One <c>wgpolicyk8s.io/v1alpha2</c> PolicyReport (namespaced) or ClusterPolicyReport (<see cref="Namespace"/> null)
/// as the audit wants it: what it holds, not how it is stored. <see cref="Summary"/> counts every result found,
/// <see cref="Results"/> holds at most <see cref="ReportLimits.MaxResults"/> of them and <see cref="Omitted"/> says
/// how many were left out.
/// </summary>
public sealed record PolicyReportContent(string? Namespace, string Name, IReadOnlyList<ReportResult> Results, ReportSummary Summary, int Omitted)
{
    /// <summary>Labels every report the operator writes carries; the writer lists and deletes only reports with them.</summary>
    public static IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["app.kubernetes.io/managed-by"] = "sandbox-operator",
    };

    /// <summary>The annotation that carries <see cref="Omitted"/> when results were left out.</summary>
    public const string OmittedAnnotation = "agentsandbox.io/omitted-results";

    /// <summary>The fields the operator owns in the stored object (<c>results</c>, <c>summary</c>), in the upstream schema's names.</summary>
    public JsonObject Body()
    {
        var results = new JsonArray();
        foreach (var r in Results)
        {
            results.Add(r.ToJson());
        }

        return new JsonObject
        {
            ["results"] = results,
            ["summary"] = Summary.ToJson(),
        };
    }
}

/// <summary>
/// One result: a rule of a policy checked on one object. No timestamp: a result found again is the same result,
/// so an unchanged cluster gives an unchanged report (and no write).
/// </summary>
public sealed record ReportResult(
    string Policy,
    string Rule,
    ReportOutcome Result,
    string Message,
    ReportResource Resource,
    IReadOnlyList<KeyValuePair<string, string>> Properties)
{
    public const string Source = "sandbox-operator";
    public const string Category = "Sandbox";

    private static readonly JsonSerializerOptions Stored = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Bytes of this result's JSON as the API server stores it (UTF-8, non-ASCII characters unescaped).</summary>
    public int StoredSize() => Encoding.UTF8.GetByteCount(ToJson().ToJsonString(Stored));

    public JsonObject ToJson()
    {
        var properties = new JsonObject();
        foreach (var (key, value) in Properties)
        {
            properties[key] = value;
        }

        var resource = new JsonObject
        {
            ["apiVersion"] = Resource.ApiVersion,
            ["kind"] = Resource.Kind,
            ["name"] = Resource.Name,
        };
        if (Resource.Namespace is { } ns)
        {
            resource["namespace"] = ns;
        }

        if (Resource.Uid is { Length: > 0 } uid)
        {
            resource["uid"] = uid;
        }

        var json = new JsonObject
        {
            ["policy"] = Policy,
            ["rule"] = Rule,
            ["result"] = Result.ToString().ToLowerInvariant(),
            ["scored"] = true,
            ["source"] = Source,
            ["category"] = Category,
            ["message"] = Message,
            ["resources"] = new JsonArray(resource),
        };
        if (properties.Count > 0)
        {
            json["properties"] = properties;
        }

        return json;
    }
}

/// <summary>The result values of the upstream schema that the operator uses.</summary>
public enum ReportOutcome
{
    Pass,
    Fail,
    Warn,
    Error,
}

/// <summary>The object a result is about.</summary>
public sealed record ReportResource(string ApiVersion, string Kind, string? Namespace, string Name, string? Uid);

/// <summary>Counts of results by outcome (skip is never used and always 0).</summary>
public sealed record ReportSummary(int Pass, int Fail, int Warn, int Error)
{
    public JsonObject ToJson() => new()
    {
        ["pass"] = Pass,
        ["fail"] = Fail,
        ["warn"] = Warn,
        ["error"] = Error,
        ["skip"] = 0,
    };
}

/// <summary>
/// Bounds on one report, so that a namespace of many pods cannot produce an object etcd refuses (1.5 MiB by
/// default) or that costs every reader of reports: at most <see cref="MaxResults"/> results, of at most
/// <see cref="MaxMessageLength"/> characters each and <see cref="MaxResultBytes"/> bytes together.
/// </summary>
public sealed record ReportLimits
{
    public int MaxResults { get; init; } = 1000;

    /// <summary>The results' JSON (UTF-8) at most: 1 MiB, leaving room below etcd's 1.5 MiB for metadata and summary.</summary>
    public long MaxResultBytes { get; init; } = 1024 * 1024;

    public int MaxMessageLength { get; init; } = 512;
}
