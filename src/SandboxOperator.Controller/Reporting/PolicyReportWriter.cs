using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;

namespace SandboxOperator.Controller.Reporting;

/// <summary>What one pass of <see cref="PolicyReportWriter.SyncAsync"/> did, report by report.</summary>
public sealed record ReportWrites(int Created, int Updated, int Unchanged, int Deleted, int Failed);

/// <summary>
/// Stores the desired reports as <c>wgpolicyk8s.io/v1alpha2</c> PolicyReports and ClusterPolicyReports, touching only
/// reports labelled <c>app.kubernetes.io/managed-by: sandbox-operator</c>: creates the missing ones, replaces one only
/// when its results, summary or omitted count differ (an unchanged report is not written, so its resourceVersion stays),
/// and deletes the operator's reports nothing wants any more (a namespace whose pods are gone).
/// </summary>
/// <remarks>
/// A replaced report keeps every field the operator does not own (metadata, scope, fields of newer schema versions).
/// A failed write is logged and counted; the next pass tries again. Without the CRDs (a list answers 404) nothing is
/// written and the pass says so.
/// </remarks>
public sealed class PolicyReportWriter(IKubernetes client, ILogger logger)
{
    public const string Group = "wgpolicyk8s.io";
    public const string Version = "v1alpha2";
    public const string Plural = "policyreports";
    public const string ClusterPlural = "clusterpolicyreports";
    private const int PageSize = 500;
    private static readonly string Selector = string.Join(",", PolicyReportContent.Labels.Select(l => $"{l.Key}={l.Value}"));

    /// <summary>Makes the stored reports equal <paramref name="namespaced"/> and <paramref name="cluster"/>.</summary>
    public async Task<ReportWrites> SyncAsync(IReadOnlyList<PolicyReportContent> namespaced, IReadOnlyList<PolicyReportContent> cluster, CancellationToken cancellationToken)
    {
        var writes = new int[5];
        await SyncKindAsync(Plural, "PolicyReport", namespaced, writes, cancellationToken).ConfigureAwait(false);
        await SyncKindAsync(ClusterPlural, "ClusterPolicyReport", cluster, writes, cancellationToken).ConfigureAwait(false);
        return new ReportWrites(writes[0], writes[1], writes[2], writes[3], writes[4]);
    }

