using System.Text.Json.Nodes;
using SandboxOperator.Policy.Manifests;

namespace SandboxOperator.Policy.Tests.Manifests;

public class ManifestParserTests
{
    [Fact]
    public void Reads_multi_document_yaml_with_lines_and_yaml_1_1_scalars()
    {
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: a
            spec:
              hostNetwork: yes
              containers:
                - name: c
                  image: x
                  args: ["yes", 42, 1.5, "0x10", null]
            ---
            # comment only documents are skipped
            ---
            apiVersion: v1
            kind: Namespace
            metadata: { name: ns }
            """;
        var (docs, errors) = ManifestParser.Parse(yaml, "f.yaml");
        Assert.Empty(errors);
        Assert.Equal(2, docs.Count);
        Assert.Equal(1, docs[0].Line);
        Assert.Equal(14, docs[1].Line);
        Assert.True((bool)docs[0].Object["spec"]!["hostNetwork"]!);
        Assert.Equal("""["yes",42,1.5,"0x10",null]""", docs[0].Object["spec"]!["containers"]![0]!["args"]!.ToJsonString());
    }

    [Fact]
    public void Expands_lists_and_reads_json()
    {
        var (docs, errors) = ManifestParser.Parse("""{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}},{"apiVersion":"v1","kind":"Pod","metadata":{"name":"b"}}]}""", "l.json");
        Assert.Empty(errors);
        Assert.Equal(["a", "b"], docs.Select(d => d.Name));
    }

    [Theory]
    [InlineData("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n", "f.yaml:5: invalid YAML")]
    [InlineData("apiVersion: v1\nkind: Pod\n  bad: indent\n", "f.yaml:3: invalid YAML")]
    [InlineData("kind: Pod\nmetadata: {}\n", "f.yaml:1: object has no apiVersion and kind")]
    [InlineData("- a\n- b\n", "f.yaml:1: a manifest document must be a mapping")]
    [InlineData("{\"apiVersion\": \"v1\",", "f.yaml:1: invalid JSON")]
    public void Errors_carry_file_and_line(string text, string expected)
    {
        var (_, errors) = ManifestParser.Parse(text, "f.yaml");
        Assert.Contains(errors, e => e.ToString().StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Alias_bombs_and_deep_nesting_are_refused()
    {
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + string.Join("", Enumerable.Range(0, 8).Select(i => $"{(char)('b' + i)}: &{(char)('b' + i)} [*{(char)('a' + i)}, *{(char)('a' + i)}, *{(char)('a' + i)}, *{(char)('a' + i)}, *{(char)('a' + i)}, *{(char)('a' + i)}, *{(char)('a' + i)}, *{(char)('a' + i)}, *{(char)('a' + i)}, *{(char)('a' + i)}]\n"));
        var (_, errors) = ManifestParser.Parse("apiVersion: v1\nkind: Pod\n" + bomb, "bomb.yaml");
        Assert.Contains(errors, e => e.Message.Contains("more than 1000000 nodes", StringComparison.Ordinal));

        var deep = "apiVersion: v1\nkind: Pod\nx: " + new string('[', 200) + new string(']', 200) + "\n";
        var (_, deepErrors) = ManifestParser.Parse(deep, "deep.yaml");
        Assert.Contains(deepErrors, e => e.Message.Contains("nested deeper than 64", StringComparison.Ordinal));
    }

    [Fact]
    public void Sorts_state_targets_and_skipped_kinds()
    {
        var (docs, _) = ManifestParser.Parse("""
            apiVersion: v1
            kind: ConfigMap
            metadata: { name: cm }
            ---
            apiVersion: agentsandbox.io/v1alpha1
            kind: AgentWorkload
            metadata: { name: w }
            spec: { type: Tool }
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: d, namespace: x }
            spec: { template: { spec: { containers: [] } } }
            ---
            apiVersion: agentsandbox.io/v1alpha1
            kind: AgentWorkload
            metadata: { name: bad }
            spec: { type: Tol }
            """, "m.yaml");
        var set = ManifestSet.From(docs);
        Assert.Single(set.State.WorkloadsIn("default"));
        Assert.Equal("d", Assert.Single(set.Targets).Name);
        Assert.Contains(set.Notes, n => n.Contains("skipped ConfigMap cm", StringComparison.Ordinal));
        Assert.Contains(set.Errors, e => e.ToString() == "m.yaml:15: AgentWorkload bad: spec.type: Unsupported value \"Tol\": supported values: MCPServer, Agent, ExecTool, Tool, Internal");
    }
}
