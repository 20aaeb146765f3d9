using System.Text.Json.Nodes;

namespace SandboxOperator.Cli.Tests;

public class EvaluateCommandTests
{
    private static readonly string[] ResultKeys = ["apiVersion", "kind", "namespace", "name", "allowed", "mode", "riskTier", "runtime", "runtimeClassName", "workload", "reasons", "message", "warnings", "patch", "object", "edgeIsolate"];

    [Fact]
    public void Bundled_samples_are_all_allowed_and_printed_as_a_table()
    {
        var r = Sandboxctl.Run(null, "evaluate", "-f", "config/samples");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Pod/agents/github-mcp-7d9f8-x2k4q", r.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"Pod/tools/code-runner\s+mutated\s+High\s+Kata", r.Stdout);
        Assert.Matches(@"Job/tools/unit-converter-run-4821\s+allowed\s+Medium\s+GVisor", r.Stdout);
        Assert.Matches(@"Deployment/internal/billing-api\s+allowed\s+Low\s+Runc", r.Stdout);
        Assert.Matches(@"AgentWorkload/tools/code-runner\s+allowed\s+High\s+Kata", r.Stdout);
        Assert.Contains("13 evaluated, 13 allowed, 0 denied", r.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_report_has_exactly_the_contract_fields()
    {
        var r = Sandboxctl.Run(null, "evaluate", "-f", "config/samples", "-o", "json");
        Assert.Equal(0, r.ExitCode);
        var results = JsonNode.Parse(r.Stdout)!["results"]!.AsArray();
        Assert.Equal(13, results.Count);
        Assert.Equal(5, results.Count(x => (string?)x!["kind"] == "AgentWorkload"));
        foreach (var item in results)
        {
            Assert.Equal(ResultKeys, item!.AsObject().Select(p => p.Key));
        }

        var pod = results.Single(x => (string?)x!["name"] == "github-mcp-7d9f8-x2k4q")!;
        Assert.Equal("High", (string?)pod["riskTier"]);
        Assert.Equal("Kata", (string?)pod["runtime"]);
        Assert.Equal("kata", (string?)pod["runtimeClassName"]);
        Assert.Equal("github-mcp", (string?)pod["workload"]);
        Assert.Equal("kata", (string?)pod["object"]!["spec"]!["runtimeClassName"]);
        Assert.Equal("high", (string?)pod["object"]!["metadata"]!["labels"]!["agentsandbox.io/tier"]);
        Assert.Equal("add", (string?)pod["patch"]![0]!["op"]);

        var deployment = results.Single(x => (string?)x!["kind"] == "Deployment" && (string?)x!["name"] == "github-mcp")!;
        Assert.Empty(deployment["patch"]!.AsArray());
        Assert.Null(deployment["object"]!["spec"]!["template"]!["spec"]!["runtimeClassName"]);
    }

    [Fact]
    public void A_denial_exits_1_with_the_message_and_an_unchanged_object()
    {
        var r = Sandboxctl.Run(null, "evaluate", "-f", "config/samples", "-f", "config/examples/violations.yaml", "-o", "json");
        Assert.Equal(1, r.ExitCode);
        var rogue = JsonNode.Parse(r.Stdout)!["results"]!.AsArray().Single(x => (string?)x!["name"] == "rogue-mcp")!;
        Assert.False((bool)rogue["allowed"]!);
        Assert.Equal("MCP server pods must run in Kata: spec.runtimeClassName is \"gvisor\"; set it to \"kata\" or leave it unset", (string?)rogue["message"]);
        Assert.Empty(rogue["patch"]!.AsArray());
        Assert.Equal("gvisor", (string?)rogue["object"]!["spec"]!["runtimeClassName"]);
    }

    [Fact]
    public void Reads_standard_input_and_defaults_the_namespace()
    {
        const string pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: lone\n  labels: {agentsandbox.io/workload-type: mcp-server}\nspec:\n  containers: [{name: c, image: x}]\n";
        var r = Sandboxctl.Run(pod, "evaluate", "-f", "-", "-o", "yaml");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("namespace: default", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("runtimeClassName: kata", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Audit_mode_from_the_config_allows_with_warnings()
    {
        var dir = Directory.CreateTempSubdirectory();
        try
        {
            var config = Path.Combine(dir.FullName, "policy.yaml");
            File.WriteAllText(config, "mode: Audit\n");
            var r = Sandboxctl.Run(null, "evaluate", "-f", "config/examples/violations.yaml", "--config", config, "-o", "json");
            Assert.Equal(0, r.ExitCode);
            var rogue = JsonNode.Parse(r.Stdout)!["results"]!.AsArray().Single(x => (string?)x!["name"] == "rogue-mcp")!;
            Assert.Equal("Audit", (string?)rogue["mode"]);
            Assert.Contains(rogue["warnings"]!.AsArray(), w => ((string?)w)!.StartsWith("audit mode, would be denied: MCP server pods must run in Kata", StringComparison.Ordinal));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Theory]
    [InlineData("missing.yaml", "error: missing.yaml: no such file or directory")]
    [InlineData("BAD_YAML", "bad.yaml:4: invalid YAML")]
    [InlineData("BAD_TAB", "bad.yaml:4: invalid YAML: while scanning a mapping, found invalid tab as indentation")]
    [InlineData("BAD_ANCHOR", "bad.yaml:6: alias *common refers to no anchor &common defined above it")]
    [InlineData("BAD_WORKLOAD", "bad.yaml:4: AgentWorkload w: spec.type: Unsupported value \"Mcp\": supported values: MCPServer, Agent, ExecTool, Tool, Internal")]
    [InlineData("BAD_JSON", "bad.yaml:3: invalid JSON: expected end of string, but instead reached end of data")]
    public void Unusable_input_exits_2_with_file_and_line_and_no_exception_text(string input, string expected)
    {
        using var files = new TempFiles();
        var path = input switch
        {
            "BAD_YAML" => files.Write("bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a: b\n"),
            "BAD_TAB" => files.Write("bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: a\n"),
            "BAD_ANCHOR" => files.Write("bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  <<: *common\n"),
            "BAD_WORKLOAD" => files.Write("bad.yaml", "apiVersion: agentsandbox.io/v1alpha1\nkind: AgentWorkload\nmetadata: {name: w}\nspec: {type: Mcp}\n"),
            "BAD_JSON" => files.Write("bad.yaml", "{\"apiVersion\": \"v1\",\n \"kind\": \"Pod\",\n \"metadata\": {\"name\": \"a"),
            _ => input,
        };

        var r = Sandboxctl.Run(null, "evaluate", "-f", path);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.Stderr, StringComparison.Ordinal);
        foreach (var leak in new[] { "   at ", "Exception", "LineNumber", "BytePositionInLine", "does not exists" })
        {
            Assert.DoesNotContain(leak, r.Stderr, StringComparison.Ordinal);
        }

        Assert.Contains("0 evaluated, 0 allowed, 0 denied", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void No_arguments_print_the_usage()
    {
        var r = Sandboxctl.Run(null);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Usage:", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("evaluate", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("crd", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void One_unusable_file_hides_nothing_json_stays_valid_and_the_exit_code_is_the_worst()
    {
        using var files = new TempFiles();
        files.Write("a-broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a: b\n");
        files.Write("b-denied.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: mcp\n  labels: {agentsandbox.io/workload-type: mcp-server}\nspec:\n  runtimeClassName: gvisor\n  containers: [{name: c, image: x}]\n");
        files.Write("c-allowed.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers: [{name: c, image: x}]\n");

        var r = Sandboxctl.Run(null, "evaluate", "-f", files.Root, "-o", "json");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal(["mcp", "web"], JsonNode.Parse(r.Stdout)!["results"]!.AsArray().Select(x => (string?)x!["name"]));
        Assert.Contains("a-broken.yaml:4: invalid YAML", r.Stderr, StringComparison.Ordinal);

        File.Delete(Path.Combine(files.Root, "a-broken.yaml"));
        Assert.Equal(1, Sandboxctl.Run(null, "evaluate", "-f", files.Root).ExitCode);
    }

    [Fact]
    public void Bad_config_and_bad_flags_exit_2()
    {
        var dir = Directory.CreateTempSubdirectory();
        try
        {
            var config = Path.Combine(dir.FullName, "policy.yaml");
            File.WriteAllText(config, "mode: Sometimes\n");
            var r = Sandboxctl.Run(null, "evaluate", "-f", "config/samples", "--config", config);
            Assert.Equal(2, r.ExitCode);
            Assert.Contains("policy.yaml:1: mode: unsupported value \"Sometimes\" (allowed: Enforce, Audit)", r.Stderr, StringComparison.Ordinal);

            var o = Sandboxctl.Run(null, "evaluate", "-f", "config/samples", "-o", "xml");
            Assert.Equal(2, o.ExitCode);
            Assert.Contains("unsupported value \"xml\"", o.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void Crd_command_prints_the_committed_crd()
    {
        var r = Sandboxctl.Run(null, "crd");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(File.ReadAllText(Path.Combine(Sandboxctl.RepoRoot, "crds", "agentworkloads.agentsandbox.io.yaml")), r.Stdout);
    }
}

public class EvaluateEdgeAdviceTests
{
    [Fact]
    public void Workloads_say_whether_they_could_run_as_an_edge_isolate_in_the_table_and_the_json()
    {
        var table = Sandboxctl.Run(null, "evaluate", "-f", "config/samples");
        var json = Sandboxctl.Run(null, "evaluate", "-f", "config/samples", "-o", "json");

        Assert.Matches(@"AgentWorkload/tools/unit-converter\s+allowed\s+Medium\s+GVisor\s+yes\s", table.Stdout);
        Assert.Matches(@"AgentWorkload/agents/github-mcp\s+allowed\s+High\s+Kata\s+no\s", table.Stdout);
        Assert.Matches(@"Pod/tools/code-runner\s+mutated\s+High\s+Kata\s+-\s", table.Stdout);
        var results = System.Text.Json.Nodes.JsonNode.Parse(json.Stdout)!["results"]!.AsArray();
        var tool = results.Single(r => (string?)r!["kind"] == "AgentWorkload" && (string?)r["name"] == "unit-converter")!;
        Assert.True((bool)tool["edgeIsolate"]!["candidate"]!);
        var mcp = results.Single(r => (string?)r!["kind"] == "AgentWorkload" && (string?)r["name"] == "github-mcp")!;
        Assert.Contains("type MCPServer: only a Tool can run as an edge isolate", mcp["edgeIsolate"]!["reasons"]!.AsArray().Select(x => (string?)x));
        Assert.Null(results.First(r => (string?)r!["kind"] == "Pod")!["edgeIsolate"]);
    }

    [Fact]
    public void A_tool_whose_pod_mounts_a_claim_is_not_a_candidate_and_the_reason_names_the_pod()
    {
        using var files = new TempFiles();
        var path = files.Write("tool.yaml", """
            apiVersion: agentsandbox.io/v1alpha1
            kind: AgentWorkload
            metadata: { name: fetch, namespace: tools }
            spec: { type: Tool, selector: { matchLabels: { app: fetch } } }
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: fetch, namespace: tools }
            spec:
              selector: { matchLabels: { app: fetch } }
              template:
                metadata: { labels: { app: fetch } }
                spec:
                  automountServiceAccountToken: false
                  volumes: [{ name: cache, persistentVolumeClaim: { claimName: cache } }]
                  containers: [{ name: f, image: f, resources: { limits: { memory: 32Mi } } }]
            """);

        var r = Sandboxctl.Run(null, "evaluate", "-f", path, "-o", "json");

        var workload = System.Text.Json.Nodes.JsonNode.Parse(r.Stdout)!["results"]!.AsArray().Single(x => (string?)x!["kind"] == "AgentWorkload")!;
        Assert.False((bool)workload["edgeIsolate"]!["candidate"]!);
        Assert.Equal(["Deployment fetch: volume \"cache\" (persistentVolumeClaim); only emptyDir is stateless"], workload["edgeIsolate"]!["reasons"]!.AsArray().Select(x => (string?)x));
    }
}