    private async Task SyncKindAsync(string plural, string kind, IReadOnlyList<PolicyReportContent> desired, int[] writes, CancellationToken cancellationToken)
    {
        Dictionary<(string, string), JsonObject> stored;
        try
        {
            stored = await ListAsync(plural, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            logger.LogWarning("policy reports: the {Plural}.{Group} CRD is not installed; no {Kind} is written (docs/policy-reports.md says how to install it)", plural, Group, kind);
            writes[4] += desired.Count;
            return;
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            logger.LogWarning("policy reports: cannot list {Plural}.{Group}: {Message}; trying again next pass", plural, Group, Describe(e));
            writes[4] += desired.Count;
            return;
        }

        foreach (var report in desired)
        {
            var key = (report.Namespace ?? "", report.Name);
            try
            {
                if (stored.Remove(key, out var existing))
                {
                    if (Differs(existing, report))
                    {
                        await ReplaceAsync(plural, Apply(existing, report), report, cancellationToken).ConfigureAwait(false);
                        writes[1]++;
                    }
                    else
                    {
                        writes[2]++;
                    }
                }
                else
                {
                    await CreateAsync(plural, Apply(New(kind, report), report), report, cancellationToken).ConfigureAwait(false);
                    writes[0]++;
                }
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException)
            {
                logger.LogWarning("policy reports: writing {Kind} {Namespace}/{Name} failed: {Message}; trying again next pass", kind, report.Namespace ?? "", report.Name, Describe(e));
                writes[4]++;
            }
        }

        foreach (var ((ns, name), _) in stored)
        {
            try
            {
                if (ns.Length == 0)
                {
                    await client.CustomObjects.DeleteClusterCustomObjectAsync(Group, Version, plural, name, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, Version, ns, plural, name, cancellationToken: cancellationToken).ConfigureAwait(false);
                }

                writes[3]++;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                writes[3]++;
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException)
            {
                logger.LogWarning("policy reports: deleting {Kind} {Namespace}/{Name} failed: {Message}; trying again next pass", kind, ns, name, Describe(e));
                writes[4]++;
            }
        }
    }

    /// <summary>Whether the stored report says something else than <paramref name="report"/>.</summary>
    public static bool Differs(JsonObject stored, PolicyReportContent report)
    {
        var body = report.Body();
        return !JsonNode.DeepEquals(stored["results"], body["results"])
            || !JsonNode.DeepEquals(stored["summary"], body["summary"])
            || OmittedOf(stored) != (report.Omitted > 0 ? report.Omitted.ToString(System.Globalization.CultureInfo.InvariantCulture) : null);
    }

    private static string? OmittedOf(JsonObject stored) =>
        stored["metadata"]?["annotations"]?[PolicyReportContent.OmittedAnnotation] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary><paramref name="target"/> with the operator's fields, labels and annotation set from <paramref name="report"/>; other fields kept.</summary>
    private static JsonObject Apply(JsonObject target, PolicyReportContent report)
    {
        foreach (var (key, value) in report.Body())
        {
            target[key] = value?.DeepClone();
        }

        var metadata = target["metadata"] as JsonObject ?? new JsonObject();
        target["metadata"] = metadata;
        var labels = metadata["labels"] as JsonObject ?? new JsonObject();
        metadata["labels"] = labels;
        foreach (var (key, value) in PolicyReportContent.Labels)
        {
            labels[key] = value;
        }

        var annotations = metadata["annotations"] as JsonObject;
        if (report.Omitted > 0)
        {
            annotations ??= new JsonObject();
            metadata["annotations"] = annotations;
            annotations[PolicyReportContent.OmittedAnnotation] = report.Omitted.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else
        {
            annotations?.Remove(PolicyReportContent.OmittedAnnotation);
        }

        return target;
    }

    private static JsonObject New(string kind, PolicyReportContent report)
    {
        var metadata = new JsonObject { ["name"] = report.Name };
        if (report.Namespace is { } ns)
        {
            metadata["namespace"] = ns;
        }

        return new JsonObject { ["apiVersion"] = $"{Group}/{Version}", ["kind"] = kind, ["metadata"] = metadata };
    }

    private Task<object> CreateAsync(string plural, JsonObject body, PolicyReportContent report, CancellationToken cancellationToken) => report.Namespace is { } ns
        ? client.CustomObjects.CreateNamespacedCustomObjectAsync(body, Group, Version, ns, plural, cancellationToken: cancellationToken)
        : client.CustomObjects.CreateClusterCustomObjectAsync(body, Group, Version, plural, cancellationToken: cancellationToken);

    private Task<object> ReplaceAsync(string plural, JsonObject body, PolicyReportContent report, CancellationToken cancellationToken) => report.Namespace is { } ns
        ? client.CustomObjects.ReplaceNamespacedCustomObjectAsync(body, Group, Version, ns, plural, report.Name, cancellationToken: cancellationToken)
        : client.CustomObjects.ReplaceClusterCustomObjectAsync(body, Group, Version, plural, report.Name, cancellationToken: cancellationToken);

    /// <summary>The operator's stored reports of <paramref name="plural"/>, by namespace ("" for cluster reports) and name.</summary>
    private async Task<Dictionary<(string, string), JsonObject>> ListAsync(string plural, CancellationToken cancellationToken)
    {
        var stored = new Dictionary<(string, string), JsonObject>();
        string? token = null;
        do
        {
            var page = await client.CustomObjects.ListClusterCustomObjectAsync(Group, Version, plural,
                labelSelector: Selector, continueParameter: token, limit: PageSize, cancellationToken: cancellationToken).ConfigureAwait(false);
            var list = page switch
            {
                JsonElement e => JsonNode.Parse(e.GetRawText()) as JsonObject,
                _ => JsonSerializer.SerializeToNode(page) as JsonObject,
            };
            foreach (var item in list?["items"] as JsonArray ?? [])
            {
                if (item is JsonObject o && o["metadata"]?["name"]?.GetValue<string>() is { } name)
                {
                    stored[(o["metadata"]?["namespace"]?.GetValue<string>() ?? "", name)] = (JsonObject)o.DeepClone();
                }
            }

            token = list?["metadata"]?["continue"]?.GetValue<string>() is { Length: > 0 } next ? next : null;
        }
        while (token is not null);

        return stored;
    }

    private static string Describe(Exception e) => e is HttpOperationException h
        ? $"{(int)h.Response.StatusCode} {h.Response.Content}"
        : e.Message;
}
