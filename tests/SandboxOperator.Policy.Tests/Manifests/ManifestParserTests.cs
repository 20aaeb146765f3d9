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
    [InlineData("apiVersion: v1\nkind: Pod\n  bad: indent\n", "f.yaml:3: invalid YAML")]
    [InlineData("kind: Pod\nmetadata: {}\n", "f.yaml:1: the object has no apiVersion")]
    [InlineData("- a\n- b\n", "f.yaml:1: a manifest document must be a mapping")]
    [InlineData("{\"apiVersion\": \"v1\",", "f.yaml:1: invalid JSON")]
    [InlineData("apiVersion: v1\nkind: Pod\nmetadata:\n\tname: a\n", "f.yaml:4: invalid YAML: while scanning a mapping, found invalid tab as indentation")]
    [InlineData("# header\napiVersion: v1\nkind: Pod\nspec:\n  x: *common\n", "f.yaml:5: alias *common refers to no anchor &common defined above it")]
    [InlineData("{\"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": \"a\"}\n  \"spec\": {}}", "f.yaml:4: invalid JSON: '\"' is invalid after a value. Expected either ',', '}', or ']'")]
    public void Errors_carry_file_and_line_and_no_exception_text(string text, string expected)
    {
        var (_, errors) = ManifestParser.Parse(text, "f.yaml");
        var error = Assert.Single(errors);
        Assert.StartsWith(expected, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("does not exists", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_repeated_key_keeps_the_last_value_with_a_note_naming_both_lines()
    {
        var reading = ManifestParser.Parse("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n", "f.yaml");
        Assert.Empty(reading.Errors);
        Assert.Equal("b", Assert.Single(reading.Documents).Name);
        Assert.Equal("f.yaml:5: key \"name\" is repeated (first on line 4); the last value is used, as kubectl uses it", Assert.Single(reading.Notes).ToString());
    }

    [Fact]
    public void A_merge_that_replaces_a_key_written_before_it_gets_a_note()
    {
        var reading = ManifestParser.Parse("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  runtimeClassName: kata\n  <<: {runtimeClassName: gvisor}\n", "f.yaml");
        Assert.Equal("gvisor", (string?)Assert.Single(reading.Documents).Object["spec"]!["runtimeClassName"]);
        Assert.Equal("f.yaml:6: the merge key (<<) replaces \"runtimeClassName\" written on line 5: kubectl applies a mapping's entries in the order written, so write the key after the merge to keep it", Assert.Single(reading.Notes).ToString());
    }

    [Fact]
    public void One_broken_document_hides_none_of_the_others()
    {
        var reading = ManifestParser.Parse("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: a}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: b: c
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: c}
            """, "f.yaml");
        Assert.Equal(["a", "c"], reading.Documents.Select(d => d.Name));
        Assert.Equal([1, 10], reading.Documents.Select(d => d.Line));
        Assert.Equal(8, Assert.Single(reading.Errors).Line);
    }

    [Fact]
    public void Typed_lists_are_read_item_by_item_with_their_own_lines()
    {
        var reading = ManifestParser.Parse("""
            apiVersion: apps/v1
            kind: DeploymentList
            items:
              - apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web, namespace: team}
              - apiVersion: v1
                kind: Pod
                metadata:
                  name: p
              - not an object
            ---
            apiVersion: v1
            kind: PodList
            items: []
            """, "l.yaml");
        Assert.Equal(["web", "p"], reading.Documents.Select(d => d.Name));
        Assert.Equal([4, 7], reading.Documents.Select(d => d.Line));
        Assert.Equal(10, reading.Documents[1].Lines.LineOf("metadata.name"));
        Assert.Equal("l.yaml:11: items[2] of the DeploymentList is not an object", Assert.Single(reading.Errors).ToString());
        Assert.Equal("l.yaml:13: PodList has no items", Assert.Single(reading.Notes).ToString());
    }

    [Fact]
    public void A_mapping_without_apiVersion_and_kind_is_no_object_and_is_skipped_with_a_note()
    {
        var reading = ManifestParser.Parse("# values.yaml\nreplicaCount: 2\nimage: {repository: nginx}\n", "values.yaml");
        Assert.Empty(reading.Documents);
        Assert.Empty(reading.Errors);
        Assert.Equal("values.yaml:2: skipped: not a Kubernetes object (it has no apiVersion and no kind)", Assert.Single(reading.Notes).ToString());
    }

    [Fact]
    public void A_helm_template_that_does_not_parse_says_to_render_it_first()
    {
        var reading = ManifestParser.Parse("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-web\n  labels:\n    {{- include \"x.labels\" . | nindent 4 }}\n", "pod.yaml");
        var error = Assert.Single(reading.Errors);
        Assert.Equal(ManifestParser.HelmAdvice, error.Message);
        Assert.Empty(reading.Documents);
    }

    [Fact]
    public void Content_after_a_document_end_marker_is_ignored_with_a_note()
    {
        var reading = ManifestParser.Parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n...\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n", "f.yaml");
        Assert.Equal("a", Assert.Single(reading.Documents).Name);
        Assert.Equal(5, Assert.Single(reading.Notes).Line);
    }

    [Theory]
    [InlineData("yaml", "apiVersion: agentsandbox.io/v1alpha1\nkind: AgentWorkload\nmetadata:\n  name: w\nspec:\n  riskTier: High\n  type: Mcp\n  traits:\n    runsUntrusted: true\n", 7, 9)]
    [InlineData("json", "{\"apiVersion\": \"agentsandbox.io/v1alpha1\", \"kind\": \"AgentWorkload\",\n \"metadata\": {\"name\": \"w\"},\n \"spec\": {\"riskTier\": \"High\",\n   \"type\": \"Mcp\",\n   \"traits\": {\"runsUntrusted\": true}}}", 4, 5)]
    public void Agent_workload_errors_name_the_line_of_the_field(string format, string text, int typeLine, int traitLine)
    {
        var (docs, errors) = ManifestParser.Parse(text, "w." + format);
        Assert.Empty(errors);
        var set = ManifestSet.From(docs);
        Assert.Contains(set.Errors, e => e.Line == typeLine && e.Message.StartsWith("AgentWorkload w: spec.type: Unsupported value \"Mcp\"", StringComparison.Ordinal));
        Assert.Contains(set.Errors, e => e.Line == traitLine && e.Message.StartsWith("AgentWorkload w: spec.traits.runsUntrusted: unknown field", StringComparison.Ordinal));
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
        Assert.Equal(["w", "d"], set.Targets.Select(t => t.Name));
        Assert.Contains(set.Notes, n => n.Message.Contains("skipped ConfigMap cm", StringComparison.Ordinal));
        Assert.Contains(set.Errors, e => e.ToString() == "m.yaml:18: AgentWorkload bad: spec.type: Unsupported value \"Tol\": supported values: MCPServer, Agent, ExecTool, Tool, Internal");
    }

    [Fact]
    public void Partial_objects_and_nameless_ones_are_skipped_with_notes_that_read_well()
    {
        var (docs, _) = ManifestParser.Parse("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: patch}
            spec:
              template:
                spec:
                  runtimeClassName: runc
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: assert}
            status: {phase: Running}
            ---
            apiVersion: v1
            kind: ConfigMap
            data: {a: b}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {generateName: web-}
            spec: {containers: [{name: c, image: nginx}]}
            """, "m.yaml");
        var set = ManifestSet.From(docs);
        Assert.Equal("Pod (generateName web-)", Assert.Single(set.Targets).Display);
        Assert.Equal(
            [
                "m.yaml:1: skipped Deployment patch: a partial object (spec.template.spec.containers is missing), such as a kustomize patch or a test assertion; the API server would refuse it as it is. Evaluate what is applied instead, e.g. kubectl kustomize DIR | sandboxctl evaluate -f -",
                "m.yaml:9: skipped Pod assert: a partial object (spec is missing), such as a kustomize patch or a test assertion; the API server would refuse it as it is. Evaluate what is applied instead, e.g. kubectl kustomize DIR | sandboxctl evaluate -f -",
                "m.yaml:14: skipped ConfigMap (no name): the policy does not cover this kind",
            ],
            set.Notes.Select(n => n.ToString()));
    }
}
