using System.Text.Json;

namespace SandboxOperator.Chart.Tests;

[Collection(ChartCollection.Name)]
public sealed class SchemaAndDriftTests(ChartRenderer chart)
{
    [SkippableTheory]
    [InlineData("mode=Bogus", "mode must be one of the following")]
    [InlineData("lowTierSeccomp.type=Unconfined", "lowTierSeccomp.type must be one of the following")]
    [InlineData("tls.mode=vault", "tls.mode must be one of the following")]
    [InlineData("runtimes.kata.pool.taint.effect=Sometimes", "runtimes.kata.pool.taint.effect must be one of the following")]
    [InlineData("webhook.failurePolicy=Maybe", "webhook.failurePolicy must be one of the following")]
    [InlineData("webhook.timeoutSeconds=31", "Must be less than or equal to 30")]
    [InlineData("replicaCount=two", "replicaCount: Invalid type. Expected: integer")]
    [InlineData("security.kata.enable=false", "Additional property enable is not allowed")]
    [InlineData("security.kata.enforcedNamespaces={Agents}", "Does not match pattern")]
    [InlineData("webhook.limits.maxConnections=0", "Must be greater than or equal to 1")]
    [InlineData("webhook.limits.maxRequestHeaderBytes=100", "Must be greater than or equal to 1024")]
    [InlineData("webhook.limits.keepAliveTimeout=forever", "Does not match pattern")]
    [InlineData("webhook.watchOutageLimit=soon", "Does not match pattern")]
    [InlineData("networkPolicy.webhook.from[0].cidr=10.0.0.1/32", "Additional property cidr is not allowed")]
    public void Schema_rejects_bad_values(string set, string message)
    {
        var error = chart.RenderError("--set", set);
        Assert.Contains("values don't meet the specifications of the schema", error, StringComparison.Ordinal);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("mode=Audit")]
    [InlineData("lowTierSeccomp.type=Localhost")]
    [InlineData("runtimes.gvisor.pool.taint.effect=NoExecute")]
    [InlineData("webhook.failurePolicy=Ignore")]
    public void Schema_accepts_the_documented_alternatives(string set) => chart.Render("--set", set);

    [Fact]
    public void Strict_parsing_catches_misspelt_fields()
    {
        // Guards the guard: every test above relies on typed parsing failing on unknown fields.
        var e = Assert.Throws<InvalidOperationException>(() => Manifests.Parse("""
            ---
            apiVersion: v1
            kind: Service
            metadata: { name: x }
            spec: { ports: [{ port: 443, targtPort: 9443 }] }
            """));
        Assert.Contains("targtPort", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Chart_seccomp_profile_is_a_copy_of_config_seccomp()
    {
        var source = Path.Combine(chart.RepoRoot, "config", "seccomp", "agent-restricted.json");
        var copy = Path.Combine(chart.ChartDir, "files", "agent-restricted.json");
        Assert.True(File.ReadAllText(source) == File.ReadAllText(copy),
            $"{copy} differs from {source}: run hack/sync-chart-files.sh");
    }

    [SkippableTheory]
    [InlineData("agentworkloads.agentsandbox.io.yaml")]
    [InlineData("sandboxexceptions.agentsandbox.io.yaml")]
    public void Chart_crd_is_a_copy_of_the_generated_crd(string name)
    {
        var source = Path.Combine(FindRoot(), "crds", name);
        Skip.IfNot(File.Exists(source), $"{source} is not generated yet; the chart's crds/ copy is checked once it exists");
        var copy = Path.Combine(FindRoot(), "charts", "sandbox-operator", "crds", name);
        Assert.True(File.Exists(copy), $"{copy} is missing: run hack/sync-chart-files.sh");
        Assert.True(File.ReadAllText(source) == File.ReadAllText(copy), $"{copy} differs from {source}: run hack/sync-chart-files.sh");
    }

    [Fact]
    public void Values_schema_is_valid_json_and_closes_every_object()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(FindRoot(), "charts", "sandbox-operator", "values.schema.json")));
        Assert.Equal("object", doc.RootElement.GetProperty("type").GetString());
        Assert.False(doc.RootElement.GetProperty("additionalProperties").GetBoolean());
        var modes = doc.RootElement.GetProperty("properties").GetProperty("mode").GetProperty("enum").EnumerateArray().Select(e => e.GetString());
        Assert.Equal(["Enforce", "Audit"], modes);
    }

    private string FindRoot() => chart.RepoRoot;
}
