using SandboxOperator.ControlPlaneTests.Support;
using SandboxOperator.Policy.Api;

namespace SandboxOperator.ControlPlaneTests;

/// <summary>
/// A user outside the chart's labelAdminGroups (system:masters) who may update namespaces still cannot
/// weaken one: not by removing agentsandbox.io/enforce, not by switching it to audit, not by replacing
/// the object, and not through the status or finalize subresources, which also carry the labels.
/// </summary>
[Collection(OperatorClusterCollection.Name)]
public sealed class NamespaceGuardTests(OperatorCluster cluster)
{
    private const string Refusal = "weakens sandbox enforcement and needs membership in one of: system:masters";

    [SkippableFact]
    public async Task A_developer_cannot_remove_the_enforce_label_or_switch_the_namespace_to_audit()
    {
        const string ns = "guarded";
        await CreateEnforcedAsync(ns);

        var remove = await cluster.AsDeveloper.RunAsync("label", "namespace", ns, $"{WellKnown.EnforceLabel}-");
        var audit = await cluster.AsDeveloper.RunAsync("label", "namespace", ns, $"{WellKnown.ModeLabel}=audit");
        var replace = await cluster.AsDeveloper.RunWithInputAsync($"apiVersion: v1\nkind: Namespace\nmetadata: {{ name: {ns} }}\n", "replace", "-f", "-");

        AssertRefused(remove, $"removing {WellKnown.EnforceLabel}=kata on namespace {ns}");
        AssertRefused(audit, $"setting {WellKnown.ModeLabel}=audit on namespace {ns}");
        AssertRefused(replace, $"removing {WellKnown.EnforceLabel}=kata on namespace {ns}");
        Assert.Equal("kata", await EnforceLabelAsync(ns));

        // A label admin may.
        var admin = await cluster.Admin.RunAsync("label", "namespace", ns, $"{WellKnown.EnforceLabel}-");
        Assert.True(admin.Succeeded, admin.ToString());
        Assert.Equal("", await EnforceLabelAsync(ns));
    }

    [SkippableFact]
    public async Task A_developer_cannot_remove_the_enforce_label_through_the_status_subresource()
    {
        const string ns = "guarded-status";
        await CreateEnforcedAsync(ns);

        var patch = await cluster.AsDeveloper.RunAsync("patch", "namespace", ns, "--subresource=status", "--type=merge",
            "-p", "{\"metadata\":{\"labels\":{\"" + WellKnown.EnforceLabel + "\":null}}}");

        AssertRefused(patch, $"removing {WellKnown.EnforceLabel}=kata on namespace {ns}");
        Assert.Equal("kata", await EnforceLabelAsync(ns));
    }

    [SkippableFact]
    public async Task A_developer_cannot_remove_the_enforce_label_through_the_finalize_subresource()
    {
        const string ns = "guarded-finalize";
        await CreateEnforcedAsync(ns);
        var file = Path.Combine(cluster.ControlPlane.WorkDirectory, $"{ns}.json");
        await File.WriteAllTextAsync(file, $$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{ns}}}","labels":{}},"spec":{"finalizers":["kubernetes"]}}""");

        var finalize = await cluster.AsDeveloper.RunAsync("replace", "--raw", $"/api/v1/namespaces/{ns}/finalize", "-f", file);

        Assert.True(finalize.ExitCode != 0, $"the finalize call was accepted: {finalize}");
        Assert.Equal("kata", await EnforceLabelAsync(ns));
    }

    private async Task CreateEnforcedAsync(string ns)
    {
        cluster.SkipIfUnavailable();
        await cluster.CreateNamespaceAsync(ns, new Dictionary<string, string> { [WellKnown.EnforceLabel] = WellKnown.EnforceKataValue });
    }

    private async Task<string> EnforceLabelAsync(string ns) =>
        await cluster.Admin.SucceedAsync("get", "namespace", ns, "-o", "jsonpath={.metadata.labels.agentsandbox\\.io/enforce}");

    private static void AssertRefused(KubectlResult result, string change)
    {
        Assert.True(result.ExitCode != 0, $"expected a refusal of {change}, got {result}");
        Assert.Matches(@"admission webhook ""[a-z]+\.agentsandbox\.io"" denied the request", result.Stderr);
        Assert.Contains($"{change} {Refusal}", result.Stderr, StringComparison.Ordinal);
    }
}
