using SandboxOperator.Policy.Manifests;
using SandboxOperator.Webhook.StateSources;
using SandboxOperator.Webhook.Tests.Support;

namespace SandboxOperator.Webhook.Tests.StateSources;

public sealed class StaticClusterStateSourceTests
{
    [Fact]
    public void Loads_yaml_and_json_manifests_recursively_and_is_synced_at_once()
    {
        var (source, errors) = StaticClusterStateSource.FromDirectory(RunningHost.SamplesDir);

        Assert.Empty(errors);
        Assert.True(source!.Synced);
        Assert.True(source.WhenSynced.IsCompletedSuccessfully);
        Assert.Equal("audit", source.Current.NamespaceLabels("audited")!["agentsandbox.io/mode"]);
        Assert.Equal(2, source.Current.WorkloadsIn("agents").Count);
        Assert.Equal("runsc", source.Current.RuntimeClass("gvisor")!.Handler);
        Assert.NotNull(source.Current.Node("kata-1"));
    }

    [Fact]
    public void A_missing_directory_or_an_invalid_manifest_is_reported()
    {
        Assert.Equal(["the directory does not exist"], StaticClusterStateSource.FromDirectory("/nonexistent/dir").Errors);

        var dir = Directory.CreateTempSubdirectory("state-");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.FullName, "nested"));
            File.WriteAllText(Path.Combine(dir.FullName, "nested", "rc.yml"), "apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata:\n  name: kata\n");
            File.WriteAllText(Path.Combine(dir.FullName, "notes.txt"), "ignored: [");

            var (source, errors) = StaticClusterStateSource.FromDirectory(dir.FullName);

            Assert.Null(source);
            Assert.Contains("rc.yml", Assert.Single(errors), StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void Plain_untagged_yaml_scalars_parse()
    {
        // Regression: ManifestParser read TagName.Value of untagged scalars, which throws in YamlDotNet 16+.
        var (docs, errors) = ManifestParser.Parse("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    on: yes\n    n: 3\n    s: !!str 4\n", "ns.yaml");

        Assert.Empty(errors);
        var labels = docs[0].Object["metadata"]!["labels"]!;

        // As kubectl reads it: the keys on and n are the booleans true and false, which become field names.
        Assert.True((bool)labels["true"]!);
        Assert.Equal(3, (long)labels["false"]!);
        Assert.Equal("4", (string)labels["s"]!);
    }
}
