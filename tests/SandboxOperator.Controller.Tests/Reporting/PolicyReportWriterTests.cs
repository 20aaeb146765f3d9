using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using SandboxOperator.Controller.Reporting;
using SandboxOperator.Testing.KubeApi;

namespace SandboxOperator.Controller.Tests.Reporting;

/// <summary>The writer against an API server: what it creates, replaces, leaves alone and deletes.</summary>
public sealed class PolicyReportWriterTests
{
    private static readonly ResourceType Reports = ResourceType.CustomResource(PolicyReportWriter.Group, PolicyReportWriter.Version, "PolicyReport", PolicyReportWriter.Plural, hasStatus: false);
    private static readonly ResourceType ClusterReports = ResourceType.CustomResource(PolicyReportWriter.Group, PolicyReportWriter.Version, "ClusterPolicyReport", PolicyReportWriter.ClusterPlural, namespaced: false, hasStatus: false);

    [Fact]
    public async Task Creates_replaces_only_what_changed_keeps_foreign_fields_and_deletes_reports_no_longer_wanted()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { AdditionalResources = [Reports, ClusterReports] });
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = server.Url });
        var writer = new PolicyReportWriter(client, NullLogger.Instance);
        // Someone else's report in the same namespace is never touched.
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(new JsonObject
        {
            ["apiVersion"] = "wgpolicyk8s.io/v1alpha2", ["kind"] = "PolicyReport",
            ["metadata"] = new JsonObject { ["name"] = "kyverno-report", ["namespace"] = "a" },
        }, PolicyReportWriter.Group, PolicyReportWriter.Version, "a", PolicyReportWriter.Plural);

        var first = await writer.SyncAsync([Report("a", ReportOutcome.Fail), Report("b", ReportOutcome.Pass)], [Report(null, ReportOutcome.Pass)], default);
        Assert.Equal(new ReportWrites(3, 0, 0, 0, 0), first);
        var stored = await ReadAsync(client, "a");
        Assert.Equal("fail", (string?)stored["results"]![0]!["result"]);
        Assert.Equal("sandbox-operator", (string?)stored["metadata"]!["labels"]!["app.kubernetes.io/managed-by"]);

        // Another tool adds a field and an annotation; an unchanged pass writes nothing.
        stored["metadata"]!["annotations"] = new JsonObject { ["team"] = "a" };
        stored["scope"] = new JsonObject { ["kind"] = "Namespace", ["name"] = "a" };
        await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(stored, PolicyReportWriter.Group, PolicyReportWriter.Version, "a", PolicyReportWriter.Plural, "agentsandbox");
        var writesBefore = server.Requests.Writes();
        Assert.Equal(new ReportWrites(0, 0, 3, 0, 0), await writer.SyncAsync([Report("a", ReportOutcome.Fail), Report("b", ReportOutcome.Pass)], [Report(null, ReportOutcome.Pass)], default));
        Assert.Equal(writesBefore, server.Requests.Writes());

        // a is fixed, b's pods are gone: a is replaced (keeping the others' fields), b deleted.
        Assert.Equal(new ReportWrites(0, 1, 1, 1, 0), await writer.SyncAsync([Report("a", ReportOutcome.Pass)], [Report(null, ReportOutcome.Pass)], default));
        var replaced = await ReadAsync(client, "a");
        Assert.Equal("pass", (string?)replaced["results"]![0]!["result"]);
        Assert.Equal("a", (string?)replaced["metadata"]!["annotations"]!["team"]);
        Assert.Equal("Namespace", (string?)replaced["scope"]!["kind"]);
        var left = await client.CustomObjects.ListClusterCustomObjectAsync(PolicyReportWriter.Group, PolicyReportWriter.Version, PolicyReportWriter.Plural);
        Assert.Equal(["a/agentsandbox", "a/kyverno-report"], Names(left));

        // A bounded report says how many results it left out, and the annotation goes when none are.
        var cut = PolicyReportBuilder.Bound("a", [.. Enumerable.Repeat(Result(ReportOutcome.Fail), 3)], new ReportLimits { MaxResults = 2 });
        Assert.Equal(1, (await writer.SyncAsync([cut], [], default)).Updated);
        Assert.Equal("1", (string?)(await ReadAsync(client, "a"))["metadata"]!["annotations"]![PolicyReportContent.OmittedAnnotation]);
        Assert.Equal(1, (await writer.SyncAsync([Report("a", ReportOutcome.Pass)], [], default)).Updated);
        Assert.Null((await ReadAsync(client, "a"))["metadata"]!["annotations"]![PolicyReportContent.OmittedAnnotation]);
    }

    [Fact]
    public async Task Without_the_crds_every_report_is_counted_failed_and_nothing_is_written()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions());
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = server.Url });

        var writes = await new PolicyReportWriter(client, NullLogger.Instance).SyncAsync([Report("a", ReportOutcome.Fail)], [Report(null, ReportOutcome.Pass)], default);

        Assert.Equal(new ReportWrites(0, 0, 0, 0, 2), writes);
        Assert.Equal(0, server.Requests.Writes());
    }

    private static PolicyReportContent Report(string? ns, ReportOutcome outcome) => PolicyReportBuilder.Bound(ns, [Result(outcome)], new ReportLimits());

    private static ReportResult Result(ReportOutcome outcome) =>
        new(PolicyReportBuilder.PodPolicy, "privileged", outcome, "privileged container \"main\" is not allowed at tier High", new ReportResource("v1", "Pod", "a", "p", "uid-p"), [new("tier", "High")]);

    private static async Task<JsonObject> ReadAsync(Kubernetes client, string ns)
    {
        var obj = await client.CustomObjects.GetNamespacedCustomObjectAsync(PolicyReportWriter.Group, PolicyReportWriter.Version, ns, PolicyReportWriter.Plural, "agentsandbox");
        return JsonNode.Parse(((JsonElement)obj).GetRawText())!.AsObject();
    }

    private static string[] Names(object list) =>
        [.. JsonNode.Parse(((JsonElement)list).GetRawText())!["items"]!.AsArray().Select(i => $"{i!["metadata"]!["namespace"]}/{i["metadata"]!["name"]}").Order(StringComparer.Ordinal)];
}
